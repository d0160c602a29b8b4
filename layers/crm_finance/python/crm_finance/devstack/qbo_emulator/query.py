"""A real parser for the subset of QBO's query language this system uses.

SELECT * | COUNT(*) | field[, ...] FROM Entity [WHERE cond [AND cond]...]
[ORDERBY|ORDER BY field [ASC|DESC][, ...]] [STARTPOSITION n] [MAXRESULTS n]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .faults import query_parser

__all__ = ["Condition", "Query", "parse_query"]

Literal = str | Decimal | bool

MAX_RESULTS_CAP = 1000
DEFAULT_MAX_RESULTS = 100

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),.*])
    """,
    re.VERBOSE | re.DOTALL,
)
_KEYWORDS = {
    "select", "from", "where", "and", "or", "in", "like", "orderby", "order", "by",
    "asc", "desc", "startposition", "maxresults", "count", "true", "false", "iterator",
}  # fmt: skip


@dataclass(frozen=True)
class Token:
    kind: str  # "string" | "number" | "ident" | "keyword" | "op" | "punct" | "eof"
    value: str
    column: int


@dataclass(frozen=True)
class Condition:
    path: tuple[str, ...]
    op: str  # "=", "!=", "<", ">", "<=", ">=", "in", "like"
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class Query:
    entity: str
    count: bool
    fields: tuple[tuple[str, ...], ...] | None  # None means "*"
    conditions: tuple[Condition, ...]
    order: tuple[tuple[tuple[str, ...], bool], ...]  # (path, descending)
    start_position: int
    max_results: int


def _tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise query_parser(
                f"Invalid content. Lexical error at line 1, column {pos + 1}.  "
                f'Encountered: "{text[pos]}" ({ord(text[pos])}), after : ""'
            )
        kind = m.lastgroup or ""
        value = m.group()
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1], flags=re.DOTALL)
        elif kind == "ident" and value.lower() in _KEYWORDS:
            kind, value = "keyword", value.lower()
        if kind != "ws":
            tokens.append(Token(kind, value, pos + 1))
        pos = m.end()
    tokens.append(Token("eof", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def fail(self, expecting: str) -> Exception:
        t = self.tok
        shown = "<EOF>" if t.kind == "eof" else f"{t.value} "
        return query_parser(
            f'Encountered " {t.kind.upper()} "{shown}"" at line 1, column {t.column}.\n'
            f"Was expecting:\n    {expecting} ..."
        )

    def next(self) -> Token:
        t = self.tok
        self.i += 1
        return t

    def accept(self, kind: str, value: str | None = None) -> Token | None:
        t = self.tok
        if t.kind == kind and (value is None or t.value == value):
            self.i += 1
            return t
        return None

    def expect(self, kind: str, value: str | None = None) -> Token:
        t = self.accept(kind, value)
        if t is None:
            raise self.fail(f'"{value}"' if value else f"<{kind.upper()}>")
        return t

    def path(self) -> tuple[str, ...]:
        parts = [self.expect("ident").value]
        while self.accept("punct", "."):
            parts.append(self.expect("ident").value)
        return tuple(parts)

    def literal(self) -> Literal:
        t = self.tok
        if t.kind == "string":
            self.i += 1
            return t.value
        if t.kind == "number":
            self.i += 1
            return Decimal(t.value)
        if t.kind == "keyword" and t.value in ("true", "false"):
            self.i += 1
            return t.value == "true"
        raise self.fail("<STRING>")

    def condition(self) -> Condition:
        path = self.path()
        if self.accept("keyword", "in"):
            self.expect("punct", "(")
            values = [self.literal()]
            while self.accept("punct", ","):
                values.append(self.literal())
            self.expect("punct", ")")
            return Condition(path, "in", tuple(values))
        if self.accept("keyword", "like"):
            t = self.expect("string")
            return Condition(path, "like", (t.value,))
        op = self.accept("op")
        if op is None:
            raise self.fail('"=" | "<" | ">" | "<=" | ">=" | "!=" | "IN" | "LIKE"')
        return Condition(path, "!=" if op.value == "<>" else op.value, (self.literal(),))

    def integer(self) -> int:
        t = self.expect("number")
        if "." in t.value:
            raise query_parser(
                f'Encountered "{t.value}" at line 1, column {t.column}. Expected an integer.'
            )
        return int(t.value)

    def parse(self) -> Query:
        self.expect("keyword", "select")
        count = False
        names: list[tuple[str, ...]] = []
        star = False
        if self.accept("keyword", "count"):
            self.expect("punct", "(")
            self.expect("punct", "*")
            self.expect("punct", ")")
            count = True
        else:
            while True:
                if self.accept("punct", "*"):
                    star = True
                else:
                    names.append(self.path())
                if not self.accept("punct", ","):
                    break
        self.expect("keyword", "from")
        entity = self.expect("ident").value
        conditions: list[Condition] = []
        if self.accept("keyword", "where"):
            conditions.append(self.condition())
            while self.accept("keyword", "and"):
                conditions.append(self.condition())
            if self.tok.kind == "keyword" and self.tok.value == "or":
                raise query_parser(f"OR is not supported (line 1, column {self.tok.column})")
        order: list[tuple[tuple[str, ...], bool]] = []
        if self.accept("keyword", "orderby") or (
            self.accept("keyword", "order") and self.expect("keyword", "by")
        ):
            while True:
                path = self.path()
                desc = bool(self.accept("keyword", "desc"))
                if not desc:
                    self.accept("keyword", "asc")
                order.append((path, desc))
                if not self.accept("punct", ","):
                    break
        start, maximum = 1, DEFAULT_MAX_RESULTS
        seen: set[str] = set()
        while self.tok.kind == "keyword" and self.tok.value in ("startposition", "maxresults"):
            word = self.next().value
            if word in seen:
                raise self.fail("<EOF>")
            seen.add(word)
            if word == "startposition":
                start = max(1, self.integer())
            else:
                maximum = min(MAX_RESULTS_CAP, max(0, self.integer()))
        if self.tok.kind != "eof":
            raise self.fail("<EOF>")
        return Query(
            entity=entity,
            count=count,
            fields=None if star or count else tuple(names),
            conditions=tuple(conditions),
            order=tuple(order),
            start_position=start,
            max_results=maximum,
        )


def parse_query(text: str) -> Query:
    """Parse query text or raise a 400 QueryParserError fault (code 4000)."""
    if not text or not text.strip():
        raise query_parser("The query provided was empty")
    return _Parser(text.strip().rstrip(";")).parse()
