"""The poller's state in PostgreSQL: lease and CDC cursor, heartbeat rows, batch writes.

A batch of up to 1000 invoices costs a constant number of statements (array parameters
and ``unnest``), not one per invoice.
"""

from __future__ import annotations

from datetime import datetime

from crm_finance.adapters.postgres.database import Database, fetch_one
from crm_finance.domain.models import QboStatus, payment_ref
from crm_finance.domain.polling import (
    AppliedPayment,
    InvoiceView,
    PollReport,
    PollState,
    TrackedInvoice,
)

_UNPAID = [QboStatus.OPEN.value, QboStatus.PARTIAL.value]

_APPLY_INVOICES = """
WITH v AS (
    SELECT * FROM unnest(%(ids)s::text[], %(status)s::text[], %(balance)s::bigint[],
                         %(total)s::bigint[], %(token)s::int[], %(due)s::date[])
           AS v(invoice_id, status, balance, total, sync_token, due_date)
), before AS (
    SELECT l.id, l.qbo_status, l.qbo_balance_cents
    FROM leads l JOIN v ON l.qbo_invoice_id = v.invoice_id
    WHERE l.org_id = %(org)s  -- the statement's snapshot: values before the update below
), updated AS (
    UPDATE leads l
    SET qbo_status = v.status, qbo_balance_cents = v.balance, qbo_total_cents = v.total,
        qbo_sync_token = v.sync_token, qbo_due_date = COALESCE(v.due_date, l.qbo_due_date),
        qbo_last_sync_at = now(), updated_at = now(),
        status = CASE WHEN v.status = 'Paid' THEN 'won' ELSE l.status END
    FROM v
    WHERE l.org_id = %(org)s AND l.qbo_invoice_id = v.invoice_id
      AND (l.qbo_sync_token IS NULL OR l.qbo_sync_token <= v.sync_token)
    RETURNING l.id, v.status, v.balance
)
SELECT count(*) AS changed
FROM updated u JOIN before b USING (id)
WHERE b.qbo_status IS DISTINCT FROM u.status OR b.qbo_balance_cents IS DISTINCT FROM u.balance
"""

_RECORD_PAYMENTS = """
INSERT INTO finance_ledger (org_id, lead_id, kind, source_ref, amount_cents, currency)
SELECT %(org)s, l.id, 'payment_received', p.ref, p.amount, l.currency
FROM unnest(%(refs)s::text[], %(invoice_ids)s::text[], %(amounts)s::bigint[])
     AS p(ref, invoice_id, amount)
JOIN leads l ON l.org_id = %(org)s AND l.qbo_invoice_id = p.invoice_id
ON CONFLICT (org_id, kind, source_ref) DO NOTHING
"""

_RECORD_PAID = """
INSERT INTO finance_ledger (org_id, lead_id, kind, source_ref, amount_cents, currency)
SELECT l.org_id, l.id, 'invoice_paid', l.qbo_invoice_id, l.qbo_total_cents, l.currency
FROM leads l
WHERE l.org_id = %(org)s AND l.qbo_invoice_id = ANY(%(ids)s::text[]) AND l.qbo_status = 'Paid'
ON CONFLICT (org_id, kind, source_ref) DO NOTHING
"""


class PostgresPollStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def acquire_lease(self, org_id: int, owner: str, seconds: int) -> PollState | None:
        with self._db.transaction() as cur:
            cur.execute(
                "INSERT INTO qbo_poll_state (org_id) VALUES (%s) ON CONFLICT DO NOTHING", (org_id,)
            )
            cur.execute(
                """UPDATE qbo_poll_state
                   SET lease_owner = %s, lease_until = now() + make_interval(secs => %s)
                   WHERE org_id = %s AND (lease_until IS NULL OR lease_until < now())
                   RETURNING cdc_cursor""",
                (owner, seconds, org_id),
            )
            row = cur.fetchone()
        return PollState(cdc_cursor=row["cdc_cursor"]) if row else None

    def release_lease(
        self, org_id: int, owner: str, *, cursor: datetime | None, full_scan: bool
    ) -> None:
        with self._db.transaction() as cur:
            cur.execute(
                """UPDATE qbo_poll_state
                   SET lease_owner = NULL, lease_until = NULL,
                       cdc_cursor = COALESCE(%(cursor)s, cdc_cursor),
                       last_success_at = CASE WHEN %(cursor)s::timestamptz IS NULL
                                              THEN last_success_at ELSE now() END,
                       last_full_scan_at = CASE WHEN %(full)s AND %(cursor)s::timestamptz
                                                IS NOT NULL THEN now()
                                                ELSE last_full_scan_at END
                   WHERE org_id = %(org)s AND lease_owner = %(owner)s""",
                {"cursor": cursor, "full": full_scan, "org": org_id, "owner": owner},
            )

    def start_run(self, org_id: int, trigger: str) -> int:
        with self._db.statement() as cur:
            cur.execute(
                "INSERT INTO poll_runs (org_id, trigger) VALUES (%s, %s) RETURNING id",
                (org_id, trigger),
            )
            return int(fetch_one(cur)["id"])

    def finish_run(self, run_id: int, report: PollReport) -> None:
        with self._db.statement() as cur:
            cur.execute(
                """UPDATE poll_runs
                   SET finished_at = now(), mode = %s, checked = %s, changed = %s, errors = %s,
                       qbo_calls = %s, outcome = %s, reason = %s
                   WHERE id = %s""",
                (
                    report.mode,
                    report.checked,
                    report.changed,
                    report.errors,
                    report.qbo_calls,
                    report.outcome,
                    report.reason,
                    run_id,
                ),
            )

    def tracked_invoices(self, org_id: int, *, after: int, limit: int) -> list[TrackedInvoice]:
        with self._db.statement() as cur:
            cur.execute(
                """SELECT id, qbo_invoice_id FROM leads
                   WHERE org_id = %s AND id > %s AND qbo_invoice_id IS NOT NULL
                     AND qbo_status = ANY(%s)
                   ORDER BY id LIMIT %s""",
                (org_id, after, _UNPAID, limit),
            )
            return [TrackedInvoice(r["id"], r["qbo_invoice_id"]) for r in cur.fetchall()]

    def tracked_subset(self, org_id: int, invoice_ids: list[str]) -> dict[str, int]:
        if not invoice_ids:
            return {}
        with self._db.statement() as cur:
            cur.execute(
                """SELECT id, qbo_invoice_id FROM leads
                   WHERE org_id = %s AND qbo_invoice_id = ANY(%s)""",
                (org_id, invoice_ids),
            )
            return {r["qbo_invoice_id"]: r["id"] for r in cur.fetchall()}

    def known_payment_refs(self, org_id: int, refs: list[str]) -> set[str]:
        if not refs:
            return set()
        with self._db.statement() as cur:
            cur.execute(
                """SELECT source_ref FROM finance_ledger
                   WHERE org_id = %s AND kind = 'payment_received' AND source_ref = ANY(%s)""",
                (org_id, refs),
            )
            return {r["source_ref"] for r in cur.fetchall()}

    def apply(self, org_id: int, views: list[InvoiceView], payments: list[AppliedPayment]) -> int:
        if not views:
            return 0
        ids = [v.invoice.id for v in views]
        with self._db.transaction() as cur:
            cur.execute(
                _APPLY_INVOICES,
                {
                    "org": org_id,
                    "ids": ids,
                    "status": [v.invoice.status.value for v in views],
                    "balance": [v.invoice.balance_cents for v in views],
                    "total": [v.invoice.total_cents for v in views],
                    "token": [v.sync_token for v in views],
                    "due": [v.due_date for v in views],
                },
            )
            changed = int(fetch_one(cur)["changed"])
            if payments:
                cur.execute(
                    _RECORD_PAYMENTS,
                    {
                        "org": org_id,
                        "refs": [payment_ref(p.payment_id, p.invoice_id) for p in payments],
                        "invoice_ids": [p.invoice_id for p in payments],
                        "amounts": [p.amount_cents for p in payments],
                    },
                )
            cur.execute(_RECORD_PAID, {"org": org_id, "ids": ids})
        return changed
