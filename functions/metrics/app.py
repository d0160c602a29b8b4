"""GET /metrics for Prometheus: counters derived from PostgreSQL, a fresh registry per scrape."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from crm_finance import wiring
from crm_finance.domain.auth import authenticate_metrics
from crm_finance.domain.metrics import render_metrics
from crm_finance.http.errors import register_exception_handlers

logger = Logger()
app = APIGatewayHttpResolver()
register_exception_handlers(app)
ports = wiring.metrics_ports()  # fail fast on missing configuration at cold start


@app.get("/metrics")
def metrics() -> Response:
    authenticate_metrics(app.current_event.headers.get("authorization"), expected=ports["token"]())
    exposition = render_metrics(ports["state"])
    if exposition.errors:
        logger.error("metrics scrape incomplete", extra={"errors": exposition.errors})
    return Response(200, exposition.content_type, exposition.body.decode())


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
