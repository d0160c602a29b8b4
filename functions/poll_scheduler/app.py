"""EventBridge schedule: one poll message per connected org (the fan-out)."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from crm_finance import wiring
from crm_finance.domain.poll_schedule import schedule_polls

logger = Logger()
ports = wiring.schedule_ports()  # fail fast on missing configuration at cold start


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    scheduled = parse(event=event, model=EventBridgeModel)
    result = schedule_polls(**ports)
    logger.info(
        "Starting invoice status poller", extra={"scheduled_at": str(scheduled.time), **result}
    )
    return result
