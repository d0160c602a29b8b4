"""Connecting an org's QuickBooks company: OAuth start, callback, status, disconnect.

Only an admin of the org can start a connection: directly with a bearer token, or from a
browser with a short-lived single-use start link that an admin issued. The OAuth
``state`` is random, single use, expires, and is bound to the org server-side, so an
unauthenticated person cannot bind a QBO company to an org.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crm_finance.domain.qbo_tokens import QboTokens, TokenVault
from crm_finance.errors import BadRequest, DomainError, Unauthorized

MAX_CALLBACK_QUERY_BYTES = 2048
AUTHORIZE = "authorize"
START_LINK = "start_link"


class OAuthStates(Protocol):
    def issue(self, org_id: int, *, purpose: str, ttl_seconds: int) -> str: ...

    def consume(self, value: str, *, purpose: str) -> int | None: ...


class AuthorizationServer(Protocol):
    def authorize_url(self, state: str) -> str: ...

    def exchange_code(self, code: str, realm_id: str) -> QboTokens: ...

    def revoke(self, token: str) -> None: ...


class Connections(Protocol):
    def get(self, org_id: int) -> Any: ...

    def save_connected(self, org_id: int, tokens: QboTokens, *, token_secret_id: str) -> None: ...

    def mark_disconnected(self, org_id: int, reason: str) -> None: ...


class CallbackParams(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    code: str = Field(min_length=1, max_length=512)
    state: str = Field(min_length=1, max_length=256)
    realm_id: str = Field(alias="realmId", pattern=r"^\d{1,32}$")


def start_authorization(
    org_id: int, *, states: OAuthStates, oauth: AuthorizationServer, state_ttl: int
) -> str:
    return oauth.authorize_url(states.issue(org_id, purpose=AUTHORIZE, ttl_seconds=state_ttl))


def issue_start_link(org_id: int, *, states: OAuthStates, link_ttl: int, api_url: str) -> dict:
    ticket = states.issue(org_id, purpose=START_LINK, ttl_seconds=link_ttl)
    return {"url": f"{api_url}/qbo/oauth/start?ticket={ticket}", "expires_in": link_ttl}


def redeem_start_link(ticket: str, *, states: OAuthStates) -> int:
    org_id = states.consume(ticket[:256], purpose=START_LINK)
    if org_id is None:
        raise Unauthorized("the start link is unknown, expired or already used")
    return org_id


def complete_authorization(
    raw_query: str,
    params: dict[str, str],
    *,
    states: OAuthStates,
    oauth: AuthorizationServer,
    vault: TokenVault,
    connections: Connections,
) -> dict:
    """Validate everything before the state is consumed; store nothing on any error."""
    if len(raw_query.encode()) > MAX_CALLBACK_QUERY_BYTES:
        raise BadRequest("the callback query string is too long")
    if params.get("error"):
        error = params["error"][:64]
        raise BadRequest(f"QuickBooks authorization was not granted: {error}")
    try:
        callback = CallbackParams.model_validate(params)
    except ValidationError as exc:
        missing = ", ".join(str(e["loc"][0]) for e in exc.errors())
        raise BadRequest(f"invalid OAuth callback parameters: {missing}") from None
    org_id = states.consume(callback.state, purpose=AUTHORIZE)
    if org_id is None:
        raise BadRequest("the OAuth state is unknown, expired or already used")
    tokens = oauth.exchange_code(callback.code, callback.realm_id)
    secret_id = vault.write(org_id, tokens)
    connections.save_connected(org_id, tokens, token_secret_id=secret_id)
    return {"connected": True, "org_id": org_id, "realm_id": tokens.realm_id}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def connection_status(org_id: int, *, connections: Connections, vault: TokenVault) -> dict:
    connection = connections.get(org_id)
    if connection is None:
        return {"connected": False, "error": "No tokens found"}
    details = {
        "realm_id": connection.realm_id,
        "env": connection.environment,
        "access_token_expires_at": _iso(connection.access_expires_at),
        "refresh_token_expires_at": _iso(connection.refresh_expires_at),
        "last_refreshed_at": _iso(connection.last_refreshed_at),
        "last_refresh_error": connection.last_refresh_error,
        "connected_at": _iso(connection.connected_at),
    }
    if connection.status != "connected":
        return {"connected": False, "error": connection.last_error or "disconnected", **details}
    if vault.read(org_id) is None:
        return {"connected": False, "error": "No tokens found", **details}
    return {"connected": True, **details}


def disconnect(
    org_id: int, *, oauth: AuthorizationServer, vault: TokenVault, connections: Connections
) -> dict:
    """Revoke at Intuit (best effort: the local tokens go regardless) and forget the tokens."""
    tokens = vault.read(org_id, fresh=True)
    revoked = False
    if tokens is not None:
        try:
            oauth.revoke(tokens.refresh_token)
            revoked = True
        except DomainError:
            revoked = False
        vault.delete(org_id)
    if connections.get(org_id) is not None:
        connections.mark_disconnected(org_id, "disconnected by an admin")
    return {"connected": False, "revoked_at_intuit": revoked}
