"""Staff notes on an order and recorded customer communications (seed 000's "order notes", "record
communications"): the vocabulary and the limits, checked before anything is written.

A note is internal (staff only) or visible to the shopper; a communication records what was said to or by
the customer on a channel, and is always internal. Text is kept as sent and answered as JSON text: clients
render it as text, never as HTML."""

from __future__ import annotations

from enum import StrEnum

from oms.domain.errors import Conflict, InvalidRequest

MAX_NOTE_TEXT = 2000  # characters
MAX_NOTES_PER_ORDER = 200  # notes are read with the order (one partition Query): their number is bounded


class NoteKind(StrEnum):
    NOTE = "note"
    COMMUNICATION = "communication"


class NoteVisibility(StrEnum):
    INTERNAL = "internal"
    SHOPPER = "shopper"


class CommunicationChannel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    SMS = "sms"
    IN_PERSON = "in-person"
    OTHER = "other"


class NotesFull(Conflict):
    slug = "notes-limit-reached"
    title = "The order has as many notes as it may keep"


def check_note(
    kind: NoteKind, visibility: NoteVisibility, channel: CommunicationChannel | None, text: str, count: int
) -> str:
    """The note's text (trimmed), once the note fits: 422 for what the request got wrong, 409 when the order
    has `MAX_NOTES_PER_ORDER` already."""
    text = text.strip()
    if not text:
        raise InvalidRequest("a note needs some text", field="text")
    if len(text) > MAX_NOTE_TEXT:
        raise InvalidRequest(f"a note's text is at most {MAX_NOTE_TEXT} characters", field="text")
    if kind is NoteKind.COMMUNICATION:
        if channel is None:
            raise InvalidRequest("a communication says on which channel it happened", field="channel")
        if visibility is not NoteVisibility.INTERNAL:
            raise InvalidRequest("a recorded communication is internal", field="visibility")
    elif channel is not None:
        raise InvalidRequest("only a communication has a channel", field="channel")
    if count >= MAX_NOTES_PER_ORDER:
        raise NotesFull(f"the order keeps at most {MAX_NOTES_PER_ORDER} notes", limit=MAX_NOTES_PER_ORDER)
    return text
