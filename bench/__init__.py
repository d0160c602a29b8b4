"""Benchmarks of the CRM finance pipeline against its naive one-module build.

``python -m bench`` runs them all on one local stack; ``python -m bench.webhook``,
``bench.worker`` and ``bench.cold_start`` run one each. Results: docs/benchmarks.md.
"""
