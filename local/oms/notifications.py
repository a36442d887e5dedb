"""What the local stack's notifications send: through moto's SES and SNS (the functions' own adapter,
`oms.adapters.notifier.AwsNotifier`, with the sender identity verified in moto's SES first), and recorded
here so `GET /_local/outbox/messages` can show them, newest first, with recipient, channel, subject and body."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from oms.adapters.notifier import AwsNotifier
from oms.domain.clock import to_rfc3339, utcnow

KEPT = 1000  # messages kept (the oldest go first)


class RecordingNotifier:
    """SES and SNS as the functions call them, plus a record of every message they took."""

    def __init__(self, sender: str, ses: Any, sns: Any) -> None:
        self._sender = AwsNotifier(sender, ses, sns)
        self._ses = ses
        self._verified = False
        self._lock = threading.Lock()
        self._sent: deque[dict[str, Any]] = deque(maxlen=KEPT)

    def _verify(self) -> None:
        """moto's SES refuses mail from an unverified identity, as SES does: verify the sender at first use."""
        with self._lock:
            if not self._verified:
                self._ses.verify_email_identity(EmailAddress=self._sender.sender)
                self._verified = True

    def send_email(self, to: str, subject: str, html: str) -> str:
        self._verify()
        message_id = self._sender.send_email(to, subject, html)
        self._record("email", to, subject, html, message_id)
        return message_id

    def send_sms(self, phone: str, text: str) -> str:
        message_id = self._sender.send_sms(phone, text)
        self._record("sms", phone, None, text, message_id)
        return message_id

    def _record(self, channel: str, to: str, subject: str | None, body: str, message_id: str) -> None:
        entry = {
            "at": to_rfc3339(utcnow()),
            "channel": channel,
            "to": to,
            "from": self._sender.sender if channel == "email" else None,
            "subject": subject,
            "body": body,
            "messageId": message_id,
        }
        with self._lock:
            self._sent.append(entry)

    def messages(self, limit: int = 100, channel: str | None = None, to: str | None = None) -> list[dict[str, Any]]:
        """What was sent, newest first."""
        with self._lock:
            sent = list(self._sent)
        chosen = [
            m for m in reversed(sent) if (channel is None or m["channel"] == channel) and (to is None or m["to"] == to)
        ]
        return chosen[:limit]
