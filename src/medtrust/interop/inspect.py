"""Inspect AI (inspect_ai, MIT): ``write_dataset`` (medtrust cases as an Inspect dataset) and
``import_log`` (an Inspect ``.eval`` log as a judged medtrust run). Inspect itself is imported
only when a log is read, so writing a dataset does not need it installed."""

from medtrust.interop._dataset import dataset_row, run_metadata, write_dataset
from medtrust.interop._log import import_log

__all__ = ["dataset_row", "import_log", "run_metadata", "write_dataset"]
