"""Creating and listing leads with their proposals."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from crm_finance.domain.models import Lead, NewLead
from crm_finance.domain.ports import LeadRepository


class CreateLeadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    contact_name: str = Field(min_length=1, max_length=200)
    contact_email: EmailStr
    company_name: str | None = Field(None, max_length=200)
    amount_cents: int = Field(gt=0, le=100_000_000_000, description="proposal amount in cents")
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    status: Literal["new", "proposal_sent", "approved", "won", "lost"] = "approved"


def create_lead(org_id: int, request: CreateLeadRequest, *, leads: LeadRepository) -> Lead:
    return leads.create(
        NewLead(
            org_id=org_id,
            contact_name=request.contact_name,
            contact_email=str(request.contact_email),
            company_name=request.company_name,
            proposal_amount_cents=request.amount_cents,
            currency=request.currency,
            status=request.status,
        )
    )


class LeadQuery(BaseModel):
    """``qbo_status=Open`` means unpaid: Open and Partial invoices, as the runbook uses it."""

    model_config = ConfigDict(extra="forbid")

    qbo_status: Literal["Open", "Partial", "Paid", "Voided", "Deleted"] | None = None
    limit: int = Field(50, ge=1, le=200)
    after: int = Field(0, ge=0, description="keyset cursor: the last id of the previous page")


def list_leads(org_id: int, query: LeadQuery, *, leads: LeadRepository) -> dict:
    statuses: tuple[str, ...] | None = None
    if query.qbo_status == "Open":
        statuses = ("Open", "Partial")
    elif query.qbo_status:
        statuses = (query.qbo_status,)
    rows = leads.list(org_id, statuses=statuses, after=query.after, limit=query.limit)
    return {
        "leads": rows,
        "next_cursor": rows[-1]["id"] if len(rows) == query.limit else None,
    }
