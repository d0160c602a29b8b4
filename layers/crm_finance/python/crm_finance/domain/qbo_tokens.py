"""QBO OAuth tokens and the provider every QBO call gets its access token from.

Intuit rotates refresh tokens: each refresh returns a new one and the previous one
soon stops working. Losing a rotation (two instances refreshing at once, or a crash
between refresh and save) ends in ``invalid_grant`` and a disconnected company. So:
refreshes are serialised per org with a PostgreSQL lock across all instances; after
taking the lock the secret is read again (someone may have refreshed already); and
the rotated pair is saved before the new access token is used.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from crm_finance.errors import QboNotConnected


@dataclass(frozen=True)
class QboTokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    realm_id: str
    access_expires_at: float
    refresh_expires_at: float
    environment: str = "sandbox"

    def access_expiring(self, now: float, skew: float) -> bool:
        return self.access_expires_at - skew <= now

    @classmethod
    def issued(
        cls, payload: dict[str, Any], *, realm_id: str, environment: str, now: float
    ) -> QboTokens:
        """From Intuit's token response (expires_in, x_refresh_token_expires_in)."""
        return cls(
            access_token=str(payload["access_token"]),
            refresh_token=str(payload["refresh_token"]),
            realm_id=realm_id,
            access_expires_at=now + float(payload.get("expires_in") or 3600),
            refresh_expires_at=now + float(payload.get("x_refresh_token_expires_in") or 8_726_400),
            environment=environment,
        )

    def to_secret(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "realm_id": self.realm_id,
            "access_expires_at": self.access_expires_at,
            "refresh_expires_at": self.refresh_expires_at,
            "environment": self.environment,
        }

    @classmethod
    def from_secret(cls, value: dict[str, Any]) -> QboTokens | None:
        if not value.get("access_token") or not value.get("refresh_token"):
            return None
        return cls(
            access_token=str(value["access_token"]),
            refresh_token=str(value["refresh_token"]),
            realm_id=str(value["realm_id"]),
            access_expires_at=float(value["access_expires_at"]),
            refresh_expires_at=float(value["refresh_expires_at"]),
            environment=str(value.get("environment", "sandbox")),
        )


class InvalidGrant(Exception):
    """Intuit answered ``invalid_grant``: the refresh token (or code) is no longer valid."""


class TokenVault(Protocol):
    def read(self, org_id: int, *, fresh: bool = False) -> QboTokens | None: ...

    def write(self, org_id: int, tokens: QboTokens) -> str: ...

    def delete(self, org_id: int) -> None: ...


class TokenEndpoint(Protocol):
    def refresh(self, tokens: QboTokens) -> QboTokens: ...


class ConnectionLedger(Protocol):
    def refresh_lock(self, org_id: int) -> AbstractContextManager[None]: ...

    def record_refresh(self, org_id: int, tokens: QboTokens) -> None: ...

    def mark_disconnected(self, org_id: int, reason: str) -> None: ...


INVALID_GRANT_REASON = (
    "QuickBooks refused the refresh token (invalid_grant): it was revoked or expired. "
    "Reconnect QuickBooks via /qbo/oauth/start."
)


class QboTokenProvider:
    def __init__(
        self,
        org_id: int,
        *,
        vault: TokenVault,
        endpoint: TokenEndpoint,
        connections: ConnectionLedger,
        skew_seconds: float = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._org_id = org_id
        self._vault = vault
        self._endpoint = endpoint
        self._connections = connections
        self._skew = skew_seconds
        self._clock = clock

    def access_token(self, *, force_refresh: bool = False) -> str:
        """A usable access token; ``force_refresh`` after QBO answered 401 to the current one."""
        tokens = self._vault.read(self._org_id)
        if tokens is None:
            raise QboNotConnected("No tokens found")
        if not force_refresh and not tokens.access_expiring(self._clock(), self._skew):
            return tokens.access_token
        return self._refresh(rejected=tokens.access_token if force_refresh else None)

    def _refresh(self, *, rejected: str | None) -> str:
        with self._connections.refresh_lock(self._org_id):
            current = self._fresh_or_disconnected()
            if current.access_token != rejected and not current.access_expiring(
                self._clock(), self._skew
            ):
                return current.access_token  # another instance refreshed while we waited
            try:
                rotated = self._endpoint.refresh(current)
            except InvalidGrant:
                again = self._fresh_or_disconnected()
                if again.refresh_token != current.refresh_token:
                    return again.access_token  # rotated by a reconnect meanwhile
            else:
                self._vault.write(self._org_id, rotated)  # persist the rotation before any use
                self._connections.record_refresh(self._org_id, rotated)
                return rotated.access_token
        # Outside the lock's transaction, so that the reason is committed, not rolled back.
        self._connections.mark_disconnected(self._org_id, INVALID_GRANT_REASON)
        raise QboNotConnected(INVALID_GRANT_REASON)

    def _fresh_or_disconnected(self) -> QboTokens:
        tokens = self._vault.read(self._org_id, fresh=True)
        if tokens is None:
            raise QboNotConnected("No tokens found")
        return tokens
