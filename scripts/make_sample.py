"""Regenerate the README's bundled sample in samples/ (pages rendered by scripts.pagegen.render)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.pagegen.render import write_sample  # noqa: E402

if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "samples"
    for p in write_sample(out):
        print(p, p.stat().st_size)
