"""The archive on disk: record folders with manifests and checksums, and the SQLite catalogue.

Nothing here imports `digitize`, `ocr` or `indexer`.
"""
