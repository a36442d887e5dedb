"""Product and SKU images (docs/images.md): staff get a presigned POST form per image (`upload`), delete
images and set their order (`delete`, `set_order`); the thumbnail function checks each upload and writes its
renditions (`ThumbnailService.on_object_created`).

Permission is the edge's (catalog:write); here the store scope of merchant staff (another store's product
is not found), the product's version (If-Match) and the image rules of `oms.domain.images`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from oms.domain import images as rules
from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.errors import Conflict, InvalidRequest, NotFound, PreconditionFailed
from oms.domain.ids import new_id
from oms.domain.images import ImageState, Placed
from oms.domain.permissions import Actor
from oms.services.access import in_scope
from oms.store.images import ImageRecord, ImageRepository, Outcome, ProductImages
from oms.views.images import image_view

if TYPE_CHECKING:
    from oms.adapters.images import S3Images

log = logging.getLogger(__name__)

SETTLE_ATTEMPTS = 5  # a merchant's change of the same product may move its version between our read and write


def _main(images: list[ImageRecord], changed: dict[str, Placed]) -> ImageRecord | None:
    """The main image once `changed` (image id -> its new place and state) applies; removed ones absent."""
    placed = [changed.get(i.image_id, i.placed) for i in images]
    main_id = rules.main_image(placed)
    return next((i for i in images if i.image_id == main_id), None)


class ImageService:
    def __init__(
        self,
        repository: ImageRepository,
        bucket: Callable[[], S3Images],
        base_url: str,
        sku_product: Callable[[str], str | None],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.repository = repository
        self.bucket = bucket
        self.base_url = base_url
        self.sku_product = sku_product
        self.clock = clock

    def _product(self, actor: Actor, product_id: str) -> ProductImages:
        current = self.repository.product_images(product_id)
        if current is None or not in_scope(actor, current.store_id):
            raise NotFound(f"product {product_id} not found")
        return current

    def _views(self, images: list[ImageRecord]) -> list[dict[str, Any]]:
        return [image_view(i, self.base_url) for i in sorted(images, key=lambda i: (i.position, i.image_id))]

    def images(self, actor: Actor, product_id: str) -> dict[str, Any]:
        """Every image of the product with its state (staff: PENDING and REJECTED ones too)."""
        current = self._product(actor, product_id)
        return {"productId": product_id, "version": current.version, "images": self._views(current.images)}

    def upload(self, actor: Actor, product_id: str, sku_id: str | None, content_type: str, size: int) -> dict[str, Any]:
        """A PENDING image row and the presigned POST form that uploads its file (the policy: exactly its key,
        the declared type, at most the declared size, for `UPLOAD_SECONDS`)."""
        rules.check_upload(content_type, size)
        current = self._product(actor, product_id)
        if sku_id is not None and self.sku_product(sku_id) != product_id:
            raise InvalidRequest(f"SKU {sku_id} is not a SKU of product {product_id}", field="skuId")
        live = [i for i in current.images if i.state is not ImageState.REJECTED]
        if len(live) >= rules.MAX_IMAGES:
            raise Conflict(f"a product has at most {rules.MAX_IMAGES} images; delete one first", limit=rules.MAX_IMAGES)
        now = self.clock()
        record = self.repository.add_pending(
            current,
            new_id(),
            sku_id,
            content_type,
            actor,
            to_rfc3339(now),
            now + timedelta(seconds=rules.PENDING_TTL_SECONDS),
        )
        post = self.bucket().presigned_post(
            record.object_keys["upload"], content_type, size, expires_seconds=rules.UPLOAD_SECONDS
        )
        return {
            **image_view(record, self.base_url),
            "productVersion": current.version + 1,
            "upload": {
                "url": post["url"],
                "fields": post["fields"],
                "maxBytes": size,
                "expiresAt": to_rfc3339(now + timedelta(seconds=rules.UPLOAD_SECONDS)),
            },
        }

    def delete(self, actor: Actor, product_id: str, image_id: str, if_match: int | None) -> dict[str, Any]:
        """Remove the image (its row, then its objects); the product's images after it."""
        current = self._product(actor, product_id)
        if if_match is not None and if_match != current.version:
            raise PreconditionFailed("the product has changed since you read it (If-Match)")
        image = current.image(image_id)
        if image is None:
            raise NotFound(f"image {image_id} not found")
        rest = [i for i in current.images if i.image_id != image_id]
        self.repository.delete(current, image, _main(rest, {}), actor, to_rfc3339(self.clock()))
        keys = [image.object_keys["upload"], image.object_keys["original"], *image.object_keys["thumbnails"].values()]
        try:
            self.bucket().delete(keys)
        except Exception:  # committed: the row is gone, the objects are left for the lifecycle rule
            log.exception("deleting the objects of image %s failed", image_id)
        return {"productId": product_id, "version": current.version + 1, "images": self._views(rest)}

    def set_order(self, actor: Actor, product_id: str, image_ids: list[str], if_match: int | None) -> dict[str, Any]:
        """The product's images in this order (the first READY one is the main image)."""
        current = self._product(actor, product_id)
        if if_match is not None and if_match != current.version:
            raise PreconditionFailed("the product has changed since you read it (If-Match)")
        positions = rules.check_order((i.placed for i in current.images), image_ids)
        changed = {
            i.image_id: Placed(i.image_id, positions[i.image_id], i.state)
            for i in current.images
            if i.image_id in positions
        }
        self.repository.reorder(current, positions, _main(current.images, changed), actor, to_rfc3339(self.clock()))
        after = self.repository.product_images(product_id)
        assert after is not None
        return {"productId": product_id, "version": after.version, "images": self._views(after.images)}


