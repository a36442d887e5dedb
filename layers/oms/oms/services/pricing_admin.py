"""Pricing administration use cases: promotions, coupon templates and issuance, customers' coupons,
points programmes, FX rates and points accounts. Each change is authorized here, validated as a
domain value before it reaches the store, and written in one transaction with its audit entry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from oms.domain.clock import parse_rfc3339, to_rfc3339, utcnow
from oms.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound, PreconditionFailed
from oms.domain.fx import FxRate
from oms.domain.membership import MEASURE, MemberTiers, membership_view
from oms.domain.permissions import Actor, Permission
from oms.domain.promotions import CouponTemplate, PointsRules, Promotion, Scope, WindowState
from oms.domain.rules_json import points_rules_to_dict, promotion_from_dict, promotion_to_dict, template_to_dict
from oms.services.idempotency import raise_if_key_in_use, replay
from oms.store import keys
from oms.store.audit import add_audit
from oms.store.pages import Page
from oms.store.payments import add_idempotency
from oms.store.pricing import (
    COUPON_AVAILABLE,
    COUPON_USED,
    COUPON_VOID,
    DEFAULT_REPORTING_CURRENCY,
    PROMOTION_ACTIVE,
    PROMOTION_ENDED,
    TEMPLATE_ACTIVE,
    PointsInsufficient,
    add_points_change,
)
from oms.store.pricing_admin import (
    FX_SUBJECT,
    MEMBER_TIERS_SUBJECT,
    POINTS_SUBJECT,
    CouponTemplateInactive,
    PricingAdminRepository,
    PromotionEnded,
    points_subject,
)
from oms.store.records import CouponRecord, PricingSettingsRecord
from oms.store.transactions import Part, Transaction, TransactionCancelled
from oms.views.pricing import audit_view, coupon_view, points_entry_view, settings_meta, template_view

Json = dict[str, Any]
COUPON_STATUSES = (COUPON_AVAILABLE, COUPON_USED, COUPON_VOID)
PROMOTION_STATUSES = (PROMOTION_ACTIVE, PROMOTION_ENDED)


class CouponTemplateExpired(Conflict):
    slug = "coupon-template-expired"
    title = "The coupon template's validity has ended"


class PricingAdminService:
    def __init__(self, repository: PricingAdminRepository, clock: Callable[[], datetime] = utcnow) -> None:
        self.repository = repository
        self.clock = clock

    def _now(self) -> str:
        return to_rfc3339(self.clock())

    # ---------------------------------------------------------------- authorization
    @staticmethod
    def _require(actor: Actor, permission: Permission, what: str) -> None:
        if not actor.can(permission):
            raise Forbidden(f"{what} needs the {permission.value} permission")

    @staticmethod
    def _require_staff_read(actor: Actor, what: str) -> None:
        if not (actor.can(Permission.PROMOTION_MANAGE) or actor.can(Permission.ORDER_READ_ANY)):
            raise Forbidden(f"{what} are for staff")

    def _check_scope(self, scope: Scope, currency: str | None) -> None:
        """A store-scoped rule names a store that exists, and its amounts are in that store's currency."""
        if scope.store_id is None:
            return
        stores = self.repository.store_currencies()
        if scope.store_id not in stores:
            raise _invalid(f"store {scope.store_id} does not exist", "scope.storeId")
        if currency is not None and currency != stores[scope.store_id]:
            raise _invalid(
                f"store {scope.store_id} sells in {stores[scope.store_id]}; the rule's amounts are in {currency}",
                "scope.storeId",
            )

    # ---------------------------------------------------------------- promotions
    def promotions(self, actor: Actor, store_id: str | None, status: str | None) -> list[Json]:
        self._require_staff_read(actor, "promotions")
        if status is not None and status not in PROMOTION_STATUSES:
            raise _invalid("status is ACTIVE or ENDED", "status")
        now = self.clock()
        entries = [
            entry
            for entry in self.repository.promotions().values()
            if (status is None or entry.get("status") == status)
            and (store_id is None or (entry.get("scope") or {}).get("storeId") == store_id)
        ]
        entries.sort(key=lambda e: (str(e.get("createdAt")), str(e["promotionId"])), reverse=True)
        return [_promotion_view(e, now) for e in entries]

    def promotion(self, actor: Actor, promotion_id: str) -> Json:
        self._require_staff_read(actor, "promotions")
        entry = self.repository.promotions().get(promotion_id)
        if entry is None:
            raise NotFound(f"promotion {promotion_id} not found")
        return {
            **_promotion_view(entry, self.clock()),
            "audit": self._audit(f"PROMOTION#{promotion_id}"),
        }

    def create_promotion(self, actor: Actor, promotion: Promotion, reason: str | None) -> Json:
        self._require(actor, Permission.PROMOTION_MANAGE, "managing promotions")
        self._check_scope(promotion.scope, promotion.currency)
        now = self._now()
        entry = {
            **promotion_to_dict(promotion),
            "status": PROMOTION_ACTIVE,
            "createdAt": now,
            "createdBy": actor.subject,
            "updatedAt": now,
            "updatedBy": actor.subject,
            "version": 1,
        }

        def create(before: Json | None) -> Json:
            if before is not None:  # ids are fresh ULIDs: only a retried write of our own could meet one
                raise Conflict(f"promotion {promotion.promotion_id} already exists")
            return entry

        written = self.repository.write_promotion(
            promotion.promotion_id, create, action="promotion.create", actor=actor, reason=reason, now=now
        )
        return _promotion_view(written, self.clock())

    def replace_promotion(self, actor: Actor, promotion: Promotion, if_match: int | None, reason: str | None) -> Json:
        self._require(actor, Permission.PROMOTION_MANAGE, "managing promotions")
        self._check_scope(promotion.scope, promotion.currency)
        now = self._now()

        def replace(before: Json | None) -> Json:
            current = _live_entry(promotion.promotion_id, before, if_match)
            if current["status"] == PROMOTION_ENDED:
                raise PromotionEnded(f"promotion {promotion.promotion_id} has ended; create a new one")
            return {
                **promotion_to_dict(promotion),
                "status": PROMOTION_ACTIVE,
                "createdAt": current.get("createdAt"),
                "createdBy": current.get("createdBy"),
                "updatedAt": now,
                "updatedBy": actor.subject,
                "version": int(current.get("version", 0)) + 1,
            }

        written = self.repository.write_promotion(
            promotion.promotion_id, replace, action="promotion.update", actor=actor, reason=reason, now=now
        )
        return _promotion_view(written, self.clock())

    def end_promotion(self, actor: Actor, promotion_id: str, if_match: int | None, reason: str | None) -> Json:
        """ENDED at once (checkout stops applying it); the entry stays for history. Ending twice is a no-op."""
        self._require(actor, Permission.PROMOTION_MANAGE, "managing promotions")
        now = self._now()

        def end(before: Json | None) -> Json | None:
            current = _live_entry(promotion_id, before, if_match)
            if current["status"] == PROMOTION_ENDED:
                return None
            return {
                **current,
                "status": PROMOTION_ENDED,
                "updatedAt": now,
                "updatedBy": actor.subject,
                "version": int(current.get("version", 0)) + 1,
            }

        written = self.repository.write_promotion(
            promotion_id, end, action="promotion.end", actor=actor, reason=reason, now=now
        )
        return _promotion_view(written, self.clock())

    # ---------------------------------------------------------------- coupon templates
    def templates(self, actor: Actor, limit: int | None, cursor: str | None) -> Page[Json]:
        self._require_staff_read(actor, "coupon templates")
        return self.repository.templates(limit, cursor).map(template_view)

    def template(self, actor: Actor, template_id: str) -> Json:
        self._require_staff_read(actor, "coupon templates")
        item = self.repository.template(template_id)
        if item is None:
            raise NotFound(f"coupon template {template_id} not found")
        return {**template_view(item), "audit": self._audit(f"COUPONTPL#{template_id}")}

    def create_template(self, actor: Actor, template: CouponTemplate, reason: str | None) -> Json:
        self._require(actor, Permission.PROMOTION_MANAGE, "managing coupon templates")
        self._check_scope(template.scope, template.currency)
        item = self.repository.create_template(template_to_dict(template), actor=actor, reason=reason, now=self._now())
        return template_view(item)

    def disable_template(self, actor: Actor, template_id: str, if_match: int | None, reason: str | None) -> Json:
        self._require(actor, Permission.PROMOTION_MANAGE, "managing coupon templates")
        item = self.repository.template(template_id)
        if item is None:
            raise NotFound(f"coupon template {template_id} not found")
        if if_match is not None and if_match != int(item.version):
            raise PreconditionFailed("the template changed since you read it (If-Match)")
        if item.status != TEMPLATE_ACTIVE:
            raise CouponTemplateInactive(f"coupon template {template_id} is already disabled")
        return template_view(self.repository.disable_template(item, actor=actor, reason=reason, now=self._now()))

    # ---------------------------------------------------------------- issuing
    def issue(
        self,
        actor: Actor,
        template_id: str,
        *,
        customer_ids: list[str] | None,
        public_code: str | None,
        reason: str | None,
        idempotency_key: str | None,
        fingerprint: str,
    ) -> tuple[int, Json, bool]:
        """Issue one coupon to each customer, or one public code, in one transaction with the template's
        counter and an audit entry (and the idempotency record when a key is given).
        Returns (status, body, replayed)."""
        self._require(actor, Permission.PROMOTION_MANAGE, "issuing coupons")
        stored = None if idempotency_key is None else self.repository.stored_response(actor.subject, idempotency_key)
        replayed = replay(stored, fingerprint)
        if replayed is not None:
            return replayed
        item = self.repository.template(template_id)
        if item is None:
            raise NotFound(f"coupon template {template_id} not found")
        if item.status != TEMPLATE_ACTIVE:
            raise CouponTemplateInactive(f"coupon template {template_id} is disabled: it issues no more coupons")
        now = self._now()
        ends_at = (item.definition.get("window") or {}).get("endsAt")
        if ends_at is not None and parse_rfc3339(ends_at) <= parse_rfc3339(now):
            raise CouponTemplateExpired(f"coupon template {template_id} expired at {ends_at}")
        body: Json = {}

        def record(tx: Transaction, coupons: list[CouponRecord]) -> None:
            body.clear()
            body.update(
                {
                    "templateId": template_id,
                    "issued": len(coupons),
                    "coupons": [_coupon_view(c, TEMPLATE_ACTIVE) for c in coupons],
                }
            )
            if idempotency_key is not None:
                add_idempotency(tx, actor.subject, idempotency_key, fingerprint, 201, body, now)

        try:
            self.repository.issue_coupons(
                item, customer_ids, public_code, actor=actor, reason=reason, now=now, extra=record
            )
        except TransactionCancelled as cancelled:
            raise_if_key_in_use(cancelled)
            raise
        return 201, body, False

    # ---------------------------------------------------------------- coupons
    def my_coupons(self, actor: Actor, status: str | None, limit: int | None, cursor: str | None) -> Page[Json]:
        if status is not None and status not in COUPON_STATUSES:
            raise _invalid("status is AVAILABLE, USED or VOID", "status")
        items, next_cursor = self.repository.customer_coupons(actor.subject, status, limit, cursor)
        return Page(self._coupon_views(items), next_cursor)

    def coupon(self, actor: Actor, code: str) -> Json:
        """A public code is readable by anyone signed in (it is meant to be shared); an issued coupon only
        by its owner and staff. Anyone else gets the same 404 as for a missing code."""
        item = self.repository.coupon(code.upper())
        staff = actor.can(Permission.PROMOTION_MANAGE) or actor.can(Permission.ORDER_READ_ANY)
        if item is None or not (staff or item.ownerId is None or item.ownerId == actor.subject):
            raise NotFound(f"coupon {code} not found")
        return self._coupon_views([item])[0]

    def _coupon_views(self, items: list[CouponRecord]) -> list[Json]:
        statuses = self.repository.template_statuses(i.templateId for i in items)
        return [{**coupon_view(i), "templateStatus": statuses.get(i.templateId)} for i in items]

    def _audit(self, subject: str) -> list[Json]:
        return [audit_view(i) for i in self.repository.audit(subject)]

    def template_coupons(self, actor: Actor, template_id: str, limit: int | None, cursor: str | None) -> Page[Json]:
        self._require_staff_read(actor, "issued coupons")
        item = self.repository.template(template_id)
        if item is None:
            raise NotFound(f"coupon template {template_id} not found")
        coupons, next_cursor = self.repository.template_coupons(template_id, limit, cursor)
        return Page([_coupon_view(c, item.status) for c in coupons], next_cursor)

    # ---------------------------------------------------------------- points programmes
    def points_rules(self, actor: Actor) -> Json:
        self._require(actor, Permission.PRICING_SETTINGS, "pricing settings")
        item = self.repository.settings(keys.POINTS_SETTINGS)
        return {
            "programmes": item.data if item else {},
            **settings_meta(item),
            "audit": self._audit(POINTS_SUBJECT),
        }

    def put_points_rules(
        self, actor: Actor, programmes: dict[str, PointsRules], if_match: int | None, reason: str | None
    ) -> Json:
        self._require(actor, Permission.PRICING_SETTINGS, "pricing settings")
        current = self.repository.settings(keys.POINTS_SETTINGS)
        version = _check_version(current, if_match)
        data = {currency: points_rules_to_dict(rules) for currency, rules in sorted(programmes.items())}
        item = self.repository.put_settings(
            keys.POINTS_SETTINGS,
            data,
            expected_version=version,
            subject=POINTS_SUBJECT,
            action="points-rules.update",
            actor=actor,
            reason=reason,
            before=current.data if current else None,
            now=self._now(),
        )
        return {"programmes": item.data, **settings_meta(item)}

    # ---------------------------------------------------------------- member tiers
    def member_tiers(self, actor: Actor) -> Json:
        self._require(actor, Permission.PRICING_SETTINGS, "pricing settings")
        item = self.repository.settings(keys.MEMBER_TIERS_SETTINGS)
        return {
            "measure": MEASURE,
            "tiers": (item.data.get("tiers") or []) if item else [],
            **settings_meta(item),
            "audit": self._audit(MEMBER_TIERS_SUBJECT),
        }

    def put_member_tiers(self, actor: Actor, tiers: MemberTiers, if_match: int | None, reason: str | None) -> Json:
        """Replace the tiers (lowest first). Customers' tiers follow at once: a tier is computed from the
        lifetime points earned at each quote and checkout, never stored on the customer."""
        self._require(actor, Permission.PRICING_SETTINGS, "pricing settings")
        current = self.repository.settings(keys.MEMBER_TIERS_SETTINGS)
        version = _check_version(current, if_match)
        item = self.repository.put_settings(
            keys.MEMBER_TIERS_SETTINGS,
            {"tiers": tiers.to_list()},
            expected_version=version,
            subject=MEMBER_TIERS_SUBJECT,
            action="member-tiers.update",
            actor=actor,
            reason=reason,
            before=current.data if current else None,
            now=self._now(),
        )
        return {"measure": MEASURE, "tiers": item.data["tiers"], **settings_meta(item)}

    def membership(self, actor: Actor, customer_id: str) -> Json:
        """A customer's tier, the measure it follows, the next tier and the points missing to reach it: the
        customer's own; anyone's for the staff who price orders for customers (manual orders: admin, support)
        or configure the tiers (pricing settings); others get a 404, as for another's points."""
        staff = actor.can(Permission.ORDER_CREATE_MANUAL) or actor.can(Permission.PRICING_SETTINGS)
        if customer_id != actor.subject and not staff:
            raise NotFound("no such membership")
        earned, tiers = self.repository.membership_inputs(customer_id)
        return membership_view(customer_id, tiers, earned)

    # ---------------------------------------------------------------- FX rates
    def fx_rates(self, actor: Actor) -> Json:
        self._require(actor, Permission.PRICING_SETTINGS, "pricing settings")
        item = self.repository.settings(keys.FX_SETTINGS)
        return {**_fx_view(item), **settings_meta(item), "audit": self._audit(FX_SUBJECT)}

    def put_fx_rates(
        self,
        actor: Actor,
        reporting_currency: str,
        rates: dict[str, FxRate],
        if_match: int | None,
        reason: str | None,
    ) -> Json:
        """Replace every rate. A rate that did not change keeps its `updatedAt` (when it was last set)."""
        self._require(actor, Permission.PRICING_SETTINGS, "pricing settings")
        current = self.repository.settings(keys.FX_SETTINGS)
        version = _check_version(current, if_match)
        now = self._now()
        old = current.data if current else {}
        old_rates = old.get("rates", {}) if old.get("reportingCurrency") == reporting_currency else {}
        stored: Json = {}
        for currency, rate in sorted(rates.items()):
            previous = old_rates.get(currency) or {}
            unchanged = (previous.get("numerator"), previous.get("denominator")) == (rate.numerator, rate.denominator)
            stored[currency] = {
                "numerator": rate.numerator,
                "denominator": rate.denominator,
                "updatedAt": previous.get("updatedAt", now) if unchanged else now,
            }
        data = {"reportingCurrency": reporting_currency, "rates": stored}
        item = self.repository.put_settings(
            keys.FX_SETTINGS,
            data,
            expected_version=version,
            subject=FX_SUBJECT,
            action="fx-rates.update",
            actor=actor,
            reason=reason,
            before=current.data if current else None,
            now=now,
        )
        return {**_fx_view(item), **settings_meta(item)}

    # ---------------------------------------------------------------- points accounts
    def points_of(self, actor: Actor, customer_id: str, limit: int | None, cursor: str | None) -> Json:
        staff = actor.can(Permission.POINTS_ADJUST) or actor.can(Permission.ORDER_READ_ANY)
        if customer_id != actor.subject and not staff:
            raise NotFound("no such points account")
        account, _ = self.repository.points_context(customer_id, None)
        page = self.repository.points_entries(customer_id, limit, cursor)
        return {
            "customerId": customer_id,
            "available": int(account.available) if account else 0,
            "entries": [points_entry_view(i) for i in page.items],
            "next_cursor": page.next_cursor,
        }

    def adjust_points(
        self,
        actor: Actor,
        customer_id: str,
        delta: int,
        *,
        reason: str,
        idempotency_key: str,
        fingerprint: str,
    ) -> tuple[int, Json, bool]:
        """Credit or debit a customer's points with a ledger entry and an audit entry, in one transaction.
        A debit never takes the account below zero (409 `points-insufficient`, nothing written)."""
        self._require(actor, Permission.POINTS_ADJUST, "adjusting points")
        account, stored = self.repository.points_context(customer_id, (actor.subject, idempotency_key))
        replayed = replay(stored, fingerprint)
        if replayed is not None:
            return replayed
        available = int(account.available) if account else 0
        if available + delta < 0:
            raise PointsInsufficient("the account does not hold enough points for this debit", available=available)
        now = self._now()
        tx = Transaction()
        entry = add_points_change(
            tx, customer_id, delta, kind="adjust", order_id=None, reason=reason, by=actor.subject, now=now
        )
        add_audit(
            tx,
            points_subject(customer_id),
            "points.adjust",
            actor=actor,
            now=now,
            before={"available": available},
            after={"available": available + delta, "delta": delta},
            reason=reason,
        )
        body = {
            "customerId": customer_id,
            "delta": delta,
            "available": available + delta,
            "entry": points_entry_view(entry),
        }
        add_idempotency(tx, actor.subject, idempotency_key, fingerprint, 201, body, now)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            raise_if_key_in_use(cancelled)
            if cancelled.failed(Part.POINTS):
                raise PointsInsufficient(
                    "the points changed; the account no longer holds enough for this debit"
                ) from cancelled
            raise
        return 201, body, False


