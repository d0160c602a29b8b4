"""Intuit OAuth 2.0 emulation: token issuing, rotation with a grace period, revocation."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["OAuthError", "TokenRegistry", "discovery_document"]

AUTH_CODE_TTL = 300.0


class OAuthError(Exception):
    """An RFC 6749 error response: ``{"error": code}`` with ``status``."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


@dataclass
class _Access:
    realm: str
    expires_at: float
    revoked: bool = False


@dataclass
class _Refresh:
    realm: str
    expires_at: float
    access_ttl: int
    refresh_ttl: int
    superseded_at: float | None = None
    revoked: bool = False


@dataclass
class _Code:
    realm: str
    expires_at: float
    redirect_uri: str | None
    used: bool = False


def discovery_document(root_url: str) -> dict[str, Any]:
    """What intuitlib's AuthClient(environment=<url>) reads to find every endpoint."""
    return {
        "issuer": root_url,
        "authorization_endpoint": f"{root_url}/connect/oauth2",
        "token_endpoint": f"{root_url}/oauth2/v1/tokens/bearer",
        "userinfo_endpoint": f"{root_url}/v1/openid_connect/userinfo",
        "revocation_endpoint": f"{root_url}/oauth2/v1/tokens/revoke",
        "jwks_uri": f"{root_url}/op/v1/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": [
            "openid",
            "email",
            "profile",
            "address",
            "phone",
            "com.intuit.quickbooks.accounting",
        ],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    }


class TokenRegistry:
    """Thread-safe token state; the clock is injectable so expiry needs no sleeping."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        clock: Callable[[], float],
        refresh_grace_seconds: float,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = clock
        self.refresh_grace_seconds = refresh_grace_seconds
        self._lock = threading.Lock()
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._codes: dict[str, _Code] = {}
        self._refreshes: dict[str, int] = {}

    def _issue(self, realm: str, access_ttl: int, refresh_ttl: int) -> dict[str, Any]:
        now = self.clock()
        access = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.." + secrets.token_urlsafe(48)
        refresh = "AB11" + secrets.token_hex(23)
        self._access[access] = _Access(realm, now + access_ttl)
        self._refresh[refresh] = _Refresh(realm, now + refresh_ttl, access_ttl, refresh_ttl)
        return {
            "token_type": "bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": access_ttl,
            "x_refresh_token_expires_in": refresh_ttl,
        }

    def issue(
        self, realm: str, access_ttl: int = 3600, refresh_ttl: int = 8726400
    ) -> dict[str, Any]:
        with self._lock:
            return self._issue(realm, access_ttl, refresh_ttl)

    def check_access(self, token: str, realm: str) -> str | None:
        """None when the bearer token may call this realm, else a reason (never the token)."""
        with self._lock:
            entry = self._access.get(token)
            if entry is None:
                return "Invalid bearer token"
            if entry.revoked:
                return "Token revoked"
            if entry.expires_at <= self.clock():
                return "Token expired"
            if entry.realm != realm:
                return "Token not valid for this company"
            return None

    def realm_of_access(self, token: str) -> str | None:
        with self._lock:
            entry = self._access.get(token)
            return (
                None
                if entry is None or entry.revoked or entry.expires_at <= self.clock()
                else entry.realm
            )

    def expire_access(self, realm: str) -> None:
        with self._lock:
            now = self.clock()
            for entry in self._access.values():
                if entry.realm == realm:
                    entry.expires_at = min(entry.expires_at, now)

    def revoke_refresh(self, realm: str) -> None:
        with self._lock:
            for entry in self._refresh.values():
                if entry.realm == realm:
                    entry.revoked = True

    def revoke(self, token: str) -> None:
        """Revoking either token disconnects the app: the realm's whole grant goes."""
        with self._lock:
            found = self._refresh.get(token) or self._access.get(token)
            if found is None:
                return
            for table in (self._refresh, self._access):
                for entry in table.values():
                    if entry.realm == found.realm:
                        entry.revoked = True

    def check_client(self, authorization: str | None) -> bool:
        """HTTP Basic client authentication, compared in constant time."""
        if not authorization or not authorization.startswith("Basic "):
            return False
        try:
            raw = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        cid, _, secret = raw.partition(":")
        ok_id = hmac.compare_digest(cid.encode(), self.client_id.encode())
        ok_secret = hmac.compare_digest(secret.encode(), self.client_secret.encode())
        return ok_id and ok_secret

    def refresh(self, refresh_token: str) -> tuple[str, dict[str, Any]]:
        """Rotate: a new pair each time; the used token lives on for the grace period."""
        with self._lock:
            now = self.clock()
            entry = self._refresh.get(refresh_token)
            if entry is None or entry.revoked or entry.expires_at <= now:
                raise OAuthError(400, "invalid_grant")
            if (
                entry.superseded_at is not None
                and now >= entry.superseded_at + self.refresh_grace_seconds
            ):
                raise OAuthError(400, "invalid_grant")
            if entry.superseded_at is None:
                entry.superseded_at = now
            self._refreshes[entry.realm] = self._refreshes.get(entry.realm, 0) + 1
            return entry.realm, self._issue(entry.realm, entry.access_ttl, entry.refresh_ttl)

    def refresh_count(self, realm: str | None = None) -> int:
        with self._lock:
            if realm is None:
                return sum(self._refreshes.values())
            return self._refreshes.get(realm, 0)

    def issue_auth_code(self, realm: str, redirect_uri: str | None = None) -> str:
        with self._lock:
            code = "AB11" + secrets.token_urlsafe(24)
            self._codes[code] = _Code(realm, self.clock() + AUTH_CODE_TTL, redirect_uri)
            return code

    def exchange_code(self, code: str, redirect_uri: str | None) -> tuple[str, dict[str, Any]]:
        """Codes are single-use, short-lived and bound to the redirect_uri if one was given."""
        with self._lock:
            entry = self._codes.get(code)
            if entry is None or entry.used or entry.expires_at <= self.clock():
                raise OAuthError(400, "invalid_grant")
            if entry.redirect_uri is not None and entry.redirect_uri != redirect_uri:
                raise OAuthError(400, "invalid_grant")
            entry.used = True
            return entry.realm, self._issue(entry.realm, 3600, 8726400)
