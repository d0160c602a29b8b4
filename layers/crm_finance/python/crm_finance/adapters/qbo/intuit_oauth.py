"""Intuit's OAuth 2.0 endpoints through ``intuit-oauth`` (intuitlib).

intuitlib's ``AuthClient`` fetches the discovery document in its constructor and sends
requests without a timeout. ``_AuthClient`` answers the discovery request from a copy
cached in PostgreSQL (refetched at most once per ``discovery_max_age`` for every
instance) and puts a timeout on every request. Errors become typed domain exceptions
whose messages carry no token.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Protocol

import requests

from crm_finance.domain.qbo_tokens import InvalidGrant, QboTokens
from crm_finance.errors import BadRequest, ConfigurationError, QboTransientError


class DiscoveryCache(Protocol):
    def get(self, url: str, *, max_age_seconds: int) -> dict[str, Any] | None: ...

    def put(self, url: str, document: dict[str, Any]) -> None: ...


def _auth_client_class() -> type:
    from intuitlib.client import AuthClient

    class _AuthClient(AuthClient):  # type: ignore[misc]
        def __init__(self, *, discovery: dict[str, Any], timeout: float, **kwargs: Any) -> None:
            self._discovery = discovery
            self._timeout = timeout
            super().__init__(**kwargs)

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
            if method.upper() == "GET" and url == self.environment:
                response = requests.Response()
                response.status_code = 200
                response._content = json.dumps(self._discovery).encode()
                return response
            kwargs.setdefault("timeout", self._timeout)
            return super().request(method, url, *args, **kwargs)

    return _AuthClient


class IntuitOAuth:
    def __init__(
        self,
        *,
        credentials: Callable[[], dict[str, str]],
        redirect_uri: str,
        discovery_url: str,
        discovery_cache: DiscoveryCache,
        discovery_max_age: int,
        environment: str,
        timeout: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credentials = credentials
        self._redirect_uri = redirect_uri
        self._discovery_url = discovery_url
        self._cache = discovery_cache
        self._discovery_max_age = discovery_max_age
        self._environment = environment
        self._timeout = timeout
        self._clock = clock

    def _discovery(self) -> dict[str, Any]:
        document = self._cache.get(self._discovery_url, max_age_seconds=self._discovery_max_age)
        if document is None:
            try:
                response = requests.get(self._discovery_url, timeout=self._timeout)
                response.raise_for_status()
                document = dict(response.json())
            except (requests.RequestException, ValueError) as exc:
                raise QboTransientError(
                    f"Intuit discovery document unavailable: {type(exc).__name__}"
                ) from None
            self._cache.put(self._discovery_url, document)
        return document

    def _client(self) -> Any:
        creds = self._credentials()
        return _auth_client_class()(
            discovery=self._discovery(),
            timeout=self._timeout,
            client_id=creds["client_id"],
            client_secret=creds["client_secret"],
            redirect_uri=self._redirect_uri,
            environment=self._discovery_url,
        )

    def authorize_url(self, state: str) -> str:
        from intuitlib.enums import Scopes

        return str(self._client().get_authorization_url([Scopes.ACCOUNTING], state_token=state))

    def exchange_code(self, code: str, realm_id: str) -> QboTokens:
        client = self._client()
        self._call(lambda: client.get_bearer_token(code, realm_id=realm_id), code_grant=True)
        return self._tokens(client, realm_id)

    def refresh(self, tokens: QboTokens) -> QboTokens:
        client = self._client()
        self._call(lambda: client.refresh(refresh_token=tokens.refresh_token), code_grant=False)
        return self._tokens(client, tokens.realm_id)

    def revoke(self, token: str) -> None:
        client = self._client()
        self._call(lambda: client.revoke(token=token), code_grant=False)

    def _tokens(self, client: Any, realm_id: str) -> QboTokens:
        payload = {
            "access_token": client.access_token,
            "refresh_token": client.refresh_token,
            "expires_in": client.expires_in,
            "x_refresh_token_expires_in": client.x_refresh_token_expires_in,
        }
        return QboTokens.issued(
            payload, realm_id=realm_id, environment=self._environment, now=self._clock()
        )

    @staticmethod
    def _call(action: Callable[[], Any], *, code_grant: bool) -> None:
        from intuitlib.exceptions import AuthClientError

        try:
            action()
        except AuthClientError as exc:
            error = _oauth_error(exc)
            if error == "invalid_grant":
                if code_grant:
                    raise BadRequest("the authorization code is invalid or expired") from None
                raise InvalidGrant() from None
            if exc.status_code == 401:
                raise ConfigurationError("Intuit rejected the QBO app credentials") from None
            if exc.status_code >= 500 or exc.status_code == 429:
                raise QboTransientError(f"Intuit OAuth answered HTTP {exc.status_code}") from None
            raise BadRequest(
                f"Intuit OAuth refused the request ({error or exc.status_code})"
            ) from None
        except requests.RequestException as exc:
            raise QboTransientError(f"Intuit OAuth unreachable: {type(exc).__name__}") from None


def _oauth_error(exc: Any) -> str:
    try:
        return str(json.loads(exc.content or b"{}").get("error", ""))
    except (ValueError, AttributeError):
        return ""
