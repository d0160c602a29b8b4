"""QBO JSON (as python-quickbooks returns it, amounts as Decimal) to domain values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from crm_finance.domain.models import QboInvoice, derive_invoice_status
from crm_finance.domain.polling import AppliedPayment, InvoiceView
from crm_finance.money import decimal_to_cents


def _cents(value: Any) -> int:
    return decimal_to_cents(Decimal(str(value or 0)))


def invoice_from_json(data: dict[str, Any]) -> QboInvoice:
    total, balance = _cents(data.get("TotalAmt")), _cents(data.get("Balance"))
    voided = total == 0 and str(data.get("PrivateNote") or "").startswith("Voided")
    payments = tuple(
        str(t["TxnId"]) for t in data.get("LinkedTxn") or [] if t.get("TxnType") == "Payment"
    )
    return QboInvoice(
        id=str(data["Id"]),
        doc_number=data.get("DocNumber"),
        total_cents=total,
        balance_cents=balance,
        status=derive_invoice_status(total_cents=total, balance_cents=balance, voided=voided),
        payment_ids=payments,
    )


def invoice_view_from_json(data: dict[str, Any]) -> InvoiceView:
    due = data.get("DueDate")
    return InvoiceView(
        invoice=invoice_from_json(data),
        sync_token=int(data.get("SyncToken") or 0),
        due_date=date.fromisoformat(due) if due else None,
    )


def applied_payments_from_json(data: dict[str, Any]) -> list[AppliedPayment]:
    """One entry per invoice the payment is applied to (a cheque may cover several)."""
    applied = []
    for line in data.get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            if link.get("TxnType") == "Invoice":
                applied.append(
                    AppliedPayment(str(data["Id"]), str(link["TxnId"]), _cents(line.get("Amount")))
                )
    return applied
