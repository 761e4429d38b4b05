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
    es_api_key: str | None = field(default=None, repr=False)  # "id:key" or its base64 form
    es_user: str | None = None
    es_password: str | None = field(default=None, repr=False)
    es_ca: str | None = None  # CA certificate (PEM) of a private certificate authority
    es_prefix: str = "digitize"  # index names: <prefix>-pages; one prefix per archive
    dossier: str | None = None
    ocr_engine: str = "tesseract"  # ocr.engine.ENGINES: "fake" recognises nothing (tests)

    @property
    def workers(self) -> int:
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)

    def backend_options(self) -> dict:
        """What `indexer.registry.open_backend` needs for this backend."""
        if self.backend != "es":
            return {}
        return {"es_url": self.es_url, "api_key": self.es_api_key, "username": self.es_user,
                "password": self.es_password, "ca_certs": self.es_ca,
                "index_prefix": self.es_prefix}


def from_env(**overrides) -> Settings:
    """Settings from DIGITIZE_* environment variables, then explicit overrides (None ignored)."""
    env: dict[str, Any] = {
        "archive": default_archive(),
        "es_url": os.environ.get("DIGITIZE_ES_URL") or None,
        "es_api_key": os.environ.get("DIGITIZE_ES_API_KEY") or None,
        "es_user": os.environ.get("DIGITIZE_ES_USER") or None,
        "es_password": os.environ.get("DIGITIZE_ES_PASSWORD") or None,
        "es_ca": os.environ.get("DIGITIZE_ES_CA") or None,
        "es_prefix": os.environ.get("DIGITIZE_ES_PREFIX") or "digitize",
        "backend": os.environ.get("DIGITIZE_BACKEND") or "embedded",
        "lang": os.environ.get("DIGITIZE_LANG") or "vie",
        "ocr_engine": os.environ.get("DIGITIZE_OCR_ENGINE") or "tesseract",
    }
    env.update({k: v for k, v in overrides.items() if v is not None})
    if env.get("archive") is not None:
        env["archive"] = Path(env["archive"])
    return Settings(**env)
