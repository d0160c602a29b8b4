"""The query language subset, through the real client and raw HTTP."""

from __future__ import annotations

import time
from datetime import datetime
from decimal import Decimal

import pytest
from quickbooks.exceptions import ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice


def test_id_in_with_startposition_and_maxresults_pages(emu, realm, qb) -> None:
    ids = emu.seed_open_invoices(realm, 30)
    wanted = ids[5:25]
    in_list = ", ".join(f"'{i}'" for i in reversed(wanted))
    base = f"SELECT * FROM Invoice WHERE Id IN ({in_list})"

    page1 = Invoice.query(f"{base} STARTPOSITION 1 MAXRESULTS 8", qb=qb)
    page2 = Invoice.query(f"{base} STARTPOSITION 9 MAXRESULTS 8", qb=qb)
    page3 = Invoice.query(f"{base} STARTPOSITION 17 MAXRESULTS 8", qb=qb)
    page4 = Invoice.query(f"{base} STARTPOSITION 25 MAXRESULTS 8", qb=qb)
    assert [len(p) for p in (page1, page2, page3, page4)] == [8, 8, 4, 0]
    assert [i.Id for p in (page1, page2, page3) for i in p] == wanted

    raw = qb.query(f"{base} STARTPOSITION 17 MAXRESULTS 8")
    assert raw["QueryResponse"]["startPosition"] == 17
    assert raw["QueryResponse"]["maxResults"] == 4
    assert qb.query(f"{base} STARTPOSITION 25")["QueryResponse"] == {}
    assert Invoice.count(f"Id IN ({in_list})", qb=qb) == 20


def test_escaped_quote_and_backslash_in_display_name(make, qb) -> None:
    obrien = make.customer("O'Brien & Sons")
    slashy = make.customer("Back\\slash")
    make.customer("Obrien")

    assert [c.Id for c in Customer.filter(DisplayName="O'Brien & Sons", qb=qb)] == [obrien.Id]
    found = Customer.query(r"select * from Customer where DisplayName = 'Back\\slash'", qb=qb)
    assert [c.Id for c in found] == [slashy.Id]
    liked = Customer.where(r"DisplayName LIKE 'O\'B%'", qb=qb)
    assert [c.Id for c in liked] == [obrien.Id]


def test_refs_emails_orderby_and_comparisons(emu, realm, make, qb) -> None:
    alice = make.customer("Alice", email="alice@example.test")
    bob = make.customer("Bob", email="bob@example.test")
    make.invoice(alice.Id, Decimal("10.00"), doc_number="A-1")
    big = make.invoice(bob.Id, Decimal("500.00"), doc_number="B-1")
    small = make.invoice(bob.Id, Decimal("20.00"), doc_number="B-2")

    assert [c.Id for c in Customer.where("PrimaryEmailAddr = 'BOB@example.test'", qb=qb)] == [
        bob.Id
    ]
    bobs = Invoice.where(f"CustomerRef = '{bob.Id}'", order_by="TotalAmt DESC", qb=qb)
    assert [i.Id for i in bobs] == [big.Id, small.Id]
    assert [i.DocNumber for i in Invoice.where("Balance >= '20' AND Balance < '500'", qb=qb)] == [
        "B-2"
    ]
    assert [i.DocNumber for i in Invoice.where("DocNumber != 'B-1'", qb=qb)] == ["A-1", "B-2"]
    assert [i.DocNumber for i in Invoice.where("DocNumber IN ('A-1', 'B-2')", qb=qb)] == [
        "A-1",
        "B-2",
    ]
    assert [c.DisplayName for c in Customer.all(order_by="DisplayName DESC", qb=qb)] == [
        "Bob",
        "Alice",
    ]


def test_metadata_last_updated_time_filter(emu, realm, make, qb, clock) -> None:
    customer = make.customer("Timeline")
    make.invoice(customer.Id)
    clock.advance(60)
    cutoff = datetime.fromtimestamp(clock()).astimezone().isoformat(timespec="seconds")
    clock.advance(1)
    later = make.invoice(customer.Id)
    found = Invoice.where(f"MetaData.LastUpdatedTime > '{cutoff}'", qb=qb)
    assert [i.Id for i in found] == [later.Id]


def test_get_query_select_fields_and_empty_response(emu, realm, make, http) -> None:
    customer = make.customer("Getter")
    url = f"{emu.base_url}/company/{realm}/query"
    got = http.get(
        url, params={"query": "SELECT Id, DisplayName FROM Customer", "minorversion": "75"}
    )
    assert got.status_code == 200
    row = got.json()["QueryResponse"]["Customer"][0]
    assert row["Id"] == customer.Id
    assert row["DisplayName"] == "Getter"
    assert "Balance" not in row
    assert row["sparse"] is True

    empty = http.get(url, params={"query": "select * from Payment"}).json()
    assert empty["QueryResponse"] == {}
    assert "time" in empty


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM",
        "SELECT * FROM Invoice WHERE Id = 'unterminated",
        "SELECT * FROM Invoice WHERE",
        "SELECT * FROM Invoice WHERE Id = '1' OR Id = '2'",
        "SELECT * FROM Invoice MAXRESULTS ten",
        "SELECT * FROM Invoice WHERE Id ~ '1'",
        "",
    ],
)
def test_malformed_query_is_query_parser_error_4000(emu, realm, qb, http, text) -> None:
    with pytest.raises(ValidationException) as err:
        qb.query(text)
    assert err.value.error_code == 4000
    raw = http.post(
        f"{emu.base_url}/company/{realm}/query",
        data=text,
        headers={"Content-Type": "application/text"},
    )
    assert raw.status_code == 400
    fault = raw.json()["Fault"]
    assert fault["type"] == "ValidationFault"
    assert fault["Error"][0]["Message"] == "Error parsing query"
    assert fault["Error"][0]["Detail"].startswith("QueryParserError")


def test_unknown_property_is_query_validation_error(qb) -> None:
    with pytest.raises(ValidationException) as err:
        qb.query("SELECT * FROM Invoice WHERE Colour = 'red'")
    assert err.value.error_code == 4001


def test_maxresults_is_capped_at_1000(emu, realm, qb) -> None:
    emu.seed_open_invoices(realm, 1200)
    response = qb.query("SELECT * FROM Invoice MAXRESULTS 5000")["QueryResponse"]
    assert response["maxResults"] == 1000
    assert len(response["Invoice"]) == 1000
    assert len(qb.query("SELECT * FROM Invoice")["QueryResponse"]["Invoice"]) == 100


@pytest.mark.slow
def test_id_in_1000_on_100k_invoices_is_fast(emu, realm, qb) -> None:
    started = time.perf_counter()
    ids = emu.seed_open_invoices(realm, 100_000)
    seeded = time.perf_counter() - started

    wanted = ids[::100]
    assert len(wanted) == 1000
    started = time.perf_counter()
    found = Invoice.choose(wanted, qb=qb)
    queried = time.perf_counter() - started
    print(f"\nseed 100,000 invoices: {seeded:.2f}s; Id IN (1000 ids) via client: {queried:.3f}s")
    assert len(found) == 100  # default MAXRESULTS
    raw = qb.query(
        "SELECT * FROM Invoice WHERE Id IN ("
        + ",".join(f"'{i}'" for i in wanted)
        + ") STARTPOSITION 1 MAXRESULTS 1000"
    )
    assert [i["Id"] for i in raw["QueryResponse"]["Invoice"]] == wanted
    assert Invoice.count(qb=qb) == 100_000
