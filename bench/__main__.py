"""``python -m bench [--python PATH]`` (``make bench``): every benchmark, on one local stack.

Webhook latency, worker cost per event, cold starts, metrics scrape, invoice poller; each
prints its own tables with the naive build side by side. The stack is stopped at the end,
whatever happens.

``--python`` is the cold-start children's interpreter (``make bench`` passes the
Lambda-like ``.bench-venv/bin/python``). When it is not this interpreter, the cold-start
table is printed a second time with this one (the dev venv), for comparison.

The metrics bench runs before the poller: the poller leaves some 220,000 open invoices
(leads) behind, and the open-invoice gauges are computed from ``leads`` at scrape time,
which would blur the scrape's dependence on the ledger's size.
"""

from __future__ import annotations

import argparse
import os
import sys

from bench import cold_start, metrics, poller, webhook, worker
from bench.common import running_stack


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="the cold-start children's interpreter (default: this one)",
    )
    args = parser.parse_args()
    with running_stack() as stack:
        webhook.run(stack)
        worker.run(stack)
        cold_start.run(stack, python=args.python)
        if os.path.abspath(args.python) != os.path.abspath(sys.executable):
            cold_start.run(stack, python=sys.executable, details=False)
        metrics.run(stack)
        poller.run(stack, sizes=(10_000, 100_000), sample=5_000, full_naive=10_000)


if __name__ == "__main__":
    main()
