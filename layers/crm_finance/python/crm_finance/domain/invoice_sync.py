"""On-demand sync for admins: poll the org, check one proposal's invoice, sync a customer.

``proposal_id`` and ``customer_id`` in the routes are CRM lead ids: a lead carries the
proposal and is the CRM side of the QBO customer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from crm_finance.domain.models import Lead
from crm_finance.domain.polling import PollStore, QboReader, check_invoice, poll_org
from crm_finance.domain.ports import LeadRepository
from crm_finance.errors import Conflict, NotFound


def _own_lead(org_id: int, lead_id: int, leads: LeadRepository) -> Lead:
    lead = leads.get(lead_id)
    if lead is None or lead.org_id != org_id:
        raise NotFound(f"lead {lead_id} not found")
    return lead


def poll_now(
    org_id: int,
    *,
    store: PollStore,
    reader_for: Callable[[int], QboReader],
    now: Callable[[], datetime],
) -> dict:
    report = poll_org(org_id, trigger="manual", store=store, reader_for=reader_for, now=now)
    if report.outcome == "skipped":
        raise Conflict(f"poll skipped: {report.reason}")
    return report.as_dict()


def check_proposal(
    org_id: int,
    lead_id: int,
    *,
    leads: LeadRepository,
    store: PollStore,
    reader_for: Callable[[int], QboReader],
) -> dict:
    lead = _own_lead(org_id, lead_id, leads)
    if not lead.qbo_invoice_id:
        raise Conflict(f"lead {lead_id} has no QBO invoice yet")
    report = check_invoice(org_id, lead.qbo_invoice_id, store=store, reader=reader_for(org_id))
    after = _own_lead(org_id, lead_id, leads)
    return {
        **report.as_dict(),
        "lead": {
            "id": after.id,
            "qbo_invoice_id": after.qbo_invoice_id,
            "qbo_invoice_number": after.qbo_invoice_number,
            "qbo_status": after.qbo_status,
            "qbo_balance_cents": after.qbo_balance_cents,
        },
    }


def sync_customer(org_id: int, lead_id: int, *, leads: LeadRepository, books: Any) -> dict:
    lead = _own_lead(org_id, lead_id, leads)
    customer_id = books.for_org(org_id).sync_customer(lead)
    if customer_id != lead.qbo_customer_id:
        leads.set_customer(lead.id, customer_id)
    return {"lead_id": lead.id, "qbo_customer_id": customer_id}
