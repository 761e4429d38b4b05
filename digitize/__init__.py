"""digitize: scans of Vietnamese administrative records in, a searchable PDF/A archive out.

`digitize.cli` is the command line; `digitize.pipeline` runs the stages; `digitize.fields`
extracts Decree 30/2020 fields. This package may import `ocr`, `indexer` and `storage`.
"""
__version__ = "0.1.0"
