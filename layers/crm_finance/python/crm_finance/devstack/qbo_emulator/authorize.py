"""The emulated consent screen: Intuit's ``https://appcenter.intuit.com/connect/oauth2``.

``GET /connect/oauth2?client_id=..&response_type=code&scope=..&redirect_uri=..&state=..``
has no user to ask, so the decision is preset on the emulator (``authorize_decision``):

* request errors (unknown client_id, response_type other than ``code``, missing or
  unregistered redirect_uri, scope without ``com.intuit.quickbooks.accounting``) are a
  400 HTML page and never a redirect, as Intuit shows its own error page;
* "approve" connects ``authorize_realm`` (or a newly created company) and answers
  ``302 {redirect_uri}?code=..&state=..&realmId=..``;
* "deny" answers ``302 {redirect_uri}?error=access_denied&error_description=..&state=..``.

``state`` is echoed unchanged (and only when sent); every value is URL-encoded.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

from .state import EmulatorState, Outcome
from .store import Reply

__all__ = ["ACCOUNTING_SCOPE", "AUTHORIZE_PATH", "DECISIONS", "authorize"]

AUTHORIZE_PATH = "/connect/oauth2"
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
DECISIONS = ("approve", "deny")
DENIED_DESCRIPTION = "User denied access to the app"
_HTML = "text/html;charset=UTF-8"
_NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))


def _problem(state: EmulatorState, params: Mapping[str, str]) -> str | None:
    """Why the request cannot be redirected anywhere, or None."""
    if params.get("client_id") != state.tokens.client_id:
        return "invalid_client: the client_id is not registered"
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri:
        return "invalid_request: redirect_uri is required"
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        return "invalid_request: redirect_uri must be an absolute URL without a fragment"
    if state.allowed_redirect_uris and redirect_uri not in state.allowed_redirect_uris:
        return "invalid_request: redirect_uri is not registered for this app"
    if params.get("response_type") != "code":
        return "unsupported_response_type: response_type must be code"
    if ACCOUNTING_SCOPE not in params.get("scope", "").split():
        return f"invalid_scope: scope must include {ACCOUNTING_SCOPE}"
    return None


def _headers(*extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return (("intuit_tid", uuid.uuid4().hex), *_NO_STORE, *extra)


def _error_page(message: str) -> Reply:
    body = (
        "<!DOCTYPE html><html><head><title>Intuit - Error</title></head><body>"
        f"<h1>Something went wrong</h1><p>{html.escape(message)}</p></body></html>"
    )
    return Reply(400, _HTML, body.encode("utf-8"), _headers())


def _redirect(redirect_uri: str, query: dict[str, str]) -> Reply:
    location = redirect_uri + ("&" if "?" in redirect_uri else "?") + urlencode(query)
    return Reply(302, _HTML, b"", _headers(("Location", location)))


def authorize(state: EmulatorState, params: Mapping[str, str]) -> Outcome:
    problem = _problem(state, params)
    if problem is not None:
        return Outcome(_error_page(problem), "authorize")
    redirect_uri = params["redirect_uri"]
    echo = {"state": params["state"]} if "state" in params else {}
    if state.authorize_decision == "deny":
        query = {"error": "access_denied", "error_description": DENIED_DESCRIPTION, **echo}
        return Outcome(_redirect(redirect_uri, query), "authorize")
    realm = state.authorize_realm
    if realm is None or state.store.get(realm) is None:
        realm = state.store.create_company("Sandbox Company", state.clock()).realm
    code = state.tokens.issue_auth_code(realm, redirect_uri)
    query = {"code": code, **echo, "realmId": realm}
    return Outcome(_redirect(redirect_uri, query), "authorize", realm)
