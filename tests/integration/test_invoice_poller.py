"""The invoice poller against the emulator and real PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from decimal import Decimal

import pytest

from crm_finance import wiring
from crm_finance.devstack import stripe_fixtures
from crm_finance.domain.polling import poll_org

_n = itertools.count(1)


class Org:
    """An org of its own, with open invoices in QBO that the CRM already tracks."""

    def __init__(self, stack, db) -> None:
        self.stack, self.db = stack, db
        self.org_id, token = stack.add_org(f"Poll Org {next(_n)}")
        self.headers = {"authorization": f"Bearer {token}"}
        self.realm = wiring.connections().get(self.org_id).realm_id

    def tracked_invoices(self, count: int, amount: str = "100.00") -> list[tuple[int, str]]:
        ids = self.stack.emulator.seed_open_invoices(self.realm, count, Decimal(amount))
        cents = int(Decimal(amount) * 100)
        rows = self.db.rows(
            """INSERT INTO leads (org_id, contact_name, contact_email, proposal_amount_cents,
                                  currency, status, qbo_invoice_id, qbo_invoice_number,
                                  qbo_status, qbo_balance_cents, qbo_total_cents)
               SELECT %s, 'Seeded', 'seeded@example.com', %s, 'USD', 'approved', i, 'S-' || i,
                      'Open', %s, %s
               FROM unnest(%s::text[]) AS i RETURNING id, qbo_invoice_id""",
            self.org_id,
            cents,
            cents,
            cents,
            ids,
        )
        return [(r["id"], r["qbo_invoice_id"]) for r in rows]

    def poll(self, trigger: str = "manual"):
        return poll_org(self.org_id, trigger=trigger, **wiring.poll_ports())

    def lead(self, lead_id: int) -> dict:
        return self.db.one(
            "SELECT qbo_status, qbo_balance_cents, qbo_last_sync_at, status"
            " FROM leads WHERE id = %s",
            lead_id,
        )


@pytest.fixture
def org(stack, db) -> Org:
    return Org(stack, db)


def test_cheque_entered_in_qbo_pays_the_invoice(org, stack, db) -> None:
    [(lead, invoice)] = org.tracked_invoices(1, "250.00")
    stack.emulator.enter_payment(org.realm, invoice, Decimal("250.00"), private_note="Cheque 1042")
    report = org.poll()
    state = org.lead(lead)
    assert (report.outcome, report.mode, report.checked, report.changed) == ("ok", "full", 1, 1)
    assert (state["qbo_status"], state["qbo_balance_cents"], state["status"]) == ("Paid", 0, "won")
    assert db.ledger(lead) == [("payment_received", 25_000), ("invoice_paid", 25_000)]
    org.poll()  # again: nothing new is counted
    assert db.ledger(lead) == [("payment_received", 25_000), ("invoice_paid", 25_000)]


def test_partial_then_remainder_then_cdc(org, stack, db) -> None:
    [(lead, invoice)] = org.tracked_invoices(1, "1000.00")
    stack.emulator.enter_payment(org.realm, invoice, Decimal("400.00"))
    assert org.poll().mode == "full"
    assert (
        org.lead(lead)["qbo_status"] == "Partial" and org.lead(lead)["qbo_balance_cents"] == 60_000
    )
    stack.emulator.enter_payment(org.realm, invoice, Decimal("600.00"))
    second = org.poll()
    assert second.mode == "cdc" and second.qbo_calls <= 2
    assert org.lead(lead)["qbo_status"] == "Paid"
    assert db.ledger(lead) == [
        ("payment_received", 40_000),
        ("payment_received", 60_000),
        ("invoice_paid", 100_000),
    ]


@pytest.mark.parametrize("action", ["void", "delete"])
def test_voided_or_deleted_invoice_is_marked_never_paid(org, stack, db, action) -> None:
    [(lead, invoice)] = org.tracked_invoices(1)
    org.poll()
    if action == "void":
        stack.emulator.void_invoice(org.realm, invoice)
    else:
        stack.emulator.delete_invoice(org.realm, invoice)
    org.poll()
    assert org.lead(lead)["qbo_status"] == ("Voided" if action == "void" else "Deleted")
    assert db.ledger(lead) == []


def test_overlapping_polls_never_double_count(org, stack, db) -> None:
    leads = org.tracked_invoices(30)
    for _, invoice in leads:
        stack.emulator.enter_payment(org.realm, invoice, Decimal("100.00"))
    barrier, reports = threading.Barrier(2), []

    def run() -> None:
        barrier.wait()
        reports.append(org.poll("schedule"))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    org.poll()
    lead_ids = [lead for lead, _ in leads]
    counts = db.one(
        """SELECT count(*) FILTER (WHERE kind = 'payment_received') AS payments,
                  count(*) FILTER (WHERE kind = 'invoice_paid') AS paid,
                  sum(amount_cents) FILTER (WHERE kind = 'payment_received') AS cents
           FROM finance_ledger WHERE lead_id = ANY(%s)""",
        lead_ids,
    )
    assert counts == {"payments": 30, "paid": 30, "cents": 300_000}
    outcomes = sorted(r.outcome for r in reports)
    assert outcomes in (["ok", "ok"], ["ok", "skipped"])
    runs = db.rows("SELECT outcome, reason FROM poll_runs WHERE org_id = %s", org.org_id)
    assert all(r["outcome"] in ("ok", "skipped") for r in runs)


def test_poll_racing_the_invoice_worker_counts_the_stripe_payment_once(api, org, stack, db) -> None:
    from crm_finance.domain.invoicing import invoice_stripe_payment

    lead = api.create_lead(amount_cents=80_000, email="race@example.com", org_headers=org.headers)
    event = stripe_fixtures.payment_intent_succeeded(
        f"evt_race_{lead}",
        f"pi_race_{lead}",
        amount_cents=30_000,
        metadata={"org_id": str(org.org_id), "lead_id": str(lead)},
    )
    api.webhook(event)

    class CrashAfterQbo:
        """The worker's QBO payment lands, its commit does not (the poll sees it first)."""

        def __init__(self, real) -> None:
            self.real = real

        def record_invoice(self, *args) -> None:
            self.real.record_invoice(*args)

        def record_payment(self, *args) -> None:
            raise RuntimeError("crashed before commit")

    ports = wiring.invoicing_ports()
    with pytest.raises(RuntimeError):
        invoice_stripe_payment(event["id"], **{**ports, "ledger": CrashAfterQbo(ports["ledger"])})
    org.poll()
    stack.event_source.drain()  # the redelivered message
    assert db.ledger(lead) == [("invoice_generated", 80_000), ("payment_received", 30_000)]
    assert org.lead(lead)["qbo_status"] == "Partial"


