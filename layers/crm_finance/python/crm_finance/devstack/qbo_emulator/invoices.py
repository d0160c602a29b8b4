"""Invoice rules: server-computed totals/balances, SubTotal line, void and delete."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import faults
from .jsonio import CENT, to_money
from .shapes import (
    currency_ref,
    date_value,
    decimal_value,
    money_value,
    present,
    ref_id,
    sparse_merge,
    writable,
)
from .store import ZERO, Company
from .timeutil import today

__all__ = [
    "INVOICE_FIELDS",
    "create_invoice",
    "delete_invoice",
    "refresh_balance",
    "update_invoice",
    "void_invoice",
]

_CORE = ("CustomerRef", "Line", "DocNumber", "TxnDate", "DueDate", "PrivateNote", "CurrencyRef")
_PASSTHROUGH = (
    "BillEmail", "BillEmailCc", "BillEmailBcc", "CustomerMemo", "SalesTermRef", "BillAddr",
    "ShipAddr", "CustomField", "ClassRef", "DepartmentRef", "EmailStatus", "PrintStatus",
    "AllowOnlineCreditCardPayment", "AllowOnlineACHPayment", "AllowIPNPayment", "ShipDate",
    "TrackingNum",
)  # fmt: skip
INVOICE_FIELDS = _CORE + _PASSTHROUGH
_DOC_NUMBER_MAX = 21


def _sales_line(c: Company, raw: dict[str, Any], voided: bool) -> tuple[dict[str, Any], Decimal]:
    detail = raw.get("SalesItemLineDetail") or {}
    if not isinstance(detail, dict):
        raise faults.invalid_property("Line.SalesItemLineDetail")
    item_id = ref_id(detail.get("ItemRef")) or "1"  # QBO falls back to the default item
    item = c.live("Item", item_id)
    if item is None:
        raise faults.invalid_reference("Line.SalesItemLineDetail.ItemRef")
    qty = decimal_value(detail["Qty"], "Line.Qty") if present(detail, "Qty") else None
    price = (
        decimal_value(detail["UnitPrice"], "Line.UnitPrice")
        if present(detail, "UnitPrice")
        else None
    )
    qty, price = (qty or None), (price or None)  # client libraries send 0 for "unset"
    if present(raw, "Amount"):
        amount = money_value(raw["Amount"], "Line.Amount")
    elif qty is not None and price is not None:
        amount = to_money(qty * price)
    else:
        raise faults.required("Line.Amount")
    if qty is not None and price is not None and (qty * price).quantize(CENT) != amount:
        raise faults.business("Amount is not equal to UnitPrice * Qty", code="6070")
    out: dict[str, Any] = {"ItemRef": {"value": item_id, "name": item["Name"]}}
    if qty is not None and not voided:
        out["Qty"] = qty
    if price is not None and not voided:
        out["UnitPrice"] = price
    if present(detail, "ServiceDate"):
        out["ServiceDate"] = date_value(detail["ServiceDate"], "Line.ServiceDate")
    out["TaxCodeRef"] = {"value": "NON"}
    amount = ZERO if voided else amount
    return {
        "Amount": amount,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": out,
    }, amount


def _lines(c: Company, raw_lines: Any, voided: bool) -> tuple[list[dict[str, Any]], Decimal]:
    """Renumber lines, compute the total and append the SubTotal line QBO adds."""
    if not isinstance(raw_lines, list) or not raw_lines:
        raise faults.required("Line")
    lines: list[dict[str, Any]] = []
    total = ZERO
    for raw in raw_lines:
        if not isinstance(raw, dict):
            raise faults.invalid_property("Line")
        kind = raw.get("DetailType") or next(
            (k for k in ("SalesItemLineDetail", "DescriptionLineDetail") if k in raw), None
        )
        if kind == "SubTotalLineDetail":
            continue  # read-only, recomputed
        n = len(lines) + 1
        line: dict[str, Any] = {"Id": str(n), "LineNum": n}
        if present(raw, "Description"):
            line["Description"] = str(raw["Description"])
        if kind == "SalesItemLineDetail":
            body, amount = _sales_line(c, raw, voided)
            line.update(body)
            total += amount
        elif kind in ("DescriptionOnly", "DescriptionLineDetail"):
            line.update(DetailType="DescriptionOnly", DescriptionLineDetail={})
        else:
            raise faults.invalid_property(
                "Line.DetailType", f"{kind} lines are not supported by the emulator"
            )
        lines.append(line)
    if not any(line.get("DetailType") == "SalesItemLineDetail" for line in lines):
        raise faults.required("Line.SalesItemLineDetail")
    lines.append({"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    return lines, total


def _build(
    c: Company, inv_id: str, fields: dict[str, Any], old: dict[str, Any] | None, now: float
) -> dict[str, Any]:
    customer_id = ref_id(fields.get("CustomerRef"))
    if customer_id is None:
        raise faults.required("CustomerRef")
    customer = c.live("Customer", customer_id)
    if customer is None:
        raise faults.invalid_reference("CustomerRef")
    voided = inv_id in c.voided
    lines, total = _lines(c, fields.get("Line"), voided)
    if total < 0:
        raise faults.business("Transaction total amount must be equal to or greater than zero.")
    applied = c.applied.get(inv_id, {})
    paid = sum(applied.values(), ZERO)
    if total < paid:
        raise faults.business(
            f"Invoice total {total} is less than the payments applied to it ({paid})."
        )
    if present(fields, "DocNumber"):
        doc_number = str(fields["DocNumber"])
        if len(doc_number) > _DOC_NUMBER_MAX:
            raise faults.invalid_property("DocNumber", f"max length {_DOC_NUMBER_MAX}")
    else:
        doc_number = old["DocNumber"] if old else c.next_doc_number()
    if present(fields, "TxnDate"):
        txn_date = date_value(fields["TxnDate"], "TxnDate")
    else:
        txn_date = old["TxnDate"] if old else today(now, c.tz)
    due = date_value(fields["DueDate"], "DueDate") if present(fields, "DueDate") else txn_date
    doc: dict[str, Any] = {
        "AllowIPNPayment": False,
        "AllowOnlineCreditCardPayment": False,
        "AllowOnlineACHPayment": False,
        "PrintStatus": "NotSet",
        "EmailStatus": "NotSet",
        "CustomField": [],
    }
    doc.update({k: fields[k] for k in _PASSTHROUGH if k in fields})
    doc.update(
        Id=inv_id,
        DocNumber=doc_number,
        TxnDate=txn_date,
        DueDate=due,
        CurrencyRef=currency_ref(fields.get("CurrencyRef")),
        CustomerRef={"value": customer_id, "name": customer["DisplayName"]},
        LinkedTxn=[{"TxnId": pid, "TxnType": "Payment"} for pid in applied],
        Line=lines,
        TxnTaxDetail={"TotalTax": ZERO},
        ApplyTaxAfterDiscount=False,
        TotalAmt=total,
        Balance=ZERO if voided else total - paid,
        Deposit=0,
    )
    if present(fields, "PrivateNote"):
        doc["PrivateNote"] = str(fields["PrivateNote"])
    return doc


def create_invoice(c: Company, body: dict[str, Any], now: float) -> dict[str, Any]:
    fields = writable(body, INVOICE_FIELDS)
    doc = _build(c, c.peek_id("Invoice"), fields, None, now)
    c.next_id("Invoice")  # consume the id only once validation passed
    return c.insert("Invoice", doc, now)


def update_invoice(
    c: Company, old: dict[str, Any], body: dict[str, Any], sparse: bool, now: float
) -> dict[str, Any]:
    """Full update replaces writable fields; sparse merges into the current version."""
    fields = sparse_merge(old, body, INVOICE_FIELDS) if sparse else writable(body, INVOICE_FIELDS)
    return c.replace("Invoice", _build(c, old["Id"], fields, old, now), now)


def refresh_balance(c: Company, inv_id: str, now: float) -> None:
    """Payments changed: recompute Balance and LinkedTxn (a new version, like QBO)."""
    old = c.live("Invoice", inv_id)
    if old is None:
        return
    applied = c.applied.get(inv_id, {})
    balance = ZERO if inv_id in c.voided else old["TotalAmt"] - sum(applied.values(), ZERO)
    links = [{"TxnId": pid, "TxnType": "Payment"} for pid in applied]
    c.replace("Invoice", {**old, "Balance": balance, "LinkedTxn": links}, now)


def void_invoice(c: Company, old: dict[str, Any], now: float) -> dict[str, Any]:
    """QBO's void keeps the invoice but zeroes amounts and notes "Voided".
    Callers must unlink payments first."""
    if old["Id"] in c.voided:
        return old
    c.voided.add(old["Id"])
    fields = {k: old[k] for k in INVOICE_FIELDS if k in old}
    note = old.get("PrivateNote")
    fields["PrivateNote"] = f"Voided - {note}" if note else "Voided"
    return c.replace("Invoice", _build(c, old["Id"], fields, old, now), now)


def delete_invoice(c: Company, old: dict[str, Any], now: float) -> None:
    """Callers must unlink payments first."""
    c.remove("Invoice", old["Id"], now)
