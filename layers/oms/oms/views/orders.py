"""Orders as the API shows them, and the order summary events carry."""

from __future__ import annotations

from typing import Any

from oms.domain.fx import FxRate, to_reporting
from oms.domain.order import OrderStatus
from oms.domain.order_pricing import PricedOrder
from oms.store.records import ChildRecord, HeaderRecord, OrderRecord, ShipmentRecord, shipped_quantities


def _reporting_total(header: HeaderRecord) -> dict[str, Any] | None:
    pricing = header.pricing or {}
    fx = pricing.get("fx")
    if not fx:
        return None
    return to_reporting(header.total.money(), FxRate.from_dict(fx)).to_dict()


def order_summary(header: HeaderRecord) -> dict[str, Any]:
    return {
        "orderId": header.orderId,
        "orderNumber": header.orderNumber,
        "customerId": header.customerId,
        "status": header.status,
        "currency": header.currency,
        "total": header.total.money().to_dict(),
        # The total in the reporting currency at the rate frozen at placement (None: no rate then).
        "reportingTotal": _reporting_total(header),
        "storeIds": list(header.storeIds),
        "paymentDeadline": header.paymentDeadline,
        "createdAt": header.createdAt,
        "updatedAt": header.updatedAt,
    }


def line_facts(record: OrderRecord) -> list[dict[str, Any]]:
    """What statistics need of each line (order events carry it): product, category, store, quantity, the
    amount payable and that amount in the reporting currency at the order's frozen rate (None: no rate)."""
    fx = (record.header.pricing or {}).get("fx")
    rate = FxRate.from_dict(fx) if fx else None
    facts = []
    for line in sorted(record.lines, key=lambda line: int(line.lineNo)):
        payable = line.payable.money()
        facts.append(
            {
                "lineNo": int(line.lineNo),
                "productId": line.productId,
                "skuId": line.skuId,
                "storeId": line.storeId,
                "categoryId": (line.pricing or {}).get("categoryId"),
                "quantity": int(line.quantity),
                "payable": payable.to_dict(),
                "reportingPayable": None if rate is None else to_reporting(payable, rate).to_dict(),
            }
        )
    return facts


def breakdown_of(priced: PricedOrder) -> dict[str, Any]:
    """The order-level money columns of a priced order, exactly as `order_view` shows them once placed."""
    discount = priced.goods_discount + priced.shipping_discount + priced.points.value
    return {
        "subtotal": priced.subtotal.to_dict(),
        "shipping": priced.shipping.to_dict(),
        "discount": discount.to_dict(),
        "total": (priced.total + priced.balance).to_dict(),
        "balanceUsed": priced.balance.to_dict(),
        "amountDue": priced.total.to_dict(),
        "pointsUsed": priced.points.debited,
        "pointsEarned": priced.points.earned,
    }


def _breakdown(header: HeaderRecord) -> dict[str, Any]:
    breakdown: dict[str, Any] = {
        "subtotal": header.subtotal.money().to_dict(),
        "shipping": header.shipping.money().to_dict(),
        "discount": header.discount.money().to_dict(),
        "total": header.total.money().to_dict(),
    }
    pricing = header.pricing
    if pricing:  # orders placed before promotions have only the columns above
        breakdown.update(
            {
                "balanceUsed": pricing["balance"],
                "amountDue": pricing["total"],
                "pointsUsed": pricing["points"]["debited"],
                "pointsEarned": pricing["points"]["earned"],
            }
        )
    return breakdown