class ThumbnailService:
    """What the thumbnail function does with each object created under `uploads/`."""

    def __init__(
        self, repository: ImageRepository, bucket: Callable[[], S3Images], clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.repository = repository
        self.bucket = bucket
        self.clock = clock

    def on_object_created(self, key: str) -> str:
        """Check the upload at `key` and settle its image (READY with renditions, or REJECTED with the object
        deleted); what happened, for the log. A redelivered event finds the image settled and does nothing."""
        parsed = rules.parse_upload_key(key)
        if parsed is None:
            return "ignored"
        product_id, image_id = parsed
        bucket = self.bucket()
        current = self.repository.product_images(product_id)
        image = current.image(image_id) if current else None
        if current is None or image is None:
            bucket.delete([key])  # no row: deleted meanwhile, or never handed out
            return "orphan-deleted"
        if image.state is not ImageState.PENDING:
            return f"already-{image.state.value.lower()}"
        stored = bucket.read(key, rules.MAX_BYTES)
        if stored is None:
            return "gone"
        outcome = self._check(image, stored.body, stored.content_type, stored.size)
        for _ in range(SETTLE_ATTEMPTS):
            settled = Placed(image_id, image.position, outcome.state)
            main = _main(current.images, {image_id: settled})
            now = self.clock()
            result = self.repository.settle(
                current, image, outcome, main, to_rfc3339(now), now + timedelta(seconds=rules.REJECTED_TTL_SECONDS)
            )
            if result == "settled":
                bucket.delete([key])
                return outcome.state.value.lower()
            if result == "not-pending":
                again = self.repository.product_images(product_id)
                if again is None or again.image(image_id) is None:  # deleted while we worked: leave nothing
                    bucket.delete([key, image.object_keys["original"], *image.object_keys["thumbnails"].values()])
                    return "deleted-meanwhile"
                return "already-settled"
            fresh = self.repository.product_images(product_id)
            found = fresh.image(image_id) if fresh else None
            if fresh is None or found is None:
                continue  # the next settle finds it gone ("not-pending")
            current, image = fresh, found
        raise Conflict("the product keeps changing; the event is retried")

    def _check(self, image: ImageRecord, body: bytes, content_type: str, size: int) -> Outcome:
        from oms.adapters.image_codec import Refused, render

        if size > rules.MAX_BYTES:
            return Outcome(ImageState.REJECTED, reason=f"larger than {rules.MAX_BYTES} bytes")
        if content_type != image.content_type:
            return Outcome(ImageState.REJECTED, reason=f"uploaded as {content_type!r}, declared {image.content_type!r}")
        rendered = render(body, image.content_type)
        if isinstance(rendered, Refused):
            return Outcome(ImageState.REJECTED, reason=rendered.reason)
        bucket = self.bucket()
        bucket.write(image.object_keys["original"], rendered.original, image.content_type)
        for size_px, data in rendered.thumbnails.items():
            bucket.write(image.object_keys["thumbnails"][str(size_px)], data, "image/webp")
        return Outcome(ImageState.READY, width=rendered.width, height=rendered.height, size_bytes=size)
