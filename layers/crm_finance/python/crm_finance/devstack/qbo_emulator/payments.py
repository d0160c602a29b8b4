"""Payment rules: applying to invoices, unapplied credit, void/delete un-applying."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import faults
from .invoices import refresh_balance
from .shapes import currency_ref, date_value, money_value, present, ref_id, sparse_merge, writable
from .store import ZERO, Company
from .timeutil import today

__all__ = ["create_payment", "delete_payment", "unlink_invoice", "update_payment", "void_payment"]

PAYMENT_FIELDS = (
    "CustomerRef", "TotalAmt", "Line", "PrivateNote", "PaymentRefNum", "TxnDate", "CurrencyRef",
    "PaymentMethodRef", "DepositToAccountRef", "ARAccountRef",
)  # fmt: skip


def links_of(doc: dict[str, Any]) -> dict[str, Decimal]:
    """Invoice id -> amount this payment applies to it."""
    links: dict[str, Decimal] = {}
    for line in doc.get("Line", []):
        inv = line["LinkedTxn"][0]["TxnId"]
        links[inv] = links.get(inv, ZERO) + line["Amount"]
    return links


def _lines(
    c: Company, raw_lines: Any, customer_id: str, previous: dict[str, Decimal]
) -> tuple[list[dict[str, Any]], dict[str, Decimal]]:
    if raw_lines in (None, ""):
        raw_lines = []
    if not isinstance(raw_lines, list):
        raise faults.invalid_property("Line")
    lines: list[dict[str, Any]] = []
    links: dict[str, Decimal] = {}
    for raw in raw_lines:
        if not isinstance(raw, dict):
            raise faults.invalid_property("Line")
        amount = money_value(raw.get("Amount", 0), "Line.Amount")
        linked = raw.get("LinkedTxn") or []
        if len(linked) != 1 or not isinstance(linked[0], dict):
            raise faults.invalid_property(
                "Line.LinkedTxn", "exactly one linked transaction per line"
            )
        if str(linked[0].get("TxnType", "")).lower() != "invoice":
            raise faults.invalid_property("Line.LinkedTxn.TxnType", "only Invoice is supported")
        inv_id = ref_id(linked[0].get("TxnId"))
        invoice = c.live("Invoice", inv_id) if inv_id else None
        if inv_id is None or invoice is None:
            raise faults.invalid_reference("Line.LinkedTxn.TxnId")
        if invoice["CustomerRef"]["value"] != customer_id:
            raise faults.business(
                f"Invoice {inv_id} does not belong to the customer of this payment."
            )
        if amount < 0:
            raise faults.business("Payment line amounts must be positive.")
        if amount == 0:
            continue
        links[inv_id] = links.get(inv_id, ZERO) + amount
        available = invoice["Balance"] + previous.get(inv_id, ZERO)
        if links[inv_id] > available:
            raise faults.business(
                f"The amount applied to invoice {inv_id} ({links[inv_id]}) exceeds its open"
                f" balance ({available})."
            )
        lines.append({"Amount": amount, "LinkedTxn": [{"TxnId": inv_id, "TxnType": "Invoice"}]})
    return lines, links


def _build(
    c: Company, pid: str, fields: dict[str, Any], old: dict[str, Any] | None, now: float
) -> tuple[dict[str, Any], dict[str, Decimal]]:
    customer_id = ref_id(fields.get("CustomerRef"))
    if customer_id is None:
        raise faults.required("CustomerRef")
    customer = c.live("Customer", customer_id)
    if customer is None:
        raise faults.invalid_reference("CustomerRef")
    if not present(fields, "TotalAmt"):
        raise faults.required("TotalAmt")
    total = money_value(fields["TotalAmt"], "TotalAmt")
    if total < 0:
        raise faults.business("Payment amount must be equal to or greater than zero.")
    previous = links_of(old) if old else {}
    lines, links = _lines(c, fields.get("Line"), customer_id, previous)
    applied = sum(links.values(), ZERO)
    if applied > total:
        raise faults.business(
            f"The applied amount ({applied}) exceeds the payment total ({total})."
        )
    if present(fields, "TxnDate"):
        txn_date = date_value(fields["TxnDate"], "TxnDate")
    else:
        txn_date = old["TxnDate"] if old else today(now, c.tz)
    doc: dict[str, Any] = {
        k: fields[k]
        for k in ("PaymentMethodRef", "DepositToAccountRef", "ARAccountRef")
        if k in fields
    }
    doc.update(
        Id=pid,
        CustomerRef={"value": customer_id, "name": customer["DisplayName"]},
        CurrencyRef=currency_ref(fields.get("CurrencyRef")),
        TxnDate=txn_date,
        TotalAmt=total,
        UnappliedAmt=total - applied,
        ProcessPayment=False,
        Line=lines,
    )
    for key in ("PrivateNote", "PaymentRefNum"):
        if present(fields, key):
            doc[key] = str(fields[key])
    return doc, links


def _apply(
    c: Company, pid: str, old: dict[str, Decimal], new: dict[str, Decimal], now: float
) -> None:
    """Move applied amounts and give every touched invoice a new version."""
    for inv_id in dict.fromkeys([*old, *new]):
        per = c.applied.setdefault(inv_id, {})
        if new.get(inv_id):
            per[pid] = new[inv_id]
        else:
            per.pop(pid, None)
        if not per:
            c.applied.pop(inv_id, None)
        if old.get(inv_id) != new.get(inv_id):
            refresh_balance(c, inv_id, now)


def create_payment(c: Company, body: dict[str, Any], now: float) -> dict[str, Any]:
    fields = writable(body, PAYMENT_FIELDS)
    doc, links = _build(c, c.peek_id("Payment"), fields, None, now)
    c.next_id("Payment")
    c.insert("Payment", doc, now)
    _apply(c, doc["Id"], {}, links, now)
    return doc


def update_payment(
    c: Company, old: dict[str, Any], body: dict[str, Any], sparse: bool, now: float
) -> dict[str, Any]:
    if old["Id"] in c.voided:
        raise faults.business("A voided payment cannot be modified.")
    fields = sparse_merge(old, body, PAYMENT_FIELDS) if sparse else writable(body, PAYMENT_FIELDS)
    doc, links = _build(c, old["Id"], fields, old, now)
    c.replace("Payment", doc, now)
    _apply(c, doc["Id"], links_of(old), links, now)
    return doc


def void_payment(c: Company, old: dict[str, Any], now: float) -> dict[str, Any]:
    """A voided payment stays, with zero amounts, and no longer pays any invoice."""
    if old["Id"] in c.voided:
        return old
    c.voided.add(old["Id"])
    note = old.get("PrivateNote")
    doc = {**old, "TotalAmt": ZERO, "UnappliedAmt": ZERO, "Line": []}
    doc["PrivateNote"] = f"Voided - {note}" if note else "Voided"
    c.replace("Payment", doc, now)
    _apply(c, doc["Id"], links_of(old), {}, now)
    return doc


def delete_payment(c: Company, old: dict[str, Any], now: float) -> None:
    c.remove("Payment", old["Id"], now)
    _apply(c, old["Id"], links_of(old), {}, now)


def unlink_invoice(c: Company, inv_id: str, now: float) -> None:
    """Before an invoice is voided/deleted its payments become unapplied credit."""
    for pid, amount in c.applied.pop(inv_id, {}).items():
        pay = c.live("Payment", pid)
        if pay is None:
            continue
        lines = [line for line in pay["Line"] if line["LinkedTxn"][0]["TxnId"] != inv_id]
        c.replace(
            "Payment", {**pay, "Line": lines, "UnappliedAmt": pay["UnappliedAmt"] + amount}, now
        )
