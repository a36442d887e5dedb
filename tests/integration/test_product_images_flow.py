"""Through the local stack: staff ask for an image upload form, a client POSTs the file straight to the (moto)
bucket with it, the bucket's S3 event runs the thumbnail function, and the product shows the image with
thumbnail URLs that the stack serves (`/_local/images/...`); a file of another type than the form's is
REJECTED by the function and its object deleted (moto's S3 does not check a form's policy; AWS's does)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
import requests
from PIL import Image

from tests.helpers.flows import new_sku

pytestmark = pytest.mark.integration


def jpeg(size: tuple[int, int]) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1]))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def product_of(http: Any, sku_id: str) -> str:
    return str(http.get(f"/skus/{sku_id}").json()["productId"])


def post_form(form: dict[str, Any], body: bytes, content_type: str) -> requests.Response:
    upload = form["upload"]
    return requests.post(upload["url"], data=upload["fields"], files={"file": ("x", body, content_type)}, timeout=30)


def test_an_image_uploaded_with_its_form_gets_thumbnails_served_by_the_stack(
    stack: Any, http: Any, eventually: Callable[..., Any]
) -> None:
    sku_id = new_sku(stack, http, stock=1)
    pid = product_of(http, sku_id)
    admin = stack.mint_token("it-admin", ["admin"])
    body = jpeg((1000, 500))
    asked = http.post(
        f"/products/{pid}/images", token=admin, json={"contentType": "image/jpeg", "size": len(body), "skuId": sku_id}
    )
    assert asked.status == 201, asked.text
    form = asked.json()
    sent = post_form(form, body, "image/jpeg")
    assert sent.status_code in (200, 204), sent.text

    def ready() -> dict[str, Any] | None:
        product = http.get(f"/products/{pid}").json()
        return product if product["images"] else None

    product = eventually(ready, timeout=30)
    (image,) = product["images"]
    assert image["imageId"] == form["imageId"] and image["state"] == "READY"
    assert product["mainImage"]["thumbnails"] == image["thumbnails"]
    thumbnail = image["thumbnails"]["200"]
    assert thumbnail.startswith(f"{stack.base_url}/_local/images/images/{pid}/")
    served = requests.get(thumbnail, timeout=30)
    assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(served.content)) as small:
        assert (small.format, small.size) == ("WEBP", (200, 100))
    original = requests.get(image["url"], timeout=30)
    assert original.status_code == 200 and original.headers["content-type"] == "image/jpeg"
    # Only checked images are served: not the uploads, nor anything else of the bucket.
    for key in (f"uploads/{pid}/{form['imageId']}", f"images/../uploads/{pid}/{form['imageId']}"):
        assert requests.get(f"{stack.base_url}/_local/images/{key}", timeout=30).status_code == 404
    assert http.get(f"/skus/{sku_id}").json()["images"][0]["imageId"] == form["imageId"]


def test_an_upload_that_is_not_the_declared_image_is_rejected_and_deleted(
    stack: Any, http: Any, eventually: Callable[..., Any]
) -> None:
    pid = product_of(http, new_sku(stack, http, stock=1))
    admin = stack.mint_token("it-admin", ["admin"])
    body = b"GIF89a not really a png"
    form = http.post(
        f"/products/{pid}/images", token=admin, json={"contentType": "image/png", "size": len(body)}
    ).json()
    assert post_form(form, body, "image/png").status_code in (200, 204)

    def settled() -> dict[str, Any] | None:
        images = http.get(f"/products/{pid}/images", token=admin).json()["images"]
        return images[0] if images and images[0]["state"] != "PENDING" else None

    image = eventually(settled, timeout=30)
    assert image["state"] == "REJECTED" and "not a PNG image" in image["reason"]
    s3 = stack.boto3_client("s3")
    listed = s3.list_objects_v2(Bucket=stack.resources["ImagesBucket"], Prefix=f"uploads/{pid}/")
    assert listed.get("KeyCount", 0) == 0


def test_the_bucket_refuses_a_form_used_for_another_type_size_or_key(stack: Any, http: Any) -> None:
    pid = product_of(http, new_sku(stack, http, stock=1))
    admin = stack.mint_token("it-admin", ["admin"])
    body = jpeg((64, 64))
    form = http.post(
        f"/products/{pid}/images", token=admin, json={"contentType": "image/jpeg", "size": len(body)}
    ).json()
    upload = form["upload"]

    def send(fields: dict[str, str], data: bytes) -> requests.Response:
        return requests.post(upload["url"], data=fields, files={"file": ("x", data, "image/jpeg")}, timeout=30)

    other_type = send({**upload["fields"], "Content-Type": "image/png"}, body)
    assert (other_type.status_code, "AccessDenied") == (403, other_type.text.split("<Code>")[1].split("<")[0])
    other_key = send({**upload["fields"], "key": f"uploads/{pid}/01ARZ3NDEKTSV4RRFFQ69G5FAV"}, body)
    assert other_key.status_code == 403
    too_large = send(upload["fields"], body + b"\0")
    assert too_large.status_code == 400 and "EntityTooLarge" in too_large.text
    s3 = stack.boto3_client("s3")
    assert s3.list_objects_v2(Bucket=stack.resources["ImagesBucket"], Prefix=f"uploads/{pid}/").get("KeyCount", 0) == 0
    assert send(upload["fields"], body).status_code in (200, 204)  # the form as given works
