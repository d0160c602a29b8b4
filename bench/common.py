"""Helpers shared by the benchmarks: the local stack, signed events, leads, tables.

Heavy imports stay inside functions: ``bench.cold_start`` is imported by its parent
process only, but nothing here should drag the project into a module by accident.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import logging
import os
import platform
import re
import secrets
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
NAIVE_APP = Path(__file__).resolve().parent / "naive" / "webhook_app.py"
NAIVE_MODULE_NAME = "bench_naive_webhook_app"
WEBHOOK = "StripeWebhookFunction"
WORKER = "InvoiceWorkerFunction"
ADMIN = "AdminApiFunction"

# Unique per run, so event ids never collide with an earlier run on a reused $DATABASE_URL.
RUN_TAG = secrets.token_hex(3)
_ids = itertools.count(1)
_devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process


def next_id() -> int:
    return next(_ids)


# -- the stack ---------------------------------------------------------------------------
@contextlib.contextmanager
def running_stack() -> Iterator[Any]:
    """The whole local stack in-process; the worker is driven by ``event_source.drain``."""
    from crm_finance.devstack.stack import LocalStack, StackOptions

    print(f"machine: {machine()}; {load()}", flush=True)
    started = time.perf_counter()
    stack = LocalStack(StackOptions(api_port=0, state_dir=None, run_event_source=False)).start()
    print(f"local stack up in {time.perf_counter() - started:.1f} s", flush=True)
    try:
        yield stack
    finally:
        stack.stop()
        print(f"\nfinished in {time.perf_counter() - started:.0f} s; {load()}", flush=True)


def silence_function_logs() -> None:
    """Send the handlers' JSON log lines to /dev/null instead of our stdout.

    The records are still built and formatted (that cost is part of every invocation);
    only the write goes to a sink, so the tables stay readable.
    """
    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    for lg in loggers:
        for handler in lg.handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
                handler.setStream(_devnull)


def load_functions(*logical_ids: str) -> None:
    from crm_finance.devstack.lambda_runtime import load_function

    for logical_id in logical_ids:
        load_function(logical_id)
    silence_function_logs()


_sqs: Any = None


def purge_queue(stack: Any) -> int:
    """Drop whatever a bench left on the invoice queue (events it never meant to invoice).

    Receive-and-delete rather than PurgeQueue, which SQS (and moto) allow once a minute.
    """
    global _sqs
    if _sqs is None:
        _sqs = stack.aws.client("sqs")
    return drain_queue(_sqs, stack.info["invoice_queue_url"])


def drain_queue(sqs: Any, url: str) -> int:
    """Receive and delete every message of ``url``; returns how many there were."""
    dropped = 0
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30
        ).get("Messages", [])
        if not messages:
            return dropped
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
        dropped += len(messages)


# -- events ------------------------------------------------------------------------------
def payment_event(
    stack: Any, lead_id: int, amount_cents: int, *, key: str | None = None
) -> dict[str, Any]:
    """A ``payment_intent.succeeded`` for a lead of the demo org, with unique ids."""
    from crm_finance.devstack import stripe_fixtures

    n = next_id()
    return stripe_fixtures.payment_intent_succeeded(
        f"evt_bench_{RUN_TAG}_{n}",
        key or f"pi_bench_{RUN_TAG}_{n}",
        amount_cents=amount_cents,
        metadata={"org_id": str(stack.info["org_id"]), "lead_id": str(lead_id)},
    )


def api_event(stack: Any, event: dict[str, Any]) -> dict[str, Any]:
    """The API Gateway (HTTP API, v2) event for POST /payments/webhook, freshly signed."""
    from crm_finance.devstack import stripe_fixtures
    from crm_finance.devstack.api_gateway import build_http_api_event
    from crm_finance.devstack.template import Route

    body, headers = stripe_fixtures.webhook_request(event, stack.info["stripe_webhook_secret"])
    headers = {
        **headers,
        "host": "127.0.0.1",
        "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }
    return build_http_api_event(
        route=Route("POST", "/payments/webhook", WEBHOOK),
        path="/payments/webhook",
        path_params={},
        query="",
        headers=headers,
        body=body.encode(),
    )


def invoke_webhook(event: dict[str, Any]) -> dict[str, Any]:
    from crm_finance.devstack.lambda_runtime import invoke

    result = invoke(WEBHOOK, event)
    if result.get("statusCode") != 200:
        raise RuntimeError(f"webhook answered {result.get('statusCode')}: {result.get('body')}")
    return result


# -- leads -------------------------------------------------------------------------------
def new_lead(stack: Any, amount_cents: int = 100_000, *, tag: str = "lead") -> Any:
    """A lead of the demo org with a unique contact email (so QBO gets a new customer)."""
    from crm_finance import wiring
    from crm_finance.domain.models import NewLead

    n = next_id()
    return wiring.leads().create(
        NewLead(
            org_id=stack.info["org_id"],
            contact_name=f"Bench {tag} {n}",
            contact_email=f"bench-{RUN_TAG}-{tag}-{n}@example.com",
            company_name=f"Bench {tag} {RUN_TAG} {n} Ltd",
            proposal_amount_cents=amount_cents,
            currency="USD",
            status="approved",
        )
    )


# -- the naive build ---------------------------------------------------------------------
_naive: ModuleType | None = None


def load_naive() -> ModuleType:
    """bench/naive/webhook_app.py, loaded by path as the Lambda runtime would load it."""
    global _naive
    if _naive is None:
        spec = importlib.util.spec_from_file_location(NAIVE_MODULE_NAME, NAIVE_APP)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[NAIVE_MODULE_NAME] = module
        spec.loader.exec_module(module)
        _naive = module
        silence_function_logs()
    return _naive


def invoke_naive(event: dict[str, Any], *, strict: bool = True) -> dict[str, Any]:
    """Invoke the naive handler; with ``strict=False`` a crash is what API Gateway makes
    of it (HTTP 500, which Stripe retries), with the exception kept under ``error``."""
    from crm_finance.devstack.lambda_runtime import LambdaContext

    context = LambdaContext(function_name="NaiveStripeWebhook")
    try:
        result = load_naive().lambda_handler(event, context)
    except Exception as exc:
        if strict:
            raise
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
        detail = re.sub(r"\d+(\.\d+)?", "N", detail)  # one line per kind of failure
        return {"statusCode": 500, "error": f"{type(exc).__name__}: {detail}"}
    if strict and result.get("statusCode") != 200:
        raise RuntimeError(f"naive webhook answered {result.get('statusCode')}: {result}")
    return result


# -- QBO accounting ----------------------------------------------------------------------
QBO_KINDS = ("query", "read", "create", "update", "void", "delete", "cdc", "token", "unknown")


def qbo_calls(stack: Any) -> dict[str, int]:
    """Requests the emulator answered since its last ``reset_counters``, by kind."""
    emulator = stack.emulator
    counts = {kind: emulator.request_count(kind=kind) for kind in QBO_KINDS}
    counts = {k: v for k, v in counts.items() if v}
    counts["total"] = emulator.request_count()
    return counts


def payments_on_invoice(stack: Any, invoice_id: str) -> int:
    realm = stack.info["qbo"]["realm_id"]
    return sum(
        1
        for p in stack.emulator.objects(realm, "Payment")
        if any(
            t.get("TxnId") == invoice_id
            for line in p.get("Line", [])
            for t in line.get("LinkedTxn", [])
        )
    )


def invoice_by_doc_number(stack: Any, doc_number: str) -> dict[str, Any] | None:
    realm = stack.info["qbo"]["realm_id"]
    found = [i for i in stack.emulator.objects(realm, "Invoice") if i["DocNumber"] == doc_number]
    return found[0] if found else None


# -- figures and tables ------------------------------------------------------------------
def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, round(q / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def summary(samples: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50": percentile(samples, 50),
        "p99": percentile(samples, 99),
        "mean": statistics.fmean(samples),
        "max": max(samples),
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown pipe table, aligned for the terminal too."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def print_section(title: str, body: str) -> None:
    print(f"\n## {title}\n\n{body}\n", flush=True)


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}"
    )


def load() -> str:
    """Other work on the machine skews every figure; say how busy it was."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"
