"""Benchmarks of the CRM finance pipeline against naive builds of the same functions.

``python -m bench`` runs them all on one local stack; ``python -m bench.webhook``,
``bench.worker``, ``bench.cold_start``, ``bench.metrics`` and ``bench.poller`` run one
each. Results: docs/benchmarks.md.
"""
