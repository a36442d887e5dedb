"""Demo data, created through the HTTP API with an admin token so it runs the real handlers.

Every step is idempotent, so seeding a stack that already holds the demo data changes nothing: the
store is a PUT, products go through Idempotency-Keys, and pricing rules are looked up (by name, code or
value) before they are created.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEMO_STORE_ID = "demo"


def _cny(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "CNY"}


def _sku(
    sku_id: str,
    name: str,
    price: int,
    stock: int,
    weight_grams: int,
    *,
    warehouse_id: str = "WH-SH",
    handling: str = "normal",
    cross_border: bool = False,
    **attributes: str,
) -> dict[str, Any]:
    sku: dict[str, Any] = {
        "skuId": sku_id,
        "name": name,
        "price": _cny(price),
        "stock": stock,
        "warehouseId": warehouse_id,
        "weightGrams": weight_grams,
        "attributes": attributes,
    }
    if handling != "normal":
        sku["handling"] = handling  # fragile, bulky and hazardous goods ship alone
    if cross_border:
        sku["crossBorder"] = True
    return sku


DEMO_STORE: dict[str, Any] = {
    "name": "Demo Store",
    "currency": "CNY",
    "shippingFee": _cny(1000),
    "freeShippingThreshold": _cny(9900),
}

# Prices in minor units (fen). MUG-LTD is the scarce SKU for oversell demos; HP-NC700 the pricey one.
DEMO_PRODUCTS: list[dict[str, Any]] = [
    {
        "storeId": DEMO_STORE_ID,
        "name": "Classic Tee",
        "description": "Heavyweight cotton T-shirt.",
        "category": "apparel",
        "attributes": {"material": "cotton"},
        "skus": [
            _sku("TEE-RED-M", "Red / M", 4900, 100, 200, color="red", size="M"),
            _sku("TEE-RED-L", "Red / L", 4900, 100, 220, color="red", size="L"),
            _sku("TEE-BLK-M", "Black / M", 5200, 80, 200, color="black", size="M"),
        ],
    },
    {
        "storeId": DEMO_STORE_ID,
        "name": "Ceramic Mug",
        "description": "350 ml stoneware mug; the signed edition is limited.",
        "category": "home",
        "attributes": {},
        "skus": [
            _sku("MUG-STD", "Standard", 2900, 200, 400, edition="standard"),
            _sku("MUG-LTD", "Signed limited edition", 5900, 10, 400, edition="limited"),
        ],
    },
    {
        "storeId": DEMO_STORE_ID,
        "name": "A5 Notebook",
        "description": "Dot-grid, 160 pages.",
        "category": "stationery",
        "attributes": {},
        "skus": [_sku("NOTE-A5", "Dot grid", 1500, 300, 250, paper="dot-grid")],
    },
    {
        "storeId": DEMO_STORE_ID,
        "name": "Noise-Cancelling Headphones",
        "description": "Over-ear, 30 h battery.",
        "category": "electronics",
        "attributes": {"warrantyMonths": "24"},
        "skus": [_sku("HP-NC700", "Black", 129900, 20, 250, color="black")],
    },
    # Goods that make a cart split into several parcels (docs/tutorial.md): a lamp in a second warehouse
    # (Beijing), a fragile item that ships alone, and cross-border goods that ship from the bonded
    # warehouse in parcels under the 5000.00 CNY customs limit.
    {
        "storeId": DEMO_STORE_ID,
        "name": "Desk Lamp",
        "description": "LED, dimmable; ships from the Beijing warehouse.",
        "category": "home",
        "attributes": {},
        "skus": [_sku("LAMP-DESK", "White", 6900, 60, 1200, warehouse_id="WH-BJ", color="white")],
    },
    {
        "storeId": DEMO_STORE_ID,
        "name": "Glass Teapot",
        "description": "1 L borosilicate glass, with infuser.",
        "category": "home",
        "attributes": {},
        "skus": [_sku("TEAPOT-GLASS", "1 L", 8900, 50, 900, handling="fragile", capacity="1 L")],
    },
    {
        "storeId": DEMO_STORE_ID,
        "name": "Automatic Watch (imported)",
        "description": "Swiss automatic movement, 40 mm; ships from the bonded warehouse.",
        "category": "watches",
        "attributes": {"origin": "CH"},
        "skus": [
            _sku("WATCH-AUTO", "Steel / 40 mm", 200000, 20, 300, warehouse_id="WH-BONDED", cross_border=True),
        ],
    },
]

# A second merchant of the marketplace, with its own warehouse and shipping policy: a cart with goods of
# both stores is paid once and ships as one parcel (child order) per merchant and warehouse.
SECOND_STORE_ID = "tea-house"
SECOND_STORE: dict[str, Any] = {
    "name": "Lotus Tea House 莲花茶庄",
    "currency": "CNY",
    "shippingFee": _cny(800),
    "freeShippingThreshold": _cny(15000),
}
SECOND_STORE_PRODUCTS: list[dict[str, Any]] = [
    {
        "storeId": SECOND_STORE_ID,
        "name": "West Lake Longjing 西湖龙井",
        "description": "Spring green tea from Hangzhou.",
        "category": "tea",
        "attributes": {"origin": "Hangzhou"},
        "skus": [
            _sku("TEA-LJ-100", "100 g tin 罐装", 6800, 200, 150, warehouse_id="WH-HZ", weight="100 g"),
            _sku("TEA-LJ-250", "250 g gift box 礼盒", 15800, 100, 400, warehouse_id="WH-HZ", weight="250 g"),
        ],
    },
]


# Pricing rules (seed 003's worked example): server-made ids, found again by name on a later run.
SEED_VALID_FROM = "2024-01-01T00:00:00Z"
DEMO_PROMOTION: dict[str, Any] = {
    "kind": "spend_and_save",
    "name": "Spend 200 save 50",
    "rule": {"tiers": [{"threshold": _cny(20000), "off": _cny(5000)}]},
    "scope": {"storeId": DEMO_STORE_ID},
    "window": {"startsAt": SEED_VALID_FROM},
    "reason": "demo seed",
}
DEMO_POINTS_PROGRAMME: dict[str, Any] = {  # 100 points = 1.00, at most 50 % of the goods, 1 point per 1.00
    "redeemRate": {"points": 100, "value": _cny(100)},
    "capBps": 5000,
    "earnRate": {"points": 1, "value": _cny(100)},
}
DEMO_COUPON_TEMPLATE: dict[str, Any] = {
    "kind": "amount_off",
    "name": "10.00 off over 100.00",
    "benefit": {"amount": _cny(1000)},
    "scope": {"storeId": DEMO_STORE_ID},
    "window": {"startsAt": SEED_VALID_FROM},
    "minSpend": _cny(10000),
    "perCustomerLimit": 1,
    "reason": "demo seed",
}
DEMO_PUBLIC_CODE = "WELCOME10"


@dataclass(frozen=True)
class DemoUser:
    key: str  # also the suffix of the OMS_TOKEN_<KEY> variable the CLI prints
    subject: str
    roles: tuple[str, ...]
    claims: dict[str, Any] = field(default_factory=dict)
    locale: str = "zh-CN"  # the notifications' language (PUT /me/notification-preferences)
    phone: str | None = None  # where SMS go

    @property
    def email(self) -> str:
        return f"{self.subject}@example.com"


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "demo-admin", ("admin",)),
    DemoUser("support", "demo-support", ("support",)),
    DemoUser("warehouse", "demo-warehouse", ("warehouse",)),
    DemoUser("finance", "demo-finance", ("finance",)),
    DemoUser("merchant", "demo-merchant", ("merchant",), {"custom:stores": DEMO_STORE_ID}),
    DemoUser("customer", "demo-customer", ("customer",), phone="+8613800000001"),
    DemoUser("customer_2", "demo-customer-2", ("customer",), locale="en", phone="+14155550102"),
)
# Who gets the platform's staff alerts (anomalies, failed refunds, overdue cases) for stores without rules.
DEMO_ALERTED_STAFF = ("demo-admin", "demo-support", "demo-finance")


class SeedError(Exception):
    """A seeding request got an answer other than the expected one."""


@dataclass
class SeedResult:
    store: Any
    products: list[Any]
    promotion: Any = None
    points_rules: Any = None
    coupon_template: Any = None
    public_code: Any = None
    second_store: Any = None
    second_store_products: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class _Api:
    """The API as the seed calls it: with the admin token, and the headers the stack gives it (the key
    that lets the seed in while the stack is still closed to clients)."""

    base_url: str
    token: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def call(
        self,
        method: str,
        path: str,
        body: Any,
        expected: tuple[int, ...],
        idempotency_key: str | None = None,
        if_match: int | None = None,
    ) -> Any:
        headers = {**self.headers, "authorization": f"Bearer {self.token}", "content-type": "application/json"}
        if idempotency_key is not None:
            headers["idempotency-key"] = idempotency_key
        if if_match is not None:
            headers["if-match"] = f'"{if_match}"'
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, method=method, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        if status not in expected:
            raise SeedError(f"{method} {path} answered {status} (expected {expected}): {text[:500]}")
        return json.loads(text) if text else None


def _seed_product(api: _Api, product: dict[str, Any]) -> Any:
    """A product is there when its first SKU is (the catalog refuses an existing SKU id with a 409)."""
    first_sku = product["skus"][0]["skuId"]
    found = api.call("GET", f"/skus/{urllib.parse.quote(first_sku)}", None, (200, 404))
    if found.get("productId"):
        return api.call("GET", f"/products/{found['productId']}", None, (200,))
    return api.call("POST", "/products", product, (201,), f"seed-{first_sku}")


def _seed_promotion(api: _Api) -> Any:
    query = urllib.parse.urlencode({"storeId": DEMO_STORE_ID, "status": "ACTIVE"})
    listed = api.call("GET", f"/promotions?{query}", None, (200,))
    for promotion in listed["items"]:
        if promotion["name"] == DEMO_PROMOTION["name"]:
            return promotion
    return api.call("POST", "/promotions", DEMO_PROMOTION, (201,))


def _seed_points_rules(api: _Api) -> Any:
    current = api.call("GET", "/settings/points-rules", None, (200,))
    if current["programmes"].get("CNY") == DEMO_POINTS_PROGRAMME:
        return current
    body = {"programmes": {**current["programmes"], "CNY": DEMO_POINTS_PROGRAMME}, "reason": "demo seed"}
    return api.call("PUT", "/settings/points-rules", body, (200,), if_match=current["version"])


def _seed_coupon_template(api: _Api) -> Any:
    cursor: str | None = None
    while True:
        query = urllib.parse.urlencode({"limit": 100, **({"cursor": cursor} if cursor else {})})
        page = api.call("GET", f"/coupon-templates?{query}", None, (200,))
        for template in page["items"]:
            if template["name"] == DEMO_COUPON_TEMPLATE["name"] and template["status"] == "ACTIVE":
                return template
        cursor = page["next_cursor"]
        if not cursor:
            return api.call("POST", "/coupon-templates", DEMO_COUPON_TEMPLATE, (201,))


def _seed_public_code(api: _Api, template_id: str) -> Any:
    found = api.call("GET", f"/coupons/{DEMO_PUBLIC_CODE}", None, (200, 404))
    if found.get("code") == DEMO_PUBLIC_CODE:
        return found
    body = {"publicCode": DEMO_PUBLIC_CODE, "reason": "demo seed"}
    issued = api.call(
        "POST", f"/coupon-templates/{template_id}/coupons", body, (201,), f"seed-{DEMO_PUBLIC_CODE}-{template_id}"
    )
    return issued["coupons"][0]


def seed_notifications(base_url: str, tokens: Mapping[str, str], *, headers: Mapping[str, str] | None = None) -> None:
    """Each demo user's notification preferences (email, phone, locale) and the platform's default rules
    (the staff its alerts go to); `tokens`: each demo user's, by subject."""
    for user in DEMO_USERS:
        prefs = {"email": user.email, "locale": user.locale, **({"phone": user.phone} if user.phone else {})}
        _Api(base_url, tokens[user.subject], dict(headers or {})).call(
            "PUT", "/me/notification-preferences", prefs, (200,)
        )
    rules = {"staff": list(DEMO_ALERTED_STAFF), "locale": "zh-CN", "reason": "demo seed"}
    _Api(base_url, tokens["demo-admin"], dict(headers or {})).call(
        "PUT", "/settings/notifications/default", rules, (200,)
    )


