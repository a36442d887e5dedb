"""Cognito's post-confirmation trigger: a self-registered account that confirmed its email or phone joins
the `customer` group, so its next token lets the shopper check out.

Only `PostConfirmation_ConfirmSignUp` adds the group (a confirmed forgotten-password reset is not a new
account). Adding is idempotent, so a replayed event changes nothing. The event is returned as Cognito
expects; a failure is logged and raised, so Cognito reports it to the client and the sign-up can be
confirmed again. The same handler runs in the local stack (`POST /_local/users`) against its directory.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PostConfirmationTriggerEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import wiring
from oms.adapters.users import CUSTOMER_GROUP

logger = Logger()

CONFIRM_SIGN_UP = "PostConfirmation_ConfirmSignUp"


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    trigger = PostConfirmationTriggerEvent(event)
    if trigger.trigger_source != CONFIRM_SIGN_UP:
        return event
    logger.append_keys(user_pool_id=trigger.user_pool_id, username=trigger.user_name)
    try:
        wiring.user_groups(trigger.user_pool_id).add_to_group(trigger.user_name, CUSTOMER_GROUP)
    except Exception:
        logger.exception("could not add the confirmed account to the customer group")
        raise
    logger.info("confirmed account joined the customer group")
    return event
