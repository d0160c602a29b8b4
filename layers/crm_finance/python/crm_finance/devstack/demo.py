"""``make demo``: the local stack plus a scripted payment scenario through the real routes."""

from __future__ import annotations

import time
from typing import Any

import requests

from crm_finance.devstack import stripe_fixtures as stripe_events
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


def _dollars(cents: int | None) -> str:
    return "-" if cents is None else f"${cents / 100:,.2f}"


class DemoClient:
    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        self.http = requests.Session()
        self.admin = {"authorization": f"Bearer {info['admin_token']}"}

    def create_lead(self, name: str, email: str, company: str, cents: int) -> int:
        response = self.http.post(
            f"{self.info['api_url']}/leads",
            json={
                "contact_name": name,
                "contact_email": email,
                "company_name": company,
                "amount_cents": cents,
                "currency": "USD",
            },
            headers=self.admin,
            timeout=10,
        )
        response.raise_for_status()
        return int(response.json()["id"])

    def send_webhook(
        self, event: dict[str, Any], *, secret: str | None = None
    ) -> requests.Response:
        body, headers = stripe_events.webhook_request(
            event, secret or self.info["stripe_webhook_secret"]
        )
        return self.http.post(
            f"{self.info['api_url']}/payments/webhook", data=body, headers=headers, timeout=10
        )

    def leads(self) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.info['api_url']}/leads", headers=self.admin, timeout=10)
        response.raise_for_status()
        return list(response.json()["leads"])


def run_demo(port: int = 8089) -> int:
    say = _Narrator()
    say.say(
        "starting the local stack: embedded PostgreSQL, moto (SQS, Secrets Manager), QBO emulator"
    )
    options = StackOptions(
        api_port=port,
        run_event_source=False,  # the script drains the queue itself, step by step
        extra_env={"POWERTOOLS_LOG_LEVEL": "ERROR"},  # function logs: see `crm-finance serve`
    )
    stack = LocalStack(options).start()
    try:
        info = stack.info
        say.detail(
            f"API {info['api_url']}   QBO {info['qbo']['api_url']} realm {info['qbo']['realm_id']}"
        )
        client = DemoClient(info)
        org = str(info["org_id"])

        say.say("POST /leads: two approved proposals")
        acme = client.create_lead("Ada Lovelace", "ada@acme.example", "Acme Ltd", 125_000)
        globex = client.create_lead("Grace O'Hopper", "grace@globex.example", "Globex", 200_000)
        say.detail(f"lead {acme}: Acme Ltd $1,250.00   lead {globex}: Globex $2,000.00")

        full = stripe_events.payment_intent_succeeded(
            "evt_demo_full",
            "pi_demo_full",
            amount_cents=125_000,
            metadata={"org_id": org, "lead_id": str(acme)},
            receipt_email="ada@acme.example",
        )
        say.say("Stripe pays Acme in full (payment_intent.succeeded, signed)")
        say.detail(f"-> {client.send_webhook(full).status_code} accepted")
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

        say.say("the invoice worker consumes the queue")
        say.detail(f"processed {stack.event_source.drain()} message(s)")
        _show_qbo(say, stack)

        remainder = stripe_events.payment_intent_succeeded(
            "evt_demo_rest",
            "pi_demo_rest",
            amount_cents=150_000,
            metadata={"org_id": org, "lead_id": str(globex)},
        )
        say.say("Globex pays the $1,500.00 remainder")
        say.detail(
            f"-> {client.send_webhook(remainder).status_code}; worker processed "
            f"{stack.event_source.drain()} message(s)"
        )
        _show_qbo(say, stack)

        say.say("GET /leads: what the CRM now knows")
        for lead in client.leads():
            say.detail(
                f"lead {lead['id']}: {lead['company_name']:<9} invoice {lead['qbo_invoice_number']}"
                f"  {lead['qbo_status']:<7} balance {_dollars(lead['qbo_balance_cents'])}"
            )
        _show_ledger(say, info["database_url"])
        say.say(f"done in {time.monotonic() - say.started:.1f}s")
    finally:
        stack.stop()
    return 0


def _show_qbo(say: _Narrator, stack: LocalStack) -> None:
    realm = stack.info["qbo"]["realm_id"]
    customers = stack.emulator.objects(realm, "Customer")
    payments = stack.emulator.objects(realm, "Payment")
    say.detail(f"QBO now holds {len(customers)} customer(s), {len(payments)} payment(s):")
    for invoice in stack.emulator.objects(realm, "Invoice"):
        say.detail(
            f"  invoice {invoice['DocNumber']}: total ${invoice['TotalAmt']},"
            f" balance ${invoice['Balance']}"
        )


def _show_ledger(say: _Narrator, database_url: str) -> None:
    from crm_finance.adapters.postgres.database import Database

    db = Database(database_url)
    with db.transaction() as cur:
        cur.execute("SELECT kind, entries, amount_cents FROM finance_totals ORDER BY kind")
        rows = cur.fetchall()
    db.close()
    say.say("finance ledger totals (what /metrics will count)")
    for row in rows:
        say.detail(
            f"{row['kind']:<18} {row['entries']} entr{'y' if row['entries'] == 1 else 'ies'}"
            f"  {_dollars(row['amount_cents'])}"
        )
