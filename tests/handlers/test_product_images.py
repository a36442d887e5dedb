"""Product and SKU images (issue 14 item 2) through the catalog and thumbnail functions under moto: the
presigned POST's policy, refused uploads, store scope, the thumbnail function on real images made with Pillow
(and on a non-image, a decompression bomb, a type mismatch), redelivered events, order and delete."""

from __future__ import annotations

import base64
import io
import json
import os
from datetime import UTC, datetime
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from PIL import Image

from tests.handlers.conftest import ADMIN, CUSTOMER, Api, LambdaContext, load_function
from tests.helpers.problems import assert_problem
from tests.helpers.table import table_snapshot

BUCKET = os.environ["IMAGES_BUCKET"]
BASE = os.environ["IMAGES_BASE_URL"]
UPLOAD = "POST /products/{productId}/images"
LIST = "GET /products/{productId}/images"
ORDER = "PUT /products/{productId}/images/order"
DELETE = "DELETE /products/{productId}/images/{imageId}"
MERCHANT_DEMO = {"sub": "m-demo", "roles": ("merchant",), "stores": ("demo",)}
MERCHANT_NORTH = {"sub": "m-north", "roles": ("merchant",), "stores": ("north",)}


def picture(fmt: str = "JPEG", size: tuple[int, int] = (1200, 600), mode: str = "RGB") -> bytes:
    image = Image.new(mode, size, "white" if mode != "1" else 1)
    if mode == "RGB":
        for x in range(0, size[0], 50):  # some detail, so the encoders have something to encode
            image.paste((x % 255, 40, 200), (x, 0, min(x + 25, size[0]), size[1]))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


@pytest.fixture
def bucket(aws: None) -> Any:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    return s3


@pytest.fixture
def thumbnails(aws: None) -> ModuleType:
    return load_function("thumbnails")


def upload(api: Api, pid: str, who: dict[str, Any] = ADMIN, **body: Any) -> tuple[int, dict[str, str], Any]:
    fields = {"contentType": "image/jpeg", "size": 50_000, **body}
    return api("POST", f"/products/{pid}/images", route=UPLOAD, body=fields, **who)


def deliver(fn: ModuleType, key: str) -> dict[str, Any]:
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Post",
                "s3": {"bucket": {"name": BUCKET}, "object": {"key": quote_plus(key)}},
            }
        ]
    }
    result: dict[str, Any] = fn.handler(event, LambdaContext())
    return result


def put_upload(s3: Any, form: dict[str, Any], body: bytes, content_type: str | None = None) -> str:
    key = form["upload"]["fields"]["key"]
    s3.put_object(
        Bucket=BUCKET, Key=key, Body=body, ContentType=content_type or form["upload"]["fields"]["Content-Type"]
    )
    return str(key)


def objects(s3: Any) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_the_upload_form_holds_the_exact_key_type_and_size_in_its_policy(
    seeded: dict[str, Any], catalog_api: Api
) -> None:
    pid = seeded["productId"]
    status, headers, form = upload(catalog_api, pid, contentType="image/png", size=123_456, skuId="MUG")
    assert status == 201, form
    assert (form["state"], form["skuId"], form["position"], form["url"], form["thumbnails"]) == (
        "PENDING",
        "MUG",
        0,
        None,
        {},
    )
    assert headers["ETag"] == '"2"' and form["productVersion"] == 2
    fields = form["upload"]["fields"]
    key = f"uploads/{pid}/{form['imageId']}"
    assert fields["key"] == key and fields["Content-Type"] == "image/png"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"bucket": BUCKET} in conditions
    assert {"key": key} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, 123_456] in conditions
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 800 < (expires - datetime.now(UTC)).total_seconds() <= 900
    assert form["upload"]["maxBytes"] == 123_456
    status, _, listed = catalog_api("GET", f"/products/{pid}/images", route=LIST, **ADMIN)
    assert [(i["imageId"], i["state"]) for i in listed["images"]] == [(form["imageId"], "PENDING")]
    # Shoppers see no PENDING image.
    _, _, product = catalog_api("GET", f"/products/{pid}", route="GET /products/{productId}")
    assert product["images"] == [] and product["mainImage"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"contentType": "image/gif"}, "contentType"),
        ({"contentType": "text/html"}, "contentType"),
        ({"size": 0}, "size"),
        ({"size": 10 * 1024 * 1024 + 1}, "size"),
        ({"skuId": "NOT-HERE"}, "skuId"),
    ],
)
def test_uploads_of_another_type_size_or_sku_are_refused(
    seeded: dict[str, Any], catalog_api: Api, body: dict[str, Any], field: str
) -> None:
    before = table_snapshot()
    got = upload(catalog_api, seeded["productId"], **body)
    assert_problem(*got, 422, "validation-failed")
    assert field in json.dumps(got[2])
    assert table_snapshot() == before


