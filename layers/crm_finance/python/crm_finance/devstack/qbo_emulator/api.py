"""The /v3/company/{realm}/... API: routing, injected faults, limits, auth, requestid replay."""

from __future__ import annotations

import json
import re
from typing import Any

from . import faults, reads, writes
from .faults import QboFault
from .jsonio import loads
from .query import parse_query
from .state import EmulatorState, Outcome, json_reply
from .store import Company, Reply, canonical_entity
from .timeutil import format_meta, parse_instant

__all__ = ["handle_api"]

CDC_LOOKBACK_SECONDS = 30 * 86400
_XML = "application/xml"
_FROM = re.compile(r"\bfrom\s+([A-Za-z]+)", re.IGNORECASE)


def _route(
    method: str, rest: list[str], params: dict[str, str]
) -> tuple[str, str | None, str | None]:
    """-> (kind, entity, write op) or kind "unknown"."""
    if rest == ["query"] and method in ("GET", "POST"):
        return "query", None, None
    if rest == ["cdc"] and method == "GET":
        return "cdc", None, None
    if len(rest) == 2 and rest[0].lower() == "companyinfo" and method == "GET":
        return "read", "CompanyInfo", None
    entity = canonical_entity(rest[0]) if rest else None
    if entity is None:
        return "unknown", None, None
    if len(rest) == 2 and method == "GET":
        return "read", entity, None
    if len(rest) == 1 and method == "POST":
        operation = params.get("operation", "").lower()
        if operation == "delete":
            return "delete", entity, "delete"
        if operation == "void" or (
            operation == "update" and params.get("include", "").lower() == "void"
        ):
            return "void", entity, "void"
        if operation in ("", "update", "create"):
            return "write", entity, "create" if operation != "update" else "update"
    return "unknown", None, None


def _parse_body(raw: bytes) -> tuple[Any, QboFault | None]:
    try:
        return loads(raw or b"{}"), None
    except (ValueError, json.JSONDecodeError):
        return None, faults.invalid_property("body", "request body is not valid JSON")


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None


def _unauthorized(state: EmulatorState, reason: str) -> Reply:
    body = faults.auth_failed_body(int(state.clock() * 1000), reason)
    challenge = ("WWW-Authenticate", 'Bearer realm="Intuit", error="invalid_token"')
    return json_reply(401, body, (challenge,))


def _injected(state: EmulatorState, realm: str) -> Reply | None:
    rule = state.plan.take_fault(realm)
    if rule is None:
        return None
    if rule.kind == "throttle":
        if rule.xml:
            return Reply(429, _XML, faults.throttle_xml(state.time_text()).encode("utf-8"))
        return state.fault_reply(faults.throttle())
    return state.fault_reply(faults.server_error(rule.status))


def _write(
    state: EmulatorState, c: Company, entity: str, op: str, body: Any, request_id: str | None
) -> Reply:
    """The replay check, the write and the cache fill share one critical section,
    so concurrent duplicates of a requestid yield exactly one object."""
    with state.store.lock:
        if request_id and request_id in c.replays:
            return c.replays[request_id]
        try:
            payload = writes.perform(c, entity, op, body, state.clock())
        except QboFault as fault:
            return state.fault_reply(fault)
        reply = json_reply(200, {entity: payload, "time": state.time_text()})
        if request_id:
            c.replays[request_id] = reply
        return reply


def _query(
    state: EmulatorState, c: Company, method: str, params: dict[str, str], raw: bytes
) -> Reply:
    text = params.get("query", "") if method == "GET" else raw.decode("utf-8", "replace")
    query = parse_query(text)
    with state.store.lock:
        result = reads.run_query(c, query)
    return json_reply(200, {"QueryResponse": result, "time": state.time_text()})


