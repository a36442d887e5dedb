"""The data-retention job, invoked daily by its EventBridge schedule (template.yaml): pseudonymises the
personal data of orders completed, cancelled or closed longer ago than the data-retention setting says
(`GET/PUT /settings/data-retention`; off until an admin turns it on), walking each closed status's index
range from where the last run stopped (`oms.services.personal_data.PersonalDataService.run_retention`).
A failure raises: Lambda retries the invocation, then puts it on the job's dead-letter queue, and the
alarm fires (docs/operations.md); a retry starts from the last saved position and erases nothing twice."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import wiring

logger = Logger()
services = wiring.services()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = services.personal_data.run_retention()
    logger.info("data retention run", extra=result)
    return result
