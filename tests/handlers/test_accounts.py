"""Customer accounts (issue 13 item 9) under moto: the post-confirmation trigger, the Cognito directory
against moto's cognito-idp, `GET/PUT /me` (ETag, language shared with the notification preferences), the
address book (ownership, the bound, the default) and checkout by a saved address id."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from oms import wiring
from oms.adapters.cognito_users import CognitoUserDirectory
from oms.services.accounts import MAX_ADDRESSES
from oms_local.oms.users import LocalUserDirectory

from tests.handlers.conftest import (
    ADDRESS,
    CUSTOMER,
    OTHER_CUSTOMER,
    Api,
    AwsCalls,
    LambdaContext,
    load_function,
)
from tests.helpers.table import table_snapshot

OTHER_ADDRESS = {**ADDRESS, "line1": "2 Huaihai Rd", "name": "Han Meimei"}


@pytest.fixture
def accounts_api(aws: None) -> Api:
    return Api(load_function("accounts"))


def save(api: Api, who: dict[str, Any], address: dict[str, Any] = ADDRESS, **more: Any) -> dict[str, Any]:
    status, headers, saved = api("POST", "/me/addresses", **who, body={"address": address, **more})
    assert status == 201, saved
    assert headers["Location"] == f"/me/addresses/{saved['addressId']}"
    return dict(saved)


# ---------------------------------------------------------------- the post-confirmation trigger
def confirmation_event(pool_id: str, username: str, source: str = "PostConfirmation_ConfirmSignUp") -> dict[str, Any]:
    return {
        "version": "1",
        "region": "us-east-1",
        "userPoolId": pool_id,
        "userName": username,
        "callerContext": {"awsSdkVersion": "x", "clientId": "c"},
        "triggerSource": source,
        "request": {"userAttributes": {"sub": username, "email": "a@example.com"}},
        "response": {},
    }


@pytest.fixture
def pool(aws: None) -> Iterator[tuple[Any, str]]:
    client = boto3.client("cognito-idp", region_name="us-east-1")
    pool_id = client.create_user_pool(PoolName="oms-users", UsernameAttributes=["email", "phone_number"])["UserPool"][
        "Id"
    ]
    client.create_group(UserPoolId=pool_id, GroupName="customer")
    yield client, pool_id
    client.delete_user_pool(UserPoolId=pool_id)


def groups_of(client: Any, pool_id: str, username: str) -> list[str]:
    return [g["GroupName"] for g in client.admin_list_groups_for_user(UserPoolId=pool_id, Username=username)["Groups"]]


def test_a_confirmed_sign_up_joins_the_customer_group_once(pool: tuple[Any, str]) -> None:
    client, pool_id = pool
    username = client.admin_create_user(UserPoolId=pool_id, Username="a@example.com")["User"]["Username"]
    trigger = load_function("post_confirmation")
    event = confirmation_event(pool_id, username)
    assert trigger.handler(event, LambdaContext()) == event  # Cognito expects its event back
    assert trigger.handler(event, LambdaContext()) == event  # a replayed event is harmless
    assert groups_of(client, pool_id, username) == ["customer"]


def test_a_forgotten_password_confirmation_adds_no_group(pool: tuple[Any, str]) -> None:
    client, pool_id = pool
    username = client.admin_create_user(UserPoolId=pool_id, Username="b@example.com")["User"]["Username"]
    trigger = load_function("post_confirmation")
    trigger.handler(confirmation_event(pool_id, username, "PostConfirmation_ConfirmForgotPassword"), LambdaContext())
    assert groups_of(client, pool_id, username) == []


def test_a_failure_is_raised_so_cognito_reports_it(pool: tuple[Any, str]) -> None:
    _, pool_id = pool
    trigger = load_function("post_confirmation")
    with pytest.raises(Exception, match=r"User does not exist|UserNotFound"):
        trigger.handler(confirmation_event(pool_id, "nobody"), LambdaContext())


def test_the_trigger_uses_the_configured_directory(aws: None) -> None:
    """The local stack's directory stands in for the pool (the same handler runs on `POST /_local/users`)."""
    directory = LocalUserDirectory()
    user = directory.sign_up(email="c@example.com", phone=None, name=None, password=None)
    wiring.configure(wiring.Adapters(user_groups=directory))
    try:
        trigger = load_function("post_confirmation")
        trigger.handler(directory.post_confirmation_event(user), LambdaContext())
    finally:
        wiring.reset()
    assert directory.groups_of(user.subject) == ["customer"]


