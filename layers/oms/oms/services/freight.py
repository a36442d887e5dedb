"""Freight templates of a store: list, read, create or replace (If-Match), delete (If-Match), and which one
is the store's default. Permission (store:write) is the edge's; the store scope of merchant staff is here:
a store-scoped actor writes only its own stores' templates (any other store answers 404)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.errors import InvalidRequest, NotFound, PreconditionFailed
from oms.domain.freight import FLAT_TEMPLATE_ID, FreightTemplate, flat_template
from oms.domain.money import Money
from oms.domain.permissions import Actor
from oms.services.access import in_scope
from oms.store.freight import BookChanged, FreightRepository, FreightTemplateRecord

BOOK_ATTEMPTS = 5  # writes of one store's templates race on its book: read it again and retry


def template_view(
    store_id: str, template: FreightTemplate, *, is_default: bool, updated_at: str | None
) -> dict[str, Any]:
    body = template.to_dict()
    currency = template.currency
    return {
        "storeId": store_id,
        "templateId": template.template_id,
        "name": template.name,
        "currency": currency,
        "basis": template.basis.value,
        "rules": [
            {
                "regions": r["regions"],
                "first": r["first"],
                "firstFee": Money(int(r["firstFee"]), currency).to_dict(),
                "additional": r["additional"],
                "additionalFee": Money(int(r["additionalFee"]), currency).to_dict(),
            }
            for r in body["rules"]  # type: ignore[attr-defined]
        ],
        "freeShipping": [
            {
                "regions": f["regions"],
                "minAmount": None if f["minAmount"] is None else Money(int(f["minAmount"]), currency).to_dict(),
                "minQuantity": f["minQuantity"],
            }
            for f in body["freeShipping"]  # type: ignore[attr-defined]
        ],
        "excludedRegions": body["excluded"],
        "isDefault": is_default,
        "version": template.version,
        "updatedAt": updated_at,
    }


def _view(record: FreightTemplateRecord) -> dict[str, Any]:
    return template_view(record.store_id, record.template, is_default=record.is_default, updated_at=record.updated_at)


class FreightService:
    def __init__(self, repository: FreightRepository, clock: Callable[[], datetime] = utcnow) -> None:
        self.repository = repository
        self.clock = clock

    def list(self, store_id: str) -> dict[str, Any]:
        """The store's templates and its default: a template's id, or the flat fee (`flat-fee`) as a template."""
        store, _, _ = self.repository.store_and_book(store_id)
        if store is None:
            raise NotFound(f"store {store_id} not found")
        records, default = self.repository.templates(store_id)
        items = [_view(r) for r in records]
        threshold = store.freeShippingThreshold.money() if store.freeShippingThreshold else None
        flat = flat_template(store.currency, store.shippingFee.money(), threshold)
        flat_view = template_view(store_id, flat, is_default=default is None, updated_at=store.updatedAt)
        return {"items": items, "defaultTemplateId": default or FLAT_TEMPLATE_ID, "flatFee": flat_view}

    def get(self, store_id: str, template_id: str) -> dict[str, Any]:
        record = self.repository.template(store_id, template_id)
        if record is None:
            raise NotFound(f"freight template {template_id} of store {store_id} not found")
        return _view(record)

    def _scoped(self, actor: Actor, store_id: str) -> None:
        if not in_scope(actor, store_id):
            raise NotFound(f"store {store_id} not found")

    def put(
        self,
        actor: Actor,
        store_id: str,
        template: FreightTemplate,
        *,
        is_default: bool | None,
        if_match: int | None,
    ) -> tuple[dict[str, Any], bool]:
        """Create or replace the template (True: created); with If-Match only if it still has that version."""
        self._scoped(actor, store_id)
        if template.template_id == FLAT_TEMPLATE_ID:
            raise InvalidRequest(
                f"{FLAT_TEMPLATE_ID} is the store's flat fee: change it with PUT /stores", field="templateId"
            )
        for attempt in range(BOOK_ATTEMPTS):
            store, book, map_open = self.repository.store_and_book(store_id)
            if store is None:
                raise NotFound(f"store {store_id} not found")
            if template.currency != store.currency:
                raise InvalidRequest(f"fees are in the store's currency ({store.currency})", field="currency")
            current = self.repository.current_version(store_id, template.template_id)
            if if_match is not None and current != if_match:
                raise PreconditionFailed("the freight template has changed since you read it (If-Match)")
            stored = replace(template, version=(current or 0) + 1)
            now = to_rfc3339(self.clock())
            try:
                new = self.repository.write(
                    store_id,
                    book,
                    map_open=map_open,
                    put=stored,
                    delete=None,
                    previous_version=current,
                    make_default=is_default,
                    actor=actor,
                    now=now,
                )
            except BookChanged:
                if attempt + 1 == BOOK_ATTEMPTS:
                    raise
                continue
            view = template_view(store_id, stored, is_default=new.default == stored.template_id, updated_at=now)
            return view, current is None
        raise AssertionError("unreachable")

    def delete(self, actor: Actor, store_id: str, template_id: str, *, if_match: int | None) -> None:
        """Delete the template; SKUs that named it ship by the store's default from then on (a deleted
        default leaves the flat fee as the default). Orders placed keep what they froze."""
        self._scoped(actor, store_id)
        for attempt in range(BOOK_ATTEMPTS):
            store, book, map_open = self.repository.store_and_book(store_id)
            current = self.repository.current_version(store_id, template_id)
            if store is None or current is None:
                raise NotFound(f"freight template {template_id} of store {store_id} not found")
            if if_match is not None and current != if_match:
                raise PreconditionFailed("the freight template has changed since you read it (If-Match)")
            try:
                self.repository.write(
                    store_id,
                    book,
                    map_open=map_open,
                    put=None,
                    delete=template_id,
                    previous_version=current,
                    make_default=None,
                    actor=actor,
                    now=to_rfc3339(self.clock()),
                )
            except BookChanged:
                if attempt + 1 == BOOK_ATTEMPTS:
                    raise
                continue
            return
