"""Admin bearer tokens, kept hashed in a Secrets Manager secret.

Secret shape: ``{"tokens": [{"sha256": "<hex>", "org_id": 1, "label": "ops"}]}``.
Only SHA-256 digests are stored; comparison is constant time. The secret is cached for
``max_age``; an unknown token forces one fresh read, at most every ``refresh_interval``
seconds, so a newly issued token works at once without letting bad tokens hammer
Secrets Manager.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from crm_finance.adapters.secrets import read_json_secret


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SecretAdminTokens:
    def __init__(self, secret_id: str, *, max_age: int, refresh_interval: float = 10.0) -> None:
        self._secret_id = secret_id
        self._max_age = max_age
        self._refresh_interval = refresh_interval
        self._last_forced = float("-inf")

    def org_for(self, token: str) -> int | None:
        digest = token_digest(token)
        org_id = self._lookup(digest, force=False)
        if org_id is None and time.monotonic() - self._last_forced >= self._refresh_interval:
            self._last_forced = time.monotonic()
            org_id = self._lookup(digest, force=True)
        return org_id

    def _lookup(self, digest: str, *, force: bool) -> int | None:
        tokens = read_json_secret(self._secret_id, max_age=self._max_age, force=force)
        org_id = None
        for entry in tokens.get("tokens", []):
            if hmac.compare_digest(str(entry.get("sha256", "")), digest):
                org_id = int(entry["org_id"])
        return org_id
