"""QBO connection routes: OAuth start (admin or start link), callback, status, disconnect."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from crm_finance import wiring
from crm_finance.domain import qbo_connection as qbo
from crm_finance.http.admin_auth import admin_org, authenticated_org, require_admin
from crm_finance.http.errors import register_exception_handlers
from crm_finance.http.requests import public_api_url
from crm_finance.settings import load_settings

logger = Logger()
app = APIGatewayHttpResolver()
register_exception_handlers(app)
ports = wiring.oauth_ports()  # fail fast on missing configuration at cold start
settings = load_settings()


@app.get("/qbo/oauth/start")
def oauth_start() -> Response:
    ticket = app.current_event.get_query_string_value("ticket")
    org_id = (
        qbo.redeem_start_link(ticket, states=ports["states"]) if ticket else authenticated_org(app)
    )
    url = qbo.start_authorization(
        org_id,
        states=ports["states"],
        oauth=ports["oauth"],
        state_ttl=settings.oauth_state_ttl_seconds,
    )
    logger.info("qbo authorization started", extra={"org_id": org_id})
    return Response(302, content_types.APPLICATION_JSON, {"authorize_url": url}, {"Location": url})


@app.post("/qbo/oauth/link", middlewares=[require_admin])
def oauth_link() -> dict:
    return qbo.issue_start_link(
        admin_org(app),
        states=ports["states"],
        link_ttl=settings.oauth_link_ttl_seconds,
        api_url=public_api_url(app, settings),
    )


@app.get("/qbo/oauth/callback")
def oauth_callback() -> dict:
    event = app.current_event
    result = qbo.complete_authorization(
        event.raw_event.get("rawQueryString") or "", event.query_string_parameters, **ports
    )
    logger.info("qbo connected", extra={"org_id": result["org_id"], "realm_id": result["realm_id"]})
    return result


@app.get("/qbo/status", middlewares=[require_admin])
def qbo_status() -> dict:
    return qbo.connection_status(
        admin_org(app), connections=ports["connections"], vault=ports["vault"]
    )


@app.post("/qbo/disconnect", middlewares=[require_admin])
def qbo_disconnect() -> dict:
    org_id = admin_org(app)
    result = qbo.disconnect(
        org_id, oauth=ports["oauth"], vault=ports["vault"], connections=ports["connections"]
    )
    logger.info("qbo disconnected", extra={"org_id": org_id, **result})
    return result


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
