"""The carriers parcels are packed for (GET/PUT /settings/carriers): each carrier's per-parcel weight limit,
the carrier of each store, and the default. Checkout reads the settings with its prices (one BatchGetItem)
and packs each child order into parcels under its carrier's limit (oms.domain.parcels); orders placed
before a change keep the parcels they were packed into."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.errors import Forbidden, PreconditionFailed
from oms.domain.parcels import CarrierSettings
from oms.domain.permissions import Actor, Permission
from oms.store import keys
from oms.store.pricing_admin import PricingAdminRepository
from oms.views.pricing import settings_meta

CARRIERS_SUBJECT = "SETTINGS#FULFILMENT#CARRIERS"  # the audit trail's subject of carrier changes

Json = dict[str, Any]


class CarrierSettingsService:
    def __init__(self, repository: PricingAdminRepository, clock: Callable[[], datetime] = utcnow) -> None:
        self.repository = repository  # its settings rows are generic: a JSON document with a version
        self.clock = clock

    @staticmethod
    def _require(actor: Actor) -> None:
        if not actor.can(Permission.STORE_WRITE):
            raise Forbidden(f"carrier settings need the {Permission.STORE_WRITE.value} permission")

    def get(self, actor: Actor) -> Json:
        self._require(actor)
        item = self.repository.settings(keys.CARRIER_SETTINGS)
        settings = CarrierSettings.from_dict(item.data if item else None)
        return {**settings.to_dict(), **settings_meta(item)}

    def put(self, actor: Actor, settings: CarrierSettings, if_match: int | None, reason: str | None) -> Json:
        """Replace the carrier settings (conditional on the version read; an audit entry in the same write)."""
        self._require(actor)
        current = self.repository.settings(keys.CARRIER_SETTINGS)
        version = int(current.version) if current else 0
        if if_match is not None and if_match != version:
            raise PreconditionFailed("the carrier settings changed since you read them (If-Match)")
        item = self.repository.put_settings(
            keys.CARRIER_SETTINGS,
            settings.to_dict(),
            expected_version=version,
            subject=CARRIERS_SUBJECT,
            action="carriers.update",
            actor=actor,
            reason=reason,
            before=current.data if current else None,
            now=to_rfc3339(self.clock()),
        )
        return {**CarrierSettings.from_dict(item.data).to_dict(), **settings_meta(item)}
