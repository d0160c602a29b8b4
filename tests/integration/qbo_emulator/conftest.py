"""Fixtures for the QBO emulator tests: a fake clock, a running emulator, and the REAL
python-quickbooks client pointed at it the same way production code does it
(subclass QuickBooks, override ``api_url`` and ``process_request``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from quickbooks import QuickBooks
from quickbooks.objects.base import EmailAddress, LinkedTxn, Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment, PaymentLine

from crm_finance.devstack.qbo_emulator import QboEmulator


class FakeClock:
    """Injectable time: tests move it instead of sleeping."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class EmuQuickBooks(QuickBooks):
    """Test-local client: same seam as production (api_url + process_request)."""

    base_url: str
    access_token: str
    http: requests.Session
    timeout: float

    @property
    def api_url(self) -> str:  # type: ignore[override]
        return self.base_url

    def process_request(
        self, request_type: str, url: str, headers: Any = "", params: Any = "", data: Any = ""
    ) -> requests.Response:
        headers = dict(headers or {})
        headers["Authorization"] = f"Bearer {self.access_token}"
        return self.http.request(
            request_type, url, headers=headers, params=params, data=data, timeout=self.timeout
        )


def make_client(base_url: str, realm: str, access_token: str, timeout: float = 10) -> EmuQuickBooks:
    qb = EmuQuickBooks(company_id=realm, minorversion=75, use_decimal=True)
    qb.base_url = base_url
    qb.access_token = access_token
    qb.http = requests.Session()
    qb.timeout = timeout
    return qb


class Factory:
    """Builds entities through the real client objects and ``.save()``."""

    def __init__(self, emu: QboEmulator, realm: str, qb: EmuQuickBooks) -> None:
        self.emu = emu
        self.realm = realm
        self.qb = qb

    def client(
        self, realm: str | None = None, token: str | None = None, timeout: float = 10
    ) -> EmuQuickBooks:
        realm = realm or self.realm
        token = token or self.emu.issue_tokens(realm)["access_token"]
        return make_client(self.emu.base_url, realm, token, timeout)

    def customer(
        self,
        name: str = "Acme Ltd",
        email: str | None = None,
        request_id: str | None = None,
        qb: EmuQuickBooks | None = None,
    ) -> Customer:
        customer = Customer()
        customer.DisplayName = name
        if email:
            customer.PrimaryEmailAddr = EmailAddress()
            customer.PrimaryEmailAddr.Address = email
        return customer.save(qb=qb or self.qb, request_id=request_id)

    def invoice(
        self,
        customer_id: str,
        *amounts: Decimal,
        doc_number: str | None = None,
        request_id: str | None = None,
        qb: EmuQuickBooks | None = None,
    ) -> Invoice:
        invoice = Invoice()
        invoice.CustomerRef = Ref()
        invoice.CustomerRef.value = customer_id
        invoice.DocNumber = doc_number
        lines = []
        for amount in amounts or (Decimal("100.00"),):
            line = SalesItemLine()
            line.Amount = amount
            line.Description = "Consulting"
            line.SalesItemLineDetail = SalesItemLineDetail()
            line.SalesItemLineDetail.ItemRef = Ref()
            line.SalesItemLineDetail.ItemRef.value = "1"
            lines.append(line)
        invoice.Line = lines
        return invoice.save(qb=qb or self.qb, request_id=request_id)

    def payment(
        self,
        customer_id: str,
        invoice_id: str,
        amount: Decimal,
        total: Decimal | None = None,
        request_id: str | None = None,
        qb: EmuQuickBooks | None = None,
    ) -> Payment:
        payment = Payment()
        payment.CustomerRef = Ref()
        payment.CustomerRef.value = customer_id
        payment.TotalAmt = amount if total is None else total
        payment.PrivateNote = "stripe:pi_123"
        line = PaymentLine()
        line.Amount = amount
        link = LinkedTxn()
        link.TxnId = invoice_id
        link.TxnType = "Invoice"
        line.LinkedTxn = [link]
        payment.Line = [line]
        return payment.save(qb=qb or self.qb, request_id=request_id)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Iterator[QboEmulator]:
    emulator = QboEmulator(clock=clock).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def realm(emu: QboEmulator) -> str:
    return emu.create_company(name="Test Co")


@pytest.fixture
def tokens(emu: QboEmulator, realm: str) -> dict[str, Any]:
    return emu.issue_tokens(realm)


@pytest.fixture
def qb(emu: QboEmulator, realm: str, tokens: dict[str, Any]) -> EmuQuickBooks:
    return make_client(emu.base_url, realm, tokens["access_token"])


@pytest.fixture
def make(emu: QboEmulator, realm: str, qb: EmuQuickBooks) -> Factory:
    return Factory(emu, realm, qb)


@pytest.fixture
def http(emu: QboEmulator, realm: str, tokens: dict[str, Any]) -> requests.Session:
    """A raw HTTP session with a valid bearer token, for wire-level assertions."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {tokens['access_token']}"
    session.headers["Accept"] = "application/json"
    return session