def seed(base_url: str, admin_token: str, *, headers: Mapping[str, str] | None = None) -> SeedResult:
    """Create the demo store, its catalog and pricing rules, and a second store with its own catalog;
    raises SeedError on the first unexpected answer.
    `headers` go with every request (the stack passes the key that lets the seed in while it starts)."""
    api = _Api(base_url, admin_token, dict(headers or {}))
    store = api.call("PUT", f"/stores/{DEMO_STORE_ID}", DEMO_STORE, (200, 201))
    products = [_seed_product(api, product) for product in DEMO_PRODUCTS]
    second_store = api.call("PUT", f"/stores/{SECOND_STORE_ID}", SECOND_STORE, (200, 201))
    second_store_products = [_seed_product(api, product) for product in SECOND_STORE_PRODUCTS]
    promotion = _seed_promotion(api)
    points_rules = _seed_points_rules(api)
    template = _seed_coupon_template(api)
    public_code = _seed_public_code(api, template["templateId"])
    return SeedResult(
        store=store,
        products=products,
        promotion=promotion,
        points_rules=points_rules,
        coupon_template=template,
        public_code=public_code,
        second_store=second_store,
        second_store_products=second_store_products,
    )


# ---------------------------------------------------------------- virtual goods and a channel store (issue 15)
VIRTUAL_PRODUCT: dict[str, Any] = {
    "storeId": DEMO_STORE_ID,
    "name": "礼品卡与会员 Gift cards & memberships",
    "skus": [
        {
            **_sku("GIFT-100", "礼品卡 100 元 Gift card 100", 10000, 0, 0),
            "virtual": {"kind": "code", "lowPoolThreshold": 5},
        },
        {**_sku("VIP-MONTH", "会员月卡 VIP month", 3000, 500, 0), "virtual": {"kind": "link", "validDays": 30}},
        {
            **_sku("CLOUD-1Y", "云盘年费 Cloud disk, 1 year", 19900, 500, 0),
            "virtual": {"kind": "service", "activation": "delayed", "delaySeconds": 60},
        },
    ],
}
DEMO_CODES = 20  # GIFT-100's pool: DEMO-GIFT-0001 … DEMO-GIFT-0020
DEMO_CHANNEL_USER = "channel-tmall"  # the channel store's front-end ordering user (its balance is the channel's)
DEMO_CHANNEL_BALANCE = 100000  # 1,000.00 CNY
DEMO_CHANNEL_ACCOUNT = "tmall-seller-8812"


