"""Entity behaviour through the real python-quickbooks client over HTTP."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import (
    ObjectNotFoundException,
    QuickbooksException,
    ValidationException,
)
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def test_create_and_read_back_customer_invoice_payment(emu, realm, make, qb) -> None:
    customer = make.customer("Acme Ltd", email="ap@acme.test", request_id="c-1")
    assert customer.Id == "1"
    assert customer.SyncToken == "0"
    assert customer.PrimaryEmailAddr.Address == "ap@acme.test"

    invoice = make.invoice(customer.Id, Decimal("1000.00"), Decimal("234.56"), request_id="i-1")
    read = Invoice.get(invoice.Id, qb=qb)
    assert read.TotalAmt == Decimal("1234.56")
    assert isinstance(read.TotalAmt, Decimal)
    assert read.Balance == Decimal("1234.56")
    assert read.DocNumber == "1001"
    assert read.CurrencyRef.value == "USD"
    assert read.CustomerRef.value == customer.Id
    assert read.CustomerRef.name == "Acme Ltd"
    assert read.SyncToken == "0"
    assert read.domain == "QBO"
    assert read.sparse is False
    assert ISO_WITH_OFFSET.match(read.MetaData.CreateTime)
    assert [line.DetailType for line in read.Line] == [
        "SalesItemLineDetail",
        "SalesItemLineDetail",
        "SubTotalLineDetail",
    ]
    assert read.Line[0].SalesItemLineDetail.ItemRef.name == "Services"
    assert read.Line[2].Amount == Decimal("1234.56")

    payment = make.payment(customer.Id, invoice.Id, Decimal("34.56"), request_id="p-1")
    assert Payment.get(payment.Id, qb=qb).TotalAmt == Decimal("34.56")

    stored = emu.get_object(realm, "Invoice", invoice.Id)
    assert stored["Balance"] == Decimal("1200.00")
    assert [c["DisplayName"] for c in emu.objects(realm, "Customer")] == ["Acme Ltd"]
    assert emu.get_object(realm, "Item", "1")["Name"] == "Services"


def test_partial_then_full_payment_updates_balance_and_linked_txn(emu, realm, make, qb) -> None:
    customer = make.customer("Partial Pay Inc")
    invoice = make.invoice(customer.Id, Decimal("1234.56"))

    first = make.payment(customer.Id, invoice.Id, Decimal("234.56"))
    after_first = Invoice.get(invoice.Id, qb=qb)
    assert after_first.Balance == Decimal("1000.00")
    assert after_first.SyncToken == "1"
    assert [(t.TxnId, t.TxnType) for t in after_first.LinkedTxn] == [(first.Id, "Payment")]

    second = make.payment(customer.Id, invoice.Id, Decimal("1000.00"))
    after_second = Invoice.get(invoice.Id, qb=qb)
    assert after_second.Balance == Decimal("0")
    assert after_second.TotalAmt == Decimal("1234.56")
    assert after_second.SyncToken == "2"
    assert [t.TxnId for t in after_second.LinkedTxn] == [first.Id, second.Id]
    assert Customer.get(customer.Id, qb=qb).Balance == Decimal("0")
    assert emu.get_object(realm, "Payment", second.Id)["UnappliedAmt"] == Decimal("0.00")


def test_payment_over_open_balance_is_rejected_but_unapplied_remainder_is_allowed(
    emu, realm, make, qb
) -> None:
    customer = make.customer("Overpay Co")
    invoice = make.invoice(customer.Id, Decimal("50.00"))
    with pytest.raises(QuickbooksException) as err:  # codes >= 5000 map to the base class
        make.payment(customer.Id, invoice.Id, Decimal("50.01"))
    assert err.value.error_code == 6000
    assert emu.objects(realm, "Payment") == []

    payment = make.payment(customer.Id, invoice.Id, Decimal("50.00"), total=Decimal("80.00"))
    assert payment.UnappliedAmt == Decimal("30.00")
    assert emu.get_object(realm, "Invoice", invoice.Id)["Balance"] == Decimal("0.00")
    assert emu.get_object(realm, "Customer", customer.Id)["Balance"] == Decimal("-30.00")


def test_duplicate_display_name_is_validation_fault_6240(emu, realm, make) -> None:
    make.customer("Same Name")
    with pytest.raises(QuickbooksException) as err:
        make.customer("same name")
    assert err.value.error_code == 6240
    assert err.value.message == "Duplicate Name Exists Error"
    assert len(emu.objects(realm, "Customer")) == 1


def test_invoice_needs_an_existing_customer(emu, realm, make) -> None:
    with pytest.raises(ValidationException) as err:
        make.invoice("999")
    assert err.value.error_code == 2500
    assert emu.objects(realm, "Invoice") == []


def test_stale_sync_token_is_rejected_and_sparse_update_merges(emu, realm, make, qb) -> None:
    customer = make.customer("Stale Ltd")
    invoice = make.invoice(customer.Id, Decimal("10.00"))
    copy_a = Invoice.get(invoice.Id, qb=qb)
    copy_b = Invoice.get(invoice.Id, qb=qb)

    copy_a.PrivateNote = "first writer"
    saved = copy_a.save(qb=qb)
    assert saved.SyncToken == "1"

    copy_b.PrivateNote = "second writer"
    with pytest.raises(QuickbooksException) as err:
        copy_b.save(qb=qb)
    assert err.value.error_code == 5010
    assert emu.get_object(realm, "Invoice", invoice.Id)["PrivateNote"] == "first writer"

    sparse = Invoice()
    sparse.Id = invoice.Id
    sparse.SyncToken = "1"
    sparse.sparse = True
    sparse.DueDate = "2031-01-31"
    merged = sparse.save(qb=qb)
    assert merged.SyncToken == "2"
    assert merged.DueDate == "2031-01-31"
    assert merged.PrivateNote == "first writer"
    assert merged.TotalAmt == Decimal("10.00")


def test_void_invoice_zeroes_amounts_and_unapplies_payments(emu, realm, make, qb) -> None:
    customer = make.customer("Void Me")
    invoice = make.invoice(customer.Id, Decimal("300.00"))
    payment = make.payment(customer.Id, invoice.Id, Decimal("100.00"))
    current = Invoice.get(invoice.Id, qb=qb)

    current.void(qb=qb)

    voided = emu.get_object(realm, "Invoice", invoice.Id)
    assert voided["TotalAmt"] == Decimal("0")
    assert voided["Balance"] == Decimal("0")
    assert voided["PrivateNote"].startswith("Voided")
    assert voided["SyncToken"] == str(int(current.SyncToken) + 1)
    assert all(line["Amount"] == 0 for line in voided["Line"])
    assert voided["LinkedTxn"] == []
    assert emu.get_object(realm, "Payment", payment.Id)["UnappliedAmt"] == Decimal("100.00")


def test_delete_invoice_read_is_610_query_omits_and_cdc_reports_deleted(
    emu, realm, make, qb, clock
) -> None:
    customer = make.customer("Delete Me")
    keep = make.invoice(customer.Id, Decimal("1.00"))
    gone = make.invoice(customer.Id, Decimal("2.00"))
    clock.advance(5)
    since = datetime.fromtimestamp(clock()).astimezone()

    Invoice.get(gone.Id, qb=qb).delete(qb=qb)

    with pytest.raises(ObjectNotFoundException) as err:
        Invoice.get(gone.Id, qb=qb)
    assert err.value.error_code == 610
    assert [i.Id for i in Invoice.all(qb=qb)] == [keep.Id]
    assert emu.get_object(realm, "Invoice", gone.Id) is None

    raw = qb.change_data_capture("Invoice", since.isoformat(timespec="seconds"))
    entries = raw["CDCResponse"][0]["QueryResponse"][0]["Invoice"]
    assert entries == [
        {
            "domain": "QBO",
            "status": "Deleted",
            "Id": gone.Id,
            "MetaData": {"LastUpdatedTime": entries[0]["MetaData"]["LastUpdatedTime"]},
        }
    ]


def test_cdc_returns_only_changes_since_and_rejects_old_timestamps(
    emu, realm, make, qb, clock
) -> None:
    customer = make.customer("Cdc Co")
    old = make.invoice(customer.Id, Decimal("1.00"))
    clock.advance(10)
    since = datetime.fromtimestamp(clock()).astimezone()
    new = make.invoice(customer.Id, Decimal("2.00"))
    payment = make.payment(customer.Id, new.Id, Decimal("2.00"))

    # pass an offset: the library's datetime formatting drops it (naive = company time)
    result = change_data_capture([Invoice, Payment], since.isoformat(timespec="seconds"), qb=qb)
    assert [i.Id for i in result.Invoice] == [new.Id]
    assert [p.Id for p in result.Payment] == [payment.Id]
    assert old.Id not in [i.Id for i in result.Invoice]

    too_old = (datetime.fromtimestamp(clock()) - timedelta(days=31)).astimezone()
    with pytest.raises(ValidationException):
        qb.change_data_capture("Invoice", too_old.isoformat())


def test_cdc_truncates_at_1000_objects_per_entity(emu, realm, qb, clock) -> None:
    since = datetime.fromtimestamp(clock()).astimezone().isoformat(timespec="seconds")
    emu.seed_open_invoices(realm, 1500)
    response = qb.change_data_capture("Invoice,Payment", since)
    invoices, payments = response["CDCResponse"][0]["QueryResponse"]
    assert len(invoices["Invoice"]) == 1000
    assert invoices["maxResults"] == 1000
    assert payments == {}


def test_bookkeeper_ui_actions(emu, realm, make, qb) -> None:
    customer = make.customer("Ui Customer")
    invoice = make.invoice(customer.Id, Decimal("500.00"))

    cheque = emu.enter_payment(realm, invoice.Id, Decimal("125.25"), ref_num="1001")
    assert cheque["PrivateNote"] == "Cheque 1001"
    assert cheque["PaymentRefNum"] == "1001"
    assert Invoice.get(invoice.Id, qb=qb).Balance == Decimal("374.75")

    voided = emu.void_invoice(realm, invoice.Id)
    assert voided["TotalAmt"] == 0

    emu.delete_invoice(realm, invoice.Id)
    with pytest.raises(ObjectNotFoundException):
        Invoice.get(invoice.Id, qb=qb)


def test_money_is_serialised_exactly(emu, realm, make, http) -> None:
    customer = make.customer("Cents Ltd")
    invoice = make.invoice(customer.Id, Decimal("0.10"), Decimal("0.20"), Decimal("1234.50"))
    body = http.get(f"{emu.base_url}/company/{realm}/invoice/{invoice.Id}").text
    assert '"TotalAmt":1234.8,' in body
    assert '"Amount":0.1,' in body
    assert "0.30000000000000004" not in body


def test_payment_void_and_delete_restore_the_invoice_balance(emu, realm, make, qb) -> None:
    customer = make.customer("Refunded")
    invoice = make.invoice(customer.Id, Decimal("80.00"))
    voided = make.payment(customer.Id, invoice.Id, Decimal("30.00"))
    deleted = make.payment(customer.Id, invoice.Id, Decimal("50.00"))
    assert emu.get_object(realm, "Invoice", invoice.Id)["Balance"] == Decimal("0.00")

    Payment.get(voided.Id, qb=qb).void(qb=qb)
    after_void = emu.get_object(realm, "Payment", voided.Id)
    assert after_void["TotalAmt"] == 0
    assert after_void["PrivateNote"].startswith("Voided")
    assert emu.get_object(realm, "Invoice", invoice.Id)["Balance"] == Decimal("30.00")

    Payment.get(deleted.Id, qb=qb).delete(qb=qb)
    stored = emu.get_object(realm, "Invoice", invoice.Id)
    assert stored["Balance"] == Decimal("80.00")
    assert stored["LinkedTxn"] == []
    assert emu.get_object(realm, "Customer", customer.Id)["Balance"] == Decimal("80.00")


def test_customer_sparse_update_and_rename_frees_the_old_name(emu, realm, make, qb) -> None:
    customer = make.customer("Old Name", email="old@example.test")
    sparse = Customer()
    sparse.Id = customer.Id
    sparse.SyncToken = customer.SyncToken
    sparse.sparse = True
    sparse.DisplayName = "New Name"
    renamed = sparse.save(qb=qb)
    assert renamed.DisplayName == "New Name"
    assert renamed.PrimaryEmailAddr.Address == "old@example.test"
    assert renamed.SyncToken == "1"
    assert make.customer("Old Name").Id != customer.Id
