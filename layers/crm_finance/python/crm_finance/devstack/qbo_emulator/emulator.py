"""QboEmulator: the programmatic facade other code (tests, devstack, benchmarks) uses."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from . import faults, writes
from .authorize import AUTHORIZE_PATH, DECISIONS
from .chaos import FaultPlan, Injection, RateLimiter
from .endpoints import DISCOVERY_PATHS
from .jsonio import to_money
from .oauth import TokenRegistry
from .server import EmulatorHTTPServer
from .state import EmulatorState
from .stats import LogEntry, RequestStats
from .store import ZERO, Company, Entry, Store, canonical_entity
from .timeutil import company_tz, format_meta, today

__all__ = ["QboEmulator"]


class QboEmulator:
    """A QuickBooks Online v3 sandbox on loopback for the real python-quickbooks client."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = "emu-client",
        client_secret: str = "emu-secret",  # noqa: S107 - a fixed, public emulator credential
        enforce_rate_limits: bool = False,
        *,
        refresh_grace_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
        utc_offset_minutes: int = -480,
        log_limit: int = 10_000,
    ) -> None:
        self.host = host
        self.port = port
        self.client_id = client_id
        self.client_secret = client_secret
        self.enforce_rate_limits = enforce_rate_limits
        self.clock = clock
        tz = company_tz(utc_offset_minutes)
        self._state = EmulatorState(
            store=Store(tz),
            tokens=TokenRegistry(client_id, client_secret, clock, refresh_grace_seconds),
            plan=FaultPlan(),
            limiter=RateLimiter(clock) if enforce_rate_limits else None,
            stats=RequestStats(log_limit),
            clock=clock,
            tz=tz,
        )
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> QboEmulator:
        """Bind (port 0 = any free port) and serve on a daemon thread."""
        if self._server is not None:
            return self
        self._state.stopping.clear()
        server = EmulatorHTTPServer((self.host, self.port), self._state)
        self.port = server.server_address[1]
        self._state.root_url = f"http://{self.host}:{self.port}"
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="qbo-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; wakes stalled requests and drops keep-alive connections."""
        server, self._server = self._server, None
        if server is None:
            return
        self._state.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> QboEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        if not self._state.root_url:
            raise RuntimeError("emulator not started")
        return self._state.root_url

    @property
    def base_url(self) -> str:
        return self.root_url + "/v3"

    @property
    def discovery_url(self) -> str:
        return self.root_url + DISCOVERY_PATHS[0]

    # -- companies and OAuth ----------------------------------------------------------
    def create_company(self, name: str = "Demo Co") -> str:
        """A fresh company (realm) with the default "Services" item Id "1"."""
        return self._state.store.create_company(name, self.clock()).realm

    def issue_tokens(
        self, realm: str, access_ttl: int = 3600, refresh_ttl: int = 8726400
    ) -> dict[str, Any]:
        """As if the OAuth consent flow just completed for this realm."""
        self._company(realm)
        tokens = self._state.tokens.issue(realm, access_ttl, refresh_ttl)
        return {**tokens, "realm_id": realm}

    def issue_auth_code(self, realm: str, redirect_uri: str | None = None) -> str:
        """A single-use code for grant_type=authorization_code (valid 5 minutes on the
        emulator clock); when ``redirect_uri`` is given the exchange must present it."""
        self._company(realm)
        return self._state.tokens.issue_auth_code(realm, redirect_uri)

    # The consent screen at GET /connect/oauth2 (see authorize.py) answers as configured here.
    @property
    def authorize_url(self) -> str:
        """Where ``AuthClient.get_authorization_url`` sends the user (from discovery)."""
        return self.root_url + AUTHORIZE_PATH

    @property
    def authorize_decision(self) -> str:
        """ "approve" (default): redirect with code/state/realmId; "deny": access_denied."""
        return self._state.authorize_decision

    @authorize_decision.setter
    def authorize_decision(self, value: str) -> None:
        if value not in DECISIONS:
            raise ValueError(f"authorize_decision must be one of {DECISIONS}")
        self._state.authorize_decision = value

    @property
    def authorize_realm(self) -> str | None:
        """The company an approval connects; None (default) creates a new one each time."""
        return self._state.authorize_realm

    @authorize_realm.setter
    def authorize_realm(self, realm: str | None) -> None:
        if realm is not None:
            self._company(realm)
        self._state.authorize_realm = realm

    @property
    def allowed_redirect_uris(self) -> set[str]:
        """Registered redirect URIs; empty (default) accepts any absolute http(s) URI.
        Mutate in place or assign a new set."""
        return self._state.allowed_redirect_uris

    @allowed_redirect_uris.setter
    def allowed_redirect_uris(self, uris: set[str]) -> None:
        self._state.allowed_redirect_uris = set(uris)

    def authorize_count(self, realm: str | None = None) -> int:
        """Requests to /connect/oauth2 (approved ones count under the connected realm;
        denied and 400 ones only under realm=None, i.e. in the total)."""
        return self._state.stats.count(realm, "authorize")

    def expire_access_tokens(self, realm: str) -> None:
        self._state.tokens.expire_access(realm)

    def revoke_refresh_tokens(self, realm: str) -> None:
        self._state.tokens.revoke_refresh(realm)

    def refresh_count(self, realm: str | None = None) -> int:
        """Refresh grants answered 200: rotations plus grace-period replays of the
        previous token (each is a token-endpoint call the client made; see
        ``TokenRegistry.refresh``). Rejected attempts are in ``invalid_grant_count``."""
        return self._state.tokens.refresh_count(realm)

    def invalid_grant_count(self, realm: str | None = None) -> int:
        """Refresh grants answered 400 invalid_grant; realm=None also counts tokens the
        emulator never issued."""
        return self._state.tokens.invalid_grant_count(realm)

    @property
    def refresh_grace_seconds(self) -> float:
        return self._state.tokens.refresh_grace_seconds

    @refresh_grace_seconds.setter
    def refresh_grace_seconds(self, value: float) -> None:
        self._state.tokens.refresh_grace_seconds = value

    # -- fault injection -----------------------------------------------------------------
    def throttle(self, count: int = 1, realm: str | None = None, xml: bool = False) -> None:
        """The next ``count`` API requests answer 429 ThrottleExceeded; count=0 cancels."""
        self._state.plan.add(Injection("throttle", count, realm, status=429, xml=xml))

    def fail_next(self, count: int = 1, status: int = 503, realm: str | None = None) -> None:
        """The next ``count`` API requests answer ``status`` (SystemFault); count=0 cancels."""
        if not 500 <= status <= 599:
            raise ValueError("status must be 5xx")
        self._state.plan.add(Injection("fail", count, realm, status=status))

    def stall_next(self, count: int = 1, seconds: float = 2.0, realm: str | None = None) -> None:
        """The next ``count`` API requests are applied, then their responses held back
        for ``seconds`` (a client timeout then loses a landed write); count=0 cancels."""
        self._state.plan.add(Injection("stall", count, realm, seconds=seconds))

    def clear_faults(self) -> None:
        self._state.plan.clear()

    # -- state inspection -----------------------------------------------------------------
    def objects(self, realm: str, entity: str) -> list[dict[str, Any]]:
        """Current (non-deleted) entities, deep copies with Decimal money."""
        name = self._entity(entity)
        c = self._company(realm)
        with self._state.store.lock:
            docs = [e.doc for e in c.tables[name].values() if not e.deleted]
        return copy.deepcopy(docs)

    def get_object(self, realm: str, entity: str, entity_id: str) -> dict[str, Any] | None:
        name = self._entity(entity)
        c = self._company(realm)
        with self._state.store.lock:
            doc = c.live(name, entity_id)
        return copy.deepcopy(doc) if doc is not None else None

    def request_count(self, realm: str | None = None, *, kind: str | None = None) -> int:
        """Requests answered. Kinds: read, query, create, update, void, delete, cdc,
        authorize, token, revoke, discovery, jwks, userinfo, unknown."""
        return self._state.stats.count(realm, kind)

    def reset_counters(self) -> None:
        self._state.stats.reset()

    @property
    def request_log(self) -> list[LogEntry]:
        """(method, path, entity or None, status), oldest first, bounded by log_limit."""
        return self._state.stats.log()

    def clear_request_log(self) -> None:
        self._state.stats.clear_log()

    # -- bookkeeper (QBO UI) actions ---------------------------------------------------------
    def enter_payment(
        self,
        realm: str,
        invoice_id: str,
        amount: Decimal,
        private_note: str = "Cheque 1001",
        ref_num: str | None = None,
    ) -> dict[str, Any]:
        """Record a cheque against an invoice, as done in the QBO UI (no API call)."""
        c = self._company(realm)
        with self._state.store.lock:
            invoice = c.live("Invoice", str(invoice_id))
            if invoice is None:
                raise faults.not_found()
            customer = invoice["CustomerRef"]["value"]
            body: dict[str, Any] = {
                "CustomerRef": {"value": customer},
                "TotalAmt": str(amount),
                "Line": [
                    {
                        "Amount": str(amount),
                        "LinkedTxn": [{"TxnId": str(invoice_id), "TxnType": "Invoice"}],
                    }
                ],
                "PrivateNote": private_note,
            }
            if ref_num is not None:
                body["PaymentRefNum"] = ref_num
            doc = writes.perform(c, "Payment", "create", body, self.clock())
            return copy.deepcopy(doc)

    def void_invoice(self, realm: str, invoice_id: str) -> dict[str, Any]:
        return self._ui_write(realm, "Invoice", "void", invoice_id)

    def delete_invoice(self, realm: str, invoice_id: str) -> None:
        self._ui_write(realm, "Invoice", "delete", invoice_id)

    def seed_open_invoices(
        self,
        realm: str,
        n: int,
        amount: Decimal = Decimal("100.00"),
        customer_name: str = "Seed Customer",
    ) -> list[str]:
        """Bulk-create open invoices directly in the store (benchmarks: 100k in ~1 s)."""
        c = self._company(realm)
        money = to_money(amount)
        now = self.clock()
        with self._state.store.lock:
            customer_id = c.names["Customer"].get(customer_name.casefold())
            if customer_id is None:
                body = {"DisplayName": customer_name}
                customer_id = writes.perform(c, "Customer", "create", body, now)["Id"]
            return _seed(c, customer_id, customer_name, money, n, now)

    # -- helpers ----------------------------------------------------------------
    def _company(self, realm: str) -> Company:
        c = self._state.store.get(realm)
        if c is None:
            raise KeyError(f"unknown realm {realm}")
        return c

    @staticmethod
    def _entity(entity: str) -> str:
        name = canonical_entity(entity)
        if name is None:
            raise ValueError(f"unsupported entity {entity}")
        return name

    def _ui_write(self, realm: str, entity: str, op: str, entity_id: str) -> dict[str, Any]:
        c = self._company(realm)
        with self._state.store.lock:
            result = writes.perform(
                c, entity, op, {"Id": str(entity_id)}, self.clock(), check_token=False
            )
            return copy.deepcopy(result)


