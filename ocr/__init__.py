"""Page images in, text out: loading scans, cleaning them, OCR, and PDF/A assembly.

Nothing here imports `digitize`, `indexer` or `storage`.
"""
