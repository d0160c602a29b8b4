"""Name-list entities: Customer and Item (unique names, no delete, only deactivation)."""

from __future__ import annotations

from typing import Any

from . import faults
from .shapes import currency_ref, decimal_value, sparse_merge, writable
from .store import ZERO, Company

__all__ = ["create_customer", "create_item", "update_customer", "update_item"]

CUSTOMER_FIELDS = (
    "Title", "GivenName", "MiddleName", "FamilyName", "Suffix", "DisplayName", "CompanyName",
    "PrintOnCheckName", "PrimaryEmailAddr", "PrimaryPhone", "Mobile", "AlternatePhone", "Fax",
    "WebAddr", "BillAddr", "ShipAddr", "Notes", "Active", "Taxable", "CurrencyRef",
    "PreferredDeliveryMethod", "ResaleNum", "SalesTermRef", "PaymentMethodRef",
)  # fmt: skip
ITEM_FIELDS = (
    "Name", "Description", "Active", "Taxable", "UnitPrice", "Type", "IncomeAccountRef",
    "ExpenseAccountRef", "Sku", "PurchaseDesc", "PurchaseCost", "TrackQtyOnHand",
)  # fmt: skip


def _claim_name(c: Company, entity: str, name: str, entity_id: str, old_name: str | None) -> None:
    """Names are unique per company (case-insensitive) -> 6240 Duplicate Name Exists."""
    index = c.names[entity]
    owner = index.get(name.casefold())
    if owner is not None and owner != entity_id:
        raise faults.duplicate_name(owner)
    if old_name is not None:
        index.pop(old_name.casefold(), None)
    index[name.casefold()] = entity_id


def _customer_doc(
    c: Company, fields: dict[str, Any], cid: str, old: dict[str, Any] | None
) -> dict[str, Any]:
    display = str(fields.get("DisplayName", "")).strip()
    if not display:
        parts = [
            fields.get(k, "") for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
        ]
        display = (
            " ".join(str(p).strip() for p in parts if p)
            or str(fields.get("CompanyName", "")).strip()
        )
    if not display:
        raise faults.required("DisplayName")
    currency = currency_ref(fields.get("CurrencyRef"))
    _claim_name(c, "Customer", display, cid, old["DisplayName"] if old else None)
    balance = old["Balance"] if old else ZERO
    doc = dict(fields)
    doc.update(
        Id=cid,
        DisplayName=display,
        FullyQualifiedName=display,
        PrintOnCheckName=fields.get("PrintOnCheckName", display),
        Active=bool(fields.get("Active", True)),
        Taxable=bool(fields.get("Taxable", False)),
        Job=False,
        BillWithParent=False,
        IsProject=False,
        Balance=balance,
        BalanceWithJobs=balance,
        CurrencyRef=currency,
        PreferredDeliveryMethod=fields.get("PreferredDeliveryMethod", "Print"),
    )
    return doc


def create_customer(c: Company, body: dict[str, Any], now: float) -> dict[str, Any]:
    fields = writable(body, CUSTOMER_FIELDS)
    doc = _customer_doc(c, fields, c.peek_id("Customer"), None)
    c.next_id("Customer")
    return c.insert("Customer", doc, now)


def update_customer(
    c: Company, old: dict[str, Any], body: dict[str, Any], sparse: bool, now: float
) -> dict[str, Any]:
    fields = sparse_merge(old, body, CUSTOMER_FIELDS) if sparse else writable(body, CUSTOMER_FIELDS)
    return c.replace("Customer", _customer_doc(c, fields, old["Id"], old), now)


def _item_doc(
    c: Company, fields: dict[str, Any], item_id: str, old: dict[str, Any] | None
) -> dict[str, Any]:
    name = str(fields.get("Name", "")).strip()
    if not name:
        raise faults.required("Name")
    unit_price = decimal_value(fields.get("UnitPrice", 0), "UnitPrice")
    _claim_name(c, "Item", name, item_id, old["Name"] if old else None)
    doc = dict(fields)
    doc.update(
        Id=item_id,
        Name=name,
        FullyQualifiedName=name,
        Active=bool(fields.get("Active", True)),
        Taxable=bool(fields.get("Taxable", False)),
        Type=fields.get("Type", "Service"),
        UnitPrice=unit_price,
        IncomeAccountRef=fields.get("IncomeAccountRef", {"value": "1", "name": "Services"}),
        TrackQtyOnHand=bool(fields.get("TrackQtyOnHand", False)),
    )
    return doc


def create_item(c: Company, body: dict[str, Any], now: float) -> dict[str, Any]:
    fields = writable(body, ITEM_FIELDS)
    doc = _item_doc(c, fields, c.peek_id("Item"), None)
    c.next_id("Item")
    return c.insert("Item", doc, now)


def update_item(
    c: Company, old: dict[str, Any], body: dict[str, Any], sparse: bool, now: float
) -> dict[str, Any]:
    fields = sparse_merge(old, body, ITEM_FIELDS) if sparse else writable(body, ITEM_FIELDS)
    return c.replace("Item", _item_doc(c, fields, old["Id"], old), now)
