"""Dispatch of create/update/delete/void with QBO's Id + SyncToken optimistic locking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import faults, invoices, names, payments
from .shapes import present
from .store import Company

__all__ = ["OPERATIONS", "perform"]

OPERATIONS = ("create", "update", "delete", "void")

_CREATE: dict[str, Callable[[Company, dict[str, Any], float], dict[str, Any]]] = {
    "Customer": names.create_customer,
    "Item": names.create_item,
    "Invoice": invoices.create_invoice,
    "Payment": payments.create_payment,
}
_UPDATE: dict[
    str, Callable[[Company, dict[str, Any], dict[str, Any], bool, float], dict[str, Any]]
] = {
    "Customer": names.update_customer,
    "Item": names.update_item,
    "Invoice": invoices.update_invoice,
    "Payment": payments.update_payment,
}


def _void(c: Company, entity: str, old: dict[str, Any], now: float) -> dict[str, Any]:
    if entity == "Invoice":
        payments.unlink_invoice(c, old["Id"], now)
        return invoices.void_invoice(c, c.live("Invoice", old["Id"]) or old, now)
    if entity == "Payment":
        return payments.void_payment(c, old, now)
    raise faults.unsupported_operation(f"Operation Void is not supported for {entity}.")


def _delete(c: Company, entity: str, old: dict[str, Any], now: float) -> dict[str, Any]:
    if entity == "Invoice":
        payments.unlink_invoice(c, old["Id"], now)
        invoices.delete_invoice(c, c.live("Invoice", old["Id"]) or old, now)
    elif entity == "Payment":
        payments.delete_payment(c, old, now)
    else:
        raise faults.unsupported_operation(f"Operation Delete is not supported for {entity}.")
    return {"domain": "QBO", "status": "Deleted", "Id": old["Id"]}


def perform(
    c: Company, entity: str, op: str, body: Any, now: float, *, check_token: bool = True
) -> dict[str, Any]:
    """Apply one write; returns the entity payload of the response. Caller holds the lock."""
    if not isinstance(body, dict):
        raise faults.invalid_property(entity, "request body must be a JSON object")
    if op == "create" and present(body, "Id"):
        op = "update"  # QBO: a POST carrying an Id is an update
    if op == "create":
        return _CREATE[entity](c, body, now)
    if not present(body, "Id"):
        raise faults.required("Id")
    old = c.live(entity, str(body["Id"]))
    if old is None:
        raise faults.not_found()
    if check_token:
        if not present(body, "SyncToken"):
            raise faults.required("SyncToken")
        if str(body["SyncToken"]) != old["SyncToken"]:
            raise faults.stale_object()
    if op == "update":
        sparse = body.get("sparse") in (True, "true")
        return _UPDATE[entity](c, old, body, sparse, now)
    if op == "void":
        return _void(c, entity, old, now)
    if op == "delete":
        return _delete(c, entity, old, now)
    raise faults.unsupported_operation(f"Operation {op} is not supported.")
