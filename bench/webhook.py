"""Webhook warm latency and throughput, ours vs the naive synchronous build.

``.venv/bin/python -m bench.webhook [--n 1000] [--warmup 50] [--naive-n 200]``

Ours: the real StripeWebhookFunction handler, invoked in-process through
``lambda_runtime.invoke`` as the Lambda runtime would, against the stack's real
PostgreSQL. Every invocation gets a freshly signed ``payment_intent.succeeded`` with a
unique event id, so each one is a first delivery (an INSERT and an SQS send), never a
duplicate. It runs three times:

* **moto in-process** (the target row): inside ``moto.mock_aws()``, with no
  ``AWS_ENDPOINT_URL``, so boto3's requests are answered inside the process, without an
  HTTP hop. The bench creates its own SQS queue and Stripe webhook secret there, points
  the function at them (``INVOICE_QUEUE_URL``, ``STRIPE_WEBHOOK_SECRET_ID``) and reloads
  it (``wiring.reset()``, ``unload_functions()``); the environment is restored after.
* **moto server** (for reference): the local stack's moto server over HTTP on loopback,
  which answers with ``Connection: close``, so every send opens a new TCP connection.
* **SQS stubbed out**: the SQS port swapped for a no-op: the handler's own cost.

moto's SendMessage recomputes the queue's counts by scanning every message, so its cost
grows with the queue's depth; real SQS does not. The queue is drained (receive + delete,
outside the timed region) every 10 sends, so it never holds more than 10 messages.

Naive: bench/naive/webhook_app.py, which does the QBO work inside the request. Each of
its events pays a new lead in full (find-or-create customer, invoice, payment: 5 QBO
calls). Fewer iterations (200), as each is a chain of QBO round trips.

events/s = invocations / the sum of their times: one Lambda instance, back to back.

The breakdown times the webhook's own ports (the objects the handler uses, from
``wiring.webhook_ports()``) stage by stage, on separate events, with either moto.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bench.common import (
    RUN_TAG,
    WEBHOOK,
    api_event,
    drain_queue,
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
DRAIN_EVERY = 10
REGION = "us-east-1"
# What the in-process variant changes in os.environ (restored afterwards). The proxy
# variables are a guard: a request that moto failed to intercept would go to a closed
# loopback port and fail, never to the internet.
_GUARD_PROXY = "http://127.0.0.1:9"
_ENV_KEYS = (
    "AWS_ENDPOINT_URL",
    "INVOICE_QUEUE_URL",
    "STRIPE_WEBHOOK_SECRET_ID",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)


class _NullQueue:
    """Stands in for SQS to show what the handler costs without any moto."""

    def enqueue(self, event_id: str) -> None:
        pass


@dataclass
class Aws:
    """Where the function's SQS messages go, and how the bench drains them."""

    label: str
    drain: Callable[[], int]


def server_aws(stack: Any) -> Aws:
    return Aws("moto server (HTTP on loopback)", lambda: purge_queue(stack))


