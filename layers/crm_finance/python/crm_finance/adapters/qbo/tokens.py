"""Access tokens for one org, read from that org's Secrets Manager secret.

The secret holds ``{"access_token", "refresh_token", "realm_id", ...}``. A forced read
(after a 401) bypasses the cache, so a token rotated by another instance is picked up.
"""

from __future__ import annotations

from crm_finance.adapters.secrets import read_json_secret
from crm_finance.errors import QboNotConnected


class SecretAccessTokens:
    def __init__(self, secret_id: str, *, max_age: int) -> None:
        self._secret_id = secret_id
        self._max_age = max_age

    def access_token(self, *, force_refresh: bool = False) -> str:
        tokens = read_json_secret(self._secret_id, max_age=self._max_age, force=force_refresh)
        token = tokens.get("access_token")
        if not token:
            raise QboNotConnected("No tokens found")
        return str(token)
