"""Small rendered documents for the storage, verify, resume and watch tests (quick to OCR)."""
from __future__ import annotations

from pathlib import Path

from scripts.pagegen.render import DocSpec, render_page


def small_doc(path: Path, n: int = 0, dpi: int = 100) -> Path:
    """Render document number `n` (distinct text, so a distinct record) as a PNG at `dpi`."""
    spec = DocSpec(number=f"Số: {200 + n}/QĐ-UBND",
                   subject=[f"Về việc giải quyết hồ sơ số {3000 + n}"], body=[
                       f"Điều 1. Chấp thuận hồ sơ số {3000 + n} của công dân.",
                       "Điều 2. Quyết định này có hiệu lực kể từ ngày ký."])
    path.parent.mkdir(parents=True, exist_ok=True)
    render_page(spec, dpi=dpi).save(path, dpi=(dpi, dpi))
    return path