@contextlib.contextmanager
def in_process_moto(stack: Any) -> Iterator[Aws]:
    """moto in this process, without ``AWS_ENDPOINT_URL``; PostgreSQL stays the stack's.

    ``mock_aws()`` is started without its reset: the stack's moto server runs in this
    process too and shares moto's backends, so a reset would delete the stack's queues
    and secrets. The bench's own queue and secret get names of their own (and are deleted
    at the end) for the same reason.
    """
    import boto3
    from moto import mock_aws

    from crm_finance import wiring
    from crm_finance.devstack.lambda_runtime import unload_functions

    saved = {key: os.environ.get(key) for key in _ENV_KEYS}
    mock = mock_aws()
    mock.start(reset=False)
    sqs = sm = queue_url = secret_arn = None
    try:
        for key in ("AWS_ENDPOINT_URL", "http_proxy", "https_proxy", "no_proxy"):
            os.environ.pop(key, None)
        os.environ.update(
            HTTP_PROXY=_GUARD_PROXY, HTTPS_PROXY=_GUARD_PROXY, NO_PROXY="127.0.0.1,localhost"
        )
        sqs = boto3.client("sqs", region_name=REGION)
        sm = boto3.client("secretsmanager", region_name=REGION)
        queue_url = sqs.create_queue(QueueName=f"bench-inprocess-invoices-{RUN_TAG}")["QueueUrl"]
        secret_arn = sm.create_secret(
            Name=f"bench/inprocess/stripe-webhook-{RUN_TAG}",
            SecretString=stack.info["stripe_webhook_secret"],
        )["ARN"]
        os.environ.update(INVOICE_QUEUE_URL=queue_url, STRIPE_WEBHOOK_SECRET_ID=secret_arn)
        wiring.reset()
        unload_functions()
        client, url = sqs, queue_url
        yield Aws("moto in-process (no HTTP)", lambda: drain_queue(client, url))
    finally:
        if sqs is not None and queue_url is not None:
            with contextlib.suppress(Exception):
                sqs.delete_queue(QueueUrl=queue_url)
        if sm is not None and secret_arn is not None:
            with contextlib.suppress(Exception):
                sm.delete_secret(SecretId=secret_arn, ForceDeleteWithoutRecovery=True)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        mock.stop(remove_data=False)
        wiring.reset()
        unload_functions()


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


class _Drainer:
    """Drains the queue every ``DRAIN_EVERY`` sends, outside the timed region, and
    counts what it received (so the bench can check where the messages went)."""

    def __init__(self, aws: Aws) -> None:
        self.aws, self.received = aws, 0

    def __call__(self, i: int) -> None:
        if i % DRAIN_EVERY == DRAIN_EVERY - 1:
            self.received += self.aws.drain()

    def finish(self) -> int:
        self.received += self.aws.drain()
        return self.received


def measure_ours(
    stack: Any, aws: Aws, *, warmup: int, n: int, stub_sqs: bool = False
) -> dict[str, Any]:
    from crm_finance.devstack.lambda_runtime import load_function

    load_functions(WEBHOOK)
    ports = load_function(WEBHOOK).ports  # the dict the warm handler passes to the domain
    real_queue = ports["queue"]
    if stub_sqs:
        ports["queue"] = _NullQueue()
    try:
        lead = new_lead(stack, tag="webhook")
        aws.drain()
        drainer = _Drainer(aws)
        for i in range(warmup):
            invoke_webhook(api_event(stack, payment_event(stack, lead.id, 100_000)))
            drainer(i)
        events = [api_event(stack, payment_event(stack, lead.id, 100_000)) for _ in range(n)]
        samples, busy = _timed(invoke_webhook, events, drainer)
        received = drainer.finish()
    finally:
        ports["queue"] = real_queue
    expected = 0 if stub_sqs else warmup + n
    if received != expected:
        raise RuntimeError(f"{aws.label}: {received} messages on the queue, expected {expected}")
    return {**summary(samples), "rate": n / busy}


STAGES = (
    "signature verify (+ cached secret, json.loads)",
    "classify (pydantic models)",
    "inbox INSERT (PostgreSQL, one round trip)",
    "SQS send_message (boto3 -> moto)",
)