# ---------------------------------------------------------------- the Cognito directory
def test_cognito_directory_creates_finds_and_reads_customers(pool: tuple[Any, str]) -> None:
    client, pool_id = pool
    directory = CognitoUserDirectory(pool_id, lambda: client)
    created = directory.create_customer(email="d@example.com", phone="+8613800000001", name="Dong")
    assert created.groups == frozenset({"customer"})
    assert (created.email, created.phone, created.name) == ("d@example.com", "+8613800000001", "Dong")
    assert created.created_at.endswith("Z")
    again = directory.create_customer(email="d@example.com", phone=None, name=None)
    assert again.subject == created.subject  # not duplicated
    assert directory.find_customer(phone="+8613800000001") == created
    assert directory.find_customer(email="nobody@example.com") is None
    assert directory.get_user(created.subject) == created
    assert directory.get_user("not-a-sub") is None
    assert len(client.list_users(UserPoolId=pool_id)["Users"]) == 1


def test_local_directory_behaves_like_the_pool() -> None:
    directory = LocalUserDirectory()
    created = directory.create_customer(email="E@example.com", phone=None, name=None)
    assert created.groups == frozenset({"customer"})
    assert directory.find_customer(email="e@example.com") == created  # usernames are case-insensitive
    assert directory.create_customer(email="e@example.com", phone=None, name="x").subject == created.subject
    signed_up = directory.sign_up(email=None, phone="+8613800000002", name=None, password="Correct-Horse-9")
    assert directory.groups_of(signed_up.subject) == []
    directory.add_to_group(signed_up.subject, "customer")
    directory.add_to_group(signed_up.subject, "customer")
    assert directory.groups_of(signed_up.subject) == ["customer"]


# ---------------------------------------------------------------- profile
def test_profile_starts_empty_and_changes_with_its_etag(accounts_api: Api) -> None:
    status, headers, me = accounts_api("GET", "/me", **CUSTOMER)
    assert status == 200
    assert me == {
        "customerId": "cust-1",
        "name": None,
        "language": None,
        "currency": None,
        "version": 0,
        "updatedAt": None,
    }
    assert headers["ETag"] == '"0"'
    status, headers, me = accounts_api(
        "PUT",
        "/me",
        **CUSTOMER,
        body={"name": "Li Lei", "language": "en", "currency": "USD"},
        headers={"If-Match": '"0"'},
    )
    assert status == 200, me
    assert (me["name"], me["language"], me["currency"], me["version"]) == ("Li Lei", "en", "USD", 1)
    assert headers["ETag"] == '"1"'
    before = table_snapshot()
    status, _, problem = accounts_api("PUT", "/me", **CUSTOMER, body={"name": "Han"}, headers={"If-Match": '"0"'})
    assert (status, problem["type"]) == (412, "urn:oms:problem:precondition-failed")
    assert table_snapshot() == before
    status, _, me = accounts_api("PUT", "/me", **CUSTOMER, body={"currency": None})  # null clears; the rest stays
    assert (me["name"], me["language"], me["currency"], me["version"]) == ("Li Lei", "en", None, 2)
    # Another person has their own profile.
    assert accounts_api("GET", "/me", **OTHER_CUSTOMER)[2]["name"] is None


