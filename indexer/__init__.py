"""Search backends behind one interface (`indexer.base.SearchBackend`).

Text normalisation for Vietnamese lives in `indexer.textnorm` and is shared by every backend,
so both see the same tokens. Nothing here imports `digitize`, `ocr` or `storage`.
"""
