"""Settings, read once (CLI flags and environment) into one object that is passed down."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def default_archive() -> Path:
    return Path(os.environ.get("DIGITIZE_ARCHIVE") or "./archive")


@dataclass(frozen=True)
class Settings:
    archive: Path = field(default_factory=default_archive)
    jobs: int = 0                # 0: one worker per core
    pdfa: str = "2b"
    lang: str = "vie"
    page_timeout_s: float = 180.0
    jpeg_quality: int = 80
    backend: str = "embedded"
    es_url: str | None = None
    dossier: str | None = None
    ocr_engine: str = "tesseract"  # ocr.engine.ENGINES: "fake" recognises nothing (tests)

    @property
    def workers(self) -> int:
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)


def from_env(**overrides) -> Settings:
    """Settings from DIGITIZE_* environment variables, then explicit overrides (None ignored)."""
    env: dict[str, Any] = {
        "archive": default_archive(),
        "es_url": os.environ.get("DIGITIZE_ES_URL") or None,
        "backend": os.environ.get("DIGITIZE_BACKEND") or "embedded",
        "lang": os.environ.get("DIGITIZE_LANG") or "vie",
        "ocr_engine": os.environ.get("DIGITIZE_OCR_ENGINE") or "tesseract",
    }
    env.update({k: v for k, v in overrides.items() if v is not None})
    if env.get("archive") is not None:
        env["archive"] = Path(env["archive"])
    return Settings(**env)
