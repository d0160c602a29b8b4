"""Webhook warm latency and throughput, ours vs the naive synchronous build.

``.venv/bin/python -m bench.webhook [--n 1000] [--warmup 50] [--naive-n 200]``

Ours: the real StripeWebhookFunction handler, invoked in-process through
``lambda_runtime.invoke`` as the Lambda runtime would, against the real local stack
(PostgreSQL inbox + moto SQS). Every invocation gets a freshly signed
``payment_intent.succeeded`` with a unique event id, so each one is a first delivery (an
INSERT and an SQS send), never a duplicate. It runs twice: as deployed, and with the SQS
port swapped for a no-op, to separate the handler's own cost from moto's HTTP hop.
The queue is emptied (outside the timed region) every 50 sends: moto's SendMessage scans
the whole queue, so its latency would otherwise grow with n; real SQS does not.

Naive: bench/naive/webhook_app.py, which does the QBO work inside the request. Each of
its events pays a new lead in full (find-or-create customer, invoice, payment: 5 QBO
calls). Fewer iterations (200), as each is a chain of QBO round trips.

events/s = invocations / the sum of their times: one Lambda instance, back to back.

The breakdown times the webhook's own ports (the objects the handler uses, from
``wiring.webhook_ports()``) stage by stage, on separate events, to show where a warm
invocation spends its time.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.common import (
    WEBHOOK,
    api_event,
    invoke_naive,
    invoke_webhook,
    load_functions,
    load_naive,
    ms,
    new_lead,
    payment_event,
    print_section,
    purge_queue,
    running_stack,
    summary,
    table,
    verdict,
)

TARGET_P50_SECONDS = 0.005
PURGE_EVERY = 50


class _NullQueue:
    """Stands in for SQS to show what the handler costs without moto's HTTP hop."""

    def enqueue(self, event_id: str) -> None:
        pass


def _timed(
    invoke: Any, events: list[dict[str, Any]], between: Any = None
) -> tuple[list[float], float]:
    """Per-invocation samples and the busy time they add up to (for events/s)."""
    samples = []
    for i, event in enumerate(events):
        t0 = time.perf_counter()
        invoke(event)
        samples.append(time.perf_counter() - t0)
        if between is not None:
            between(i)
    return samples, sum(samples)


def _shallow_queue(stack: Any) -> Any:
    """moto's SendMessage scans the whole queue (it recomputes the approximate counts), so
    its latency grows with depth; a real SQS queue does not. Purging every
    ``PURGE_EVERY`` sends, outside the timed region, keeps the figure independent of n."""

    def between(i: int) -> None:
        if i % PURGE_EVERY == PURGE_EVERY - 1:
            purge_queue(stack)

    return between


def measure_ours(stack: Any, *, warmup: int, n: int, stub_sqs: bool = False) -> dict[str, Any]:
    from crm_finance.devstack.lambda_runtime import load_function

    load_functions(WEBHOOK)
    ports = load_function(WEBHOOK).ports  # the dict the warm handler passes to the domain
    real_queue = ports["queue"]
    if stub_sqs:
        ports["queue"] = _NullQueue()
    try:
        lead = new_lead(stack, tag="webhook")
        purge_queue(stack)
        for _ in range(warmup):
            invoke_webhook(api_event(stack, payment_event(stack, lead.id, 100_000)))
        purge_queue(stack)
        events = [api_event(stack, payment_event(stack, lead.id, 100_000)) for _ in range(n)]
        samples, busy = _timed(invoke_webhook, events, _shallow_queue(stack))
    finally:
        ports["queue"] = real_queue
    return {**summary(samples), "rate": n / busy}