def test_junk_ids_and_callers_without_catalog_write_change_nothing(seeded: dict[str, Any], catalog_api: Api) -> None:
    pid = seeded["productId"]
    before = table_snapshot()
    assert_problem(*upload(catalog_api, "01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404, "not-found")
    assert_problem(*upload(catalog_api, "x" * 300), 404, "not-found")
    assert_problem(*upload(catalog_api, pid, CUSTOMER), 403, "forbidden")
    got = catalog_api("DELETE", f"/products/{pid}/images/01ARZ3NDEKTSV4RRFFQ69G5FAV", route=DELETE, **ADMIN)
    assert_problem(*got, 404, "not-found")
    got = catalog_api("DELETE", f"/products/{pid}/images/{'x' * 300}", route=DELETE, **ADMIN)
    assert_problem(*got, 404, "not-found")
    got = catalog_api("GET", "/products/NOPE/images", route=LIST, **ADMIN)
    assert_problem(*got, 404, "not-found")
    assert table_snapshot() == before


def test_merchant_staff_granted_catalog_write_work_on_their_own_stores_products_only(
    seeded: dict[str, Any], catalog_api: Api
) -> None:
    roles = Api(load_function("roles"))
    status, _, _ = roles(
        "PUT",
        "/settings/roles",
        route="PUT /settings/roles",
        body={"roles": {"merchant": {"grant": ["catalog:write"]}}},
        **ADMIN,
    )
    assert status == 200
    pid = seeded["productId"]
    before = table_snapshot()
    assert_problem(*upload(catalog_api, pid, MERCHANT_NORTH), 404, "not-found")
    got = catalog_api("GET", f"/products/{pid}/images", route=LIST, **MERCHANT_NORTH)
    assert_problem(*got, 404, "not-found")
    assert table_snapshot() == before
    status, _, form = upload(catalog_api, pid, MERCHANT_DEMO)
    assert status == 201 and form["state"] == "PENDING"


def test_a_real_image_turns_ready_with_thumbnails_and_shows_in_product_sku_and_listing(
    seeded: dict[str, Any], catalog_api: Api, bucket: Any, thumbnails: ModuleType
) -> None:
    pid = seeded["productId"]
    _, _, form = upload(catalog_api, pid, skuId="TEE-M")
    key = put_upload(bucket, form, picture("JPEG", (1200, 600)))
    assert deliver(thumbnails, key) == {"results": {key: "ready"}}
    iid = form["imageId"]
    prefix = f"images/{pid}/{iid}/"
    assert objects(bucket) == {prefix + "original.jpg", prefix + "w200.webp", prefix + "w800.webp"}
    sizes = {}
    for name in ("w200.webp", "w800.webp", "original.jpg"):
        data = bucket.get_object(Bucket=BUCKET, Key=prefix + name)["Body"].read()
        with Image.open(io.BytesIO(data)) as image:
            sizes[name] = (image.format, image.size)
    assert sizes == {
        "w200.webp": ("WEBP", (200, 100)),
        "w800.webp": ("WEBP", (800, 400)),
        "original.jpg": ("JPEG", (1200, 600)),
    }
    _, headers, product = catalog_api("GET", f"/products/{pid}", route="GET /products/{productId}")
    assert headers["ETag"] == '"3"'  # the upload, then the outcome
    (image,) = product["images"]
    assert image["state"] == "READY" and (image["width"], image["height"]) == (1200, 600)
    assert image["url"] == f"{BASE}/{prefix}original.jpg"
    assert image["thumbnails"] == {"200": f"{BASE}/{prefix}w200.webp", "800": f"{BASE}/{prefix}w800.webp"}
    assert product["mainImage"] == {"imageId": iid, "url": image["url"], "thumbnails": image["thumbnails"]}
    assert [s["images"] for s in product["skus"] if s["skuId"] == "MUG"] == [[]]
    assert [i["imageId"] for s in product["skus"] if s["skuId"] == "TEE-M" for i in s["images"]] == [iid]
    _, _, sku = catalog_api("GET", "/skus/TEE-M", route="GET /skus/{skuId}")
    assert [i["url"] for i in sku["images"]] == [image["url"]]
    _, _, page = catalog_api("GET", "/products", query={"store": "demo"})
    assert page["items"][0]["mainImage"]["thumbnails"]["200"] == f"{BASE}/{prefix}w200.webp"


def test_a_redelivered_event_changes_nothing_twice(
    seeded: dict[str, Any], catalog_api: Api, bucket: Any, thumbnails: ModuleType
) -> None:
    _, _, form = upload(catalog_api, seeded["productId"])
    key = put_upload(bucket, form, picture("PNG", (300, 300)), "image/jpeg")  # declared JPEG, sent PNG
    assert deliver(thumbnails, key)["results"][key] == "rejected"
    after_first, stored = table_snapshot(), objects(bucket)
    assert deliver(thumbnails, key)["results"][key] == "already-rejected"
    assert (table_snapshot(), objects(bucket)) == (after_first, stored)

    _, _, good = upload(catalog_api, seeded["productId"])
    key = put_upload(bucket, good, picture("JPEG", (100, 80)))
    assert deliver(thumbnails, key)["results"][key] == "ready"
    after_first, stored = table_snapshot(), objects(bucket)
    bucket.put_object(Bucket=BUCKET, Key=key, Body=picture("JPEG", (90, 90)), ContentType="image/jpeg")  # replayed
    assert deliver(thumbnails, key)["results"][key] == "already-ready"
    assert table_snapshot() == after_first
    assert objects(bucket) == stored | {key}  # the replayed object is not taken as a new image


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"<html>not an image</html>", "image/png", "not a PNG image"),
        (picture("PNG", (7000, 7000), "1"), "image/png", "more than 40000000 pixels"),  # 7 kB that decodes to 49 MP
        (picture("PNG", (13_000, 10), "1"), "image/png", "longer than 12000"),
        (picture("JPEG", (300, 200))[:400], "image/jpeg", "not a readable JPEG"),  # truncated
        (picture("WEBP", (300, 200)), "image/png", "not a PNG image"),  # another type than declared
    ],
)
def test_a_bad_upload_is_rejected_and_its_object_deleted(
    seeded: dict[str, Any],
    catalog_api: Api,
    bucket: Any,
    thumbnails: ModuleType,
    body: bytes,
    content_type: str,
    reason: str,
) -> None:
    pid = seeded["productId"]
    _, _, form = upload(catalog_api, pid, contentType=content_type)
    key = put_upload(bucket, form, body)
    assert deliver(thumbnails, key)["results"][key] == "rejected"
    assert objects(bucket) == set()
    _, _, listed = catalog_api("GET", f"/products/{pid}/images", route=LIST, **ADMIN)
    (image,) = listed["images"]
    assert image["state"] == "REJECTED" and reason in image["reason"], image
    _, _, product = catalog_api("GET", f"/products/{pid}", route="GET /products/{productId}")
    assert product["images"] == [] and product["mainImage"] is None


