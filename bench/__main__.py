"""``python -m bench`` (``make bench``): every benchmark, on one local stack.

Webhook latency, worker cost per event, cold starts; each prints its own tables with the
naive build side by side. The stack is stopped at the end, whatever happens.
"""

from __future__ import annotations

from bench import cold_start, webhook, worker
from bench.common import running_stack


def main() -> None:
    with running_stack() as stack:
        webhook.run(stack)
        worker.run(stack)
        cold_start.run(stack)


if __name__ == "__main__":
    main()