def measure_breakdown(stack: Any, *, n: int) -> dict[str, dict[str, float]]:
    """The webhook's stages, timed one by one with the handler's own adapters."""
    from crm_finance import wiring
    from crm_finance.domain.stripe_events import classify_event

    ports = wiring.webhook_ports()
    verifier, inbox, queue = ports["verifier"], ports["inbox"], ports["queue"]
    lead = new_lead(stack, tag="breakdown")
    stages: dict[str, list[float]] = {
        "signature verify (+ cached secret, json.loads)": [],
        "classify (pydantic models)": [],
        "inbox INSERT (PostgreSQL)": [],
        "SQS send_message (boto3 -> moto over HTTP)": [],
    }
    names = list(stages)
    between = _shallow_queue(stack)
    purge_queue(stack)
    for i in range(n):
        event = api_event(stack, payment_event(stack, lead.id, 100_000))
        body, signature = event["body"], event["headers"]["stripe-signature"]
        t0 = time.perf_counter()
        raw = verifier.verify(body, signature)
        t1 = time.perf_counter()
        c = classify_event(raw)
        t2 = time.perf_counter()
        inbox.record(
            c.event.id,
            c.event.type,
            c.event.livemode,
            c.payment,
            c.stored_payload,
            c.status,
            c.reason,
        )
        t3 = time.perf_counter()
        queue.enqueue(c.event.id)
        t4 = time.perf_counter()
        for name, seconds in zip(names, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            stages[name].append(seconds)
        between(i)
    return {name: summary(samples) for name, samples in stages.items()}


def measure_naive(stack: Any, *, warmup: int, n: int) -> dict[str, Any]:
    load_naive()
    leads = [new_lead(stack, tag="naive-webhook") for _ in range(warmup + n)]
    for lead in leads[:warmup]:
        invoke_naive(api_event(stack, payment_event(stack, lead.id, lead.proposal_amount_cents)))
    events = [
        api_event(stack, payment_event(stack, lead.id, lead.proposal_amount_cents))
        for lead in leads[warmup:]
    ]
    stack.emulator.reset_counters()
    samples, busy = _timed(invoke_naive, events)
    return {**summary(samples), "rate": n / busy, "qbo_calls": stack.emulator.request_count() / n}


def _pg_round_trip(stack: Any, n: int = 300) -> dict[str, float]:
    """One PostgreSQL round trip (SELECT 1, autocommit), for scale."""
    import psycopg

    with psycopg.connect(stack.info["database_url"], autocommit=True) as conn:
        samples = []
        for _ in range(n):
            t0 = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            samples.append(time.perf_counter() - t0)
    return summary(samples)


def _harness_overhead(n: int = 300) -> dict[str, float]:
    """What ``lambda_runtime.invoke`` spends finding the handler name on every call (it
    rebuilds the function table from template.yaml); not part of a deployed Lambda."""
    from crm_finance.devstack.lambda_runtime import function_spec

    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        function_spec(WEBHOOK)
        samples.append(time.perf_counter() - t0)
    return summary(samples)


def _row(label: str, s: dict[str, Any], warmup: int) -> list[str]:
    return [
        label,
        f"{s['n']} (+{warmup} warm-up)",
        ms(s["p50"]),
        ms(s["p99"]),
        ms(s["mean"]),
        f"{s['rate']:.0f}",
    ]


def run(stack: Any, *, n: int = 1000, warmup: int = 50, naive_n: int = 200) -> dict[str, Any]:
    ours = measure_ours(stack, warmup=warmup, n=n)
    stubbed = measure_ours(stack, warmup=warmup, n=n, stub_sqs=True)
    breakdown = measure_breakdown(stack, n=min(n, 300))
    breakdown["(for scale) one PostgreSQL round trip, SELECT 1"] = _pg_round_trip(stack)
    breakdown["devstack harness: lambda_runtime.invoke -> function_spec() per call"] = (
        _harness_overhead()
    )
    naive_warmup = min(warmup, 10)
    naive = measure_naive(stack, warmup=naive_warmup, n=naive_n)
    purge_queue(stack)  # the events above were never meant to be invoiced

    rows = [
        _row("ours: verify + inbox INSERT + SQS send (moto), 200", ours, warmup),
        _row("ours, SQS send stubbed out (no moto hop)", stubbed, warmup),
        _row(
            f"naive: QBO work inside the request ({naive['qbo_calls']:.0f} QBO calls)",
            naive,
            naive_warmup,
        ),
    ]
    print_section(
        "Webhook warm latency (one Lambda instance, sequential invocations)",
        table(["build", "invocations", "p50 ms", "p99 ms", "mean ms", "events/s"], rows)
        + f"\n\nnaive / ours: p50 x{naive['p50'] / ours['p50']:.1f}, "
        f"p99 x{naive['p99'] / ours['p99']:.1f}; "
        f"events/s ours / naive x{ours['rate'] / naive['rate']:.1f}"
        + f"\ntarget ours p50 <= {TARGET_P50_SECONDS * 1000:.0f} ms end to end: "
        + f"{verdict(ours['p50'] <= TARGET_P50_SECONDS)} ({ms(ours['p50'])} ms; "
        + f"{ms(stubbed['p50'])} ms without the moto hop)",
    )
    stages = list(breakdown.items())
    stage_rows = [[name, ms(s["p50"]), ms(s["p99"]), ms(s["mean"])] for name, s in stages]
    in_process = sum(s["p50"] for _, s in stages[:3])
    stage_rows += [
        ["sum of the three in-process stages (verify, classify, INSERT)", ms(in_process), "", ""],
        ["whole handler with SQS stubbed out (table above)", ms(stubbed["p50"]), "", ""],
        [
            "moto hop inside the handler: ours p50 - stubbed p50",
            ms(ours["p50"] - stubbed["p50"]),
            "",
            "",
        ],
    ]
    print_section(
        f"Where a warm webhook invocation spends its time ({stages[0][1]['n']}"
        " events, stages timed separately with the handler's own adapters)",
        table(["stage", "p50 ms", "p99 ms", "mean ms"], stage_rows),
    )
    return {"ours": ours, "stubbed": stubbed, "naive": naive, "breakdown": breakdown}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--naive-n", type=int, default=200)
    args = parser.parse_args()
    with running_stack() as stack:
        run(stack, n=args.n, warmup=args.warmup, naive_n=args.naive_n)


if __name__ == "__main__":
    main()