def test_order_and_main_image_with_if_match_and_delete(
    seeded: dict[str, Any], catalog_api: Api, bucket: Any, thumbnails: ModuleType
) -> None:
    pid = seeded["productId"]
    ids = []
    for width in (400, 500, 600):
        _, _, form = upload(catalog_api, pid)
        deliver(thumbnails, put_upload(bucket, form, picture("JPEG", (width, 100))))
        ids.append(form["imageId"])
    _, headers, listed = catalog_api("GET", f"/products/{pid}/images", route=LIST, **ADMIN)
    assert [i["imageId"] for i in listed["images"]] == ids
    version = listed["version"]
    assert headers["ETag"] == f'"{version}"'
    before = table_snapshot()
    path = f"/products/{pid}/images/order"
    stale = catalog_api("PUT", path, route=ORDER, body={"imageIds": ids[::-1]}, headers={"If-Match": '"1"'}, **ADMIN)
    assert_problem(*stale, 412, "precondition-failed")
    partial = catalog_api("PUT", path, route=ORDER, body={"imageIds": ids[:2]}, **ADMIN)
    assert_problem(*partial, 422, "validation-failed")
    assert partial[2]["missing"] == [ids[2]]
    twice = catalog_api("PUT", path, route=ORDER, body={"imageIds": [ids[0], ids[0], ids[1]]}, **ADMIN)
    assert_problem(*twice, 422, "validation-failed")
    assert table_snapshot() == before
    new_order = [ids[2], ids[0], ids[1]]
    status, headers, ordered = catalog_api(
        "PUT", path, route=ORDER, body={"imageIds": new_order}, headers={"If-Match": f'"{version}"'}, **ADMIN
    )
    assert status == 200, ordered
    assert [i["imageId"] for i in ordered["images"]] == new_order and headers["ETag"] == f'"{version + 1}"'
    _, _, product = catalog_api("GET", f"/products/{pid}", route="GET /products/{productId}")
    assert [i["imageId"] for i in product["images"]] == new_order and product["mainImage"]["imageId"] == ids[2]

    status, _, rest = catalog_api("DELETE", f"/products/{pid}/images/{ids[2]}", route=DELETE, **ADMIN)
    assert status == 200 and [i["imageId"] for i in rest["images"]] == [ids[0], ids[1]]
    assert not any(ids[2] in key for key in objects(bucket))
    _, _, page = catalog_api("GET", "/products", query={"store": "demo"})
    assert page["items"][0]["mainImage"]["imageId"] == ids[0]


def test_an_upload_of_an_image_deleted_meanwhile_leaves_nothing(
    seeded: dict[str, Any], catalog_api: Api, bucket: Any, thumbnails: ModuleType
) -> None:
    pid = seeded["productId"]
    _, _, form = upload(catalog_api, pid)
    catalog_api("DELETE", f"/products/{pid}/images/{form['imageId']}", route=DELETE, **ADMIN)
    key = put_upload(bucket, form, picture())
    assert deliver(thumbnails, key)["results"][key] == "orphan-deleted"
    assert objects(bucket) == set()
    assert deliver(thumbnails, "uploads/elsewhere")["results"]["uploads/elsewhere"] == "ignored"


def test_a_product_has_at_most_twenty_live_images(seeded: dict[str, Any], catalog_api: Api) -> None:
    pid = seeded["productId"]
    for _ in range(20):
        assert upload(catalog_api, pid)[0] == 201
    before = table_snapshot()
    assert_problem(*upload(catalog_api, pid), 409, "conflict")
    assert table_snapshot() == before
