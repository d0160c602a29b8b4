"""Admin sync routes: poll the org's open invoices, check one proposal, sync a customer."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from crm_finance import wiring
from crm_finance.domain import invoice_sync
from crm_finance.http.admin_auth import admin_org, require_admin
from crm_finance.http.errors import register_exception_handlers
from crm_finance.http.requests import path_id

logger = Logger()
app = APIGatewayHttpResolver()
register_exception_handlers(app)
poll = wiring.poll_ports()  # fail fast on missing configuration at cold start
leads = wiring.leads()


@app.post("/qbo/sync/invoice/poll_all", middlewares=[require_admin])
def poll_all() -> dict:
    report = invoice_sync.poll_now(admin_org(app), **poll)
    logger.info("poll_invoice_status finished", extra=report)
    return report


@app.post("/qbo/sync/invoice/<proposal_id>/check", middlewares=[require_admin])
def check_invoice(proposal_id: str) -> dict:
    return invoice_sync.check_proposal(
        admin_org(app),
        path_id(proposal_id),
        leads=leads,
        store=poll["store"],
        reader_for=poll["reader_for"],
    )


@app.post("/qbo/sync/customer/<customer_id>", middlewares=[require_admin])
def sync_customer(customer_id: str) -> dict:
    return invoice_sync.sync_customer(
        admin_org(app), path_id(customer_id), leads=leads, books=wiring.qbo_books()
    )


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
