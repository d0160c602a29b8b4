"""Admin bearer tokens, kept hashed in a Secrets Manager secret.

Secret shape: ``{"tokens": [{"sha256": "<hex>", "org_id": 1, "label": "ops"}]}``.
Only SHA-256 digests are stored; comparison is constant time.
"""

from __future__ import annotations

import hashlib
import hmac

from crm_finance.adapters.secrets import read_json_secret


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SecretAdminTokens:
    def __init__(self, secret_id: str, *, max_age: int) -> None:
        self._secret_id = secret_id
        self._max_age = max_age

    def org_for(self, token: str) -> int | None:
        digest = token_digest(token)
        org_id = None
        for entry in read_json_secret(self._secret_id, max_age=self._max_age).get("tokens", []):
            if hmac.compare_digest(str(entry.get("sha256", "")), digest):
                org_id = int(entry["org_id"])
        return org_id
