"""python-quickbooks, pointed at a configurable QBO base URL, with timeouts and typed errors.

The base URL is the only difference between the real QBO (sandbox or production) and
the local emulator. ``process_request`` is the library's single HTTP seam: overriding
it adds the timeout the library lacks, one token refresh on 401, and maps throttling
and server errors (whose bodies may be XML) to ``QboTransientError`` before the
library tries to parse them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Protocol

import requests
from quickbooks import QuickBooks

from crm_finance.errors import QboAuthError, QboTransientError

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class AccessTokens(Protocol):
    def access_token(self, *, force_refresh: bool = False) -> str: ...


@lru_cache(maxsize=1)
def shared_http_session() -> requests.Session:
    """One pooled session per process, reused by warm invocations."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class QboClient(QuickBooks):
    base_url: str
    timeout: float
    tokens: AccessTokens
    http: requests.Session

    @classmethod
    def connect(
        cls,
        *,
        base_url: str,
        realm_id: str,
        tokens: AccessTokens,
        timeout: float,
        minor_version: int,
    ) -> QboClient:
        client = cls(company_id=realm_id, minorversion=minor_version, use_decimal=True)
        client.base_url = base_url.rstrip("/")
        client.timeout = timeout
        client.tokens = tokens
        client.http = shared_http_session()
        return client

    @property
    def api_url(self) -> str:  # type: ignore[override]
        return self.base_url

    def process_request(
        self, request_type: str, url: str, headers: Any = "", params: Any = "", data: Any = ""
    ) -> requests.Response:
        headers = dict(headers or {})
        for attempt in (1, 2):
            token = self.tokens.access_token(force_refresh=attempt == 2)
            headers["Authorization"] = f"Bearer {token}"
            try:
                response = self.http.request(
                    request_type,
                    url,
                    headers=headers,
                    params=params,
                    data=data,
                    timeout=self.timeout,
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                raise QboTransientError(f"QBO {request_type} failed: {type(exc).__name__}") from exc
            if response.status_code != 401:
                break
        if response.status_code == 401:
            raise QboAuthError("QBO rejected the access token after a refresh")
        if response.status_code in TRANSIENT_STATUSES:
            raise QboTransientError(f"QBO answered HTTP {response.status_code}")
        return response
