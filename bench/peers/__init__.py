"""Per-tool drivers for ``bench/run_throughput.py``: each builds one tool invocation."""
