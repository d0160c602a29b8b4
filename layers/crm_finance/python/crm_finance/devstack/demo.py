"""``make demo``: the local stack plus a scripted scenario through the real routes.

Connect QuickBooks through OAuth, create leads, send signed Stripe payments (full,
deposit, replayed, forged), enter a cheque in QuickBooks, poll, and finish with the
metrics and the payment rate as the recording rule computes it.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

from crm_finance.devstack import stripe_fixtures as stripe_events
from crm_finance.devstack.monitoring_stack import MonitoringStack
from crm_finance.devstack.stack import LocalStack, StackOptions


class _Narrator:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.step = 0

    def say(self, text: str) -> None:
        self.step += 1
        print(f"[{time.monotonic() - self.started:5.1f}s] {self.step:>2}. {text}", flush=True)

    def detail(self, text: str) -> None:
        print(f"           {text}", flush=True)


def _dollars(cents: float | None) -> str:
    return "-" if cents is None else f"${cents / 100:,.2f}"


class DemoClient:
    """Speaks to the local API over HTTP, as an admin, Stripe or a browser would."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        self.url = info["api_url"]
        self.http = requests.Session()
        self.admin = {"authorization": f"Bearer {info['admin_token']}"}

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.http.get(
            f"{self.url}{path}", headers=kw.pop("headers", self.admin), timeout=10, **kw
        )

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.http.post(
            f"{self.url}{path}", headers=kw.pop("headers", self.admin), timeout=10, **kw
        )

    def connect_quickbooks(self) -> dict[str, Any]:
        """The browser flow: an admin's start link, Intuit's consent page, the callback."""
        link = self.post("/qbo/oauth/link").json()["url"]
        to_intuit = requests.get(link, allow_redirects=False, timeout=10)
        to_callback = requests.get(to_intuit.headers["Location"], allow_redirects=False, timeout=10)
        return dict(requests.get(to_callback.headers["Location"], timeout=10).json())

    def create_lead(self, name: str, email: str, company: str, cents: int) -> int:
        body = {
            "contact_name": name,
            "contact_email": email,
            "company_name": company,
            "amount_cents": cents,
            "currency": "USD",
        }
        response = self.post("/leads", json=body)
        response.raise_for_status()
        return int(response.json()["id"])

    def send_webhook(
        self, event: dict[str, Any], *, secret: str | None = None
    ) -> requests.Response:
        body, headers = stripe_events.webhook_request(
            event, secret or self.info["stripe_webhook_secret"]
        )
        return self.http.post(
            f"{self.url}/payments/webhook", data=body, headers=headers, timeout=10
        )

    def metrics(self) -> dict[tuple[str, str], float]:
        text = self.get(
            "/metrics", headers={"authorization": f"Bearer {self.info['metrics_token']}"}
        ).text
        return {
            (s.name, s.labels.get("org_id", "")): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }


def run_demo(port: int = 8089) -> int:
    say = _Narrator()
    say.say(
        "starting the local stack: embedded PostgreSQL, moto (SQS, Secrets Manager), QBO emulator"
    )
    options = StackOptions(
        api_port=port,
        run_event_source=False,  # the script drains the queues itself, step by step
        connect_demo_org=False,  # the scenario connects QuickBooks through OAuth
        extra_env={"POWERTOOLS_LOG_LEVEL": "ERROR"},  # function logs: see `crm-finance serve`
    )
    stack = LocalStack(options).start()
    monitoring = MonitoringStack(stack)
    try:
        _scenario(say, stack, monitoring)
    finally:
        monitoring.stop()
        stack.stop()
    return 0


