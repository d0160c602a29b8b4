"""JSON encoding that writes Decimal money exactly (no float round-trip) and money parsing."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from json.encoder import encode_basestring_ascii
from typing import Any

__all__ = ["CENT", "decimal_text", "dumps", "loads", "to_decimal", "to_money"]

CENT = Decimal("0.01")


def decimal_text(value: Decimal) -> str:
    """Render a Decimal as a JSON number: exact digits, always a fraction part (so
    ``json.loads(parse_float=Decimal)`` clients get Decimal back), no exponent."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0")
        if text.endswith("."):
            text += "0"
    else:
        text += ".0"
    return "0.0" if text == "-0.0" else text


def _encode(obj: Any, write: Callable[[str], Any]) -> None:
    if isinstance(obj, str):
        write(encode_basestring_ascii(obj))
    elif obj is None:
        write("null")
    elif obj is True:
        write("true")
    elif obj is False:
        write("false")
    elif isinstance(obj, Decimal):
        write(decimal_text(obj))
    elif isinstance(obj, int):
        write(int.__repr__(obj))
    elif isinstance(obj, float):
        write(float.__repr__(obj))
    elif isinstance(obj, dict):
        write("{")
        first = True
        for key, value in obj.items():
            if not first:
                write(",")
            first = False
            write(encode_basestring_ascii(str(key)))
            write(":")
            _encode(value, write)
        write("}")
    elif isinstance(obj, (list, tuple)):
        write("[")
        for i, value in enumerate(obj):
            if i:
                write(",")
            _encode(value, write)
        write("]")
    else:
        raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps(obj: Any) -> str:
    """Serialise to compact JSON; Decimals become exact JSON numbers."""
    parts: list[str] = []
    _encode(obj, parts.append)
    return "".join(parts)


def loads(data: bytes | str) -> Any:
    """Parse request JSON keeping fractional numbers as Decimal (never float)."""
    return json.loads(data, parse_float=Decimal)


def to_decimal(value: Any) -> Decimal:
    """Accept what clients send for numbers: JSON numbers or numeric strings
    (python-quickbooks serialises Decimal as a string). Raises ValueError."""
    if isinstance(value, bool) or value is None:
        raise ValueError("not a number")
    if isinstance(value, (int, Decimal)):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:
            raise ValueError("not a number") from exc
    else:
        raise ValueError("not a number")
    if not result.is_finite():
        raise ValueError("not a finite number")
    return result


def to_money(value: Any) -> Decimal:
    """Money is kept to the cent, rounded half-up like QBO's UI."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