@pytest.mark.parametrize("xml", [False, True], ids=["json", "xml"])
def test_throttling_is_survived(org, stack, xml) -> None:
    [(lead, invoice)] = org.tracked_invoices(1)
    stack.emulator.enter_payment(org.realm, invoice, Decimal("100.00"))
    stack.emulator.throttle(count=2, realm=org.realm, xml=xml)
    assert org.poll().outcome == "ok"
    assert org.lead(lead)["qbo_status"] == "Paid"


def test_a_run_that_dies_keeps_its_work_and_the_next_finishes(org, stack, db) -> None:
    leads = org.tracked_invoices(1500)
    for _, invoice in leads:
        stack.emulator.enter_payment(org.realm, invoice, Decimal("100.00"))
    first_page = [lead for lead, _ in leads[:1000]]

    class DiesOnSecondPage:
        def __init__(self, reader) -> None:
            self.reader, self.calls, self.invoice_reads = reader, 0, 0

        def invoices(self, ids):
            self.invoice_reads += 1
            if self.invoice_reads == 2:
                raise RuntimeError("Lambda timed out")
            return self.reader.invoices(ids)

        def payments(self, ids):
            return self.reader.payments(ids)

        def changes_since(self, since):
            return self.reader.changes_since(since)

    ports = wiring.poll_ports()
    dying = {**ports, "reader_for": lambda org_id: DiesOnSecondPage(ports["reader_for"](org_id))}
    with pytest.raises(RuntimeError):
        poll_org(org.org_id, trigger="schedule", **dying)
    paid = db.one(
        "SELECT count(*) AS n FROM leads WHERE id = ANY(%s) AND qbo_status = 'Paid'",
        [lead for lead, _ in leads],
    )["n"]
    assert paid == 1000
    assert (
        db.one(
            "SELECT count(*) AS n FROM leads WHERE id = ANY(%s) AND qbo_status = 'Paid'", first_page
        )["n"]
        == 1000
    )
    failed = db.rows(
        "SELECT outcome, reason FROM poll_runs WHERE org_id = %s ORDER BY id", org.org_id
    )
    assert failed[-1] == {"outcome": "failed", "reason": "RuntimeError"}

    report = org.poll()
    assert report.outcome == "ok" and report.mode == "full"  # no cursor after a failed run
    assert (
        db.one(
            "SELECT count(*) AS n FROM leads WHERE id = ANY(%s) AND qbo_status = 'Paid'",
            [lead for lead, _ in leads],
        )["n"]
        == 1500
    )
    assert (
        db.one(
            "SELECT count(*) AS n FROM finance_ledger"
            " WHERE lead_id = ANY(%s) AND kind = 'invoice_paid'",
            [lead for lead, _ in leads],
        )["n"]
        == 1500
    )


