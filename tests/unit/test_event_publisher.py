"""The relay's EventPublisher on EventBridge: one refusal (or None) per entry, whole-call failures raised."""

from __future__ import annotations

from typing import Any

import pytest
from oms.adapters.outbox import EventBridgePublisher

ENTRY = {"Source": "oms", "DetailType": "OrderPlaced", "Detail": "{}", "EventBusName": "bus"}


class Events:
    def __init__(self, answer: dict[str, Any] | Exception) -> None:
        self.answer = answer
        self.calls: list[list[dict[str, str]]] = []

    def put_events(self, Entries: list[dict[str, str]]) -> dict[str, Any]:
        self.calls.append(Entries)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_accepted_entries_have_no_refusal() -> None:
    events = Events({"FailedEntryCount": 0, "Entries": [{"EventId": "1"}, {"EventId": "2"}]})
    assert EventBridgePublisher(lambda: events).publish([ENTRY, ENTRY]) == [None, None]
    assert events.calls == [[ENTRY, ENTRY]]


def test_refused_entries_say_why_in_their_place() -> None:
    answer = {"FailedEntryCount": 1, "Entries": [{"EventId": "1"}, {"ErrorCode": "Throttled", "ErrorMessage": "m"}]}
    assert EventBridgePublisher(lambda: Events(answer)).publish([ENTRY, ENTRY]) == [None, "Throttled: m"]


def test_a_failed_call_raises() -> None:
    with pytest.raises(RuntimeError, match="down"):
        EventBridgePublisher(lambda: Events(RuntimeError("down"))).publish([ENTRY])
