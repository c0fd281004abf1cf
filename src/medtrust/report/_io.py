"""Atomic writes for reports (the implementation lives in :mod:`medtrust._atomic`)."""

from medtrust._atomic import replace_dir_atomic, write_jsonl_atomic, write_text_atomic

__all__ = ["replace_dir_atomic", "write_jsonl_atomic", "write_text_atomic"]