def _seed(
    c: Company, customer_id: str, customer_name: str, amount: Decimal, n: int, now: float
) -> list[str]:
    """Fast path: documents share immutable sub-objects (stored docs are never mutated)."""
    stamp = format_meta(now, c.tz)
    txn_date = today(now, c.tz)
    customer_ref = {"value": customer_id, "name": customer_name}
    currency = {"value": "USD", "name": "United States Dollar"}
    lines = [
        {
            "Id": "1",
            "LineNum": 1,
            "Amount": amount,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {
                "ItemRef": {"value": "1", "name": "Services"},
                "TaxCodeRef": {"value": "NON"},
            },
        },
        {"Amount": amount, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
    ]
    meta = {"CreateTime": stamp, "LastUpdatedTime": stamp}
    table, changes = c.tables["Invoice"], c.changes["Invoice"]
    ids: list[str] = []
    for _ in range(n):
        inv_id = c.next_id("Invoice")
        table[inv_id] = Entry(
            {
                "AllowIPNPayment": False,
                "AllowOnlineCreditCardPayment": False,
                "AllowOnlineACHPayment": False,
                "PrintStatus": "NotSet",
                "EmailStatus": "NotSet",
                "CustomField": [],
                "Id": inv_id,
                "DocNumber": c.next_doc_number(),
                "TxnDate": txn_date,
                "DueDate": txn_date,
                "CurrencyRef": currency,
                "CustomerRef": customer_ref,
                "LinkedTxn": [],
                "Line": lines,
                "TxnTaxDetail": {"TotalTax": ZERO},
                "ApplyTaxAfterDiscount": False,
                "TotalAmt": amount,
                "Balance": amount,
                "Deposit": 0,
                "domain": "QBO",
                "sparse": False,
                "SyncToken": "0",
                "MetaData": meta,
            },
            now,
        )
        changes[inv_id] = None
        ids.append(inv_id)
    c.adjust_customer_balance(customer_id, amount * n)
    return ids
