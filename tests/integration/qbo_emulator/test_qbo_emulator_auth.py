"""Bearer-token auth on /v3 and the OAuth token endpoint via the real intuitlib client."""

from __future__ import annotations

import base64

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from quickbooks.exceptions import AuthorizationException
from quickbooks.objects.customer import Customer

CLIENT_ID, CLIENT_SECRET = "emu-client", "emu-secret"


def auth_client(emu, refresh_token: str | None = None, secret: str = CLIENT_SECRET) -> AuthClient:
    return AuthClient(
        client_id=CLIENT_ID,
        client_secret=secret,
        redirect_uri="http://localhost/callback",
        environment=emu.discovery_url,
        refresh_token=refresh_token,
    )


def test_discovery_document_points_back_at_the_emulator(emu) -> None:
    client = auth_client(emu)
    assert client.token_endpoint == f"{emu.root_url}/oauth2/v1/tokens/bearer"
    assert client.revoke_endpoint == f"{emu.root_url}/oauth2/v1/tokens/revoke"
    assert client.auth_endpoint.startswith(emu.root_url)
    assert client.issuer_uri == emu.root_url
    assert requests.get(client.jwks_uri, timeout=5).json() == {"keys": []}


def test_expired_access_token_is_401_authorization_exception(emu, realm, tokens, qb, make) -> None:
    make.customer("Before Expiry")
    emu.expire_access_tokens(realm)
    with pytest.raises(AuthorizationException) as err:
        Customer.all(qb=qb)
    assert err.value.error_code == 401
    assert tokens["access_token"] not in err.value.detail

    raw = requests.get(
        f"{emu.base_url}/company/{realm}/customer/1",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    )
    assert raw.status_code == 401
    fault = raw.json()["fault"]
    assert fault["type"] == "AUTHENTICATION"
    assert fault["error"][0]["code"] == "3200"
    assert fault["error"][0]["message"] == (
        "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    )
    assert tokens["access_token"] not in raw.text


def test_access_token_ttl_follows_the_clock(emu, realm, clock, make) -> None:
    token = emu.issue_tokens(realm, access_ttl=60)["access_token"]
    qb = make.client(token=token)
    assert Customer.all(qb=qb) == []
    clock.advance(61)
    with pytest.raises(AuthorizationException):
        Customer.all(qb=qb)


def test_token_of_another_realm_or_missing_token_is_401(emu, realm, make) -> None:
    other = emu.create_company("Other")
    foreign = emu.issue_tokens(other)["access_token"]
    with pytest.raises(AuthorizationException):
        Customer.all(qb=make.client(token=foreign))
    missing = requests.post(
        f"{emu.base_url}/company/{realm}/query", data="select * from Customer", timeout=5
    )
    assert missing.status_code == 401


def test_refresh_rotates_with_grace_then_invalid_grant(emu, realm, tokens, clock, make) -> None:
    original = tokens["refresh_token"]
    client = auth_client(emu, refresh_token=original)
    client.refresh()
    rotated = client.refresh_token
    assert rotated != original
    assert client.x_refresh_token_expires_in == 8726400
    assert client.expires_in == 3600
    assert Customer.all(qb=make.client(token=client.access_token)) == []

    within_grace = auth_client(emu, refresh_token=original)
    within_grace.refresh()  # the previous token still works for a while: same new pair
    assert within_grace.refresh_token == rotated
    assert within_grace.access_token == client.access_token

    clock.advance(emu.refresh_grace_seconds + 1)
    late = auth_client(emu, refresh_token=original)
    with pytest.raises(AuthClientError) as err:
        late.refresh()
    assert err.value.status_code == 400
    assert b"invalid_grant" in err.value.content

    client.refresh()  # the latest token is unaffected
    assert emu.refresh_count(realm) == 3
    assert emu.request_count(realm, kind="token") == 3


def test_grace_period_is_configurable(clock) -> None:
    from crm_finance.devstack.qbo_emulator import QboEmulator

    with QboEmulator(clock=clock, refresh_grace_seconds=0) as emu:
        realm = emu.create_company()
        original = emu.issue_tokens(realm)["refresh_token"]
        auth_client(emu, refresh_token=original).refresh()
        with pytest.raises(AuthClientError):
            auth_client(emu, refresh_token=original).refresh()


def test_revoked_refresh_tokens_answer_invalid_grant(emu, realm, tokens) -> None:
    emu.revoke_refresh_tokens(realm)
    with pytest.raises(AuthClientError) as err:
        auth_client(emu, refresh_token=tokens["refresh_token"]).refresh()
    assert err.value.status_code == 400
    assert err.value.response.json() == {"error": "invalid_grant"}
    assert emu.refresh_count(realm) == 0


def test_bad_client_credentials_are_invalid_client(emu, realm, tokens) -> None:
    with pytest.raises(AuthClientError) as err:
        auth_client(emu, refresh_token=tokens["refresh_token"], secret="wrong").refresh()
    assert err.value.status_code == 401
    assert err.value.response.json() == {"error": "invalid_client"}


def test_authorization_code_grant_is_single_use(emu, realm, make) -> None:
    code = emu.issue_auth_code(realm)
    client = auth_client(emu)
    client.get_bearer_token(code, realm_id=realm)
    assert Customer.all(qb=make.client(token=client.access_token)) == []
    with pytest.raises(AuthClientError) as err:
        auth_client(emu).get_bearer_token(code, realm_id=realm)
    assert err.value.response.json() == {"error": "invalid_grant"}


def test_revoke_endpoint_disconnects_the_realm(emu, realm, tokens, qb) -> None:
    assert auth_client(emu, refresh_token=tokens["refresh_token"]).revoke() is True
    with pytest.raises(AuthorizationException):
        Customer.all(qb=qb)
    with pytest.raises(AuthClientError):
        auth_client(emu, refresh_token=tokens["refresh_token"]).refresh()


def test_unsupported_grant_type(emu) -> None:
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    response = requests.post(
        f"{emu.root_url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "password"},
        headers={"Authorization": f"Basic {basic}"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json() == {"error": "unsupported_grant_type"}
