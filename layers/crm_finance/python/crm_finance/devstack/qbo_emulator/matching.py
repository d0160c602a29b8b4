"""Evaluating parsed query conditions and sort keys against stored entity documents."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from .query import Condition
from .timeutil import parse_instant

__all__ = ["compile_conditions", "resolve", "sort_key"]

# A dict-valued field is compared through its scalar: refs by value, emails by address.
_SCALAR_KEYS = ("value", "Address", "FreeFormNumber", "URI")
_KIND_RANK = {"bool": 1, "num": 2, "time": 3, "text": 4}


def resolve(doc: dict[str, Any], path: tuple[str, ...]) -> Any:
    """Walk a dotted path case-insensitively; refs/emails collapse to their scalar."""
    node: Any = doc
    for part in path:
        if not isinstance(node, dict):
            return None
        if part in node:
            node = node[part]
            continue
        lowered = part.lower()
        node = next((v for k, v in node.items() if k.lower() == lowered), None)
    if isinstance(node, dict):
        for key in _SCALAR_KEYS:
            if key in node:
                return node[key]
        return None
    return node


def _kind(value: Any, path: tuple[str, ...]) -> str | None:
    """How a field compares, decided by the stored value (QBO fields are typed)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, Decimal)):
        return "num"
    if isinstance(value, str):
        return "time" if path[-1].lower().endswith("time") else "text"
    return None


def _key(x: Any, kind: str, tz: timezone) -> Any:
    """Normalise a field value or literal for ``kind``; ValueError when incomparable.
    Digit-only strings (Ids) compare as integers, other text case-insensitively."""
    if kind == "bool":
        if isinstance(x, bool):
            return x
        if isinstance(x, str) and x.lower() in ("true", "false"):
            return x.lower() == "true"
        raise ValueError("not a boolean")
    if kind == "num":
        if isinstance(x, bool):
            raise ValueError("not a number")
        try:
            return Decimal(str(x))
        except InvalidOperation:
            raise ValueError("not a number") from None
    text = str(x).lower() if isinstance(x, bool) else str(x)
    if kind == "time":
        return parse_instant(text, tz)
    return int(text) if text.isdigit() else text.casefold()


def _like(pattern: str) -> re.Pattern[str]:
    parts = (re.escape(p) for p in pattern.split("%"))
    return re.compile(".*".join(parts), re.IGNORECASE | re.DOTALL)


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _compile_like(cond: Condition) -> Callable[[dict[str, Any]], bool]:
    regex = _like(str(cond.values[0]))
    path = cond.path

    def like(doc: dict[str, Any]) -> bool:
        value = resolve(doc, path)
        return isinstance(value, str) and regex.fullmatch(value) is not None

    return like


def _compile_in(cond: Condition, tz: timezone) -> Callable[[dict[str, Any]], bool]:
    """Literal sets are normalised once per kind: O(1) per row even for 1000 values."""
    path = cond.path
    sets: dict[str, frozenset[Any]] = {}

    def literal_set(kind: str) -> frozenset[Any]:
        if kind not in sets:
            keys = set()
            for lit in cond.values:
                try:
                    keys.add(_key(lit, kind, tz))
                except ValueError:
                    continue
            sets[kind] = frozenset(keys)
        return sets[kind]

    def within(doc: dict[str, Any]) -> bool:
        value = resolve(doc, path)
        kind = _kind(value, path)
        if kind is None:
            return False
        try:
            return _key(value, kind, tz) in literal_set(kind)
        except ValueError:
            return False

    return within


def _compile(cond: Condition, tz: timezone) -> Callable[[dict[str, Any]], bool]:
    if cond.op == "like":
        return _compile_like(cond)
    if cond.op == "in":
        return _compile_in(cond, tz)
    op = _OPS[cond.op]
    path, literal = cond.path, cond.values[0]

    def compare(doc: dict[str, Any]) -> bool:
        value = resolve(doc, path)
        kind = _kind(value, path)
        if kind is None:
            return False
        try:
            a, b = _key(value, kind, tz), _key(literal, kind, tz)
        except ValueError:
            return False
        if type(a) is not type(b):  # e.g. an Id against a non-numeric literal
            return cond.op == "!="
        return op(a, b)

    return compare


def compile_conditions(
    conditions: tuple[Condition, ...], tz: timezone
) -> Callable[[dict[str, Any]], bool]:
    """AND of all conditions as one predicate."""
    preds = [_compile(c, tz) for c in conditions]
    return lambda doc: all(p(doc) for p in preds)


def sort_key(path: tuple[str, ...], tz: timezone) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    """Key usable for ORDERBY; missing values sort last, numbers before text."""

    def key(doc: dict[str, Any]) -> tuple[int, Any]:
        value = resolve(doc, path)
        kind = _kind(value, path)
        if kind is None:
            return (9, 0)
        try:
            normalised = _key(value, kind, tz)
        except ValueError:
            return (8, str(value))
        if isinstance(normalised, int) and kind == "text":
            return (2, Decimal(normalised))  # numeric-looking text (Ids) sorts numerically
        return (_KIND_RANK[kind], normalised)

    return key
