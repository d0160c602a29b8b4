"""The emulated consent screen (GET /connect/oauth2), the code exchange through the real
intuitlib client, and refresh accounting under concurrency. Clock-driven, no sleeping."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks.objects.customer import Customer

from crm_finance.devstack.qbo_emulator.oauth import AUTH_CODE_TTL

CLIENT_ID, CLIENT_SECRET = "emu-client", "emu-secret"
REDIRECT = "http://localhost:8000/qbo/callback"
ACCOUNTING = "com.intuit.quickbooks.accounting"


def auth_client(emu, redirect_uri: str = REDIRECT, refresh_token: str | None = None) -> AuthClient:
    return AuthClient(
        CLIENT_ID,
        CLIENT_SECRET,
        redirect_uri,
        environment=emu.discovery_url,
        refresh_token=refresh_token,
    )


def authorize(emu, **overrides: str | None) -> requests.Response:
    """GET the consent screen; an override of None drops that parameter."""
    params: dict[str, str | None] = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "scope": ACCOUNTING,
        "redirect_uri": REDIRECT,
        "state": "csrf-123",
        **overrides,
    }
    sent = {k: v for k, v in params.items() if v is not None}
    return requests.get(emu.authorize_url, params=sent, allow_redirects=False, timeout=5)


def redirected(response: requests.Response) -> tuple[str, dict[str, str]]:
    """-> (location without query, single-valued query) of a 302."""
    assert response.status_code == 302, response.text
    parts = urlsplit(response.headers["Location"])
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in query.values())
    return f"{parts.scheme}://{parts.netloc}{parts.path}", {k: v[0] for k, v in query.items()}


def grant(emu, **overrides: str | None) -> dict[str, str]:
    target, query = redirected(authorize(emu, **overrides))
    assert target == REDIRECT
    return query


# -- the consent screen --------------------------------------------------------------------
def test_approve_via_intuitlib_url_then_exchange_and_call_the_api(emu, make) -> None:
    client = auth_client(emu)
    url = client.get_authorization_url([Scopes.ACCOUNTING, Scopes.OPENID], "st-42")
    assert url.startswith(emu.authorize_url + "?")

    target, query = redirected(requests.get(url, allow_redirects=False, timeout=5))
    assert target == REDIRECT
    assert list(query) == ["code", "state", "realmId"]
    assert query["state"] == "st-42"
    realm = query["realmId"]
    assert emu.objects(realm, "Item")[0]["Name"] == "Services"  # a brand-new company
    assert emu.authorize_count() == emu.authorize_count(realm) == 1
    assert emu.request_count(kind="authorize") == 1

    client.get_bearer_token(query["code"], realm_id=realm)
    assert client.realm_id == realm
    assert client.expires_in == 3600
    assert client.x_refresh_token_expires_in == 8726400
    qb = make.client(realm=realm, token=client.access_token)
    make.customer("Connected", qb=qb)
    assert [c.DisplayName for c in Customer.all(qb=qb)] == ["Connected"]

    client.refresh()  # the exchanged refresh token is a normal one
    assert emu.refresh_count(realm) == 1


def test_each_approval_without_authorize_realm_creates_a_company(emu) -> None:
    first, second = grant(emu)["realmId"], grant(emu)["realmId"]
    assert first != second
    assert emu.objects(first, "Customer") == emu.objects(second, "Customer") == []


def test_approve_connects_the_configured_realm(emu, realm, make) -> None:
    emu.authorize_realm = realm
    query = grant(emu)
    assert query["realmId"] == realm
    client = auth_client(emu)
    client.get_bearer_token(query["code"], realm_id=realm)
    assert Customer.all(qb=make.client(token=client.access_token)) == []
    assert emu.authorize_count(realm) == 1


def test_state_is_echoed_exactly_and_redirect_query_is_kept(emu) -> None:
    state = "a b&c=d/é?%20+#frag"
    response = authorize(emu, state=state, redirect_uri=REDIRECT + "?tenant=7")
    target, query = redirected(response)
    assert target == REDIRECT
    assert query["tenant"] == "7"
    assert query["state"] == state
    assert " " not in response.headers["Location"]


def test_state_is_omitted_when_not_sent(emu) -> None:
    assert "state" not in grant(emu, state=None)


def test_deny_redirects_with_access_denied(emu) -> None:
    emu.authorize_decision = "deny"
    query = grant(emu, state="s-1")
    assert list(query) == ["error", "error_description", "state"]
    assert query["error"] == "access_denied"
    assert query["error_description"]
    assert query["state"] == "s-1"
    assert emu.authorize_count() == 1

    emu.authorize_decision = "approve"
    assert "code" in grant(emu)


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_id": "someone-else"},
        {"client_id": None},
        {"response_type": "token"},
        {"response_type": None},
        {"redirect_uri": None},
        {"redirect_uri": ""},
        {"redirect_uri": "/relative/callback"},
        {"redirect_uri": REDIRECT + "#fragment"},
        {"scope": "openid email"},
        {"scope": "com.intuit.quickbooks.payment"},
        {"scope": None},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
def test_bad_requests_are_a_400_page_never_a_redirect(emu, overrides) -> None:
    response = authorize(emu, **overrides)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert emu.authorize_count() == 1


def test_denied_requests_are_still_validated_first(emu) -> None:
    emu.authorize_decision = "deny"
    assert authorize(emu, client_id="nope").status_code == 400


def test_allowed_redirect_uris_when_configured(emu) -> None:
    emu.allowed_redirect_uris = {REDIRECT}
    assert authorize(emu, redirect_uri="https://evil.example/cb").status_code == 400
    assert "code" in grant(emu)
    emu.allowed_redirect_uris.clear()  # empty again: any absolute URI
    assert authorize(emu, redirect_uri="https://other.example/cb").status_code == 302


def test_facade_rejects_bad_configuration(emu) -> None:
    with pytest.raises(ValueError):
        emu.authorize_decision = "maybe"
    with pytest.raises(KeyError):
        emu.authorize_realm = "123"
    assert emu.authorize_decision == "approve"
    assert emu.authorize_realm is None


# -- the code exchange ---------------------------------------------------------------------
def invalid_grant(client: AuthClient, code: str, realm: str) -> None:
    with pytest.raises(AuthClientError) as err:
        client.get_bearer_token(code, realm_id=realm)
    assert err.value.status_code == 400
    assert err.value.response.json() == {"error": "invalid_grant"}


def test_a_code_is_single_use(emu) -> None:
    query = grant(emu)
    auth_client(emu).get_bearer_token(query["code"], realm_id=query["realmId"])
    invalid_grant(auth_client(emu), query["code"], query["realmId"])


def test_a_code_expires_after_five_minutes(emu, clock) -> None:
    early, late = grant(emu), grant(emu)
    clock.advance(AUTH_CODE_TTL - 1)
    auth_client(emu).get_bearer_token(early["code"], realm_id=early["realmId"])
    clock.advance(2)
    invalid_grant(auth_client(emu), late["code"], late["realmId"])


def test_the_exchange_must_present_the_same_redirect_uri(emu) -> None:
    query = grant(emu)
    invalid_grant(auth_client(emu, "http://localhost:8000/other"), query["code"], query["realmId"])
    # a rejected exchange does not burn the code
    client = auth_client(emu)
    client.get_bearer_token(query["code"], realm_id=query["realmId"])
    assert client.access_token


def test_unknown_code_is_invalid_grant(emu, realm) -> None:
    invalid_grant(auth_client(emu), "AB11-never-issued", realm)
    assert emu.refresh_count() == emu.invalid_grant_count() == 0  # not refresh grants


# -- refresh accounting --------------------------------------------------------------------
def refresh_fails(emu, refresh_token: str) -> None:
    with pytest.raises(AuthClientError) as err:
        auth_client(emu, refresh_token=refresh_token).refresh()
    assert err.value.response.json() == {"error": "invalid_grant"}


def test_refresh_count_is_successes_only_invalid_grant_count_the_rest(
    emu, realm, tokens, clock
) -> None:
    other = emu.create_company("Other")
    refresh_fails(emu, "AB11-unknown")
    assert emu.invalid_grant_count() == 1
    assert emu.invalid_grant_count(realm) == 0

    client = auth_client(emu, refresh_token=tokens["refresh_token"])
    client.refresh()
    clock.advance(emu.refresh_grace_seconds)
    refresh_fails(emu, tokens["refresh_token"])  # grace is over
    emu.revoke_refresh_tokens(realm)
    refresh_fails(emu, client.refresh_token)

    assert emu.refresh_count(realm) == emu.refresh_count() == 1
    assert emu.invalid_grant_count(realm) == 2
    assert emu.invalid_grant_count(other) == 0
    assert emu.invalid_grant_count() == 3
    assert emu.request_count(kind="token") == 4


def test_twenty_concurrent_refreshes_with_one_token_converge(emu, realm, tokens, make) -> None:
    """Uncoordinated racers: one rotation; every other racer gets the same pair replayed
    within the grace period, so nobody fails and every copy of the token stays usable."""
    racers = 20
    barrier = threading.Barrier(racers)

    def race(_: int) -> tuple[str, str]:
        client = auth_client(emu, refresh_token=tokens["refresh_token"])
        barrier.wait(timeout=10)
        client.refresh()
        return client.access_token, client.refresh_token

    with ThreadPoolExecutor(racers) as pool:
        pairs = set(pool.map(race, range(racers)))

    assert len(pairs) == 1
    access, refresh = pairs.pop()
    assert refresh != tokens["refresh_token"]
    assert emu.invalid_grant_count() == 0
    assert emu.refresh_count(realm) == racers  # each racer made a successful refresh call
    assert Customer.all(qb=make.client(token=access)) == []

    follow_up = auth_client(emu, refresh_token=refresh)
    follow_up.refresh()  # the converged token rotates normally
    assert follow_up.refresh_token != refresh


def test_coordinated_refresh_is_exactly_one(emu, realm, tokens) -> None:
    """What a single-flight client looks like to the emulator: one call, no rejection."""
    client = auth_client(emu, refresh_token=tokens["refresh_token"])
    client.refresh()
    assert emu.refresh_count(realm) == 1
    assert emu.invalid_grant_count() == 0
