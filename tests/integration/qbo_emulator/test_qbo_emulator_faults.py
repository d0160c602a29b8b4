"""Injected throttling/5xx/stalls, QBO rate limits, routing and request accounting."""

from __future__ import annotations

import contextlib
import threading
import time
from decimal import Decimal

import pytest
import requests
from quickbooks.exceptions import QuickbooksException, SevereException
from quickbooks.objects.customer import Customer

from crm_finance.devstack.qbo_emulator import QboEmulator


def _wait_until(predicate, timeout: float = 5.0) -> None:
    """Condition wait with a deadline (the server only reports via its state)."""
    deadline = time.monotonic() + timeout
    event = threading.Event()
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        event.wait(0.01)


def test_throttle_json_is_429_with_qbo_fault(emu, realm, http, qb) -> None:
    emu.throttle(count=2)
    response = http.get(f"{emu.base_url}/company/{realm}/item/1")
    assert response.status_code == 429
    fault = response.json()["Fault"]
    assert fault["type"] == "ThrottleExceeded"
    assert fault["Error"][0]["code"] == "3001"
    assert fault["Error"][0]["Message"] == (
        "message=ThrottleExceeded; errorCode=003001; statusCode=429"
    )
    with pytest.raises(QuickbooksException) as err:  # the library maps 3001 to validation
        Customer.all(qb=qb)
    assert err.value.error_code == 3001
    assert http.get(f"{emu.base_url}/company/{realm}/item/1").status_code == 200


def test_throttle_xml_is_429_with_intuit_response_body(emu, realm, http, qb) -> None:
    emu.throttle(count=1, xml=True)
    response = http.get(f"{emu.base_url}/company/{realm}/item/1")
    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("application/xml")
    assert response.text.startswith('<?xml version="1.0"?><IntuitResponse')
    assert '<Fault type="ThrottleExceeded"><Error code="3001">' in response.text

    emu.throttle(count=1, xml=True)
    with pytest.raises(QuickbooksException) as err:  # unparseable as JSON by the library
        Customer.all(qb=qb)
    assert "Error reading json response" in err.value.message


def test_faults_can_target_one_realm_and_be_cancelled(emu, realm, http, make) -> None:
    other = emu.create_company("Unthrottled")
    other_client = make.client(realm=other)
    emu.throttle(count=5, realm=realm)
    assert Customer.all(qb=other_client) == []
    assert http.get(f"{emu.base_url}/company/{realm}/item/1").status_code == 429
    emu.throttle(count=0, realm=realm)
    assert http.get(f"{emu.base_url}/company/{realm}/item/1").status_code == 200


def test_fail_next_answers_5xx_with_system_fault(emu, realm, http, qb) -> None:
    emu.fail_next(count=1, status=503)
    response = http.get(f"{emu.base_url}/company/{realm}/item/1")
    assert response.status_code == 503
    assert response.json()["Fault"]["type"] == "SystemFault"
    emu.fail_next(count=1, status=500)
    with pytest.raises(SevereException):
        Customer.all(qb=qb)
    assert emu.objects(realm, "Customer") == []


def test_rate_limit_of_500_per_minute_per_realm(clock) -> None:
    with QboEmulator(clock=clock, enforce_rate_limits=True) as emu:
        realm = emu.create_company()
        other = emu.create_company()
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {emu.issue_tokens(realm)['access_token']}"
        url = f"{emu.base_url}/company/{realm}/item/1"
        statuses = [session.get(url).status_code for _ in range(501)]
        assert statuses[:500] == [200] * 500
        assert statuses[500] == 429
        other_token = emu.issue_tokens(other)["access_token"]
        other_url = f"{emu.base_url}/company/{other}/item/1"
        ok = requests.get(other_url, headers={"Authorization": f"Bearer {other_token}"}, timeout=5)
        assert ok.status_code == 200
        clock.advance(61)
        assert session.get(url).status_code == 200
        assert emu.request_count(realm, kind="read") == 502


def test_concurrency_limit_of_10_per_realm(clock) -> None:
    emu = QboEmulator(clock=clock, enforce_rate_limits=True).start()
    threads: list[threading.Thread] = []
    try:
        realm = emu.create_company()
        headers = {"Authorization": f"Bearer {emu.issue_tokens(realm)['access_token']}"}
        url = f"{emu.base_url}/company/{realm}/item/1"
        emu.stall_next(count=10, seconds=30)
        results: list[int | str] = []

        def slow() -> None:
            try:
                results.append(requests.get(url, headers=headers, timeout=60).status_code)
            except requests.RequestException as exc:
                results.append(type(exc).__name__)

        threads.extend(threading.Thread(target=slow) for _ in range(10))
        for t in threads:
            t.start()
        _wait_until(lambda: emu.request_count(realm, kind="read") == 10)
        assert requests.get(url, headers=headers, timeout=5).status_code == 429
    finally:
        started = time.monotonic()
        emu.stop()  # wakes the stalled requests instead of waiting 30 s
        for t in threads:
            t.join(timeout=10)
    assert not any(t.is_alive() for t in threads)
    print(f"\nstop() with 10 stalled requests took {time.monotonic() - started:.2f}s")


def test_stall_does_not_block_other_requests(emu, realm, http) -> None:
    emu.stall_next(count=1, seconds=30)
    url = f"{emu.base_url}/company/{realm}/item/1"

    def held() -> None:
        with contextlib.suppress(requests.RequestException):
            requests.get(url, headers=http.headers, timeout=30)

    stalled = threading.Thread(target=held)
    stalled.start()
    _wait_until(lambda: emu.request_count(realm, kind="read") == 1)
    assert http.get(url).status_code == 200
    emu.stop()
    stalled.join(timeout=5)
    assert not stalled.is_alive()


def test_unknown_routes_are_404_and_minorversion_is_ignored(emu, realm, http) -> None:
    assert http.get(f"{emu.base_url}/company/{realm}/vendor/1").status_code == 404
    assert http.get(f"{emu.root_url}/nope").status_code == 404
    assert http.delete(f"{emu.base_url}/company/{realm}/invoice").status_code == 404
    ok = http.get(f"{emu.base_url}/company/{realm}/item/1", params={"minorversion": "999"})
    assert ok.json()["Item"]["Name"] == "Services"


def test_request_counts_and_log(emu, realm, make, qb) -> None:
    emu.reset_counters()
    customer = make.customer("Counted")
    make.invoice(customer.Id, Decimal("1.00"))
    Customer.all(qb=qb)
    Customer.get(customer.Id, qb=qb)
    assert emu.request_count() == 4
    assert emu.request_count(realm, kind="create") == 2
    assert emu.request_count(realm, kind="query") == 1
    assert emu.request_count(realm, kind="read") == 1
    assert emu.request_count("other-realm") == 0
    assert emu.request_log[-1] == (
        "GET",
        f"/v3/company/{realm}/customer/{customer.Id}",
        "Customer",
        200,
    )
    assert emu.request_log[2].entity == "Customer"
    emu.clear_request_log()
    assert emu.request_log == []
    assert emu.request_count() == 4
