"""POST /payments/webhook: verify the Stripe signature, store the event once, enqueue, 200."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from crm_finance import wiring
from crm_finance.domain.webhook import receive_stripe_event
from crm_finance.http.errors import register_exception_handlers

logger = Logger()
app = APIGatewayHttpResolver()
register_exception_handlers(app)
ports = wiring.webhook_ports()  # fail fast on missing configuration at cold start


@app.post("/payments/webhook")
def stripe_webhook() -> dict:
    request = app.current_event
    outcome = receive_stripe_event(
        request.decoded_body or "", request.headers.get("stripe-signature"), **ports
    )
    logger.info(
        "stripe event recorded",
        extra={
            "stripe_event_id": outcome.event_id,
            "status": outcome.status.value,
            "duplicate": outcome.duplicate,
        },
    )
    return {
        "received": True,
        "event_id": outcome.event_id,
        "status": outcome.status.value,
        "duplicate": outcome.duplicate,
    }


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
