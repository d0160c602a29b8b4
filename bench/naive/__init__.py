"""The naive one-module webhook the benchmarks compare against (see webhook_app.py).

Loaded by file path (``bench.common.load_naive``), as the Lambda runtime loads a handler.
"""
