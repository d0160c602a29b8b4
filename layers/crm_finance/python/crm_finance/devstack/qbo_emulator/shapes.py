"""Request-payload normalisation shared by entity handlers (refs, money, dates, empties)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from . import faults
from .jsonio import to_decimal, to_money

__all__ = [
    "CURRENCIES",
    "clean",
    "currency_ref",
    "date_value",
    "decimal_value",
    "money_value",
    "present",
    "ref_id",
    "sparse_merge",
    "writable",
]

CURRENCIES = {
    "USD": "United States Dollar",
    "CAD": "Canadian Dollar",
    "EUR": "Euro",
    "GBP": "British Pound Sterling",
    "AUD": "Australian Dollar",
}


def present(body: dict[str, Any], key: str) -> bool:
    """python-quickbooks sends "" for unset strings; QBO treats those as absent."""
    return key in body and body[key] is not None and body[key] != ""


def clean(value: Any) -> Any:
    """Drop null/empty-string members of nested objects (client default attributes)."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if v is not None and v != ""}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def writable(body: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """Only documented writable fields are kept; read-only/unknown input is ignored."""
    return {k: clean(body[k]) for k in keys if present(body, k)}


def sparse_merge(old: dict[str, Any], body: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """Sparse update: current values overlaid with what was sent. Empty arrays count as
    not sent (client libraries serialise their list defaults)."""
    keys = tuple(keys)
    sent = {k: v for k, v in writable(body, keys).items() if v != []}
    return {**{k: old[k] for k in keys if k in old}, **sent}


def ref_id(value: Any) -> str | None:
    """A Ref may arrive as {"value": "1", "name": ...} or a bare id."""
    if isinstance(value, dict):
        value = value.get("value")
    if value is None or value == "" or isinstance(value, bool):
        return None
    return str(value)


def money_value(value: Any, element: str) -> Decimal:
    try:
        return to_money(value)
    except ValueError:
        raise faults.invalid_property(element, "invalid number") from None


def decimal_value(value: Any, element: str) -> Decimal:
    try:
        return to_decimal(value)
    except ValueError:
        raise faults.invalid_property(element, "invalid number") from None


def date_value(value: Any, element: str) -> str:
    """Dates are yyyy-MM-dd; a trailing time/offset part is tolerated and dropped."""
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise faults.invalid_property(element, "invalid date") from None


def currency_ref(value: Any) -> dict[str, str]:
    """Companies are multicurrency-enabled; any ISO 4217-looking code is accepted."""
    code = (ref_id(value) or "USD").upper()
    if len(code) != 3 or not code.isalpha():
        raise faults.invalid_reference("CurrencyRef")
    return {"value": code, "name": CURRENCIES.get(code, code)}
