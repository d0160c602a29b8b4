"""Admin routes of the CRM finance API (bearer token per org) and GET /health."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from crm_finance import wiring
from crm_finance.domain.leads import CreateLeadRequest, LeadQuery, create_lead, list_leads
from crm_finance.http.admin_auth import admin_org, require_admin
from crm_finance.http.errors import register_exception_handlers
from crm_finance.http.requests import json_body, query_params

logger = Logger()
app = APIGatewayHttpResolver()
register_exception_handlers(app)
leads = wiring.leads()  # fail fast on missing configuration at cold start


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.post("/leads", middlewares=[require_admin])
def post_lead() -> Response:
    lead = create_lead(admin_org(app), json_body(app, CreateLeadRequest), leads=leads)
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body={"id": lead.id, "org_id": lead.org_id, "status": lead.status},
    )


@app.get("/leads", middlewares=[require_admin])
def get_leads() -> dict:
    return list_leads(admin_org(app), query_params(app, LeadQuery), leads=leads)


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
