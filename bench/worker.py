"""Worker cost per event: QBO calls (emulator counters) and wall time, ours vs naive.

``.venv/bin/python -m bench.worker [--repeat 5] [--leads 100]``

Ours: the webhook stores and enqueues (timed apart), then ``stack.event_source.drain()``
runs the real InvoiceWorkerFunction over the SQS queue as Lambda's event source mapping
would (receive up to 10, invoke, delete); the worker time is that whole drain.

Naive: bench/naive/webhook_app.py does the same QBO work inside the webhook request; its
time is that request. It has no inbox, so a replayed event does the QBO work again.

The emulator's request counters are reset before every measured event, so the counts
are exactly the QBO requests that event caused (token and discovery requests included).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.common import (
    WEBHOOK,
    WORKER,
    api_event,
    invoice_by_doc_number,
    invoke_naive,
    invoke_webhook,
    load_functions,
    load_naive,
    new_lead,
    payment_event,
    payments_on_invoice,
    print_section,
    purge_queue,
    qbo_calls,
    running_stack,
    table,
)


@dataclass
class Sample:
    """One Stripe event as one build handled it."""

    calls: dict[str, float]
    request_s: float  # the webhook request (naive: including its QBO work)
    worker_s: float = 0.0  # ours only: the drain that ran the worker for it
    invoke_s: float = 0.0  # ours only: the worker invocation(s) inside that drain
    answer: str = "200"  # what Stripe was told


@dataclass
class Paid:
    """A lead and the Stripe events already delivered for it."""

    lead: Any
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Scenario:
    name: str
    ours: list[Sample] = field(default_factory=list)
    naive: list[Sample] = field(default_factory=list)
    ours_payments: str = ""
    naive_payments: str = ""


# -- one event through each build ------------------------------------------------------
class InvokeTimer:
    """Times the worker invocations inside ``drain`` by wrapping the event source's
    ``invoke`` (bench process only; restored on exit), so the SQS receive/delete round
    trips can be told apart from the worker's own work."""

    def __init__(self) -> None:
        self.total = 0.0

    def __enter__(self) -> InvokeTimer:
        from crm_finance.devstack import sqs_event_source

        self._module, self._original = sqs_event_source, sqs_event_source.invoke

        def timed(logical_id: str, event: dict[str, Any]) -> Any:
            t0 = time.perf_counter()
            try:
                return self._original(logical_id, event)
            finally:
                self.total += time.perf_counter() - t0

        sqs_event_source.invoke = timed  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        self._module.invoke = self._original  # type: ignore[assignment]


def ours_event(stack: Any, event: dict[str, Any]) -> Sample:
    request = api_event(stack, event)
    t0 = time.perf_counter()
    result = invoke_webhook(request)
    t1 = time.perf_counter()
    stack.emulator.reset_counters()
    with InvokeTimer() as invoked:
        t2 = time.perf_counter()
        messages = stack.event_source.drain()
        t3 = time.perf_counter()
    body = json.loads(result["body"])
    answer = f"200 {body['status']}" + (", duplicate" if body["duplicate"] else "")
    return Sample(
        qbo_calls(stack), t1 - t0, t3 - t2, invoked.total, f"{answer}; {messages} enqueued"
    )


def naive_event(stack: Any, event: dict[str, Any]) -> Sample:
    request = api_event(stack, event)
    stack.emulator.reset_counters()
    t0 = time.perf_counter()
    result = invoke_naive(request, strict=False)
    t1 = time.perf_counter()
    answer = str(result["statusCode"]) + (f" ({result['error']})" if "error" in result else "")
    return Sample(qbo_calls(stack), t1 - t0, answer=answer)


Runner = Callable[[Any, dict[str, Any]], Sample]


# -- scenarios ---------------------------------------------------------------------------
def first_payment(stack: Any, run: Runner, repeat: int) -> tuple[list[Sample], list[Paid]]:
    paid = [Paid(new_lead(stack, 125_000, tag="first")) for _ in range(repeat)]
    samples = []
    for p in paid:
        p.events.append(payment_event(stack, p.lead.id, 125_000))
        samples.append(run(stack, p.events[-1]))
    return samples, paid


def deposit_then_remainder(stack: Any, run: Runner, repeat: int) -> tuple[list[Sample], list[Paid]]:
    samples, paid = [], []
    for _ in range(repeat):
        p = Paid(new_lead(stack, 200_000, tag="deposit"))
        for cents in (50_000, 150_000):
            p.events.append(payment_event(stack, p.lead.id, cents))
            samples.append(run(stack, p.events[-1]))
        paid.append(p)
    return samples, paid


def deposit_only(stack: Any, run: Runner, repeat: int) -> list[Paid]:
    paid = []
    for _ in range(repeat):
        p = Paid(new_lead(stack, 200_000, tag="deposit-only"))
        p.events.append(payment_event(stack, p.lead.id, 50_000))
        run(stack, p.events[-1])
        paid.append(p)
    return paid


def replay(stack: Any, run: Runner, paid: list[Paid]) -> list[Sample]:
    """Stripe delivers an already handled event again (same event id, fresh signature)."""
    return [run(stack, p.events[0]) for p in paid]


