"""OAuth/OpenID HTTP endpoints: discovery, authorize, token, revoke, JWKS, userinfo."""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import parse_qs

from .authorize import AUTHORIZE_PATH, authorize
from .oauth import OAuthError, discovery_document
from .state import EmulatorState, Outcome, json_reply

__all__ = ["DISCOVERY_PATHS", "handle_oauth"]

DISCOVERY_PATHS = (
    "/.well-known/openid_sandbox_configuration",
    "/.well-known/openid_configuration",
)
TOKEN_PATH = "/oauth2/v1/tokens/bearer"  # noqa: S105 - a URL path, not a secret
REVOKE_PATH = "/oauth2/v1/tokens/revoke"
JWKS_PATH = "/op/v1/jwks"
USERINFO_PATH = "/v1/openid_connect/userinfo"
_NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))


def _form(raw: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}


def _oauth_error(err: OAuthError, kind: str, realm: str | None = None) -> Outcome:
    return Outcome(json_reply(err.status, {"error": err.error}, _NO_STORE), kind, realm)


def _token(state: EmulatorState, raw: bytes, authorization: str | None) -> Outcome:
    if not state.tokens.check_client(authorization):
        return _oauth_error(OAuthError(401, "invalid_client"), "token")
    form = _form(raw)
    grant = form.get("grant_type", "")
    try:
        if grant == "refresh_token":
            if not form.get("refresh_token"):
                raise OAuthError(400, "invalid_request")
            realm, tokens = state.tokens.refresh(form["refresh_token"])
        elif grant == "authorization_code":
            if not form.get("code"):
                raise OAuthError(400, "invalid_request")
            realm, tokens = state.tokens.exchange_code(form["code"], form.get("redirect_uri"))
        else:
            raise OAuthError(400, "unsupported_grant_type")
    except OAuthError as err:
        return _oauth_error(err, "token")
    return Outcome(json_reply(200, tokens, _NO_STORE), "token", realm)


def _revoke(state: EmulatorState, raw: bytes, authorization: str | None) -> Outcome:
    if not state.tokens.check_client(authorization):
        return _oauth_error(OAuthError(401, "invalid_client"), "revoke")
    try:
        token = json.loads(raw or b"{}").get("token")
    except (ValueError, AttributeError):
        token = _form(raw).get("token")
    if not token:
        return _oauth_error(OAuthError(400, "invalid_request"), "revoke")
    state.tokens.revoke(str(token))
    return Outcome(json_reply(200, {}), "revoke")


def _userinfo(state: EmulatorState, authorization: str | None) -> Outcome:
    token = (
        authorization[7:].strip()
        if authorization and authorization[:7].lower() == "bearer "
        else ""
    )
    realm = state.tokens.realm_of_access(token) if token else None
    if realm is None:
        return Outcome(json_reply(401, {"error": "invalid_token"}), "userinfo")
    info = {
        "sub": f"emu-user-{realm}",
        "email": "developer@example.com",
        "emailVerified": True,
        "givenName": "Emulated",
        "familyName": "Developer",
    }
    return Outcome(json_reply(200, info), "userinfo", realm)


def handle_oauth(
    state: EmulatorState,
    method: str,
    path: str,
    raw: bytes,
    authorization: str | None,
    params: Mapping[str, str] | None = None,
) -> Outcome | None:
    """None when the path is not an OAuth/OpenID endpoint; ``params`` is the query."""
    trimmed = path.rstrip("/") or "/"
    if method == "GET" and trimmed == AUTHORIZE_PATH:
        return authorize(state, params or {})
    if method == "GET" and trimmed in DISCOVERY_PATHS:
        return Outcome(json_reply(200, discovery_document(state.root_url)), "discovery")
    if method == "POST" and trimmed == TOKEN_PATH:
        return _token(state, raw, authorization)
    if method == "POST" and trimmed == REVOKE_PATH:
        return _revoke(state, raw, authorization)
    if method == "GET" and trimmed == JWKS_PATH:
        return Outcome(json_reply(200, {"keys": []}), "jwks")
    if method == "GET" and trimmed == USERINFO_PATH:
        return _userinfo(state, authorization)
    return None
