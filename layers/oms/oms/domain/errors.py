"""Domain errors. Each carries a stable problem `type` slug and an HTTP status for the API layer."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the API turns into an RFC 9457 problem."""

    slug = "domain-error"
    title = "Request cannot be processed"
    status = 400

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class InvalidRequest(DomainError):
    slug = "validation-failed"
    title = "The request is not valid"
    status = 422


class NotFound(DomainError):
    slug = "not-found"
    title = "Not found"
    status = 404


class Forbidden(DomainError):
    slug = "forbidden"
    title = "Not allowed"
    status = 403


class Conflict(DomainError):
    slug = "conflict"
    title = "Conflict with the current state"
    status = 409


class IllegalTransition(Conflict):
    slug = "illegal-transition"
    title = "Illegal state transition"

    def __init__(self, entity: str, current: str, target: str) -> None:
        super().__init__(
            f"{entity} cannot move from {current} to {target}",
            current=current,
            target=target,
        )


class InsufficientStock(Conflict):
    slug = "insufficient-stock"
    title = "Not enough stock"

    def __init__(self, shortages: list[dict[str, Any]]) -> None:
        names = ", ".join(f"{s['skuId']} (requested {s['requested']}, available {s['available']})" for s in shortages)
        super().__init__(f"Not enough stock for: {names}", shortages=shortages)


class PreconditionFailed(DomainError):
    slug = "precondition-failed"
    title = "The resource has changed"
    status = 412
