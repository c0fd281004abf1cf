"""Interoperability with other evaluation tools: Inspect AI datasets out, Inspect logs in."""

from medtrust.interop.inspect import dataset_row, import_log, write_dataset

__all__ = ["dataset_row", "import_log", "write_dataset"]