def test_revoked_org_is_skipped_and_others_poll(api, stack, db) -> None:
    healthy, revoked = Org(stack, db), Org(stack, db)
    [(good_lead, good_invoice)] = healthy.tracked_invoices(1)
    revoked.tracked_invoices(1)
    stack.emulator.enter_payment(healthy.realm, good_invoice, Decimal("100.00"))
    wiring.connections().mark_disconnected(
        revoked.org_id, "QuickBooks refused the refresh token (invalid_grant)"
    )

    from crm_finance.devstack.lambda_runtime import invoke
    from crm_finance.devstack.schedule import scheduled_event

    result = invoke("PollSchedulerFunction", scheduled_event())
    assert result["orgs"] >= 1
    stack.poll_source.drain()
    assert healthy.lead(good_lead)["qbo_status"] == "Paid"
    revoked_runs = db.rows("SELECT outcome FROM poll_runs WHERE org_id = %s", revoked.org_id)
    assert revoked_runs == []  # disconnected orgs are not even scheduled
    skipped = revoked.poll()
    assert skipped.outcome == "skipped" and "disconnected" in skipped.reason


def test_sync_routes_over_http(api, org, stack, db) -> None:
    [(lead, invoice)] = org.tracked_invoices(1, "300.00")
    stack.emulator.enter_payment(org.realm, invoice, Decimal("100.00"))

    checked = api.post(f"/qbo/sync/invoice/{lead}/check", headers=org.headers)
    assert checked.status_code == 200, checked.text
    assert checked.json()["lead"]["qbo_status"] == "Partial"
    assert checked.json()["lead"]["qbo_balance_cents"] == 20_000

    polled = api.post("/qbo/sync/invoice/poll_all", headers=org.headers)
    assert polled.status_code == 200 and polled.json()["outcome"] == "ok"
    run = db.one("SELECT * FROM poll_runs WHERE org_id = %s ORDER BY id DESC LIMIT 1", org.org_id)
    assert run["trigger"] == "manual" and run["finished_at"] is not None and run["checked"] == 1

    listed = api.get("/leads?qbo_status=Open", headers=org.headers).json()["leads"]
    assert [(x["id"], x["qbo_status"], x["qbo_balance_cents"]) for x in listed] == [
        (lead, "Partial", 20_000)
    ]

    synced = api.post(f"/qbo/sync/customer/{lead}", headers=org.headers)
    assert synced.status_code == 200
    customer = stack.emulator.get_object(org.realm, "Customer", synced.json()["qbo_customer_id"])
    assert customer["PrimaryEmailAddr"]["Address"] == "seeded@example.com"

    assert api.post("/qbo/sync/invoice/999999999/check", headers=org.headers).status_code == 404
    assert api.post("/qbo/sync/invoice/abc/check", headers=org.headers).status_code == 400
    other = api.post(f"/qbo/sync/invoice/{lead}/check")  # the demo org's token
    assert other.status_code == 404
