"""The naive invoice poller, kept only as ``bench.poller``'s baseline.

What a first version of the poll typically looks like: read every tracked open invoice's
lead, then for each one GET the invoice from QBO, GET each payment linked to it, and
write the lead (and the ledger rows) in a transaction of its own. One QBO request per
invoice (plus one per payment), one commit per invoice. No lease, no CDC, no batching.

It writes the same lead columns and the same ledger keys (``payment_ref``) as the real
poller, so the benchmark checks both with the same queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from quickbooks.objects.payment import Payment

from crm_finance.adapters.qbo.books import QuickBooksBooks
from crm_finance.domain.models import QboStatus, payment_ref
from crm_finance.errors import InvoiceGone
from crm_finance.money import decimal_to_cents


@dataclass
class NaiveReport:
    checked: int = 0
    changed: int = 0
    payments_recorded: int = 0


def _applied_cents(payment: Payment, invoice_id: str) -> int:
    """What one QBO payment applied to one invoice (a cheque may cover several)."""
    return sum(
        decimal_to_cents(Decimal(str(line.Amount)))
        for line in payment.Line or []
        for link in line.LinkedTxn or []
        if str(link.TxnId) == invoice_id and link.TxnType == "Invoice"
    )


def poll(org_id: int, *, books: QuickBooksBooks, db: Any, limit: int | None = None) -> NaiveReport:
    """One poll of one org; ``limit`` polls only the first ``limit`` tracked leads (by id)."""
    report = NaiveReport()
    with db.transaction() as cur:
        cur.execute(
            """SELECT id, qbo_invoice_id, qbo_status, qbo_balance_cents, currency FROM leads
               WHERE org_id = %s AND qbo_invoice_id IS NOT NULL
                 AND qbo_status IN ('Open', 'Partial')
               ORDER BY id LIMIT %s""",
            (org_id, limit),
        )
        leads = cur.fetchall()
    for lead in leads:
        invoice_id = lead["qbo_invoice_id"]
        try:
            invoice = books.get_invoice(invoice_id)  # one GET per invoice
            status, balance, total = invoice.status, invoice.balance_cents, invoice.total_cents
            payments = [
                (pid, books.call(Payment.get, pid, qb=books.client))  # one GET per payment
                for pid in invoice.payment_ids
            ]
        except InvoiceGone:
            status, balance, total, payments = QboStatus.DELETED, 0, 0, []
        with db.transaction() as cur:  # one commit per invoice
            cur.execute(
                """UPDATE leads
                   SET qbo_status = %s, qbo_balance_cents = %s, qbo_total_cents = %s,
                       qbo_last_sync_at = now(), updated_at = now(),
                       status = CASE WHEN %s = 'Paid' THEN 'won' ELSE status END
                   WHERE id = %s""",
                (status.value, balance, total, status.value, lead["id"]),
            )
            for pid, payment in payments:
                cur.execute(
                    """INSERT INTO finance_ledger
                           (org_id, lead_id, kind, source_ref, amount_cents, currency)
                       VALUES (%s, %s, 'payment_received', %s, %s, %s)
                       ON CONFLICT (org_id, kind, source_ref) DO NOTHING""",
                    (
                        org_id,
                        lead["id"],
                        payment_ref(pid, invoice_id),
                        _applied_cents(payment, invoice_id),
                        lead["currency"],
                    ),
                )
                report.payments_recorded += 1
            if status is QboStatus.PAID:
                cur.execute(
                    """INSERT INTO finance_ledger
                           (org_id, lead_id, kind, source_ref, amount_cents, currency)
                       VALUES (%s, %s, 'invoice_paid', %s, %s, %s)
                       ON CONFLICT (org_id, kind, source_ref) DO NOTHING""",
                    (org_id, lead["id"], invoice_id, total, lead["currency"]),
                )
        report.checked += 1
        if status.value != lead["qbo_status"] or balance != lead["qbo_balance_cents"]:
            report.changed += 1
    return report