def _scenario(say: _Narrator, stack: LocalStack, monitoring: MonitoringStack) -> None:
    info = stack.info
    client = DemoClient(info)
    org = str(info["org_id"])
    say.detail(f"API {info['api_url']}   QBO emulator {info['qbo']['api_url']}")
    if monitoring.start():
        say.detail(
            f"Prometheus {monitoring.prometheus_url} (rules loaded), Alertmanager "
            f"{monitoring.alertmanager_url}, blackbox exporter {monitoring.blackbox_url}"
        )
    else:
        say.detail(f"Prometheus not started: {monitoring.why_not}")

    say.say("GET /qbo/status before connecting")
    say.detail(str(client.get("/qbo/status").json()))
    say.say("connect QuickBooks: admin start link -> Intuit consent (approve) -> callback")
    connected = client.connect_quickbooks()
    realm = connected["realm_id"]
    status = client.get("/qbo/status").json()
    say.detail(
        f"connected={status['connected']} realm={realm} env={status['env']} "
        f"refresh token expires {status['refresh_token_expires_at'][:10]}"
    )

    say.say("POST /leads: three approved proposals")
    acme = client.create_lead("Ada Lovelace", "ada@acme.example", "Acme Ltd", 125_000)
    globex = client.create_lead("Grace O'Hopper", "grace@globex.example", "Globex", 200_000)
    initech = client.create_lead("Peter Gibbons", "peter@initech.example", "Initech", 80_000)
    say.detail(
        f"lead {acme}: Acme Ltd $1,250.00   lead {globex}: Globex $2,000.00"
        f"   lead {initech}: Initech $800.00"
    )

    full = stripe_events.payment_intent_succeeded(
        "evt_demo_full",
        "pi_demo_full",
        amount_cents=125_000,
        metadata={"org_id": org, "lead_id": str(acme)},
        receipt_email="ada@acme.example",
    )
    say.say("Stripe pays Acme in full (payment_intent.succeeded, signed)")
    say.detail(f"-> {client.send_webhook(full).status_code} stored and queued")
    say.say("Stripe retries the same event (replay)")
    replay = client.send_webhook(full)
    say.detail(f"-> {replay.status_code} duplicate={replay.json().get('duplicate')}")
    say.say("someone forges a webhook with the wrong secret")
    forged = client.send_webhook(full, secret="whsec_forged")  # noqa: S106
    say.detail(f"-> {forged.status_code} {forged.json().get('error')}")
    deposit = stripe_events.checkout_session_completed(
        "evt_demo_deposit",
        "cs_demo_deposit",
        payment_intent_id="pi_demo_deposit",
        amount_cents=50_000,
        metadata={"org_id": org, "lead_id": str(globex)},
        email="grace@globex.example",
    )
    say.say("Globex pays a $500.00 deposit (checkout.session.completed)")
    say.detail(f"-> {client.send_webhook(deposit).status_code}")
    initech_deposit = stripe_events.payment_intent_succeeded(
        "evt_demo_initech",
        "pi_demo_initech",
        amount_cents=20_000,
        metadata={"org_id": org, "lead_id": str(initech)},
    )
    say.say("Initech pays a $200.00 deposit")
    say.detail(f"-> {client.send_webhook(initech_deposit).status_code}")

    say.say("the invoice worker consumes the queue (customer, invoice, payment in QBO)")
    say.detail(f"processed {stack.event_source.drain()} message(s)")
    _show_qbo(say, stack, realm)

    say.say("a bookkeeper enters Globex's $1,500.00 cheque directly in QuickBooks")
    globex_invoice = next(
        i for i in stack.emulator.objects(realm, "Invoice") if i["DocNumber"] == f"CRM-{globex}"
    )
    stack.emulator.enter_payment(
        realm, globex_invoice["Id"], Decimal("1500.00"), private_note="Cheque 1042"
    )
    say.say("POST /qbo/sync/invoice/poll_all: the poller brings QBO's state back")
    poll = client.post("/qbo/sync/invoice/poll_all").json()
    say.detail(
        f"mode={poll['mode']} checked={poll['checked']} changed={poll['changed']} "
        f"payments recorded={poll['payments_recorded']} QBO calls={poll['qbo_calls']}"
    )

    say.say("GET /leads: what the CRM now knows")
    for lead in client.get("/leads").json()["leads"]:
        say.detail(
            f"lead {lead['id']}: {lead['company_name']:<9} invoice {lead['qbo_invoice_number']}"
            f"  {lead['qbo_status']:<7} balance {_dollars(lead['qbo_balance_cents'])}"
        )

    say.say("GET /metrics (what Prometheus scrapes)")
    metrics = client.metrics()
    generated = metrics[("crm_invoices_generated_total", org)]
    paid = metrics[("crm_invoices_paid_total", org)]
    say.detail(f'crm_invoices_generated_total{{org_id="{org}"}} {generated:g}')
    say.detail(f'crm_invoices_paid_total{{org_id="{org}"}} {paid:g}')
    say.detail(
        f'crm_invoice_payments_cents_total{{org_id="{org}"}} '
        f"{metrics[('crm_invoice_payments_cents_total', org)]:g}"
        f"  ({_dollars(metrics[('crm_invoice_payments_cents_total', org)])})"
    )
    say.detail(
        f'crm_stripe_payments_cents_total{{org_id="{org}"}} '
        f"{metrics[('crm_stripe_payments_cents_total', org)]:g}  (Stripe's share)"
    )

    say.say("payment rate, as the recording rule crm:payment_rate_30d_pct computes it")
    all_paid = sum(v for (name, _), v in metrics.items() if name == "crm_invoices_paid_total")
    rule = monitoring.payment_rate(all_paid) if monitoring.running else None
    if rule is not None:
        say.detail(f"Prometheus says crm:payment_rate_30d_pct = {rule:.1f}%")
    else:
        say.detail(
            f"100 * paid / generated over 30d = {100 * paid / generated:.1f}%"
            " (computed from /metrics; start Prometheus to evaluate the rule itself)"
        )
    say.say(f"done in {time.monotonic() - say.started:.1f}s")


def _show_qbo(say: _Narrator, stack: LocalStack, realm: str) -> None:
    customers = stack.emulator.objects(realm, "Customer")
    payments = stack.emulator.objects(realm, "Payment")
    say.detail(f"QBO now holds {len(customers)} customer(s), {len(payments)} payment(s):")
    for invoice in stack.emulator.objects(realm, "Invoice"):
        say.detail(
            f"  invoice {invoice['DocNumber']}: total ${invoice['TotalAmt']},"
            f" balance ${invoice['Balance']}"
        )
