"""Retries, crashes and concurrent workers never give a second customer, invoice or payment."""

from __future__ import annotations

import json
import multiprocessing
import threading

import pytest

from crm_finance import wiring
from crm_finance.devstack import stripe_fixtures
from crm_finance.domain.invoicing import invoice_stripe_payment
from crm_finance.domain.models import InboxStatus
from crm_finance.errors import DatabaseUnavailable


def _send(api, lead_id: int, cents: int, name: str) -> str:
    event = stripe_fixtures.payment_intent_succeeded(
        f"evt_{name}",
        f"pi_{name}",
        amount_cents=cents,
        metadata={"org_id": str(api.info["org_id"]), "lead_id": str(lead_id)},
    )
    assert api.webhook(event).status_code == 200
    return event["id"]


def _assert_exactly_once(db, books, lead_id: int, cents: int) -> None:
    invoices = books.find("Invoice", DocNumber=f"CRM-{lead_id}")
    assert len(invoices) == 1
    assert len(books.payments_for(invoices[0]["Id"])) == 1
    customer_id = invoices[0]["CustomerRef"]["value"]
    email = books.find("Customer", Id=customer_id)[0]["PrimaryEmailAddr"]["Address"]
    assert len(books.find("Customer", PrimaryEmailAddr__Address=email)) == 1
    assert db.ledger(lead_id) == [
        ("invoice_generated", cents),
        ("payment_received", cents),
        ("invoice_paid", cents),
    ]


class _CrashingLedger:
    """The real ledger, except that one chosen write dies before it commits."""

    def __init__(self, real, crash_in: str) -> None:
        self._real = real
        self._crash_in = crash_in

    def record_invoice(self, *args) -> None:
        if self._crash_in == "record_invoice":
            raise DatabaseUnavailable("connection lost before commit")
        self._real.record_invoice(*args)

    def record_payment(self, *args) -> None:
        if self._crash_in == "record_payment":
            raise DatabaseUnavailable("connection lost before commit")
        self._real.record_payment(*args)


@pytest.mark.parametrize("crash_in", ["record_invoice", "record_payment"])
def test_retry_after_crash_between_qbo_write_and_commit(api, stack, db, books, crash_in) -> None:
    lead_id = api.create_lead(amount_cents=40_000, email=f"crash-{crash_in}@example.com")
    event_id = _send(api, lead_id, 40_000, f"crash_{crash_in}")
    ports = wiring.invoicing_ports()

    with pytest.raises(DatabaseUnavailable):
        invoice_stripe_payment(
            event_id, **{**ports, "ledger": _CrashingLedger(ports["ledger"], crash_in)}
        )
    assert (
        db.one("SELECT status FROM stripe_events WHERE event_id = %s", event_id)["status"]
        == "received"
    )

    assert stack.event_source.drain() == 1  # the redelivered message
    _assert_exactly_once(db, books, lead_id, 40_000)


def test_two_threads_on_the_same_event(api, stack, db, books) -> None:
    lead_id = api.create_lead(amount_cents=70_000, email="threads@example.com")
    event_id = _send(api, lead_id, 70_000, "threads")
    barrier = threading.Barrier(2)
    outcomes = []

    def work() -> None:
        barrier.wait()
        outcomes.append(invoice_stripe_payment(event_id, **wiring.invoicing_ports()).status)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert InboxStatus.PROCESSED in outcomes
    stack.event_source.drain()
    _assert_exactly_once(db, books, lead_id, 70_000)


def _worker_process(event: dict, barrier, results) -> None:
    """A separate Lambda instance: its own imports, connections and clients."""
    from crm_finance.devstack.lambda_runtime import invoke

    barrier.wait()
    results.put(invoke("InvoiceWorkerFunction", event))


def test_two_worker_instances_handle_the_same_message(api, stack, db, books) -> None:
    lead_id = api.create_lead(amount_cents=90_000, email="processes@example.com")
    event_id = _send(api, lead_id, 90_000, "processes")
    sqs = stack.aws.client("sqs")
    message = sqs.receive_message(QueueUrl=stack.info["invoice_queue_url"], MaxNumberOfMessages=1)[
        "Messages"
    ][0]
    assert json.loads(message["Body"]) == {"event_id": event_id}
    sqs_event = {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:crm-finance-invoices",
                "awsRegion": "us-east-1",
            }
        ]
    }
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [
        ctx.Process(target=_worker_process, args=(sqs_event, barrier, results)) for _ in range(2)
    ]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=30)
    assert all(o == {"batchItemFailures": []} for o in outcomes), outcomes
    sqs.delete_message(
        QueueUrl=stack.info["invoice_queue_url"], ReceiptHandle=message["ReceiptHandle"]
    )
    _assert_exactly_once(db, books, lead_id, 90_000)
