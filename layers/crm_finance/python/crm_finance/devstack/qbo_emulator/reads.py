"""Read-side operations: read by id, query execution, change data capture."""

from __future__ import annotations

import math
from typing import Any

from . import faults
from .invoices import INVOICE_FIELDS
from .matching import compile_conditions, sort_key
from .names import CUSTOMER_FIELDS, ITEM_FIELDS
from .payments import PAYMENT_FIELDS
from .query import Condition, Query
from .store import Company, Entry, canonical_entity

__all__ = ["CDC_MAX_PER_ENTITY", "cdc", "read", "run_query"]

CDC_MAX_PER_ENTITY = 1000
_COMMON = ("Id", "SyncToken", "MetaData", "domain", "sparse")
_QUERYABLE = {
    "Customer": (
        *CUSTOMER_FIELDS,
        "FullyQualifiedName",
        "Balance",
        "BalanceWithJobs",
        "Job",
        "IsProject",
    ),
    "Item": (*ITEM_FIELDS, "FullyQualifiedName"),
    "Invoice": (*INVOICE_FIELDS, "TotalAmt", "Balance", "LinkedTxn", "Deposit", "TxnTaxDetail"),
    "Payment": (*PAYMENT_FIELDS, "UnappliedAmt", "ProcessPayment"),
}
_QUERYABLE_LOWER = {e: {f.lower() for f in fs + _COMMON} for e, fs in _QUERYABLE.items()}


def read(c: Company, entity: str, entity_id: str) -> dict[str, Any]:
    doc = c.live(entity, entity_id)
    if doc is None:
        raise faults.not_found()
    return doc


def _check_fields(entity: str, query: Query) -> None:
    paths = (
        [cond.path for cond in query.conditions]
        + [p for p, _ in query.order]
        + list(query.fields or ())
    )
    for path in paths:
        if path[0].lower() not in _QUERYABLE_LOWER[entity]:
            raise faults.query_validation(
                f"property '{'.'.join(path)}' is not queryable for {entity}"
            )


def _id_literals(cond: Condition) -> set[str]:
    return {str(v) for v in cond.values if not isinstance(v, bool)}


def _candidates(c: Company, entity: str, query: Query) -> list[Entry]:
    """Id = / Id IN use dict lookups (1000 ids on 100k rows stays O(1000))."""
    table = c.tables[entity]
    id_sets = [
        _id_literals(cond)
        for cond in query.conditions
        if len(cond.path) == 1 and cond.path[0].lower() == "id" and cond.op in ("=", "in")
    ]
    if not id_sets:
        return list(table.values())
    ids = set.intersection(*id_sets)
    found = (table.get(i) for i in ids)
    return sorted((e for e in found if e is not None), key=lambda e: int(e.doc["Id"]))


def _project(doc: dict[str, Any], fields: tuple[tuple[str, ...], ...]) -> dict[str, Any]:
    wanted = {p[0].lower() for p in fields} | {"id"}
    out = {k: v for k, v in doc.items() if k.lower() in wanted}
    out.update(domain="QBO", sparse=True)
    return out


def run_query(c: Company, query: Query) -> dict[str, Any]:
    """Returns the QueryResponse object. Caller holds the lock; docs are immutable."""
    entity = canonical_entity(query.entity)
    if entity is None:
        raise faults.query_validation(f"Entity '{query.entity}' is not supported by the emulator")
    _check_fields(entity, query)
    predicate = compile_conditions(query.conditions, c.tz)
    docs = [e.doc for e in _candidates(c, entity, query) if not e.deleted and predicate(e.doc)]
    if query.count:
        return {"totalCount": len(docs)}
    for path, descending in reversed(query.order):
        docs.sort(key=sort_key(path, c.tz), reverse=descending)
    start = query.start_position - 1
    page = docs[start : start + query.max_results]
    if not page:
        return {}
    if query.fields is not None:
        page = [_project(d, query.fields) for d in page]
    return {entity: page, "startPosition": query.start_position, "maxResults": len(page)}


def cdc(c: Company, entities: list[str], since: float) -> list[dict[str, Any]]:
    """Per entity: active objects by LastUpdatedTime, then deletions; at most 1000."""
    out: list[dict[str, Any]] = []
    for name in entities:
        entity = canonical_entity(name)
        if entity is None:
            out.append({})  # not modelled by the emulator: nothing ever changes
            continue
        table = c.tables[entity]
        active: list[dict[str, Any]] = []
        deleted: list[dict[str, Any]] = []
        for entity_id in reversed(c.changes[entity]):
            entry = table[entity_id]
            if math.floor(entry.updated) < since:
                break  # change order is update order
            if entry.deleted:
                meta = {"LastUpdatedTime": entry.doc["MetaData"]["LastUpdatedTime"]}
                deleted.append(
                    {"domain": "QBO", "status": "Deleted", "Id": entity_id, "MetaData": meta}
                )
            else:
                active.append(entry.doc)
        items = (active[::-1] + deleted[::-1])[:CDC_MAX_PER_ENTITY]
        out.append({entity: items, "startPosition": 1, "maxResults": len(items)} if items else {})
    return out