@dataclass
class ChannelSeed:
    store_id: str
    secret: str
    account: str
    balance: int


def seed_channels(base_url: str, admin_token: str, *, headers: Mapping[str, str] | None = None) -> ChannelSeed:
    """The virtual goods (a code pool of DEMO_CODES codes, a link, a delayed service) and a Tmall channel
    store ordering as DEMO_CHANNEL_USER with 1,000.00 of balance; returns what the sandbox channel needs."""
    api = _Api(base_url, admin_token, dict(headers or {}))
    _seed_product(api, VIRTUAL_PRODUCT)
    codes = "code\n" + "".join(f"DEMO-GIFT-{n:04d}\n" for n in range(1, DEMO_CODES + 1))
    api.call("POST", "/skus/GIFT-100/codes", {"file": codes}, (201,))
    store = api.call(
        "POST",
        "/channel-stores",
        {
            "name": "天猫旗舰店 Tmall flagship",
            "channelType": "tmall",
            "orderingUserId": DEMO_CHANNEL_USER,
            "redemptionDomain": "redeem.tmall.example",
            "connectedAccount": DEMO_CHANNEL_ACCOUNT,
        },
        (201,),
    )
    api.call(
        "POST",
        f"/customers/{DEMO_CHANNEL_USER}/balance/adjustments",
        {"direction": "credit", "amount": _cny(DEMO_CHANNEL_BALANCE), "reason": "demo channel prepayment"},
        (201,),
        idempotency_key="seed-channel-balance",
    )
    return ChannelSeed(store["storeId"], store["callbackSecret"], DEMO_CHANNEL_ACCOUNT, DEMO_CHANNEL_BALANCE)