def _cdc(state: EmulatorState, c: Company, params: dict[str, str]) -> Reply:
    names = [n.strip() for n in params.get("entities", "").split(",") if n.strip()]
    if not names:
        raise faults.required("entities")
    since_text = params.get("changedSince", "")
    if not since_text:
        raise faults.required("changedSince")
    try:
        since = parse_instant(since_text, c.tz)
    except ValueError:
        raise faults.invalid_property("changedSince", "not an ISO 8601 date-time") from None
    if since < state.clock() - CDC_LOOKBACK_SECONDS:
        raise faults.invalid_property(
            "changedSince",
            f"Operation cdc with changedSince date {since_text} which is older than fixed days"
            " is not supported.",
        )
    with state.store.lock:
        result = reads.cdc(c, names, since)
    return json_reply(200, {"CDCResponse": [{"QueryResponse": result}], "time": state.time_text()})


def _read(state: EmulatorState, c: Company, entity: str, entity_id: str) -> Reply:
    if entity == "CompanyInfo":
        stamp = format_meta(c.created, c.tz)
        info: dict[str, Any] = {
            "CompanyName": c.name,
            "LegalName": c.name,
            "Country": "US",
            "Id": "1",
            "SyncToken": "0",
        }
        info.update(
            domain="QBO", sparse=False, MetaData={"CreateTime": stamp, "LastUpdatedTime": stamp}
        )
        return json_reply(200, {"CompanyInfo": info, "time": state.time_text()})
    with state.store.lock:
        doc = reads.read(c, entity, entity_id)
    return json_reply(200, {entity: doc, "time": state.time_text()})


def _execute(
    state: EmulatorState,
    c: Company,
    method: str,
    kind: str,
    entity: str | None,
    op: str | None,
    rest: list[str],
    params: dict[str, str],
    raw: bytes,
) -> Reply:
    try:
        if kind == "query":
            return _query(state, c, method, params, raw)
        if kind == "cdc":
            return _cdc(state, c, params)
        if kind == "read":
            return _read(state, c, entity or "", rest[1])
        body, bad = _parse_body(raw)
        if bad is not None:
            raise bad
        return _write(state, c, entity or "", op or "create", body, params.get("requestid"))
    except QboFault as fault:
        return state.fault_reply(fault)


def handle_api(
    state: EmulatorState,
    method: str,
    parts: list[str],
    params: dict[str, str],
    raw: bytes,
    authorization: str | None,
) -> Outcome:
    """``parts`` is the path after /v3/company/: [realm, ...]."""
    realm = parts[0] if parts else None
    rest = parts[1:]
    kind, entity, op = _route(method, rest, params)
    if realm is None or kind == "unknown":
        return Outcome(json_reply(404, {"error": "Not Found"}), "unknown", realm)
    if kind == "write":
        body, _ = _parse_body(raw)
        has_id = isinstance(body, dict) and body.get("Id") not in (None, "")
        kind = "update" if op == "update" or has_id else "create"
    elif kind == "query":
        text = params.get("query", "") if method == "GET" else raw.decode("utf-8", "replace")
        match = _FROM.search(text)
        entity = canonical_entity(match.group(1)) if match else None
    outcome = Outcome(json_reply(500, {}), kind, realm, entity, stall=state.plan.take_stall(realm))
    injected = _injected(state, realm)
    if injected is not None:
        outcome.reply = injected
        return outcome
    limiter = state.limiter
    if limiter is not None:
        if not limiter.acquire(realm):
            outcome.reply = state.fault_reply(faults.throttle())
            return outcome
        outcome.on_done = lambda: limiter.release(realm)  # in flight until the reply is sent
    token = _bearer(authorization)
    reason = "Malformed bearer token" if token is None else state.tokens.check_access(token, realm)
    company = state.store.get(realm)
    if reason is not None or company is None:
        outcome.reply = _unauthorized(state, reason or "Unknown company")
        return outcome
    outcome.reply = _execute(state, company, method, kind, entity, op, rest, params, raw)
    return outcome
