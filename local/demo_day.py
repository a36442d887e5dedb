"""A scripted day of demo traffic through a running local stack, over its public HTTP API.

Shoppers buy the demo catalogue across both stores and pay with Alipay, WeChat Pay and card through the
sandboxes; some orders are cancelled or left unpaid; the warehouse ships the rest and the carrier
sandbox delivers them; some shoppers confirm receipt; one return is refunded through an after-sales
case. Everything goes through the same routes a client uses (tokens from `/_local/token`, payments paid
on the sandbox's pay endpoint), so what the day leaves behind is what the stack's consumers, exports
and scheduled reports make of real traffic. The run is reproducible for a given `--seed`.

Usage: python -m oms_local.demo_day [--api http://127.0.0.1:3000] [--orders 24] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from typing import Any

LOCAL_API = "http://127.0.0.1:3000"
# Demo SKUs (local/oms/seed.py) and how often a cart picks them.
CATALOGUE = {
    "TEE-RED-M": 5,
    "TEE-BLK-M": 3,
    "MUG-STD": 4,
    "NOTE-A5": 4,
    "LAMP-DESK": 2,
    "TEAPOT-GLASS": 1,
    "TEA-LJ-100": 3,
    "TEA-LJ-250": 1,
}
METHODS = {"alipay": 5, "wechat": 4, "card": 2}
ADDRESSES = [
    {"name": "韩梅梅", "phone": "13800000001", "line1": "世纪大道 88 号", "city": "上海", "country": "CN"},
    {"name": "Li Lei", "phone": "13900000002", "line1": "1 Chang'an Ave", "city": "Beijing", "country": "CN"},
    {"name": "Wang Fang", "phone": "13700000003", "line1": "18 West Lake Rd", "city": "Hangzhou", "country": "CN"},
]


class DemoError(RuntimeError):
    """A step of the day got an answer it did not expect."""


@dataclass
class Api:
    base_url: str
    calls: int = 0

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        key: bool = False,
        params: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if key:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        data = None if body is None else json.dumps(body).encode()
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        request = urllib.request.Request(f"{self.base_url}{path}{query}", data=data, method=method, headers=headers)
        self.calls += 1
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def expect(self, expected: int | tuple[int, ...], method: str, path: str, **options: Any) -> Any:
        status, answer = self.call(method, path, **options)
        if status not in ((expected,) if isinstance(expected, int) else expected):
            raise DemoError(f"{method} {path}: {status} {answer}")
        return answer

    def token(self, subject: str, role: str) -> str:
        return str(self.expect(200, "POST", "/_local/token", body={"sub": subject, "roles": [role]})["token"])


@dataclass
class DayResult:
    orders: dict[str, str] = field(default_factory=dict)  # order id -> what the day did with it
    payments: Counter[str] = field(default_factory=Counter)  # method -> paid orders
    shoppers: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)
    calls: int = 0
    started_at: str = ""  # RFC 3339: the day's first order is placed after it
    baseline: int = 0  # orders today's statistics held before the day began

    def outcomes(self) -> Counter[str]:
        return Counter(self.orders.values())


def eventually(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def run_day(api: Api, *, orders: int = 24, seed: int = 7, shoppers: int = 6) -> DayResult:
    """Place `orders` orders and take each to an end of the day; returns what happened to each."""
    rng = random.Random(seed)
    run = uuid.uuid4().hex[:6]
    result = DayResult(shoppers=[f"demo-day-{run}-{n}" for n in range(shoppers)])
    result.started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    result.baseline = _placed_today(api, api.token("demo-finance", "finance"))
    tokens = {name: api.token(name, "customer") for name in result.shoppers}
    for n, name in enumerate(result.shoppers):  # contacts and language: where their notifications go
        api.expect(
            200,
            "PUT",
            "/me/notification-preferences",
            token=tokens[name],
            body={"locale": ("zh-CN", "en")[n % 2], "email": f"{name}@shop.example", "phone": f"+86139{n:08d}"},
        )
    warehouse, support = api.token("demo-warehouse", "warehouse"), api.token("demo-support", "support")
    delivered: list[tuple[str, str, dict[str, Any]]] = []
    for n in range(orders):
        shopper = result.shoppers[n % shoppers]
        token = tokens[shopper]
        skus = rng.sample(list(CATALOGUE), k=rng.choice((1, 1, 2, 3)))
        lines = [{"skuId": sku, "quantity": rng.choice((1, 1, 2))} for sku in skus]
        placed = api.expect(
            201,
            "POST",
            "/orders",
            token=token,
            key=True,
            body={"lines": lines, "shippingAddress": rng.choice(ADDRESSES)},
        )
        order_id = placed["orderId"]
        fate = rng.random()
        if fate < 0.1:  # the shopper changes their mind
            api.expect(200, "POST", f"/orders/{order_id}/cancel", token=token, body={"reason": "changed my mind"})
            result.orders[order_id] = "cancelled"
            continue
        method = _weighted(rng, METHODS)
        payment = api.expect(
            201, "POST", f"/orders/{order_id}/payments", token=token, key=True, body={"method": method}
        )
        if fate < 0.2:  # started paying, never finished: the payment timer cancels it at its deadline
            result.orders[order_id] = "unpaid"
            continue
        api.expect(200, "POST", f"/_local/sandbox/payments/{payment['paymentId']}/pay", body={})
        result.payments[method] += 1
        order = eventually(partial(_paid, api, order_id, token), f"order {order_id} paid")
        if fate < 0.35:  # paid, waiting for the warehouse at the end of the day
            result.orders[order_id] = "paid"
            continue
        for child in order["children"]:
            tracking = f"SF{uuid.uuid4().hex[:10].upper()}"
            api.expect(
                201,
                "POST",
                f"/orders/{child['childOrderId']}/shipments",
                token=warehouse,
                body={"carrier": "sf", "trackingNumber": tracking},
            )
            if fate >= 0.5:
                api.expect(
                    200,
                    "POST",
                    "/_local/sandbox/carriers/sf/events",
                    body={"trackingNumber": tracking, "status": "DELIVERED"},
                )
        if fate < 0.5:
            result.orders[order_id] = "shipped"
            continue
        eventually(partial(_status_is, api, order_id, token, "DELIVERED"), f"order {order_id} delivered")
        if fate < 0.8:
            api.expect(200, "POST", f"/orders/{order_id}/confirm-receipt", token=token, body={})
            result.orders[order_id] = "completed"
        else:
            result.orders[order_id] = "delivered"
            delivered.append((order_id, token, order))
    if delivered:  # one shopper returns a delivered item: refund only, approved by support
        order_id, token, order = delivered[0]
        child = order["children"][0]
        case = api.expect(
            201,
            "POST",
            f"/orders/{order_id}/after-sales",
            token=token,
            key=True,
            body={
                "childOrderId": child["childOrderId"],
                "type": "refund_only",
                "lines": [{"lineNo": child["lines"][0]["lineNo"], "quantity": 1}],
                "reason": "damaged",
                "note": "arrived cracked",
            },
        )
        if case["status"] == "REQUESTED":
            api.expect(200, "POST", f"/after-sales/{case['caseId']}/approve", token=support, body={"note": "sorry"})
        eventually(
            lambda: api.expect(200, "GET", f"/after-sales/{case['caseId']}", token=token)["status"] == "RESOLVED",
            "the refund of the case",
        )
        result.cases.append(case["caseId"])
        result.orders[order_id] = "refunded"
    result.calls = api.calls
    return result


# ---------------------------------------------------------------- what the stack made of the day
EXPORT_FIELDS = ["orderNumber", "status", "createdAt", "stores", "total", "lines", "shippingName", "shippingPhone"]
REPORT_TYPES = (
    "sales-daily",
    "financial-daily",
    "settlement-daily",
    "reconciliation-alipay",
    "reconciliation-wechat",
    "reconciliation-card",
)
CHINA = timezone(timedelta(hours=8))


@dataclass
class Aftermath:
    messages: Counter[str] = field(default_factory=Counter)  # channel -> messages to the day's shoppers
    inbox_unread: int = 0  # the first shopper's unread in-app notifications
    sales: dict[str, Any] = field(default_factory=dict)  # today's platform figures (GET /stats/sales)
    payments: dict[str, Any] = field(default_factory=dict)
    exports: dict[str, dict[str, Any]] = field(default_factory=dict)  # format -> the finished export
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)  # type -> the published report


def aftermath(api: Api, day: DayResult, *, timeout: float = 120.0) -> Aftermath:
    """Wait for the consumers, then read what the day produced: notifications, statistics, an export in
    each format (finance: personal data masked) and the scheduled reports of the day, fired now."""
    finance = api.token("demo-finance", "finance")
    shoppers = {name: api.token(name, "customer") for name in day.shoppers}
    out = Aftermath()
    today = datetime.now(UTC).date().isoformat()
    placed = day.baseline + len(day.orders)

    def counted() -> dict[str, Any] | None:
        stats = api.expect(200, "GET", "/stats/sales", token=finance, params={"from": today, "to": today})
        series = stats["series"]
        return {**series[0], "currency": stats["currency"]} if series and series[0]["placedOrders"] >= placed else None

    out.sales = eventually(counted, "the statistics to count the day's orders", timeout)
    out.payments = api.expect(200, "GET", "/stats/payments", token=finance, params={"from": today, "to": today})[
        "series"
    ][0]
    for name in day.shoppers:
        for message in api.expect(200, "GET", "/_local/outbox/messages", params={"to": f"{name}@shop.example"})[
            "items"
        ]:
            out.messages[message["channel"]] += 1
        for message in api.expect(200, "GET", "/_local/outbox/messages", params={"channel": "sms"})["items"]:
            if message["to"] == f"+86139{day.shoppers.index(name):08d}":
                out.messages["sms"] += 1
    out.inbox_unread = int(api.expect(200, "GET", "/me/notifications", token=shoppers[day.shoppers[0]])["unreadCount"])
    for export_format in ("csv", "xlsx", "pdf"):
        job = api.expect(
            202,
            "POST",
            "/exports",
            token=finance,
            key=True,
            body={"format": export_format, "fields": EXPORT_FIELDS, "filters": {"createdFrom": day.started_at}},
        )
        out.exports[export_format] = eventually(
            partial(_export_done, api, finance, job["exportId"]), f"the {export_format} export", timeout
        )
    api.expect(200, "PUT", "/_local/sandbox/bills/same-day", body={"enabled": True})
    china_day, utc_day = datetime.now(CHINA).date().isoformat(), today
    for report in REPORT_TYPES:
        period = china_day if report in ("reconciliation-alipay", "reconciliation-wechat") else utc_day
        api.expect(200, "POST", f"/_local/schedules/{report}", body={"period": period})
    for report in REPORT_TYPES:
        period = china_day if report in ("reconciliation-alipay", "reconciliation-wechat") else utc_day
        out.reports[report] = eventually(
            partial(_report, api, finance, report, period), f"the {report} report", timeout
        )
    return out


def summary_lines(after: Aftermath) -> list[str]:
    sales, payments = after.sales, after.payments
    lines = [
        f"notifications to the day's shoppers: {dict(sorted(after.messages.items()))}",
        f"  unread in the first shopper's inbox: {after.inbox_unread}",
        f"statistics today: {sales['placedOrders']} placed, {sales['paidOrders']} paid",
        f"  sales {sales['sales']} ({sales['currency']} minor units)",
        f"  payment attempts {payments['attempts']}, succeeded {payments['succeeded']}",
    ]
    for export_format, job in after.exports.items():
        lines.append(f"export {export_format}: {job['rowsDone']} rows, {job['bytes']} bytes, masked {job['masked']}")
        lines.append(f"  {job['download']['url']}")
    for report, published in after.reports.items():
        files = ", ".join(f"{item['name']} ({item['size']} bytes)" for item in published["files"])
        lines.append(f"report {report} {published['period']}: {files}")
    return lines


def _placed_today(api: Api, token: str) -> int:
    today = datetime.now(UTC).date().isoformat()
    series = api.expect(200, "GET", "/stats/sales", token=token, params={"from": today, "to": today})["series"]
    return int(series[0]["placedOrders"]) if series else 0


def _export_done(api: Api, token: str, export_id: str) -> dict[str, Any] | None:
    job = api.expect(200, "GET", f"/exports/{export_id}", token=token)
    if job["state"] == "FAILED":
        raise DemoError(f"export {export_id} failed: {job.get('failure')}")
    return dict(job) if job["state"] == "SUCCEEDED" else None


def _report(api: Api, token: str, report: str, period: str) -> dict[str, Any] | None:
    page = api.expect(200, "GET", "/reports", token=token, params={"type": report, "from": period})
    found = [item for item in page["items"] if item["period"] == period]
    return dict(found[0]) if found else None


def _paid(api: Api, order_id: str, token: str) -> dict[str, Any] | None:
    order = api.expect(200, "GET", f"/orders/{order_id}", token=token)
    return order if order["status"] == "PAID" else None


def _status_is(api: Api, order_id: str, token: str, status: str) -> bool:
    return bool(api.expect(200, "GET", f"/orders/{order_id}", token=token)["status"] == status)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="oms_local.demo_day", description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", default=LOCAL_API, help=f"the local stack's API (default {LOCAL_API})")
    parser.add_argument("--orders", type=int, default=24, help="orders to place (default 24)")
    parser.add_argument("--seed", type=int, default=7, help="the random seed of the day (default 7)")
    parser.add_argument("--traffic-only", action="store_true", help="only the traffic: no exports, no reports")
    args = parser.parse_args(argv)
    api = Api(args.api.rstrip("/"))
    started = time.monotonic()
    day = run_day(api, orders=args.orders, seed=args.seed)
    print(f"{len(day.orders)} orders in {time.monotonic() - started:.1f} s ({day.calls} API calls)")
    for outcome, count in sorted(day.outcomes().items()):
        print(f"  {outcome:<10} {count}")
    print("  paid with " + ", ".join(f"{method} {count}" for method, count in sorted(day.payments.items())))
    if args.traffic_only:
        return 0
    after = aftermath(api, day)
    for line in summary_lines(after):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
