"""Reading one Secrets Manager secret's string, for adapters configured by a secret ARN."""

from __future__ import annotations


class SecretUnreadable(Exception):
    """The secret could not be read; the message names the cause (an AWS error code), never a value."""


def read_secret_string(arn: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    from oms.faults import aws_client  # lazily: only deployed functions read secrets

    try:
        secret = aws_client("secretsmanager").get_secret_value(SecretId=arn)
    except ClientError as error:
        raise SecretUnreadable(str(error.response.get("Error", {}).get("Code", "error"))) from None
    except BotoCoreError as error:
        raise SecretUnreadable(type(error).__name__) from None
    text = secret.get("SecretString")
    if not isinstance(text, str) or not text:
        raise SecretUnreadable("no string value")
    return text
