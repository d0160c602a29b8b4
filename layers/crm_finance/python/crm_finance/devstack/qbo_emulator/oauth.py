"""Intuit OAuth 2.0 emulation: authorization codes, token issuing, rotation with a grace
period, revocation."""

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
    successor: dict[str, Any] | None = None
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
        self._invalid_grants: dict[str | None, int] = {}

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
        """grant_type=refresh_token; the whole check-and-rotate runs under one lock.

        * The FIRST successful refresh with a token rotates it: a new access/refresh pair is
          issued and the presented token becomes "superseded".
        * Presenting a superseded token again within ``refresh_grace_seconds`` of that
          rotation is answered 200 with the SAME successor pair again (``expires_in`` and
          ``x_refresh_token_expires_in`` counted down to what is left), so N concurrent
          refreshes racing on one token all converge on one pair and none of them fails.
          The successor itself stays valid; it is not rotated by a replay.
        * After the grace period, or for an unknown, expired or revoked token (revoking the
          successor revokes the whole realm, the superseded token included), the answer is
          400 ``invalid_grant``.

        Intuit's public docs only say "always store the latest refresh token"; the exact
        grace-window answer is this emulator's contract (``refresh_grace_seconds``, default
        60, 0 disables the replay).

        ``refresh_count`` counts every 200 answer (rotations and grace replays alike: each
        one is a refresh the client made); ``invalid_grant_count`` counts the rejections.
        """
        with self._lock:
            now = self.clock()
            entry = self._refresh.get(refresh_token)
            if entry is None or entry.revoked or entry.expires_at <= now:
                raise self._invalid_grant(entry.realm if entry else None)
            if entry.superseded_at is None:
                entry.superseded_at = now
                entry.successor = self._issue(entry.realm, entry.access_ttl, entry.refresh_ttl)
                tokens = dict(entry.successor)
            elif now < entry.superseded_at + self.refresh_grace_seconds and entry.successor:
                tokens = self._replay(entry.successor, now)
            else:
                raise self._invalid_grant(entry.realm)
            self._refreshes[entry.realm] = self._refreshes.get(entry.realm, 0) + 1
            return entry.realm, tokens

    def _replay(self, successor: dict[str, Any], now: float) -> dict[str, Any]:
        tokens = dict(successor)
        access = self._access.get(tokens["access_token"])
        refresh = self._refresh.get(tokens["refresh_token"])
        if access is not None:
            tokens["expires_in"] = max(0, int(access.expires_at - now))
        if refresh is not None:
            tokens["x_refresh_token_expires_in"] = max(0, int(refresh.expires_at - now))
        return tokens

    def _invalid_grant(self, realm: str | None) -> OAuthError:
        """Count a rejected refresh grant (caller holds the lock)."""
        self._invalid_grants[realm] = self._invalid_grants.get(realm, 0) + 1
        return OAuthError(400, "invalid_grant")

    def refresh_count(self, realm: str | None = None) -> int:
        """Refresh grants answered 200 (all realms when ``realm`` is None)."""
        with self._lock:
            if realm is None:
                return sum(self._refreshes.values())
            return self._refreshes.get(realm, 0)

    def invalid_grant_count(self, realm: str | None = None) -> int:
        """Refresh grants answered 400 invalid_grant (all, unknown tokens included, when
        ``realm`` is None)."""
        with self._lock:
            if realm is None:
                return sum(self._invalid_grants.values())
            return self._invalid_grants.get(realm, 0)

    def issue_auth_code(self, realm: str, redirect_uri: str | None = None) -> str:
        """A code valid for ``AUTH_CODE_TTL`` seconds (Intuit: 5 minutes), single use."""
        with self._lock:
            code = "AB11" + secrets.token_urlsafe(24)
            self._codes[code] = _Code(realm, self.clock() + AUTH_CODE_TTL, redirect_uri)
            return code

    def exchange_code(self, code: str, redirect_uri: str | None) -> tuple[str, dict[str, Any]]:
        """grant_type=authorization_code: 400 ``invalid_grant`` for an unknown, used or
        expired code, or when the code was issued for a redirect_uri and the exchange does
        not present exactly that one (RFC 6749 4.1.3). A rejected attempt does not burn the
        code; a successful one does."""
        with self._lock:
            entry = self._codes.get(code)
            if entry is None or entry.used or entry.expires_at <= self.clock():
                raise OAuthError(400, "invalid_grant")
            if entry.redirect_uri is not None and entry.redirect_uri != redirect_uri:
                raise OAuthError(400, "invalid_grant")
            entry.used = True
            return entry.realm, self._issue(entry.realm, 3600, 8726400)