def order_view(record: OrderRecord) -> dict[str, Any]:
    header = record.header
    view = order_summary(header)
    view.pop("total")
    view.update(
        {
            "lines": [
                {
                    "lineNo": int(line.lineNo),
                    "skuId": line.skuId,
                    "productId": line.productId,
                    "storeId": line.storeId,
                    "warehouseId": line.warehouseId,
                    "name": line.name,
                    "unitPrice": line.unitPrice.money().to_dict(),
                    "quantity": int(line.quantity),
                    "lineTotal": line.lineTotal.money().to_dict(),
                    "shipping": line.shipping.money().to_dict(),
                    "discount": line.discount.money().to_dict(),
                    "payable": line.payable.money().to_dict(),
                    "pricing": line.pricing,
                }
                for line in sorted(record.lines, key=lambda line: int(line.lineNo))
            ],
            "breakdown": _breakdown(header),
            "pricing": header.pricing,
            "crossBorderAllowance": _allowance(header.crossBorderQuota),
            "children": [
                child_view(c, header.status, record.shipments)
                for c in sorted(record.children, key=lambda c: int(c.childNo))
            ],
            "deliveredAt": header.deliveredAt,
            "autoConfirmAt": header.autoConfirmAt,
            "shippingAddress": header.shippingAddress,
            "note": header.note,
            "cancellation": header.cancellation,
            "history": [
                {
                    "from": e.fromStatus,
                    "to": e.toStatus,
                    "by": e.by,
                    "role": e.role,
                    "at": e.at,
                    "reason": e.reason,
                }
                for e in sorted(record.events, key=lambda e: e.eventId)
            ],
            "version": int(header.version),  # the ETag an edit sends back as If-Match (PATCH /orders/{orderId})
        }
    )
    if header.manual is not None:
        view["manual"] = header.manual
    return view


def child_view(child: ChildRecord, order_status: str, shipments: list[ShipmentRecord]) -> dict[str, Any]:
    """A child order as the API shows it. Before the parent is paid (or while it is held or cancelled)
    the child shows the parent's status: it cannot move on its own until then."""
    own = child.status
    status = (
        order_status
        if order_status in (OrderStatus.PENDING_PAYMENT, OrderStatus.ON_HOLD, OrderStatus.CANCELLED)
        else own
    )
    view: dict[str, Any] = {
        "childOrderId": child.childId,
        "childNo": int(child.childNo),
        "status": status,
        "storeId": child.storeId,
        "warehouseId": child.warehouseId,
        "handling": child.handling,
        "crossBorder": child.crossBorder == "true",
        "total": child.total.money().to_dict(),
        "lines": [
            {"lineNo": int(p["lineNo"]), "skuId": p["skuId"], "quantity": int(p["quantity"]), "amounts": p["amounts"]}
            for p in child.parts
        ],
        "shipped": {str(k): v for k, v in shipped_quantities(child).items()},
        "releasedAt": child.releasedAt,
        "cancellation": child.cancellation,
        "shipments": [
            shipment_view(s) for s in sorted(shipments, key=lambda s: s.createdAt) if s.childId == child.childId
        ],
        "version": int(child.version),
        "parcels": parcels_view(child, shipments),
    }
    if child.replacementOf:
        view["replacementOf"] = child.replacementOf
    if child.heldFor:
        view["heldFor"] = child.heldFor
    return view


def _allowance(quota: dict[str, Any] | None) -> dict[str, Any] | None:
    if not quota:
        return None
    currency = str(quota["currency"])
    return {
        "year": int(quota["year"]),
        "amount": {"amount": int(quota["amount"]), "currency": currency},
        "limit": {"amount": int(quota["limit"]), "currency": currency},
    }


def parcels_view(child: ChildRecord, shipments: list[ShipmentRecord]) -> list[dict[str, Any]]:
    """The child's planned parcels, each with the shipment that carries it (oms.domain.parcels)."""
    carried = {int(s.parcelNo): s.shipmentId for s in shipments if s.childId == child.childId and s.parcelNo}
    return [{**parcel, "shipmentId": carried.get(int(parcel["parcelNo"]))} for parcel in child.parcels or []]


def shipment_view(item: ShipmentRecord) -> dict[str, Any]:
    return {
        "shipmentId": item.shipmentId,
        "childOrderId": item.childId,
        "carrier": item.carrier,
        "trackingNumber": item.trackingNumber,
        "lines": [
            {"lineNo": int(k), "quantity": int(v)} for k, v in sorted(item.lines.items(), key=lambda kv: int(kv[0]))
        ],
        "status": item.status,
        "tracking": item.events,
        "createdAt": item.createdAt,
        "updatedAt": item.updatedAt,
        "parcelNo": None if item.parcelNo is None else int(item.parcelNo),
    }
