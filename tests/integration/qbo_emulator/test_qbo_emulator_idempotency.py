"""requestid idempotency: replays return the first response and change nothing."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest
import requests
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.invoice import Invoice


def test_replayed_requestid_returns_same_object_and_creates_nothing(emu, realm, make, qb) -> None:
    first = make.customer("Replay Ltd", request_id="cust-1")
    again = make.customer("Replay Ltd", request_id="cust-1")
    assert again.Id == first.Id
    assert again.MetaData == first.MetaData
    assert len(emu.objects(realm, "Customer")) == 1

    invoice = make.invoice(first.Id, Decimal("99.99"), request_id="inv-1")
    assert make.invoice(first.Id, Decimal("99.99"), request_id="inv-1").Id == invoice.Id
    assert len(emu.objects(realm, "Invoice")) == 1

    payment = make.payment(first.Id, invoice.Id, Decimal("9.99"), request_id="pay-1")
    replay = make.payment(first.Id, invoice.Id, Decimal("9.99"), request_id="pay-1")
    assert replay.Id == payment.Id
    assert len(emu.objects(realm, "Payment")) == 1
    stored = emu.get_object(realm, "Invoice", invoice.Id)
    assert stored["Balance"] == Decimal("90.00")
    assert stored["SyncToken"] == "1"


def test_replay_of_update_and_void_changes_nothing(emu, realm, make, qb, http) -> None:
    customer = make.customer("Update Replay")
    invoice = make.invoice(customer.Id, Decimal("10.00"))
    url = f"{emu.base_url}/company/{realm}/invoice"
    body = {"Id": invoice.Id, "SyncToken": "0", "sparse": True, "PrivateNote": "once"}

    first = http.post(url, params={"requestid": "upd-1"}, json=body)
    second = http.post(url, params={"requestid": "upd-1"}, json=body)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert emu.get_object(realm, "Invoice", invoice.Id)["SyncToken"] == "1"

    void = {"Id": invoice.Id, "SyncToken": "1"}
    voided = http.post(url, params={"operation": "void", "requestid": "void-1"}, json=void)
    replay = http.post(url, params={"operation": "void", "requestid": "void-1"}, json=void)
    assert replay.content == voided.content
    assert emu.get_object(realm, "Invoice", invoice.Id)["SyncToken"] == "2"


def test_concurrent_identical_requests_produce_one_object(emu, realm, make) -> None:
    customer = make.customer("Race Co")
    clients = [make.client() for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    ids: list[str] = []
    errors: list[BaseException] = []

    def worker(client) -> None:
        barrier.wait()
        try:
            ids.append(make.invoice(customer.Id, Decimal("5.00"), request_id="same", qb=client).Id)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert errors == []
    assert len(ids) == 8
    assert len(set(ids)) == 1
    assert len(emu.objects(realm, "Invoice")) == 1


def test_requestid_is_scoped_to_the_realm(emu, realm, make) -> None:
    other_realm = emu.create_company("Other Co")
    other = make.client(realm=other_realm)
    make.customer("Scoped", request_id="shared-id")
    make.customer("Scoped", request_id="shared-id", qb=other)
    assert len(emu.objects(realm, "Customer")) == 1
    assert len(emu.objects(other_realm, "Customer")) == 1


def test_rejected_write_is_not_cached_so_a_corrected_retry_succeeds(emu, realm, make) -> None:
    make.customer("Taken")
    with pytest.raises(QuickbooksException):
        make.customer("Taken", request_id="retry-me")
    fixed = make.customer("Taken 2", request_id="retry-me")
    assert fixed.DisplayName == "Taken 2"


def test_timed_out_write_has_landed_and_the_retry_is_replayed(emu, realm, make) -> None:
    customer = make.customer("Slow Co")
    impatient = make.client(timeout=0.3)
    emu.stall_next(count=1, seconds=5.0)
    with pytest.raises(requests.ReadTimeout):
        make.invoice(customer.Id, Decimal("42.00"), request_id="slow-1", qb=impatient)
    assert len(emu.objects(realm, "Invoice")) == 1  # applied; only the response was held

    retried = make.invoice(customer.Id, Decimal("42.00"), request_id="slow-1", qb=impatient)
    assert [i["Id"] for i in emu.objects(realm, "Invoice")] == [retried.Id]
    assert Invoice.get(retried.Id, qb=impatient).TotalAmt == Decimal("42.00")


def test_replay_body_is_byte_identical(emu, realm, make, http) -> None:
    url = f"{emu.base_url}/company/{realm}/customer"
    body = json.dumps({"DisplayName": "Bytes Ltd"})
    headers = {"Content-Type": "application/json"}
    first = http.post(
        url, params={"requestid": "b-1", "minorversion": "75"}, data=body, headers=headers
    )
    second = http.post(
        url, params={"requestid": "b-1", "minorversion": "75"}, data=body, headers=headers
    )
    assert first.status_code == 200
    assert first.content == second.content
    assert emu.request_count(realm, kind="create") == 2
