"""The JSON of product and SKU images: URLs of the original and the thumbnails under the configured base
(CloudFront on AWS, the local stack's `/_local/images` locally), only once an image is READY."""

from __future__ import annotations

from typing import Any

from oms.domain.images import ImageState
from oms.store.images import ImageRecord


def image_url(base_url: str, key: str) -> str:
    return f"{base_url.rstrip('/')}/{key}"


def image_view(image: ImageRecord, base_url: str) -> dict[str, Any]:
    ready = image.state is ImageState.READY
    thumbnails: dict[str, str] = image.object_keys.get("thumbnails", {})
    return {
        "imageId": image.image_id,
        "skuId": image.sku_id,
        "state": image.state.value,
        "position": image.position,
        "contentType": image.content_type,
        "width": image.width,
        "height": image.height,
        "reason": image.reason,
        "url": image_url(base_url, image.object_keys["original"]) if ready else None,
        "thumbnails": {size: image_url(base_url, key) for size, key in thumbnails.items()} if ready else {},
    }


def main_image_view(main: dict[str, Any] | None, base_url: str) -> dict[str, Any] | None:
    """A listing's main image (what the product item keeps: its id and keys)."""
    if not main:
        return None
    return {
        "imageId": main["imageId"],
        "url": image_url(base_url, main["original"]),
        "thumbnails": {size: image_url(base_url, key) for size, key in main["thumbnails"].items()},
    }