def measure_breakdown(stack: Any, aws: Aws, *, n: int) -> dict[str, dict[str, float]]:
    """The webhook's stages, timed one by one with the handler's own adapters."""
    from crm_finance import wiring
    from crm_finance.domain.stripe_events import classify_event

    ports = wiring.webhook_ports()
    verifier, inbox, queue = ports["verifier"], ports["inbox"], ports["queue"]
    lead = new_lead(stack, tag="breakdown")
    stages: dict[str, list[float]] = {name: [] for name in STAGES}
    drainer = _Drainer(aws)
    aws.drain()
    for i in range(n + 10):  # the first 10: warm-up (secret read, connections)
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
        if i >= 10:
            for name, seconds in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                stages[name].append(seconds)
        drainer(i)
    drainer.finish()
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
    """What ``lambda_runtime.invoke`` does around the handler on every call (find the
    loaded module and the handler's name, build a context); not part of a deployed
    Lambda."""
    from crm_finance.devstack.lambda_runtime import LambdaContext, function_spec, load_function

    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        getattr(load_function(WEBHOOK), function_spec(WEBHOOK).handler.split(".", 1)[1])
        LambdaContext(function_name=WEBHOOK)
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
    server = server_aws(stack)
    ours_server = measure_ours(stack, server, warmup=warmup, n=n)
    stubbed = measure_ours(stack, server, warmup=warmup, n=n, stub_sqs=True)
    breakdown_server = measure_breakdown(stack, server, n=min(n, 300))
    with in_process_moto(stack) as in_process:
        ours = measure_ours(stack, in_process, warmup=warmup, n=n)
        breakdown_in_process = measure_breakdown(stack, in_process, n=min(n, 300))
    load_functions(WEBHOOK)  # back on the moto server, as the other benches expect
    naive_warmup = min(warmup, 10)
    naive = measure_naive(stack, warmup=naive_warmup, n=naive_n)
    purge_queue(stack)  # the events above were never meant to be invoiced

    rows = [
        _row("ours: verify + inbox INSERT + SQS send, moto in-process (target)", ours, warmup),
        _row("ours: the same, moto server over HTTP (reference)", ours_server, warmup),
        _row("ours, SQS send stubbed out (no moto at all)", stubbed, warmup),
        _row(
            f"naive: QBO work inside the request ({naive['qbo_calls']:.0f} QBO calls)",
            naive,
            naive_warmup,
        ),
    ]
    print_section(
        "Webhook warm latency (one Lambda instance, sequential invocations)",
        table(["build", "invocations", "p50 ms", "p99 ms", "mean ms", "events/s"], rows)
        + f"\n\nnaive / ours (in-process moto): p50 x{naive['p50'] / ours['p50']:.1f}, "
        f"p99 x{naive['p99'] / ours['p99']:.1f}; "
        f"events/s ours / naive x{ours['rate'] / naive['rate']:.1f}"
        + f"\ntarget ours p50 <= {TARGET_P50_SECONDS * 1000:.0f} ms end to end (local PostgreSQL"
        + f" and in-process moto): {verdict(ours['p50'] <= TARGET_P50_SECONDS)}"
        + f" ({ms(ours['p50'])} ms; {ms(ours_server['p50'])} ms through the moto server;"
        + f" {ms(stubbed['p50'])} ms with SQS stubbed out)",
    )

    extra = {
        "(for scale) one PostgreSQL round trip, SELECT 1": _pg_round_trip(stack),
        "devstack harness per invoke (module + handler lookup, LambdaContext)": (
            _harness_overhead()
        ),
    }
    stage_rows = [
        [
            name,
            ms(breakdown_in_process[name]["p50"]),
            ms(breakdown_in_process[name]["p99"]),
            ms(breakdown_server[name]["p50"]),
            ms(breakdown_server[name]["p99"]),
        ]
        for name in STAGES
    ]
    stage_rows += [[name, ms(s["p50"]), ms(s["p99"]), "", ""] for name, s in extra.items()]
    stage_rows += [
        [
            "sum of the four stages' p50s",
            ms(sum(breakdown_in_process[s]["p50"] for s in STAGES)),
            "",
            ms(sum(breakdown_server[s]["p50"] for s in STAGES)),
            "",
        ],
        ["whole invocation (table above)", ms(ours["p50"]), "", ms(ours_server["p50"]), ""],
    ]
    print_section(
        f"Where a warm webhook invocation spends its time ({breakdown_server[STAGES[0]]['n']}"
        " events per column, stages timed separately with the handler's own adapters)",
        table(
            [
                "stage",
                "in-process moto p50 ms",
                "p99 ms",
                "moto server p50 ms",
                "p99 ms",
            ],
            stage_rows,
        ),
    )
    return {
        "ours": ours,
        "server": ours_server,
        "stubbed": stubbed,
        "naive": naive,
        "breakdown": {"in_process": breakdown_in_process, "server": breakdown_server},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--naive-n", type=int, default=200)
    args = parser.parse_args()
    with running_stack() as stack:
        run(stack, n=args.n, warmup=args.warmup, naive_n=args.naive_n)


if __name__ == "__main__":
    main()
