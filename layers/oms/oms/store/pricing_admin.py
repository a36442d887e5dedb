"""What operators configure for pricing, in the table: the promotion directory, coupon templates and
issued coupons, the points and FX settings, and the audit entries written with each change.

Every write is ONE labelled transaction with its conditions and its audit entry. The promotion
directory is one item (checkout prices from it in the same read as SKUs and stock), so a change
rewrites it conditioned on its version and retries a lost race with a fresh read.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from pynamodb.exceptions import DoesNotExist

from oms.domain.errors import Conflict, InvalidRequest, NotFound
from oms.domain.membership import MemberTiers
from oms.domain.permissions import Actor
from oms.store import keys
from oms.store.audit import add_audit, audit_records
from oms.store.models import (
    CouponItem,
    CouponTemplateItem,
    IdempotencyItem,
    Item,
    PointsAccountItem,
    PointsEntryItem,
    PricingSettingsItem,
    PromotionDirectoryItem,
    StoreDirectoryItem,
)
from oms.store.orders import stored_response
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.pricing import (
    COUPON_AVAILABLE,
    PROMOTION_ACTIVE,
    PROMOTION_ENDED,
    TEMPLATE_ACTIVE,
    TEMPLATE_DISABLED,
    member_tiers_from_settings,
)
from oms.store.records import (
    AuditRecord,
    CouponRecord,
    CouponTemplateRecord,
    PointsAccountRecord,
    PointsEntryRecord,
    PricingSettingsRecord,
    PromotionDirectoryRecord,
    StoredResponse,
)
from oms.store.rows import (
    coupon_record,
    coupon_template_record,
    points_account_record,
    points_entry_record,
    pricing_settings_record,
    promotion_directory_record,
)
from oms.store.transactions import Part, Transaction, TransactionCancelled

Json = dict[str, Any]

MAX_LIVE_PROMOTIONS = 200  # ACTIVE entries in the directory
MAX_ENDED_KEPT = 100  # ended entries kept in the directory; older ones live on in their audit entries
MAX_DIRECTORY_BYTES = 300_000  # the JSON map, well under DynamoDB's 400 KB item limit
DIRECTORY_ATTEMPTS = 4  # re-reads after losing a version race on the directory
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: codes are read aloud and typed
CODE_LENGTH = 12
CODE_ATTEMPTS = 3

POINTS_SUBJECT = "SETTINGS#PRICING#POINTS"
FX_SUBJECT = "SETTINGS#PRICING#FX"
MEMBER_TIERS_SUBJECT = "SETTINGS#PRICING#MEMBER_TIERS"


def promotion_subject(promotion_id: str) -> str:
    return f"PROMOTION#{promotion_id}"


def template_subject(template_id: str) -> str:
    return f"COUPONTPL#{template_id}"


def points_subject(customer_id: str) -> str:
    return f"POINTS#{customer_id}"


class PromotionLimitReached(InvalidRequest):
    slug = "promotion-limit-reached"
    title = "Too many promotions"


class PromotionEnded(Conflict):
    slug = "promotion-ended"
    title = "The promotion has ended"


class CouponTemplateInactive(Conflict):
    slug = "coupon-template-disabled"
    title = "The coupon template is disabled"


class CouponCodeTaken(Conflict):
    slug = "coupon-code-taken"
    title = "The coupon code is taken"


class ConcurrentChange(Conflict):
    slug = "concurrent-update"
    title = "The resource changed while this request was processed"


def new_coupon_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# ---------------------------------------------------------------- views
def template_snapshot(item: CouponTemplateRecord) -> Json:
    """A template as its audit entries record it (and the API shows it: `oms.views.pricing.template_view`)."""
    return {
        **item.definition,
        "status": item.status,
        "issued": int(item.issued),
        "used": int(item.used),
        "createdAt": item.createdAt,
        "createdBy": item.createdBy,
        "updatedAt": item.updatedAt,
        "version": int(item.version),
    }


PromotionChange = Callable[[Json | None], Json | None]


class PricingAdminRepository:
    # ---------------------------------------------------------------- audit
    def audit(self, subject: str, limit: int = 20) -> list[AuditRecord]:
        return audit_records(subject, limit)

    # ---------------------------------------------------------------- stores (scope checks)
    def store_currencies(self) -> dict[str, str]:
        try:
            directory = StoreDirectoryItem.get(*keys.STORE_DIRECTORY, consistent_read=True)
        except DoesNotExist:
            return {}
        return {store_id: str(policy["currency"]) for store_id, policy in directory.all_policies().items()}

    # ---------------------------------------------------------------- promotions
    def promotion_directory(self) -> PromotionDirectoryRecord | None:
        try:
            item = PromotionDirectoryItem.get(*keys.PROMOTION_DIRECTORY, consistent_read=True)
        except DoesNotExist:
            return None
        return promotion_directory_record(item)

    def promotions(self) -> dict[str, Json]:
        directory = self.promotion_directory()
        return dict(directory.promotions) if directory else {}

    def write_promotion(
        self,
        promotion_id: str,
        change: PromotionChange,
        *,
        action: str,
        actor: Actor,
        reason: str | None,
        now: str,
    ) -> Json:
        """Apply `change` to the promotion's entry (None: not there) and write the directory with an
        audit entry in one transaction, conditioned on the directory's version. `change` may raise
        (404, 412, 409) and is run again on a fresh read when another write won the race; when it
        returns None nothing changes and the current entry is returned."""
        for _ in range(DIRECTORY_ATTEMPTS):
            directory = self.promotion_directory()
            promotions: dict[str, Json] = dict(directory.promotions) if directory else {}
            before = promotions.get(promotion_id)
            after = change(before)
            if after is None:
                if before is None:
                    raise NotFound(f"promotion {promotion_id} not found")
                return before
            promotions[promotion_id] = after
            promotions = _within_limits(promotions, growing=before is None)
            version = int(directory.version) if directory else 0
            tx = Transaction()
            tx.put(
                Part.DIRECTORY,
                PromotionDirectoryItem(*keys.PROMOTION_DIRECTORY, promotions=promotions, version=version + 1),
                PromotionDirectoryItem.version == version if directory else PromotionDirectoryItem.PK.does_not_exist(),
            )
            add_audit(
                tx,
                promotion_subject(promotion_id),
                action,
                actor=actor,
                now=now,
                before=before,
                after=after,
                reason=reason,
            )
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                if cancelled.failed(Part.DIRECTORY):
                    continue  # another promotion write won: read again and decide again
                raise
            return after
        raise ConcurrentChange("the promotions kept changing concurrently; retry")

    # ---------------------------------------------------------------- coupon templates
    def template(self, template_id: str) -> CouponTemplateRecord | None:
        try:
            item = CouponTemplateItem.get(*keys.coupon_template(template_id), consistent_read=True)
        except DoesNotExist:
            return None
        return coupon_template_record(item)

    def templates(self, limit: int | None, cursor: str | None) -> Page[CouponTemplateRecord]:
        partition = keys.COUPON_TEMPLATES_GSI2
        results = Item.gsi2.query(
            partition,
            scan_index_forward=False,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr="GSI2PK", partition_value=partition),
        )
        items = [coupon_template_record(i) for i in results if isinstance(i, CouponTemplateItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))

    def create_template(self, definition: Json, *, actor: Actor, reason: str | None, now: str) -> CouponTemplateRecord:
        template_id = str(definition["templateId"])
        item = CouponTemplateItem(
            *keys.coupon_template(template_id),
            GSI2PK=keys.COUPON_TEMPLATES_GSI2,
            GSI2SK=f"{now}#{template_id}",
            templateId=template_id,
            definition=definition,
            status=TEMPLATE_ACTIVE,
            issued=0,
            used=0,
            createdAt=now,
            updatedAt=now,
            createdBy=actor.subject,
            version=1,
        )
        created = coupon_template_record(item)
        tx = Transaction()
        tx.put(Part.TEMPLATE, item, CouponTemplateItem.PK.does_not_exist())
        add_audit(
            tx,
            template_subject(template_id),
            "coupon-template.create",
            actor=actor,
            now=now,
            before=None,
            after=template_snapshot(created),
            reason=reason,
        )
        tx.commit()
        return created

    def disable_template(
        self, item: CouponTemplateRecord, *, actor: Actor, reason: str | None, now: str
    ) -> CouponTemplateRecord:
        """ACTIVE → DISABLED. Checkout conditions each use on ACTIVE, so no new use gets through from now;
        coupons already issued keep their status (they are simply unusable)."""
        version = int(item.version)
        before = template_snapshot(item)
        tx = Transaction()
        tx.update(
            Part.TEMPLATE,
            CouponTemplateItem(*keys.coupon_template(item.templateId)),
            [
                CouponTemplateItem.status.set(TEMPLATE_DISABLED),
                CouponTemplateItem.updatedAt.set(now),
                CouponTemplateItem.version.set(version + 1),
            ],
            (CouponTemplateItem.status == TEMPLATE_ACTIVE) & (CouponTemplateItem.version == version),
        )
        item = replace(item, status=TEMPLATE_DISABLED, updatedAt=now, version=version + 1)
        add_audit(
            tx,
            template_subject(item.templateId),
            "coupon-template.disable",
            actor=actor,
            now=now,
            before=before,
            after=template_snapshot(item),
            reason=reason,
        )
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.TEMPLATE):
                raise ConcurrentChange("the template changed while it was being disabled; read it again") from cancelled
            raise
        return item

    # ---------------------------------------------------------------- issuing coupons
    def issue_coupons(
        self,
        template: CouponTemplateRecord,
        owners: list[str] | None,
        public_code: str | None,
        *,
        actor: Actor,
        reason: str | None,
        now: str,
        extra: Callable[[Transaction, list[CouponRecord]], None] | None = None,
    ) -> list[CouponRecord]:
        """One coupon per owner (server-made codes), or one public code; the template's `issued` counter
        (conditioned on ACTIVE) and an audit entry; `extra` adds more pieces (the idempotency record).
        All in ONE transaction. A clash of a generated code retries with new codes."""
        for _ in range(CODE_ATTEMPTS):
            if owners is not None:
                coupons = [self._coupon(template, new_coupon_code(), owner, actor=actor, now=now) for owner in owners]
            else:
                assert public_code is not None
                coupons = [self._coupon(template, public_code, None, actor=actor, now=now)]
            tx = Transaction()
            for coupon in coupons:
                tx.put((Part.COUPON, coupon.code), coupon, CouponItem.PK.does_not_exist())
            tx.update(
                Part.TEMPLATE,
                CouponTemplateItem(*keys.coupon_template(template.templateId)),
                [
                    CouponTemplateItem.issued.add(len(coupons)),
                    CouponTemplateItem.updatedAt.set(now),
                ],
                CouponTemplateItem.status == TEMPLATE_ACTIVE,
            )
            add_audit(
                tx,
                template_subject(template.templateId),
                "coupon.issue",
                actor=actor,
                now=now,
                before={"issued": int(template.issued)},
                after={
                    "issued": int(template.issued) + len(coupons),
                    "coupons": [{"code": c.code, "ownerId": c.ownerId} for c in coupons],
                },
                reason=reason,
            )
            issued = [coupon_record(coupon) for coupon in coupons]
            if extra is not None:
                extra(tx, issued)
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                if cancelled.failed(Part.TEMPLATE):
                    raise CouponTemplateInactive(
                        f"coupon template {template.templateId} is disabled: it issues no more coupons"
                    ) from cancelled
                if cancelled.failed(Part.COUPON):
                    if public_code is not None:
                        raise CouponCodeTaken(f"the coupon code {public_code} is already in use") from cancelled
                    continue  # a generated code met an existing one (rare): draw new codes
                raise
            return issued
        raise ConcurrentChange("could not draw unused coupon codes; retry")

    @staticmethod
    def _coupon(template: CouponTemplateRecord, code: str, owner: str | None, *, actor: Actor, now: str) -> CouponItem:
        return CouponItem(
            *keys.coupon(code),
            GSI1PK=None if owner is None else keys.customer_coupons_gsi1(owner),
            GSI1SK=None if owner is None else f"COUPON#{now}#{code}",
            GSI2PK=keys.template_coupons_gsi2(template.templateId),
            GSI2SK=code,
            code=code,
            templateId=template.templateId,
            template=template.definition,
            ownerId=owner,
            status=COUPON_AVAILABLE,
            issuedAt=now,
            issuedBy=actor.subject,
            version=1,
        )

    # ---------------------------------------------------------------- reading coupons
    def coupon(self, code: str) -> CouponRecord | None:
        try:
            item = CouponItem.get(*keys.coupon(code), consistent_read=True)
        except DoesNotExist:
            return None
        return coupon_record(item)

    def customer_coupons(
        self, customer_id: str, status: str | None, limit: int | None, cursor: str | None
    ) -> tuple[list[CouponRecord], str | None]:
        partition = keys.customer_coupons_gsi1(customer_id)
        results = Item.gsi1.query(
            partition,
            Item.GSI1SK.startswith("COUPON#"),
            filter_condition=None if status is None else CouponItem.status == status,
            scan_index_forward=False,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr="GSI1PK", partition_value=partition),
        )
        items = [coupon_record(i) for i in results if isinstance(i, CouponItem)]
        return items, encode_cursor(results.last_evaluated_key)

    def template_coupons(
        self, template_id: str, limit: int | None, cursor: str | None
    ) -> tuple[list[CouponRecord], str | None]:
        partition = keys.template_coupons_gsi2(template_id)
        results = Item.gsi2.query(
            partition,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr="GSI2PK", partition_value=partition),
        )
        items = [coupon_record(i) for i in results if isinstance(i, CouponItem)]
        return items, encode_cursor(results.last_evaluated_key)

    def template_statuses(self, template_ids: Iterable[str]) -> dict[str, str]:
        """The current status of each template (one BatchGetItem), so a coupon view can say it is usable."""
        wanted = [keys.coupon_template(t) for t in dict.fromkeys(template_ids)]
        if not wanted:
            return {}
        return {
            i.templateId: i.status
            for i in Item.batch_get(wanted, consistent_read=True)
            if isinstance(i, CouponTemplateItem)
        }

    # ---------------------------------------------------------------- settings
    def settings(self, key: tuple[str, str]) -> PricingSettingsRecord | None:
        try:
            item = PricingSettingsItem.get(*key, consistent_read=True)
        except DoesNotExist:
            return None
        return pricing_settings_record(item)

    def put_settings(
        self,
        key: tuple[str, str],
        data: Json,
        *,
        expected_version: int,
        subject: str,
        action: str,
        actor: Actor,
        reason: str | None,
        before: Json | None,
        now: str,
    ) -> PricingSettingsRecord:
        """Replace a settings item (conditioned on the version read) with its audit entry, in one transaction."""
        item = PricingSettingsItem(
            *key, data=data, version=expected_version + 1, updatedAt=now, updatedBy=actor.subject
        )
        tx = Transaction()
        tx.put(
            Part.SETTINGS,
            item,
            PricingSettingsItem.version == expected_version
            if expected_version
            else PricingSettingsItem.PK.does_not_exist(),
        )
        add_audit(tx, subject, action, actor=actor, now=now, before=before, after=data, reason=reason)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.SETTINGS):
                raise ConcurrentChange("the settings were changed concurrently; read them again") from cancelled
            raise
        return pricing_settings_record(item)

    # ---------------------------------------------------------------- points
    def points_context(
        self, customer_id: str, idempotency: tuple[str, str] | None
    ) -> tuple[PointsAccountRecord | None, StoredResponse | None]:
        """The customer's points account and a stored response for the key: one consistent read."""
        wanted = [keys.points_account(customer_id)]
        if idempotency:
            wanted.append(keys.idempotency(*idempotency))
        account: PointsAccountRecord | None = None
        stored: StoredResponse | None = None
        for item in Item.batch_get(wanted, consistent_read=True):
            if isinstance(item, PointsAccountItem):
                account = points_account_record(item)
            elif isinstance(item, IdempotencyItem):
                stored = StoredResponse(item.requestHash, int(item.statusCode), json.loads(item.responseBody))
        return account, stored

    def stored_response(self, subject: str, key: str) -> StoredResponse | None:
        return stored_response(subject, key)

    def membership_inputs(self, customer_id: str) -> tuple[int, MemberTiers]:
        """The customer's lifetime points earned and the member tiers: one consistent BatchGetItem."""
        earned = 0
        settings: PricingSettingsItem | None = None
        wanted = [keys.points_account(customer_id), keys.MEMBER_TIERS_SETTINGS]
        for item in Item.batch_get(wanted, consistent_read=True):
            if isinstance(item, PointsAccountItem):
                earned = int(item.earned or 0)
            elif isinstance(item, PricingSettingsItem):
                settings = item
        return earned, member_tiers_from_settings(settings)

    def points_entries(self, customer_id: str, limit: int | None, cursor: str | None) -> Page[PointsEntryRecord]:
        partition = keys.points_account(customer_id)[0]
        results = Item.query(
            partition,
            Item.SK.startswith("ENTRY#"),
            scan_index_forward=False,
            consistent_read=True,
            limit=clamp_limit(limit),
            last_evaluated_key=decode_cursor(cursor, partition_attr="PK", partition_value=partition),
        )
        items = [points_entry_record(i) for i in results if isinstance(i, PointsEntryItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))


# ---------------------------------------------------------------- directory limits
def _within_limits(promotions: dict[str, Json], *, growing: bool) -> dict[str, Json]:
    """Cap live promotions, keep only the newest ended ones, and keep the item well under 400 KB."""
    live = [p for p in promotions.values() if p.get("status", PROMOTION_ACTIVE) == PROMOTION_ACTIVE]
    if growing and len(live) > MAX_LIVE_PROMOTIONS:
        raise PromotionLimitReached(
            f"at most {MAX_LIVE_PROMOTIONS} promotions may be live at once: end one first",
            limit=MAX_LIVE_PROMOTIONS,
        )
    ended = sorted(
        (pid for pid, p in promotions.items() if p.get("status") == PROMOTION_ENDED),
        key=lambda pid: (str(promotions[pid].get("updatedAt")), pid),
    )
    dropped = set(ended[: max(len(ended) - MAX_ENDED_KEPT, 0)])
    kept = {pid: p for pid, p in promotions.items() if pid not in dropped}
    size = len(json.dumps(kept, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_DIRECTORY_BYTES:
        raise PromotionLimitReached(
            "the promotions directory is full (large scopes): narrow a scope or end a promotion",
            limit=MAX_DIRECTORY_BYTES,
        )
    return kept