def test_language_is_the_notification_locale(accounts_api: Api, aws: None) -> None:
    notifications = Api(load_function("notification_api"))
    accounts_api("PUT", "/me", **CUSTOMER, body={"language": "en"})
    status, _, prefs = notifications("GET", "/me/notification-preferences", **CUSTOMER)
    assert (status, prefs["locale"]) == (200, "en")
    notifications(
        "PUT", "/me/notification-preferences", **CUSTOMER, body={"locale": "zh-CN", "channels": {"sms": False}}
    )
    assert accounts_api("GET", "/me", **CUSTOMER)[2]["language"] == "zh-CN"
    accounts_api("PUT", "/me", **CUSTOMER, body={"language": "en"})
    prefs = notifications("GET", "/me/notification-preferences", **CUSTOMER)[2]
    assert (prefs["locale"], prefs["channels"]["sms"]) == ("en", False)  # the other preferences are kept


@pytest.mark.parametrize(
    "body",
    [{"language": "fr"}, {"currency": "XYZ"}, {"currency": "cny"}, {"name": ""}, {"email": "x@example.com"}],
)
def test_bad_profile_bodies_are_422_and_write_nothing(accounts_api: Api, body: dict[str, Any]) -> None:
    before = table_snapshot()
    status, _, problem = accounts_api("PUT", "/me", **CUSTOMER, body=body)
    assert status == 422, problem
    assert table_snapshot() == before


# ---------------------------------------------------------------- address book
def test_the_first_address_is_the_default_and_another_can_take_over(accounts_api: Api) -> None:
    first = save(accounts_api, CUSTOMER, label="home")
    assert (first["default"], first["label"], first["version"]) == (True, "home", 1)
    second = save(accounts_api, CUSTOMER, OTHER_ADDRESS)
    assert second["default"] is False
    status, _, chosen = accounts_api("POST", f"/me/addresses/{second['addressId']}/default", **CUSTOMER)
    assert (status, chosen["default"]) == (200, True)
    status, _, book = accounts_api("GET", "/me/addresses", **CUSTOMER)
    assert status == 200
    assert book["defaultAddressId"] == second["addressId"]
    assert [a["addressId"] for a in book["items"]] == [first["addressId"], second["addressId"]]
    assert [a["default"] for a in book["items"]] == [False, True]
    assert book["limit"] == MAX_ADDRESSES
    third = save(accounts_api, CUSTOMER, {**ADDRESS, "line1": "3 Yan'an Rd"}, default=True)
    assert accounts_api("GET", "/me/addresses", **CUSTOMER)[2]["defaultAddressId"] == third["addressId"]


def test_replace_and_delete_an_address(accounts_api: Api) -> None:
    saved = save(accounts_api, CUSTOMER)
    path = f"/me/addresses/{saved['addressId']}"
    route = "PUT /me/addresses/{addressId}"
    status, headers, changed = accounts_api(
        "PUT", path, route=route, **CUSTOMER, body={"address": OTHER_ADDRESS}, headers={"If-Match": '"1"'}
    )
    assert status == 200, changed
    assert (changed["address"]["line1"], changed["version"], headers["ETag"]) == ("2 Huaihai Rd", 2, '"2"')
    assert changed["default"] is True
    before = table_snapshot()
    status, _, _ = accounts_api(
        "PUT", path, route=route, **CUSTOMER, body={"address": ADDRESS}, headers={"If-Match": '"1"'}
    )
    assert status == 412
    assert table_snapshot() == before
    status, _, book = accounts_api("DELETE", path, route="DELETE /me/addresses/{addressId}", **CUSTOMER)
    assert (status, book["items"], book["defaultAddressId"]) == (200, [], None)
    # The slot is free again: the count went down.
    assert save(accounts_api, CUSTOMER)["default"] is True


def test_another_persons_address_is_never_readable_or_changeable(accounts_api: Api) -> None:
    mine = save(accounts_api, CUSTOMER)
    path = f"/me/addresses/{mine['addressId']}"
    before = table_snapshot()
    for method, suffix, body in (
        ("PUT", "", {"address": OTHER_ADDRESS}),
        ("DELETE", "", None),
        ("POST", "/default", None),
    ):
        route = f"{method} /me/addresses/{{addressId}}{suffix}"
        status, _, problem = accounts_api(method, path + suffix, route=route, **OTHER_CUSTOMER, body=body)
        assert status == 404, (method, problem)
    assert table_snapshot() == before
    assert accounts_api("GET", "/me/addresses", **OTHER_CUSTOMER)[2]["items"] == []


