"""Pricing administration under moto: promotions, coupon templates and issuance, customers' coupons,
points programmes, FX rates and points accounts — with their permissions, audit entries, If-Match,
idempotency, and "a refused request changes nothing"."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest
from oms.domain.fx import FxRate
from oms.domain.money import Money
from oms.domain.promotions import PointsRate, PointsRules
from oms.store import keys
from oms.store.models import PricingSettingsItem, PromotionDirectoryItem
from oms.store.pricing import fx_from_settings, points_rules_from_settings, promotions_from_directory

from tests.handlers.conftest import ADMIN, CUSTOMER, OTHER_CUSTOMER, SUPPORT, Api, load_function
from tests.helpers.pricing import cny, spend_and_save, ten_off
from tests.helpers.problems import assert_problem
from tests.helpers.table import table_snapshot

FINANCE = {"sub": "fin-1", "roles": ("finance",)}
WAREHOUSE = {"sub": "wh-1", "roles": ("warehouse",)}
THIRD_CUSTOMER = {"sub": "cust-3", "roles": ("customer",)}
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CODE = re.compile(r"^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{12}$")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def promotions_module(aws: None, clock: Clock) -> ModuleType:
    module = load_function("promotions")
    module.service.clock = clock
    return module


@pytest.fixture
def api(promotions_module: ModuleType, seeded: dict[str, Any]) -> Api:
    return Api(promotions_module)


def create_promotion(api: Api, body: dict[str, Any] | None = None, who: dict[str, Any] = ADMIN) -> Any:
    status, headers, created = api("POST", "/promotions", **who, body=body or spend_and_save())
    assert status == 201, created
    assert headers["Location"] == f"/promotions/{created['promotionId']}"
    return created


def create_template(api: Api, body: dict[str, Any] | None = None) -> Any:
    status, _, created = api("POST", "/coupon-templates", **ADMIN, body=body or ten_off())
    assert status == 201, created
    return created


def issue(api: Api, template_id: str, body: dict[str, Any], key: str = "i1", who: dict[str, Any] = ADMIN) -> Any:
    return api(
        "POST",
        f"/coupon-templates/{template_id}/coupons",
        **who,
        headers={"Idempotency-Key": key},
        body=body,
    )


def adjust(api: Api, delta: int, key: str, customer: str = "cust-1", who: dict[str, Any] = FINANCE) -> Any:
    return api(
        "POST",
        f"/customers/{customer}/points/adjustments",
        **who,
        headers={"Idempotency-Key": key},
        body={"delta": delta, "reason": "goodwill"},
    )


def audit_items(subject: str) -> list[dict[str, Any]]:
    """The audit entries of a subject as stored (before/after are JSON strings in the item)."""
    return [
        {**i, "before": json.loads(i.get("before") or "null"), "after": json.loads(i.get("after") or "null")}
        for i in table_snapshot()
        if i["type"] == "Audit" and i["PK"] == f"AUDIT#{subject}"
    ]


def errors_of(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem.get("errors", [])}


# ---------------------------------------------------------------- promotions
def test_promotion_lifecycle_with_if_match_and_audit(api: Api) -> None:
    created = create_promotion(api, spend_and_save(reason="autumn sale"))
    pid = created["promotionId"]
    assert (created["status"], created["version"], created["windowState"]) == ("ACTIVE", 1, "active")
    assert created["rule"] == {"tiers": [{"threshold": cny(20000), "off": cny(5000)}]}
    assert created["scope"] == {"storeId": "demo", "categoryIds": [], "skuIds": []}

    directory = PromotionDirectoryItem.get(*keys.PROMOTION_DIRECTORY, consistent_read=True)
    assert [p.promotion_id for p in promotions_from_directory(directory)] == [pid]  # what checkout reads

    status, headers, shown = api("GET", f"/promotions/{pid}", **SUPPORT)
    assert (status, headers["ETag"]) == (200, '"1"')
    assert [(a["action"], a["by"], a["reason"]) for a in shown["audit"]] == [
        ("promotion.create", "admin-1", "autumn sale")
    ]

    bigger = spend_and_save(rule={"tiers": [{"threshold": cny(20000), "off": cny(6000)}]})
    status, headers, replaced = api("PUT", f"/promotions/{pid}", **ADMIN, headers={"If-Match": '"1"'}, body=bigger)
    assert (status, headers["ETag"], replaced["version"]) == (200, '"2"', 2), replaced
    assert replaced["rule"]["tiers"][0]["off"] == cny(6000)
    assert replaced["createdAt"] == created["createdAt"]

    before = table_snapshot()
    status, headers, problem = api("PUT", f"/promotions/{pid}", **ADMIN, headers={"If-Match": '"1"'}, body=bigger)
    assert_problem(status, headers, problem, 412, "precondition-failed")
    status, headers, problem = api("DELETE", f"/promotions/{pid}", **ADMIN, headers={"If-Match": '"1"'})
    assert_problem(status, headers, problem, 412, "precondition-failed")
    assert table_snapshot() == before

    status, _, ended = api("DELETE", f"/promotions/{pid}", **ADMIN, headers={"If-Match": '"2"'})
    assert (status, ended["status"], ended["version"], ended["windowState"]) == (200, "ENDED", 3, "ended")
    directory = PromotionDirectoryItem.get(*keys.PROMOTION_DIRECTORY, consistent_read=True)
    assert promotions_from_directory(directory) == []  # checkout stops applying it at once
    assert pid in directory.promotions  # kept for history

    before = table_snapshot()
    status, _, again = api("DELETE", f"/promotions/{pid}", **ADMIN)
    assert (status, again["version"]) == (200, 3)  # ending twice changes nothing
    status, headers, problem = api("PUT", f"/promotions/{pid}", **ADMIN, body=bigger)
    assert_problem(status, headers, problem, 409, "promotion-ended")
    assert table_snapshot() == before

    assert [a["action"] for a in api("GET", f"/promotions/{pid}", **ADMIN)[2]["audit"]] == [
        "promotion.end",
        "promotion.update",
        "promotion.create",
    ]
    audit = audit_items(f"PROMOTION#{pid}")
    update = next(a for a in audit if a["action"] == "promotion.update")
    assert update["before"]["rule"]["tiers"][0]["off"]["amount"] == 5000
    assert update["after"]["rule"]["tiers"][0]["off"]["amount"] == 6000


@pytest.mark.parametrize(
    ("kind", "rule"),
    [
        ("buy_x_get_y", {"buy": 2, "get": 1}),
        ("percent_off", {"bps": 1500, "cap": None}),
        ("percent_off", {"bps": 1500, "cap": cny(3000)}),
        ("spend_and_save", {"tiers": [{"threshold": cny(20000), "off": cny(5000)}]}),
        ("free_shipping", {"threshold": cny(5900)}),
    ],
)
def test_every_promotion_kind_is_answered_with_its_rule(api: Api, kind: str, rule: dict[str, Any]) -> None:
    """Each kind's rule has its own response shape (oms.api.pricing_views): a rule that fitted none would
    be a 500 (the response does not match its model)."""
    created = create_promotion(api, spend_and_save(kind=kind, rule=rule))
    assert (created["kind"], created["rule"]) == (kind, rule)
    status, _, shown = api("GET", f"/promotions/{created['promotionId']}", **ADMIN)
    assert (status, shown["rule"]) == (200, rule)
    assert [p["rule"] for p in api("GET", "/promotions", **ADMIN)[2]["items"]] == [rule]


def test_promotions_list_filters_by_store_and_status(api: Api) -> None:
    demo = create_promotion(api)
    platform = create_promotion(
        api,
        {
            "kind": "free_shipping",
            "name": "Free shipping over 59",
            "rule": {"threshold": cny(5900)},
            "scope": {},
            "window": {"startsAt": "2026-12-01T00:00:00+08:00", "endsAt": "2026-12-12T00:00:00+08:00"},
            "priority": 10,
            "allowCoupons": False,
        },
    )
    assert platform["windowState"] == "not_started"
    assert platform["window"] == {"startsAt": "2026-11-30T16:00:00.000Z", "endsAt": "2026-12-11T16:00:00.000Z"}
    api("DELETE", f"/promotions/{demo['promotionId']}", **ADMIN)

    def ids(query: dict[str, str]) -> list[str]:
        status, _, page = api("GET", "/promotions", **ADMIN, query=query)
        assert status == 200, page
        return [p["promotionId"] for p in page["items"]]

    assert ids({}) == [platform["promotionId"], demo["promotionId"]]  # newest first
    assert ids({"storeId": "demo"}) == [demo["promotionId"]]
    assert ids({"status": "ACTIVE"}) == [platform["promotionId"]]
    assert ids({"status": "ENDED", "storeId": "demo"}) == [demo["promotionId"]]
    status, headers, problem = api("GET", "/promotions", **ADMIN, query={"status": "LIVE"})
    assert_problem(status, headers, problem, 422, "validation-failed")


@pytest.mark.parametrize("who", [CUSTOMER, FINANCE, SUPPORT, WAREHOUSE])
def test_only_admin_writes_promotions(api: Api, who: dict[str, Any]) -> None:
    pid = create_promotion(api)["promotionId"]
    before = table_snapshot()
    for method, path in [("POST", "/promotions"), ("PUT", f"/promotions/{pid}"), ("DELETE", f"/promotions/{pid}")]:
        status, headers, problem = api(method, path, **who, body=spend_and_save())
        assert_problem(status, headers, problem, 403, "forbidden")
    assert table_snapshot() == before


def test_customers_do_not_read_promotions_and_missing_ones_are_404(api: Api) -> None:
    pid = create_promotion(api)["promotionId"]
    assert api("GET", "/promotions", **CUSTOMER)[0] == 403
    assert api("GET", f"/promotions/{pid}", **CUSTOMER)[0] == 403
    assert api("GET", "/promotions", **FINANCE)[0] == 200
    before = table_snapshot()
    missing = "/promotions/01NOSUCHPROMOTION0000000000"
    for method, body in (("GET", None), ("PUT", spend_and_save()), ("DELETE", None)):
        status, headers, problem = api(method, missing, **ADMIN, body=body)
        assert_problem(status, headers, problem, 404, "not-found")
    assert table_snapshot() == before


def tier(threshold: Any, off: Any, currency: str = "CNY") -> dict[str, Any]:
    return {"threshold": {"amount": threshold, "currency": currency}, "off": {"amount": off, "currency": currency}}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": "ENDED"}, "status"),  # server-owned: unknown field
        ({"promotionId": "MINE"}, "promotionId"),
        ({"priority": "1"}, "priority"),
        ({"priority": 1.5}, "priority"),
        ({"allowCoupons": "yes"}, "allowCoupons"),
        ({"name": ""}, "name"),
        ({"kind": "bogof"}, "kind"),
        ({"rule": {"tiers": [tier(20000, -5000)]}}, "rule.tiers.0.off.amount"),
        ({"rule": {"tiers": [tier(-1, 5000)]}}, "rule.tiers.0.threshold.amount"),
        ({"rule": {"tiers": [tier(20000, "50")]}}, "rule.tiers.0.off.amount"),
        ({"rule": {"tiers": [{**tier(20000, 5000), "repeat": True}]}}, "rule.tiers.0.repeat"),
        ({"rule": {"tiers": [tier(40000, 5000), tier(20000, 8000)]}}, "rule.tiers[1]"),
        ({"rule": {"tiers": [tier(20000, 5000), tier(40000, 5000)]}}, "rule.tiers[1]"),
        ({"rule": {"tiers": [tier(20000 * (n + 1), 100 * (n + 1)) for n in range(21)]}}, "rule.tiers"),
        ({"rule": {"tiers": []}}, "rule.tiers"),
        ({"rule": {"tiers": [tier(20000, 5000, "XYZ")]}}, "rule.tiers.0.threshold.currency"),
        ({"rule": {"tiers": [tier(20000, 5000, "USD")]}}, "scope.storeId"),  # the store sells in CNY
        ({"rule": {"buy": 2, "get": 1}}, "rule.buy"),  # does not fit spend_and_save
        ({"kind": "percent_off", "rule": {"bps": 10_001}}, "rule.bps"),
        ({"kind": "percent_off", "rule": {"bps": 1000, "cap": cny(0)}}, "rule.cap.amount"),
        ({"kind": "buy_x_get_y", "rule": {"buy": 0, "get": 1}}, "rule.buy"),
        ({"scope": {"storeId": "nowhere"}}, "scope.storeId"),
        ({"scope": {"storeId": "demo", "skuIds": [f"SKU-{n}" for n in range(201)]}}, "scope.skuIds"),
        ({"scope": {"storeId": "demo", "categoryIds": ["bad id!"]}}, "scope.categoryIds.0"),
        ({"window": {"startsAt": "2026-12-01T00:00:00Z", "endsAt": "2026-11-01T00:00:00Z"}}, "window.endsAt"),
        ({"window": {"startsAt": "2026-11-01T00:00:00"}}, "window.startsAt"),  # no offset
        ({"window": {"startsAt": "2026-02-30T00:00:00Z"}}, "window.startsAt"),
        ({"window": {"startsAt": 1767225600}}, "window.startsAt"),
    ],
)
def test_bad_promotions_are_422_with_field_paths_and_change_nothing(
    api: Api, changes: dict[str, Any], field: str
) -> None:
    existing = create_promotion(api)
    before = table_snapshot()
    for method, path in [("POST", "/promotions"), ("PUT", f"/promotions/{existing['promotionId']}")]:
        status, headers, problem = api(method, path, **ADMIN, body=spend_and_save(**changes))
        assert_problem(status, headers, problem, 422, "validation-failed")
        assert field in errors_of(problem), problem
    assert table_snapshot() == before


def test_live_promotions_are_capped(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("oms.store.pricing_admin.MAX_LIVE_PROMOTIONS", 2)
    first = create_promotion(api)
    create_promotion(api)
    before = table_snapshot()
    status, headers, problem = api("POST", "/promotions", **ADMIN, body=spend_and_save())
    assert_problem(status, headers, problem, 422, "promotion-limit-reached")
    assert table_snapshot() == before
    api("DELETE", f"/promotions/{first['promotionId']}", **ADMIN)
    create_promotion(api)  # an ended promotion no longer counts


def test_ended_promotions_beyond_the_history_cap_leave_the_directory(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("oms.store.pricing_admin.MAX_ENDED_KEPT", 1)
    ids = [create_promotion(api)["promotionId"] for _ in range(3)]
    for pid in ids:
        api("DELETE", f"/promotions/{pid}", **ADMIN)
    directory = PromotionDirectoryItem.get(*keys.PROMOTION_DIRECTORY, consistent_read=True)
    assert list(directory.promotions) == [ids[2]]
    assert audit_items(f"PROMOTION#{ids[0]}")  # the history of a pruned one stays in its audit entries


def test_a_lost_directory_race_is_retried_on_a_fresh_read(
    api: Api, promotions_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    repository = promotions_module.service.repository
    read = repository.promotion_directory
    raced: list[bool] = []

    def racing_read() -> Any:
        item = read()
        if not raced:
            raced.append(True)
            create_promotion(api, spend_and_save(name="written in between"))  # commits between read and write
        return item

    monkeypatch.setattr(repository, "promotion_directory", racing_read)
    mine = create_promotion(api)
    directory = PromotionDirectoryItem.get(*keys.PROMOTION_DIRECTORY, consistent_read=True)
    assert len(directory.promotions) == 2 and mine["promotionId"] in directory.promotions
    assert int(directory.version) == 2


# ---------------------------------------------------------------- coupon templates
def test_template_create_read_list_and_counters(api: Api) -> None:
    first = create_template(api, ten_off(reason="welcome campaign"))
    assert (first["status"], first["issued"], first["used"], first["version"]) == ("ACTIVE", 0, 0, 1)
    assert first["benefit"] == {"amount": cny(1000)} and first["perCustomerLimit"] == 1
    second = create_template(api, ten_off(kind="percent_off", name="15 %", benefit={"bps": 1500, "cap": cny(3000)}))
    third = create_template(api, ten_off(kind="free_shipping", name="ship", benefit={}, minSpend=None))

    status, _, page = api("GET", "/coupon-templates", **SUPPORT, query={"limit": "2"})
    assert status == 200
    assert [t["templateId"] for t in page["items"]] == [third["templateId"], second["templateId"]]
    status, _, rest = api("GET", "/coupon-templates", **SUPPORT, query={"limit": "2", "cursor": page["next_cursor"]})
    assert [t["templateId"] for t in rest["items"]] == [first["templateId"]]

    status, headers, shown = api("GET", f"/coupon-templates/{first['templateId']}", **ADMIN)
    assert (status, headers["ETag"], shown["issued"]) == (200, '"1"', 0)
    assert [(a["action"], a["reason"]) for a in shown["audit"]] == [("coupon-template.create", "welcome campaign")]
    assert api("GET", "/coupon-templates", **CUSTOMER)[0] == 403
    assert api("GET", "/coupon-templates/01NOSUCHTEMPLATE00000000000", **ADMIN)[0] == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"issued": 5}, "issued"),
        ({"status": "ACTIVE"}, "status"),
        ({"benefit": {"amount": cny(-100)}}, "benefit.amount.amount"),
        ({"benefit": {"bps": 1000}}, "benefit.bps"),  # does not fit amount_off
        ({"benefit": {"amount": {"amount": 1000, "currency": "CNY", "extra": 1}}}, "benefit.amount.extra"),
        ({"minSpend": cny(-1)}, "minSpend.amount"),
        ({"minSpend": {"amount": 10000, "currency": "USD"}}, "minSpend"),
        ({"totalLimit": 0}, "totalLimit"),
        ({"perCustomerLimit": "1"}, "perCustomerLimit"),
        ({"stackable": 1}, "stackable"),
        ({"scope": {"storeId": "demo", "skuIds": ["A"] * 201}}, "scope.skuIds"),
        ({"scope": {"storeId": "nowhere"}}, "scope.storeId"),
        ({"window": {"startsAt": "2026-12-01T00:00:00Z", "endsAt": "2026-11-30T23:59:59Z"}}, "window.endsAt"),
    ],
)
def test_bad_templates_are_422_and_change_nothing(api: Api, changes: dict[str, Any], field: str) -> None:
    before = table_snapshot()
    status, headers, problem = api("POST", "/coupon-templates", **ADMIN, body=ten_off(**changes))
    assert_problem(status, headers, problem, 422, "validation-failed")
    assert field in errors_of(problem), problem
    assert table_snapshot() == before


def test_only_admin_creates_templates(api: Api) -> None:
    before = table_snapshot()
    for who in (CUSTOMER, FINANCE, SUPPORT):
        assert api("POST", "/coupon-templates", **who, body=ten_off())[0] == 403
    assert table_snapshot() == before


# ---------------------------------------------------------------- issuing and reading coupons
def test_issuing_to_three_customers_shows_each_owner_only_their_coupon(api: Api) -> None:
    template = create_template(api)
    tid = template["templateId"]
    owners = [CUSTOMER, OTHER_CUSTOMER, THIRD_CUSTOMER]
    status, _, issued = issue(api, tid, {"customerIds": [o["sub"] for o in owners], "reason": "apology"})
    assert status == 201, issued
    assert issued["issued"] == 3
    codes = {c["ownerId"]: c["code"] for c in issued["coupons"]}
    assert set(codes) == {"cust-1", "cust-2", "cust-3"}
    assert all(CODE.match(code) for code in codes.values()) and len(set(codes.values())) == 3

    for owner in owners:
        status, _, page = api("GET", "/coupons", **owner)
        assert status == 200
        assert [(c["code"], c["ownerId"], c["status"]) for c in page["items"]] == [
            (codes[owner["sub"]], owner["sub"], "AVAILABLE")
        ]
        coupon = page["items"][0]
        assert coupon["template"]["benefit"] == {"amount": cny(1000)} and coupon["templateStatus"] == "ACTIVE"
        assert api("GET", f"/coupons/{codes[owner['sub']]}", **owner)[0] == 200

    status, headers, problem = api("GET", f"/coupons/{codes['cust-2']}", **CUSTOMER)
    assert_problem(status, headers, problem, 404, "not-found")  # same answer as an unknown code
    assert api("GET", "/coupons/NOSUCHCODE22", **CUSTOMER)[2]["detail"].startswith("coupon ")
    assert api("GET", f"/coupons/{codes['cust-2']}", **SUPPORT)[0] == 200

    assert api("GET", f"/coupon-templates/{tid}", **ADMIN)[2]["issued"] == 3
    status, _, listed = api("GET", f"/coupon-templates/{tid}/coupons", **ADMIN)
    assert sorted(c["code"] for c in listed["items"]) == sorted(codes.values())
    assert api("GET", f"/coupon-templates/{tid}/coupons", **CUSTOMER)[0] == 403
    audit = audit_items(f"COUPONTPL#{tid}")
    issue_entry = next(a for a in audit if a["action"] == "coupon.issue")
    assert issue_entry["reason"] == "apology" and issue_entry["after"]["issued"] == 3
    assert api("GET", "/coupons", **CUSTOMER, query={"status": "USED"})[2]["items"] == []
    assert api("GET", "/coupons", **CUSTOMER, query={"status": "SPENT"})[0] == 422


def test_issuing_is_idempotent_per_key(api: Api) -> None:
    tid = create_template(api)["templateId"]
    body = {"customerIds": ["cust-1", "cust-2"]}
    status, headers, first = issue(api, tid, body, key="batch-1")
    assert status == 201 and "Idempotent-Replayed" not in headers
    before = table_snapshot()
    status, headers, again = issue(api, tid, body, key="batch-1")
    assert (status, headers.get("Idempotent-Replayed"), again) == (201, "true", first)
    status, headers, problem = issue(api, tid, {"customerIds": ["cust-3"]}, key="batch-1")
    assert_problem(status, headers, problem, 422, "idempotency-key-reused")
    status, headers, problem = api(
        "POST", f"/coupon-templates/{tid}/coupons", **ADMIN, headers={"Idempotency-Key": ""}, body=body
    )
    assert_problem(status, headers, problem, 400, "idempotency-key-missing")
    assert table_snapshot() == before
    status, _, unkeyed = api("POST", f"/coupon-templates/{tid}/coupons", **ADMIN, body=body)
    assert status == 201 and unkeyed["coupons"] != first["coupons"]  # without a key, a repeat issues again
    mine = {c["code"] for c in api("GET", "/coupons", **CUSTOMER)[2]["items"]}
    assert mine == {first["coupons"][0]["code"], unkeyed["coupons"][0]["code"]}


def test_public_codes_are_unique_and_readable_by_any_shopper(api: Api) -> None:
    tid = create_template(api)["templateId"]
    status, _, issued = issue(api, tid, {"publicCode": "WELCOME10"})
    assert status == 201, issued
    assert [(c["code"], c["ownerId"]) for c in issued["coupons"]] == [("WELCOME10", None)]
    other = create_template(api, ten_off(name="other"))["templateId"]
    before = table_snapshot()
    status, headers, problem = issue(api, tid, {"publicCode": "WELCOME10"}, key="i2")
    assert_problem(status, headers, problem, 409, "coupon-code-taken")
    status, headers, problem = issue(api, other, {"publicCode": "WELCOME10"}, key="i3")
    assert_problem(status, headers, problem, 409, "coupon-code-taken")
    assert table_snapshot() == before
    status, _, shown = api("GET", "/coupons/welcome10", **OTHER_CUSTOMER)
    assert (status, shown["code"], shown["ownerId"]) == (200, "WELCOME10", None)
    assert api("GET", "/coupons", **OTHER_CUSTOMER)[2]["items"] == []  # public codes are nobody's own


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "(body)"),
        ({"customerIds": ["cust-1"], "publicCode": "SAVE10"}, "(body)"),
        ({"customerIds": []}, "customerIds"),
        ({"customerIds": [f"c-{n}" for n in range(26)]}, "customerIds"),
        ({"customerIds": ["cust-1", "cust-1"]}, "customerIds"),
        ({"customerIds": ["bad id!"]}, "customerIds.0"),
        ({"customerIds": "cust-1"}, "customerIds"),
        ({"publicCode": "save10"}, "publicCode"),
        ({"publicCode": "AB"}, "publicCode"),
        ({"publicCode": "SAVE 10"}, "publicCode"),
        ({"publicCode": "SAVE10", "ownerId": "cust-1"}, "ownerId"),
    ],
)
def test_bad_issue_bodies_are_422_and_change_nothing(api: Api, body: dict[str, Any], field: str) -> None:
    tid = create_template(api)["templateId"]
    before = table_snapshot()
    status, headers, problem = issue(api, tid, body)
    assert_problem(status, headers, problem, 422, "validation-failed")
    assert field in errors_of(problem), problem
    assert table_snapshot() == before


def test_issuing_needs_admin_and_an_existing_template(api: Api) -> None:
    tid = create_template(api)["templateId"]
    before = table_snapshot()
    assert issue(api, tid, {"customerIds": ["cust-1"]}, who=FINANCE)[0] == 403
    assert issue(api, tid, {"customerIds": ["cust-1"]}, who=CUSTOMER)[0] == 403
    assert issue(api, "01NOSUCHTEMPLATE00000000000", {"customerIds": ["cust-1"]})[0] == 404
    assert table_snapshot() == before


def test_disabling_keeps_issued_coupons_but_stops_issuing(api: Api) -> None:
    tid = create_template(api)["templateId"]
    _, _, issued = issue(api, tid, {"customerIds": ["cust-1"]})
    code = issued["coupons"][0]["code"]
    path = f"/coupon-templates/{tid}/disable"
    assert api("POST", path, **FINANCE)[0] == 403
    status, headers, problem = api("POST", path, **ADMIN, headers={"If-Match": '"7"'})
    assert_problem(status, headers, problem, 412, "precondition-failed")

    status, headers, disabled = api("POST", path, **ADMIN, headers={"If-Match": '"1"'}, body={"reason": "leaked"})
    assert (status, headers["ETag"], disabled["status"], disabled["issued"]) == (200, '"2"', "DISABLED", 1)
    shown = api("GET", f"/coupon-templates/{tid}", **ADMIN)[2]
    newest = shown["audit"][0]
    assert (newest["action"], newest["reason"]) == ("coupon-template.disable", "leaked")
    audit = next(a for a in audit_items(f"COUPONTPL#{tid}") if a["action"] == "coupon-template.disable")
    assert (audit["before"]["status"], audit["after"]["status"]) == ("ACTIVE", "DISABLED")

    status, _, page = api("GET", "/coupons", **CUSTOMER)
    assert [(c["code"], c["status"], c["templateStatus"]) for c in page["items"]] == [(code, "AVAILABLE", "DISABLED")]

    before = table_snapshot()
    status, headers, problem = issue(api, tid, {"customerIds": ["cust-2"]}, key="i2")
    assert_problem(status, headers, problem, 409, "coupon-template-disabled")
    status, headers, problem = api("POST", path, **ADMIN)
    assert_problem(status, headers, problem, 409, "coupon-template-disabled")
    assert table_snapshot() == before


def test_a_template_past_its_window_issues_nothing(api: Api, clock: Clock) -> None:
    tid = create_template(api, ten_off(window={"startsAt": "2026-11-01T00:00:00Z", "endsAt": "2026-12-01T00:00:00Z"}))[
        "templateId"
    ]
    clock.now = datetime(2026, 12, 1, tzinfo=UTC)
    before = table_snapshot()
    status, headers, problem = issue(api, tid, {"customerIds": ["cust-1"]})
    assert_problem(status, headers, problem, 409, "coupon-template-expired")
    assert table_snapshot() == before


# ---------------------------------------------------------------- points programmes
CNY_PROGRAMME = {
    "redeemRate": {"points": 100, "value": cny(100)},
    "capBps": 5000,
    "earnRate": {"points": 1, "value": cny(100)},
}


def test_points_rules_put_get_if_match_and_audit(api: Api) -> None:
    status, headers, empty = api("GET", "/settings/points-rules", **FINANCE)
    assert (status, headers["ETag"], empty["programmes"], empty["version"]) == (200, '"0"', {}, 0)
    body = {"programmes": {"CNY": CNY_PROGRAMME}, "reason": "launch"}
    status, headers, saved = api("PUT", "/settings/points-rules", **FINANCE, headers={"If-Match": '"0"'}, body=body)
    assert (status, headers["ETag"], saved["programmes"], saved["updatedBy"]) == (
        200,
        '"1"',
        body["programmes"],
        "fin-1",
    )

    item = PricingSettingsItem.get(*keys.POINTS_SETTINGS, consistent_read=True)
    assert points_rules_from_settings(item) == {
        "CNY": PointsRules(
            redeem_rate=PointsRate(100, Money(100, "CNY")), cap_bps=5000, earn_rate=PointsRate(1, Money(100, "CNY"))
        )
    }
    shown = api("GET", "/settings/points-rules", **ADMIN)[2]
    assert [(a["action"], a["by"], a["before"], a["reason"]) for a in shown["audit"]] == [
        ("points-rules.update", "fin-1", None, "launch")
    ]

    before = table_snapshot()
    status, headers, problem = api("PUT", "/settings/points-rules", **ADMIN, headers={"If-Match": '"0"'}, body=body)
    assert_problem(status, headers, problem, 412, "precondition-failed")
    for who in (SUPPORT, CUSTOMER):
        assert api("PUT", "/settings/points-rules", **who, body=body)[0] == 403
        assert api("GET", "/settings/points-rules", **who)[0] == 403
    assert table_snapshot() == before

    status, _, off = api("PUT", "/settings/points-rules", **ADMIN, headers={"If-Match": '"1"'}, body={"programmes": {}})
    assert (status, off["programmes"], off["version"]) == (200, {}, 2)


@pytest.mark.parametrize(
    ("programmes", "field"),
    [
        ({"USD": CNY_PROGRAMME}, "programmes.USD.redeemRate.value.currency"),
        (
            {"CNY": {**CNY_PROGRAMME, "earnRate": {"points": 1, "value": {"amount": 100, "currency": "USD"}}}},
            "programmes.CNY.earnRate",
        ),
        ({"CNY": {**CNY_PROGRAMME, "capBps": 10_001}}, "programmes.CNY.capBps"),
        ({"CNY": {**CNY_PROGRAMME, "capBps": -1}}, "programmes.CNY.capBps"),
        (
            {"CNY": {**CNY_PROGRAMME, "redeemRate": {"points": "100", "value": cny(100)}}},
            "programmes.CNY.redeemRate.points",
        ),
        (
            {"CNY": {**CNY_PROGRAMME, "redeemRate": {"points": 100, "value": cny(0)}}},
            "programmes.CNY.redeemRate.value.amount",
        ),
        ({"CNY": {**CNY_PROGRAMME, "multiplier": 2}}, "programmes.CNY.multiplier"),
        ({"XYZ": CNY_PROGRAMME}, "programmes.XYZ.[key]"),
        ({"cny": CNY_PROGRAMME}, "programmes.cny.[key]"),
    ],
)
def test_bad_points_rules_are_422_and_change_nothing(api: Api, programmes: dict[str, Any], field: str) -> None:
    before = table_snapshot()
    status, headers, problem = api("PUT", "/settings/points-rules", **ADMIN, body={"programmes": programmes})
    assert_problem(status, headers, problem, 422, "validation-failed")
    assert field in errors_of(problem), problem
    assert table_snapshot() == before


# ---------------------------------------------------------------- FX rates
def test_fx_rates_are_exact_and_keep_when_each_rate_was_set(api: Api, clock: Clock) -> None:
    body = {"reportingCurrency": "CNY", "rates": {"USD": "7.1234"}, "reason": "daily feed"}
    status, headers, saved = api("PUT", "/settings/fx-rates", **FINANCE, body=body)
    assert (status, headers["ETag"]) == (200, '"1"'), saved
    assert saved["rates"]["USD"] == {
        "rate": "7.1234",
        "numerator": 35617,
        "denominator": 5000,
        "updatedAt": "2026-11-22T12:00:00.000Z",
    }
    item = PricingSettingsItem.get(*keys.FX_SETTINGS, consistent_read=True)
    assert fx_from_settings(item).rate_for("USD") == FxRate.parse("USD", "CNY", "7.1234")  # what checkout reads

    clock.now = NOW + timedelta(hours=1)
    body = {"reportingCurrency": "CNY", "rates": {"USD": "7.12340", "EUR": "7.7001"}}
    status, _, saved = api("PUT", "/settings/fx-rates", **ADMIN, headers={"If-Match": '"1"'}, body=body)
    assert status == 200, saved
    assert saved["rates"]["USD"]["updatedAt"] == "2026-11-22T12:00:00.000Z"  # same rate: not re-dated
    assert saved["rates"]["EUR"]["updatedAt"] == "2026-11-22T13:00:00.000Z"
    shown = api("GET", "/settings/fx-rates", **FINANCE)[2]
    assert (shown["version"], shown["reportingCurrency"], sorted(shown["rates"])) == (2, "CNY", ["EUR", "USD"])
    assert [a["action"] for a in shown["audit"]] == ["fx-rates.update", "fx-rates.update"]
    assert shown["audit"][0]["before"]["rates"]["USD"]["numerator"] == 35617

    before = table_snapshot()
    status, headers, problem = api("PUT", "/settings/fx-rates", **ADMIN, headers={"If-Match": '"1"'}, body=body)
    assert_problem(status, headers, problem, 412, "precondition-failed")
    assert api("PUT", "/settings/fx-rates", **SUPPORT, body=body)[0] == 403
    assert api("GET", "/settings/fx-rates", **CUSTOMER)[0] == 403
    assert table_snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reportingCurrency": "CNY", "rates": {"USD": "7,12"}}, "rates.USD"),
        ({"reportingCurrency": "CNY", "rates": {"USD": "-7.1"}}, "rates.USD"),
        ({"reportingCurrency": "CNY", "rates": {"USD": "0"}}, "rates.USD"),
        ({"reportingCurrency": "CNY", "rates": {"USD": "0.000"}}, "rates.USD"),
        ({"reportingCurrency": "CNY", "rates": {"USD": 7.1234}}, "rates.USD"),
        ({"reportingCurrency": "CNY", "rates": {"CNY": "1"}}, "rates.CNY"),
        ({"reportingCurrency": "CNY", "rates": {"XYZ": "1.2"}}, "rates.XYZ.[key]"),
        ({"reportingCurrency": "XYZ", "rates": {}}, "reportingCurrency"),
        ({"reportingCurrency": "CNY", "rates": {}, "version": 3}, "version"),
    ],
)
def test_bad_fx_rates_are_422_and_change_nothing(api: Api, body: dict[str, Any], field: str) -> None:
    before = table_snapshot()
    status, headers, problem = api("PUT", "/settings/fx-rates", **ADMIN, body=body)
    assert_problem(status, headers, problem, 422, "validation-failed")
    assert field in errors_of(problem), problem
    assert table_snapshot() == before


# ---------------------------------------------------------------- points accounts
def test_points_adjustments_credit_debit_and_read(api: Api) -> None:
    status, _, credited = adjust(api, 1000, "a1")
    assert status == 201, credited
    assert (credited["available"], credited["entry"]["kind"], credited["entry"]["by"]) == (1000, "adjust", "fin-1")
    assert adjust(api, -300, "a2", who=ADMIN)[0] == 201
    assert adjust(api, 50, "a3")[0] == 201

    status, _, mine = api("GET", "/customers/me/points", **CUSTOMER, query={"limit": "2"})
    assert (status, mine["customerId"], mine["available"]) == (200, "cust-1", 750)
    assert [e["delta"] for e in mine["entries"]] == [50, -300]
    status, _, rest = api("GET", "/customers/cust-1/points", **CUSTOMER, query={"cursor": mine["next_cursor"]})
    assert [e["delta"] for e in rest["entries"]] == [1000]
    assert api("GET", "/customers/cust-1/points", **SUPPORT)[2]["available"] == 750
    status, headers, problem = api("GET", "/customers/cust-1/points", **OTHER_CUSTOMER)
    assert_problem(status, headers, problem, 404, "not-found")
    assert api("GET", "/customers/me/points", **OTHER_CUSTOMER)[2] == {
        "customerId": "cust-2",
        "available": 0,
        "entries": [],
        "next_cursor": None,
    }

    audit = audit_items("POINTS#cust-1")
    assert sorted((a["before"]["available"], a["after"]["available"]) for a in audit) == [
        (0, 1000),
        (700, 750),
        (1000, 700),
    ]
    assert {a["action"] for a in audit} == {"points.adjust"}


def test_a_debit_below_zero_is_409_and_changes_nothing(api: Api) -> None:
    before = table_snapshot()
    status, headers, problem = adjust(api, -1, "d0")
    assert_problem(status, headers, problem, 409, "points-insufficient")  # no account yet
    assert table_snapshot() == before
    adjust(api, 100, "c1")
    before = table_snapshot()
    status, headers, problem = adjust(api, -101, "d1")
    assert_problem(status, headers, problem, 409, "points-insufficient")
    assert problem["available"] == 100
    assert table_snapshot() == before
    assert adjust(api, -100, "d2")[2]["available"] == 0


def test_an_adjustment_replays_for_the_same_key(api: Api) -> None:
    status, headers, first = adjust(api, 500, "same")
    assert status == 201 and "Idempotent-Replayed" not in headers
    before = table_snapshot()
    status, headers, again = adjust(api, 500, "same")
    assert (status, headers.get("Idempotent-Replayed"), again) == (201, "true", first)
    status, headers, problem = adjust(api, 600, "same")
    assert_problem(status, headers, problem, 422, "idempotency-key-reused")
    assert table_snapshot() == before
    assert api("GET", "/customers/cust-1/points", **CUSTOMER)[2]["available"] == 500


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"delta": 0, "reason": "nothing"}, "delta"),
        ({"delta": 10_000_001, "reason": "too much"}, "delta"),
        ({"delta": -10_000_001, "reason": "too much"}, "delta"),
        ({"delta": "5", "reason": "string"}, "delta"),
        ({"delta": 5.0, "reason": "float"}, "delta"),
        ({"delta": 5}, "reason"),
        ({"delta": 5, "reason": "ok"}, "reason"),
        ({"delta": 5, "reason": "goodwill", "kind": "earn"}, "kind"),
    ],
)
def test_bad_adjustments_are_422_and_change_nothing(api: Api, body: dict[str, Any], field: str) -> None:
    before = table_snapshot()
    status, headers, problem = api(
        "POST", "/customers/cust-1/points/adjustments", **ADMIN, headers={"Idempotency-Key": "k"}, body=body
    )
    assert_problem(status, headers, problem, 422, "validation-failed")
    assert field in errors_of(problem), problem
    assert table_snapshot() == before


def test_adjustments_need_points_adjust_and_a_key(api: Api) -> None:
    before = table_snapshot()
    for who in (CUSTOMER, SUPPORT, WAREHOUSE):
        status, headers, problem = adjust(api, 100, "k", who=who)
        assert_problem(status, headers, problem, 403, "forbidden")
    status, _, problem = api(
        "POST", "/customers/cust-1/points/adjustments", **ADMIN, body={"delta": 5, "reason": "goodwill"}
    )
    assert (status, problem["type"]) == (400, "urn:oms:problem:idempotency-key-missing")
    assert table_snapshot() == before


def test_every_route_needs_a_token(api: Api) -> None:
    status, headers, problem = api("GET", "/coupons")
    assert_problem(status, headers, problem, 401, "unauthorized")