# ---------------------------------------------------------------- helpers
def _invalid(message: str, field: str) -> InvalidRequest:
    return InvalidRequest(message, field=field, errors=[{"field": field, "message": message, "code": "rule"}])


def _live_entry(promotion_id: str, entry: Json | None, if_match: int | None) -> Json:
    if entry is None:
        raise NotFound(f"promotion {promotion_id} not found")
    if if_match is not None and if_match != int(entry.get("version", 0)):
        raise PreconditionFailed("the promotion changed since you read it (If-Match)")
    return entry


def _promotion_view(entry: Json, now: datetime) -> Json:
    """The stored entry, plus where `now` falls in its window (not_started | active | ended)."""
    window = promotion_from_dict(entry).window.state(now)
    state = WindowState.ENDED.value if entry.get("status") == PROMOTION_ENDED else window.value
    return {**entry, "windowState": state}


def _coupon_view(item: CouponRecord, template_status: str | None) -> Json:
    return {**coupon_view(item), "templateStatus": template_status}


def _check_version(current: PricingSettingsRecord | None, if_match: int | None) -> int:
    version = int(current.version) if current else 0
    if if_match is not None and if_match != version:
        raise PreconditionFailed("the settings changed since you read them (If-Match)")
    return version


def _fx_view(item: PricingSettingsRecord | None) -> Json:
    data = item.data if item else {}
    reporting = data.get("reportingCurrency") or DEFAULT_REPORTING_CURRENCY
    rates = {}
    for currency, stored in sorted((data.get("rates") or {}).items()):
        rate = FxRate(currency, reporting, int(stored["numerator"]), int(stored["denominator"]))
        rates[currency] = {
            "rate": rate.display(18),
            "numerator": rate.numerator,
            "denominator": rate.denominator,
            "updatedAt": stored.get("updatedAt"),
        }
    return {"reportingCurrency": reporting, "rates": rates}
