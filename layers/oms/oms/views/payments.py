"""Payments, refunds, ledger lines and cases as the API shows them."""

from __future__ import annotations

from typing import Any

from oms.domain.refunds import RefundRoute
from oms.store.records import AnomalyRecord, AttemptRecord, LedgerLineRecord, OrderRecord, RefundRecord, money_of


def attempt_view(item: AttemptRecord) -> dict[str, Any]:
    return {
        "paymentId": item.paymentId,
        "orderId": item.orderId,
        "method": item.method,
        "status": item.status,
        "amount": item.amount.money().to_dict(),
        "goodsAmount": item.goodsAmount.money().to_dict(),
        "surcharge": item.surcharge.money().to_dict(),
        "received": item.received.money().to_dict() if item.received else None,
        "providerReference": item.providerReference,
        "instructions": item.instructions,
        "review": item.review,
        "closedAtProvider": item.closure,
        "createdAt": item.createdAt,
        "updatedAt": item.updatedAt,
    }


def ledger_line_view(item: LedgerLineRecord) -> dict[str, Any]:
    return {
        "postingId": item.postingId,
        "kind": item.kind,
        "account": item.account,
        "amount": item.amount.money().to_dict(),
        "memo": item.memo,
        "at": item.at,
        "orderId": item.orderId,
        "paymentId": item.paymentId,
    }


def anomaly_view(item: AnomalyRecord) -> dict[str, Any]:
    return {
        "anomalyId": item.anomalyId,
        "type": item.anomalyType,
        "orderId": item.orderId,
        "paymentId": item.paymentId,
        "expected": item.expected.money().to_dict(),
        "received": item.received.money().to_dict(),
        "status": item.status,
        "notes": item.notes,
        "refund": item.refund,
        "resolution": item.resolution,
        "createdAt": item.createdAt,
        "updatedAt": item.updatedAt,
    }


def refund_view(item: RefundRecord) -> dict[str, Any]:
    return {
        "refundId": item.refundId,
        "paymentId": item.paymentId or None,
        "method": item.method,
        "amount": item.amount.money().to_dict(),
        "status": item.status,
        "reason": item.reason,
        "providerReference": item.providerReference,
        "anomalyId": item.anomalyId,
        "route": item.route or RefundRoute.PROVIDER.value,
        "failures": int(item.failures or 0),
        "lastError": item.lastError,
        "nextTryAt": item.nextTry,
        "failure": item.failure,
        "resolution": item.resolution,
        "createdAt": item.createdAt,
        "updatedAt": item.updatedAt,
        **_request_of(item),
    }


def _request_of(item: RefundRecord) -> dict[str, Any]:
    """The refund request a leg belongs to (legs written before requests existed have none)."""
    if item.requestId is None:
        return {}
    return {"requestId": item.requestId, "caseId": item.caseId}


def payment_summary(record: OrderRecord) -> dict[str, Any]:
    """The order's payment picture, derived from its ledger lines (never a stored flag): what it is owed
    (total less cancelled and written-off value), what it received and gave back, what it still asks for."""
    money = money_of(record)
    return {
        "status": money.status.value,
        "owed": money.owed.to_dict(),
        "received": money.received.to_dict(),
        "refunded": money.refunded.to_dict(),
        "outstanding": money.outstanding.to_dict(),
        "attempts": [attempt_view(a) for a in sorted(record.payments, key=lambda a: a.paymentId)],
        "refunds": [refund_view(r) for r in record.refunds],
    }


def refund_facts(item: RefundRecord) -> dict[str, Any]:
    """Whose money a refund sends back, how much and why: what its events carry (`oms.domain.events`)."""
    return {
        "orderId": item.orderId,
        "customerId": item.customerId,
        "refundId": item.refundId,
        "paymentId": item.paymentId,
        "method": item.method,
        "amount": item.amount.money().to_dict(),
        "reason": item.reason,
        "anomalyId": item.anomalyId,
        **_request_of(item),
    }
