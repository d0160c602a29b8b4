"""Applies pending schema migrations; run after every deploy. Safe to run twice."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from crm_finance import wiring
from crm_finance.adapters.postgres.migrate import apply_migrations

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    applied = apply_migrations(wiring.database().url)
    logger.info("migrations applied", extra={"applied": applied})
    return {"applied": applied}
