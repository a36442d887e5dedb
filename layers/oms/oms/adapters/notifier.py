"""Where notifications leave the system: email through SES, SMS through SNS (a publish to a phone number).
The in-app inbox is the table's (oms.store.notifications); this is only what goes outside.

The function's environment gives the sender (`SENDER_EMAIL`, an identity verified in SES); the local stack
and the tests configure their own through `oms.wiring.Adapters(notifier=...)`."""

from __future__ import annotations

import os
from functools import cache
from typing import Any, Protocol


class Notifier(Protocol):
    def send_email(self, to: str, subject: str, html: str) -> str:
        """Send an HTML email; returns the provider's message id (raises when it was not taken)."""

    def send_sms(self, phone: str, text: str) -> str:
        """Send a text message to an E.164 phone number; returns the provider's message id."""


class AwsNotifier:
    """SES `SendEmail` and SNS `Publish`, with clients made at first use (the call budget of oms.faults)."""

    def __init__(self, sender: str, ses: Any = None, sns: Any = None) -> None:
        self.sender = sender
        self._ses = ses
        self._sns = sns

    @property
    def ses(self) -> Any:
        if self._ses is None:
            from oms.faults import aws_client

            self._ses = aws_client("ses")
        return self._ses

    @property
    def sns(self) -> Any:
        if self._sns is None:
            from oms.faults import aws_client

            self._sns = aws_client("sns")
        return self._sns

    def send_email(self, to: str, subject: str, html: str) -> str:
        answer = self.ses.send_email(
            Source=self.sender,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Html": {"Data": html, "Charset": "UTF-8"}},
            },
        )
        return str(answer["MessageId"])

    def send_sms(self, phone: str, text: str) -> str:
        answer = self.sns.publish(
            PhoneNumber=phone,
            Message=text,
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
        )
        return str(answer["MessageId"])


@cache
def notifier_from_environment() -> AwsNotifier:
    return AwsNotifier(os.environ.get("SENDER_EMAIL", "no-reply@example.com"))
