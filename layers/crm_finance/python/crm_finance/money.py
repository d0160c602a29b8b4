"""Money is integer cents in the CRM and exact ``Decimal`` at QBO; no float ever."""

from __future__ import annotations

from decimal import Decimal

_CENT = Decimal("0.01")


def cents_to_decimal(cents: int) -> Decimal:
    return (Decimal(cents) * _CENT).quantize(_CENT)


def decimal_to_cents(amount: Decimal | int | str) -> int:
    """Exact conversion; refuses sub-cent amounts instead of rounding them away."""
    value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"amount {value} has fractions of a cent")
    return int(cents)