def many_leads_ours(stack: Any, leads: int) -> list[Sample]:
    """``leads`` leads paid once each: all enqueued first, then one drain (batches of 10)."""
    events = [
        payment_event(stack, new_lead(stack, 80_000, tag="bulk").id, 80_000) for _ in range(leads)
    ]
    requests = [api_event(stack, e) for e in events]
    t0 = time.perf_counter()
    for request in requests:
        invoke_webhook(request)
    t1 = time.perf_counter()
    stack.emulator.reset_counters()
    with InvokeTimer() as invoked:
        t2 = time.perf_counter()
        messages = stack.event_source.drain()
        t3 = time.perf_counter()
    assert messages == leads, (messages, leads)
    per_event = {k: v / leads for k, v in qbo_calls(stack).items()}
    answer = f"200 received; {leads} enqueued, drained in batches of 10"
    sample = Sample(per_event, (t1 - t0) / leads, (t3 - t2) / leads, invoked.total / leads, answer)
    return [sample] * leads


def many_leads_naive(stack: Any, leads: int) -> list[Sample]:
    events = [
        payment_event(stack, new_lead(stack, 80_000, tag="bulk").id, 80_000) for _ in range(leads)
    ]
    return [naive_event(stack, e) for e in events]


def payments_summary(stack: Any, paid: list[Paid]) -> str:
    """QBO payments linked to each lead's invoice, and the invoices' balances."""
    counts, balances = [], set()
    for p in paid:
        invoice = invoice_by_doc_number(stack, f"CRM-{p.lead.id}")
        counts.append(payments_on_invoice(stack, invoice["Id"]) if invoice else 0)
        balances.add(f"{invoice['Balance']:.2f}" if invoice else "-")
    spread = str(counts[0]) if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"
    return f"{spread} payment(s) per invoice, balance {'/'.join(sorted(balances))}"


# -- figures -----------------------------------------------------------------------------
def _calls(samples: list[Sample]) -> str:
    """Mean QBO calls per event, with the mean per kind."""
    total = statistics.fmean(s.calls.get("total", 0) for s in samples)
    kinds = sorted({k for s in samples for k in s.calls if k != "total"})
    parts = [f"{statistics.fmean(s.calls.get(k, 0) for s in samples):g} {k}" for k in kinds]
    return f"{total:g}" + (f" ({', '.join(parts)})" if parts else "")


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f}"


def _answers(samples: list[Sample]) -> str:
    return " / ".join(sorted({s.answer for s in samples}))


def run(stack: Any, *, repeat: int = 5, leads: int = 100) -> list[Scenario]:
    load_functions(WEBHOOK, WORKER)
    load_naive()
    purge_queue(stack)
    # Warm both builds (module import, QBO session, cached secrets and tokens); not counted.
    first_payment(stack, ours_event, 1)
    first_payment(stack, naive_event, 1)

    s1 = Scenario("first full payment on a new lead")
    s1.ours, ours_full = first_payment(stack, ours_event, repeat)
    s1.naive, naive_full = first_payment(stack, naive_event, repeat)

    s2 = Scenario("deposit then remainder (2 events, per event)")
    s2.ours, _ = deposit_then_remainder(stack, ours_event, repeat)
    s2.naive, _ = deposit_then_remainder(stack, naive_event, repeat)

    s3 = Scenario("replay of a processed full payment (webhook + worker)")
    s3.ours = replay(stack, ours_event, ours_full)
    s3.naive = replay(stack, naive_event, naive_full)
    s3.ours_payments = payments_summary(stack, ours_full)
    s3.naive_payments = payments_summary(stack, naive_full)

    s4 = Scenario("replay of a processed deposit (webhook + worker)")
    ours_dep, naive_dep = (
        deposit_only(stack, ours_event, repeat),
        deposit_only(stack, naive_event, repeat),
    )
    s4.ours = replay(stack, ours_event, ours_dep)
    s4.naive = replay(stack, naive_event, naive_dep)
    s4.ours_payments = payments_summary(stack, ours_dep)
    s4.naive_payments = payments_summary(stack, naive_dep)

    s5 = Scenario(f"{leads} leads each paid once (average)")
    s5.ours = many_leads_ours(stack, leads)
    s5.naive = many_leads_naive(stack, leads)

    scenarios = [s1, s2, s3, s4, s5]
    rows = [
        [
            s.name,
            str(len(s.ours)),
            _calls(s.ours),
            _ms([x.request_s for x in s.ours]),
            _ms([x.invoke_s for x in s.ours]),
            _ms([x.worker_s for x in s.ours]),
            _calls(s.naive),
            _ms([x.request_s for x in s.naive]),
        ]
        for s in scenarios
    ]
    print_section(
        "Worker cost per event (QBO calls counted by the emulator; times are medians)",
        table(
            [
                "scenario",
                "events",
                "ours QBO calls/event",
                "ours webhook ms",
                "ours worker invoke ms",
                "ours drain ms",
                "naive QBO calls/event",
                "naive webhook ms",
            ],
            rows,
        )
        + "\n\nours worker invoke ms = InvoiceWorkerFunction's invocation; ours drain ms = the"
        + " whole event-source drain around it (SQS receive + invoke + delete + the final empty"
        + f" receive, via moto).\nThe {leads}-lead row drains {leads} messages in batches of 10"
        + f" and divides by {leads}; the other scenarios are repeated on {repeat} leads each.",
    )
    answer_rows = [[s.name, _answers(s.ours), _answers(s.naive)] for s in scenarios]
    print_section(
        "What Stripe was told",
        table(["scenario", "ours", "naive"], answer_rows),
    )
    print_section(
        "After the replays: QBO payments on each replayed lead's invoice",
        table(
            ["replayed event", "ours", "naive"],
            [
                ["full payment", s3.ours_payments, s3.naive_payments],
                ["deposit (50 000 of 200 000 cents)", s4.ours_payments, s4.naive_payments],
            ],
        ),
    )
    return scenarios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--leads", type=int, default=100)
    args = parser.parse_args()
    with running_stack() as stack:
        run(stack, repeat=args.repeat, leads=args.leads)


if __name__ == "__main__":
    main()
