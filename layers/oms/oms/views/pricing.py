"""Coupons, points entries, audit entries and settings metadata as the API shows them."""

from __future__ import annotations

from typing import Any

from oms.store.pricing_admin import template_snapshot
from oms.store.records import AuditRecord, CouponRecord, CouponTemplateRecord, PointsEntryRecord, PricingSettingsRecord

Json = dict[str, Any]


def coupon_view(item: CouponRecord) -> dict[str, Any]:
    return {
        "code": item.code,
        "templateId": item.templateId,
        "template": item.template,
        "ownerId": item.ownerId,
        "status": item.status,
        "orderId": item.orderId,
        "issuedAt": item.issuedAt,
        "usedAt": item.usedAt,
    }


def points_entry_view(item: PointsEntryRecord) -> dict[str, Any]:
    return {
        "delta": int(item.delta),
        "kind": item.kind,
        "orderId": item.orderId,
        "reason": item.reason,
        "by": item.by,
        "at": item.at,
    }


def audit_view(item: AuditRecord) -> Json:
    return {
        "action": item.action,
        "by": item.by,
        "role": item.role,
        "at": item.at,
        "before": item.before,
        "after": item.after,
        "reason": item.reason,
    }


def settings_meta(item: PricingSettingsRecord | None) -> Json:
    return {
        "version": int(item.version) if item else 0,
        "updatedAt": item.updatedAt if item else None,
        "updatedBy": item.updatedBy if item else None,
    }


def template_view(item: CouponTemplateRecord) -> Json:
    return template_snapshot(item)
