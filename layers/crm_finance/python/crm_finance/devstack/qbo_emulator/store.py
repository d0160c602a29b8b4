"""In-memory QBO companies. One re-entrant lock guards everything.

Invariant: a stored entity document is never mutated in place; every change stores a
new dict. Readers may therefore take references under the lock and serialise outside it.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import timezone
from decimal import Decimal
from typing import Any

from .timeutil import format_meta

__all__ = ["ENTITIES", "Company", "Entry", "Reply", "Store", "canonical_entity"]

ENTITIES = ("Customer", "Item", "Invoice", "Payment")
_FAMILY = {"Customer": "name", "Item": "item", "Invoice": "txn", "Payment": "txn"}
_BY_LOWER = {e.lower(): e for e in ENTITIES}
ZERO = Decimal("0.00")


def canonical_entity(name: str) -> str | None:
    """URL segments and query entity names are case-insensitive in QBO."""
    return _BY_LOWER.get(name.lower())


@dataclass
class Entry:
    doc: dict[str, Any]
    updated: float
    deleted: bool = False


@dataclass(frozen=True)
class Reply:
    """A rendered HTTP response, cached for requestid replays."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Company:
    realm: str
    name: str
    tz: timezone
    created: float
    tables: dict[str, dict[str, Entry]] = field(default_factory=lambda: {e: {} for e in ENTITIES})
    changes: dict[str, OrderedDict[str, None]] = field(
        default_factory=lambda: {e: OrderedDict() for e in ENTITIES}
    )
    seq: dict[str, int] = field(default_factory=lambda: {"name": 0, "item": 0, "txn": 0})
    doc_number: int = 1000
    names: dict[str, dict[str, str]] = field(default_factory=lambda: {"Customer": {}, "Item": {}})
    applied: dict[str, dict[str, Decimal]] = field(
        default_factory=dict
    )  # invoice -> payment -> amt
    voided: set[str] = field(default_factory=set)
    replays: dict[str, Reply] = field(default_factory=dict)

    def peek_id(self, entity: str) -> str:
        """The Id the next create will get (validation runs before it is consumed)."""
        return str(self.seq[_FAMILY[entity]] + 1)

    def next_id(self, entity: str) -> str:
        family = _FAMILY[entity]
        self.seq[family] += 1
        return str(self.seq[family])

    def next_doc_number(self) -> str:
        self.doc_number += 1
        return str(self.doc_number)

    def live(self, entity: str, entity_id: Any) -> dict[str, Any] | None:
        entry = self.tables[entity].get(str(entity_id))
        return None if entry is None or entry.deleted else entry.doc

    def insert(self, entity: str, doc: dict[str, Any], now: float) -> dict[str, Any]:
        """Store a new entity (doc carries its Id) with SyncToken "0" and MetaData."""
        stamp = format_meta(now, self.tz)
        doc.update(
            domain="QBO",
            sparse=False,
            SyncToken="0",
            MetaData={"CreateTime": stamp, "LastUpdatedTime": stamp},
        )
        self.tables[entity][doc["Id"]] = Entry(doc, now)
        self.changes[entity][doc["Id"]] = None
        self._rebalance(entity, None, doc)
        return doc

    def replace(self, entity: str, doc: dict[str, Any], now: float) -> dict[str, Any]:
        """Store a new version: SyncToken bumps and LastUpdatedTime moves, as in QBO."""
        entry = self.tables[entity][doc["Id"]]
        old = entry.doc
        doc.update(
            domain="QBO",
            sparse=False,
            SyncToken=str(int(old["SyncToken"]) + 1),
            MetaData={
                "CreateTime": old["MetaData"]["CreateTime"],
                "LastUpdatedTime": format_meta(now, self.tz),
            },
        )
        entry.doc, entry.updated = doc, now
        self.changes[entity].move_to_end(doc["Id"])
        self._rebalance(entity, old, doc)
        return doc

    def remove(self, entity: str, entity_id: str, now: float) -> None:
        """Delete: reads now 610, queries skip it, CDC reports status Deleted."""
        entry = self.tables[entity][entity_id]
        old = entry.doc
        entry.deleted, entry.updated = True, now
        entry.doc = {
            **old,
            "MetaData": {**old["MetaData"], "LastUpdatedTime": format_meta(now, self.tz)},
        }
        self.changes[entity].move_to_end(entity_id)
        self._rebalance(entity, old, None)

    def _rebalance(
        self, entity: str, old: dict[str, Any] | None, new: dict[str, Any] | None
    ) -> None:
        """Customer.Balance = open invoice balances minus unapplied payment credit."""
        for doc, sign in ((old, -1), (new, 1)):
            if doc is None:
                continue
            if entity == "Invoice":
                delta = doc.get("Balance", ZERO)
            elif entity == "Payment":
                delta = -doc.get("UnappliedAmt", ZERO)
            else:
                continue
            if delta:
                self.adjust_customer_balance(doc["CustomerRef"]["value"], sign * delta)

    def adjust_customer_balance(self, customer_id: str, delta: Decimal) -> None:
        """Balance is derived data: no SyncToken bump, like QBO."""
        entry = self.tables["Customer"].get(customer_id)
        if entry is None or not delta:
            return
        balance = entry.doc.get("Balance", ZERO) + delta
        entry.doc = {**entry.doc, "Balance": balance, "BalanceWithJobs": balance}


class Store:
    """All companies of one emulator; ``lock`` must be held for any access."""

    def __init__(self, tz: timezone) -> None:
        self.lock = threading.RLock()
        self.tz = tz
        self.companies: dict[str, Company] = {}

    def create_company(self, name: str, now: float) -> Company:
        with self.lock:
            realm = "9341" + "".join(secrets.choice("0123456789") for _ in range(12))
            while realm in self.companies:
                realm = "9341" + "".join(secrets.choice("0123456789") for _ in range(12))
            company = Company(realm=realm, name=name, tz=self.tz, created=now)
            item_id = company.next_id("Item")
            company.insert("Item", _default_item(item_id), now)
            company.names["Item"]["services"] = item_id
            self.companies[realm] = company
            return company

    def get(self, realm: str) -> Company | None:
        with self.lock:
            return self.companies.get(realm)


def _default_item(item_id: str) -> dict[str, Any]:
    """Every QBO company starts with the "Services" service item."""
    return {
        "Id": item_id,
        "Name": "Services",
        "FullyQualifiedName": "Services",
        "Active": True,
        "Taxable": False,
        "UnitPrice": Decimal("0"),
        "Type": "Service",
        "IncomeAccountRef": {"value": "1", "name": "Services"},
        "PurchaseCost": Decimal("0"),
        "TrackQtyOnHand": False,
    }
