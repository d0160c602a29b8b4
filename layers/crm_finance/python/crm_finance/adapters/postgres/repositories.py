"""Postgres implementations of the domain's repositories, inbox and ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_finance.adapters.postgres.database import Database, fetch_one
from crm_finance.domain.models import (
    InboxEvent,
    InboxStatus,
    Lead,
    LedgerKind,
    NewLead,
    QboInvoice,
    QboPayment,
    QboStatus,
    StripePayment,
    derive_invoice_status,
    payment_ref,
)

if TYPE_CHECKING:
    from crm_finance.adapters.postgres.database import Cursor

_LEAD_COLUMNS = (
    "id, org_id, contact_name, contact_email, company_name, proposal_amount_cents, currency,"
    " status, qbo_customer_id, qbo_invoice_id, qbo_invoice_number, qbo_status, qbo_balance_cents"
)


_INSERT_LEAD = f"""INSERT INTO leads (org_id, contact_name, contact_email, company_name,
                                      proposal_amount_cents, currency, status)
                   VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {_LEAD_COLUMNS}"""  # noqa: S608
_SELECT_LEAD = f"SELECT {_LEAD_COLUMNS} FROM leads WHERE id = %s"  # noqa: S608


def _lead(row: dict[str, Any]) -> Lead:
    return Lead(**row)


class PostgresLeads:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, lead: NewLead) -> Lead:
        with self._db.transaction() as cur:
            cur.execute(
                _INSERT_LEAD,
                (
                    lead.org_id,
                    lead.contact_name,
                    lead.contact_email,
                    lead.company_name,
                    lead.proposal_amount_cents,
                    lead.currency,
                    lead.status,
                ),
            )
            return _lead(fetch_one(cur))

    def get(self, lead_id: int) -> Lead | None:
        with self._db.statement() as cur:
            cur.execute(_SELECT_LEAD, (lead_id,))
            row = cur.fetchone()
        return _lead(row) if row else None

    def set_customer(self, lead_id: int, customer_id: str) -> None:
        with self._db.statement() as cur:
            cur.execute(
                "UPDATE leads SET qbo_customer_id = %s, updated_at = now() WHERE id = %s",
                (customer_id, lead_id),
            )

    def list(
        self, org_id: int, *, statuses: tuple[str, ...] | None, after: int, limit: int
    ) -> list[dict]:
        with self._db.statement() as cur:
            cur.execute(
                """SELECT id, contact_name, company_name, proposal_amount_cents AS amount_cents,
                          currency, status, qbo_invoice_id, qbo_invoice_number, qbo_status,
                          qbo_balance_cents, qbo_last_sync_at
                   FROM leads
                   WHERE org_id = %(org)s AND id > %(after)s
                     AND (%(statuses)s::text[] IS NULL OR qbo_status = ANY(%(statuses)s::text[]))
                   ORDER BY id LIMIT %(limit)s""",
                {
                    "org": org_id,
                    "after": after,
                    "limit": limit,
                    "statuses": list(statuses) if statuses else None,
                },
            )
            rows = cur.fetchall()
        for row in rows:
            if row["qbo_last_sync_at"] is not None:
                row["qbo_last_sync_at"] = row["qbo_last_sync_at"].isoformat()
        return [dict(row) for row in rows]


class PostgresInbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        event_id: str,
        event_type: str,
        livemode: bool,
        payment: StripePayment | None,
        payload: dict,
        status: InboxStatus,
        reason: str | None,
    ) -> tuple[InboxStatus, bool]:
        from psycopg.types.json import Jsonb

        with self._db.statement() as cur:  # one round trip: no BEGIN/COMMIT around it
            cur.execute(
                """WITH inserted AS (
                       INSERT INTO stripe_events (event_id, event_type, livemode, payment_key,
                                                  org_id, lead_id, amount_cents, currency,
                                                  payload, status, reason)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                       ON CONFLICT (event_id) DO NOTHING
                       RETURNING status)
                   SELECT status, true AS created FROM inserted
                   UNION ALL
                   SELECT status, false FROM stripe_events
                   WHERE event_id = %s AND NOT EXISTS (SELECT 1 FROM inserted)""",
                (
                    event_id,
                    event_type,
                    livemode,
                    payment.payment_key if payment else None,
                    payment.org_id if payment else None,
                    payment.lead_id if payment else None,
                    payment.amount_cents if payment else None,
                    payment.currency if payment else None,
                    Jsonb(payload),
                    status.value,
                    reason,
                    event_id,
                ),
            )
            row = fetch_one(cur)
        return InboxStatus(row["status"]), bool(row["created"])

    def get(self, event_id: str) -> InboxEvent | None:
        with self._db.statement() as cur:
            cur.execute(
                """SELECT event_id, event_type, status, reason, payment_key, org_id, lead_id,
                          amount_cents, currency
                   FROM stripe_events WHERE event_id = %s""",
                (event_id,),
            )
            row = cur.fetchone()
        if row is None:
            return None
        payment = None
        if row["payment_key"] is not None:
            payment = StripePayment(
                payment_key=row["payment_key"],
                amount_cents=row["amount_cents"],
                currency=row["currency"],
                org_id=row["org_id"],
                lead_id=row["lead_id"],
            )
        return InboxEvent(
            event_id=row["event_id"],
            event_type=row["event_type"],
            status=InboxStatus(row["status"]),
            payment=payment,
            reason=row["reason"],
        )

    def mark(self, event_id: str, status: InboxStatus, reason: str | None = None) -> None:
        with self._db.statement() as cur:
            cur.execute(
                """UPDATE stripe_events SET status = %s, reason = %s, processed_at = now()
                   WHERE event_id = %s AND status = 'received'""",
                (status.value, reason, event_id),
            )


_LEDGER_INSERT = """INSERT INTO finance_ledger (org_id, lead_id, kind, source_ref, amount_cents,
                                                currency, stripe_event_id)
                    VALUES (%s, %s, %s, %s, %s, %s, %s)
                    ON CONFLICT (org_id, kind, source_ref) DO NOTHING"""


class PostgresInvoiceLedger:
    """Lead state and its ledger facts, written together or not at all."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def _merge_into_lead(cur: Cursor, lead: Lead, invoice: QboInvoice) -> QboStatus:
        """Apply the worker's view of the invoice without ever moving the balance back up.

        The worker only ever adds payments, so a lower balance already stored for the same
        invoice is newer than this view (a concurrent worker got there first). The row lock
        serialises workers that touch the same lead.
        """
        cur.execute(
            "SELECT qbo_invoice_id, qbo_balance_cents FROM leads WHERE id = %s FOR UPDATE",
            (lead.id,),
        )
        stored = fetch_one(cur)
        balance = invoice.balance_cents
        if stored["qbo_invoice_id"] == invoice.id and stored["qbo_balance_cents"] is not None:
            balance = min(balance, stored["qbo_balance_cents"])
        status = (
            invoice.status
            if invoice.status in (QboStatus.VOIDED, QboStatus.DELETED)
            else derive_invoice_status(total_cents=invoice.total_cents, balance_cents=balance)
        )
        cur.execute(
            """UPDATE leads SET qbo_invoice_id = %s, qbo_invoice_number = %s, qbo_status = %s,
                                qbo_balance_cents = %s, qbo_total_cents = %s,
                                qbo_last_sync_at = now(), updated_at = now(),
                                status = CASE WHEN %s = 'Paid' THEN 'won' ELSE status END
               WHERE id = %s""",
            (
                invoice.id,
                invoice.doc_number,
                status.value,
                balance,
                invoice.total_cents,
                status.value,
                lead.id,
            ),
        )
        return status

    def record_invoice(self, lead: Lead, invoice: QboInvoice) -> None:
        with self._db.transaction() as cur:
            self._merge_into_lead(cur, lead, invoice)
            cur.execute(
                _LEDGER_INSERT,
                (
                    lead.org_id,
                    lead.id,
                    LedgerKind.INVOICE_GENERATED.value,
                    invoice.id,
                    invoice.total_cents,
                    lead.currency,
                    None,
                ),
            )

    def record_payment(
        self, lead: Lead, invoice: QboInvoice, payment: QboPayment, stripe_event_id: str
    ) -> None:
        with self._db.transaction() as cur:
            status = self._merge_into_lead(cur, lead, invoice)
            facts = [
                (
                    LedgerKind.PAYMENT_RECEIVED,
                    payment_ref(payment.id, invoice.id),
                    payment.amount_cents,
                )
            ]
            if status is QboStatus.PAID:
                facts.append((LedgerKind.INVOICE_PAID, invoice.id, invoice.total_cents))
            cur.executemany(
                _LEDGER_INSERT,
                [
                    (lead.org_id, lead.id, kind.value, ref, cents, lead.currency, stripe_event_id)
                    for kind, ref, cents in facts
                ],
            )
            cur.execute(
                """UPDATE stripe_events
                   SET status = 'processed', reason = NULL, processed_at = now()
                   WHERE event_id = %s AND status = 'received'""",
                (stripe_event_id,),
            )
