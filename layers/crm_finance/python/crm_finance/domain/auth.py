"""Admin authentication: a bearer token belongs to exactly one org."""

from __future__ import annotations

from typing import Protocol

from crm_finance.errors import Unauthorized

MAX_TOKEN_LENGTH = 512


class AdminTokens(Protocol):
    def org_for(self, token: str) -> int | None: ...


def authenticate_metrics(authorization: str | None, *, expected: str) -> None:
    """Prometheus's bearer credential; compared in constant time."""
    import hmac

    scheme, _, token = (authorization or "").partition(" ")
    if (
        scheme.lower() != "bearer"
        or not expected
        or not hmac.compare_digest(token.strip().encode(), expected.encode())
    ):
        raise Unauthorized("a valid 'Authorization: Bearer <metrics token>' header is required")


def authenticate_admin(authorization: str | None, *, tokens: AdminTokens) -> int:
    """Return the caller's org id or raise ``Unauthorized``."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH:
        raise Unauthorized("a valid 'Authorization: Bearer <token>' header is required")
    org_id = tokens.org_for(token)
    if org_id is None:
        raise Unauthorized("the bearer token is not valid")
    return org_id