def test_the_address_book_is_bounded(accounts_api: Api) -> None:
    for n in range(MAX_ADDRESSES):
        save(accounts_api, CUSTOMER, {**ADDRESS, "line1": f"{n} Nanjing Rd"})
    before = table_snapshot()
    status, _, problem = accounts_api("POST", "/me/addresses", **CUSTOMER, body={"address": ADDRESS})
    assert status == 422
    assert problem["type"] == "urn:oms:problem:address-book-full"
    assert table_snapshot() == before
    # Another person's book is their own.
    save(accounts_api, OTHER_CUSTOMER)


@pytest.mark.parametrize(
    "body",
    [
        {"address": {**ADDRESS, "country": "China"}},
        {"address": {**ADDRESS, "phone": "call me"}},
        {"address": ADDRESS, "label": "x" * 41},
        {"address": ADDRESS, "default": "yes"},
        {"label": "home"},
    ],
)
def test_bad_addresses_are_422_and_write_nothing(accounts_api: Api, body: dict[str, Any]) -> None:
    before = table_snapshot()
    status, _, problem = accounts_api("POST", "/me/addresses", **CUSTOMER, body=body)
    assert status == 422, problem
    assert table_snapshot() == before


# ---------------------------------------------------------------- checkout by a saved address
def place(api: Api, who: dict[str, Any], key: str, **where: Any) -> tuple[int, Any]:
    body = {"lines": [{"skuId": "TEE-M", "quantity": 1}], **where}
    status, _, answer = api("POST", "/orders", **who, headers={"Idempotency-Key": key}, body=body)
    return status, answer


def test_checkout_ships_to_a_saved_address_in_two_aws_calls(
    seeded: dict[str, Any], orders_module: ModuleType, accounts_api: Api, aws_calls: AwsCalls
) -> None:
    saved = save(accounts_api, CUSTOMER, label="home")
    orders = Api(orders_module)
    place(orders, CUSTOMER, "warm", shippingAddress=ADDRESS)  # the function's first request builds its clients
    aws_calls.clear()
    status, order = place(orders, CUSTOMER, "k1", shippingAddressId=saved["addressId"])
    assert status == 201, order
    assert order["shippingAddress"] == ADDRESS
    assert [c for c in aws_calls.calls if c.startswith("dynamodb:")] == [
        "dynamodb:BatchGetItem",
        "dynamodb:TransactWriteItems",
    ]
    # The order keeps its copy: changing the saved address later changes no order.
    accounts_api(
        "PUT",
        f"/me/addresses/{saved['addressId']}",
        route="PUT /me/addresses/{addressId}",
        **CUSTOMER,
        body={"address": OTHER_ADDRESS},
    )
    status, _, read = orders("GET", f"/orders/{order['orderId']}", route="GET /orders/{orderId}", **CUSTOMER)
    assert read["shippingAddress"] == ADDRESS


def test_checkout_refuses_another_persons_address_and_changes_nothing(
    seeded: dict[str, Any], orders_api: Api, accounts_api: Api
) -> None:
    theirs = save(accounts_api, OTHER_CUSTOMER)
    before = table_snapshot()
    status, problem = place(orders_api, CUSTOMER, "k2", shippingAddressId=theirs["addressId"])
    assert status == 422, problem
    assert problem["type"] == "urn:oms:problem:unknown-address"
    assert table_snapshot() == before


@pytest.mark.parametrize("where", [{}, {"shippingAddress": ADDRESS, "shippingAddressId": "01J9ZZZZZZZZZZZZZZZZZZZZZZ"}])
def test_checkout_takes_exactly_one_address(seeded: dict[str, Any], orders_api: Api, where: dict[str, Any]) -> None:
    before = table_snapshot()
    status, problem = place(orders_api, CUSTOMER, "k3", **where)
    assert status == 422, problem
    assert table_snapshot() == before
