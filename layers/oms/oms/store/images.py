"""Product image rows (PRODUCT#<pid>/IMAGE#<imageId>) beside their product, and the product's `mainImage`.

Every change of a product's images is one transaction conditioned on the product's version (which it
bumps): an upload, a delete, a new order, and the thumbnail function's READY/REJECTED outcome (also
conditioned on the row still being PENDING, so a redelivered event changes nothing twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.expressions.update import Action

from oms.domain.errors import Conflict, NotFound, PreconditionFailed
from oms.domain.images import ImageKeys, ImageState, Placed
from oms.domain.permissions import Actor
from oms.store import keys
from oms.store.audit import add_audit
from oms.store.models import Item, ProductImageItem, ProductItem
from oms.store.product_search import add_product_changed
from oms.store.transactions import Part, Transaction, TransactionCancelled


@dataclass(frozen=True)
class ImageRecord:
    image_id: str
    product_id: str
    store_id: str
    sku_id: str | None
    state: ImageState
    position: int
    content_type: str
    object_keys: dict[str, Any]
    width: int | None
    height: int | None
    size_bytes: int | None
    reason: str | None
    created_at: str
    updated_at: str

    @property
    def placed(self) -> Placed:
        return Placed(self.image_id, self.position, self.state)


@dataclass(frozen=True)
class ProductImages:
    """A product's store, version and images as they are now (read strongly)."""

    product_id: str
    store_id: str
    version: int
    images: list[ImageRecord]

    def image(self, image_id: str) -> ImageRecord | None:
        return next((i for i in self.images if i.image_id == image_id), None)


@dataclass(frozen=True)
class Outcome:
    """What the thumbnail function found: READY with the image's size, or REJECTED with a reason."""

    state: ImageState
    width: int | None = None
    height: int | None = None
    size_bytes: int | None = None
    reason: str | None = None


def image_record(item: ProductImageItem) -> ImageRecord:
    return ImageRecord(
        image_id=item.imageId,
        product_id=item.productId,
        store_id=item.storeId,
        sku_id=item.skuId,
        state=ImageState(item.state),
        position=int(item.position),
        content_type=item.contentType,
        object_keys=dict(item.objectKeys or {}),
        width=None if item.width is None else int(item.width),
        height=None if item.height is None else int(item.height),
        size_bytes=None if item.sizeBytes is None else int(item.sizeBytes),
        reason=item.reason,
        created_at=item.createdAt,
        updated_at=item.updatedAt,
    )


def main_image_json(image: ImageRecord | None) -> dict[str, Any] | None:
    """What the product item keeps of its main image (listings build its URLs from it)."""
    if image is None:
        return None
    return {
        "imageId": image.image_id,
        "skuId": image.sku_id,
        **{k: image.object_keys[k] for k in ("original", "thumbnails")},
    }


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class ImageRepository:
    def product_images(self, product_id: str) -> ProductImages | None:
        """The product (store, version) and all its image rows, in one strongly consistent query."""
        product: ProductItem | None = None
        images: list[ImageRecord] = []
        partition, meta = keys.product(product_id)
        # IMAGE#… sorts before META: one key range holds both, and nothing else of the partition.
        for item in Item.query(partition, Item.SK.between(keys.PRODUCT_IMAGE_PREFIX, meta), consistent_read=True):
            if isinstance(item, ProductItem):
                product = item
            elif isinstance(item, ProductImageItem):
                images.append(image_record(item))
        if product is None:
            return None
        images.sort(key=lambda i: (i.position, i.image_id))
        return ProductImages(product_id, product.storeId, int(product.version), images)

    def sku_images(self, product_id: str, sku_id: str) -> list[ImageRecord]:
        """The READY images of one SKU of the product, ordered (a query of the product's image rows)."""
        partition, _ = keys.product(product_id)
        found = [
            image_record(item)
            for item in ProductImageItem.query(
                partition,
                ProductImageItem.SK.startswith(keys.PRODUCT_IMAGE_PREFIX),
                filter_condition=(ProductImageItem.skuId == sku_id)
                & (ProductImageItem.state == ImageState.READY.value),
            )
            if isinstance(item, ProductImageItem)
        ]
        return sorted(found, key=lambda i: (i.position, i.image_id))

    @staticmethod
    def _product_update(
        tx: Transaction, product_id: str, version: int, now: str, main: ImageRecord | None, changes_main: bool
    ) -> None:
        actions: list[Action] = [ProductItem.version.add(1), ProductItem.updatedAt.set(now)]
        if changes_main:
            main_json = main_image_json(main)
            actions.append(
                ProductItem.mainImage.remove() if main_json is None else ProductItem.mainImage.set(main_json)
            )
        tx.update(Part.PRODUCT, ProductItem(*keys.product(product_id)), actions, ProductItem.version == version)
        if changes_main:  # search hits show the main image
            add_product_changed(tx, product_id, now)

    @staticmethod
    def _commit(tx: Transaction, what: str) -> None:
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.PRODUCT):
                raise PreconditionFailed(f"the product has changed since it was read ({what}); read it again") from None
            if cancelled.failed(Part.IMAGE):
                raise NotFound("image not found") from None
            raise

    def add_pending(
        self,
        current: ProductImages,
        image_id: str,
        sku_id: str | None,
        content_type: str,
        actor: Actor,
        now: str,
        expires: datetime,
    ) -> ImageRecord:
        position = max((i.position for i in current.images), default=-1) + 1
        object_keys = ImageKeys(current.product_id, image_id, content_type)
        item = ProductImageItem(
            *keys.product_image(current.product_id, image_id),
            GSI1PK=keys.product_gsi1(current.product_id),
            GSI1SK=keys.product_image(current.product_id, image_id)[1],
            imageId=image_id,
            productId=current.product_id,
            storeId=current.store_id,
            skuId=sku_id,
            state=ImageState.PENDING.value,
            position=position,
            contentType=content_type,
            objectKeys={
                "upload": object_keys.upload,
                "original": object_keys.original,
                "thumbnails": object_keys.thumbnails,
            },
            createdBy=actor.subject,
            createdAt=now,
            updatedAt=now,
            expiresAt=expires,
        )
        tx = Transaction()
        tx.put(Part.IMAGE, item, ProductImageItem.PK.does_not_exist())
        self._product_update(tx, current.product_id, current.version, now, None, False)
        add_audit(
            tx,
            f"PRODUCT#{current.product_id}",
            "product.image.add",
            actor=actor,
            now=now,
            before=None,
            after={"imageId": image_id, "skuId": sku_id, "contentType": content_type},
            reason=None,
        )
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.IMAGE):
                raise Conflict("an image with this id exists") from None
            if cancelled.failed(Part.PRODUCT):
                raise Conflict("the product changed while the upload was prepared; retry") from None
            raise
        return image_record(item)

    def delete(
        self, current: ProductImages, image: ImageRecord, main: ImageRecord | None, actor: Actor, now: str
    ) -> None:
        tx = Transaction()
        tx.delete(
            Part.IMAGE,
            ProductImageItem(*keys.product_image(image.product_id, image.image_id)),
            ProductImageItem.PK.exists(),
        )
        self._product_update(tx, current.product_id, current.version, now, main, True)
        add_audit(
            tx,
            f"PRODUCT#{current.product_id}",
            "product.image.delete",
            actor=actor,
            now=now,
            before={"imageId": image.image_id, "state": image.state.value, "position": image.position},
            after=None,
            reason=None,
        )
        self._commit(tx, "delete")

    def reorder(
        self, current: ProductImages, positions: dict[str, int], main: ImageRecord | None, actor: Actor, now: str
    ) -> None:
        tx = Transaction()
        for image in current.images:
            if image.image_id not in positions:
                continue
            tx.update(
                (Part.IMAGE, image.image_id),
                ProductImageItem(*keys.product_image(image.product_id, image.image_id)),
                [ProductImageItem.position.set(positions[image.image_id]), ProductImageItem.updatedAt.set(now)],
                ProductImageItem.PK.exists(),
            )
        self._product_update(tx, current.product_id, current.version, now, main, True)
        add_audit(
            tx,
            f"PRODUCT#{current.product_id}",
            "product.image.order",
            actor=actor,
            now=now,
            before={"imageIds": [i.image_id for i in current.images if i.image_id in positions]},
            after={"imageIds": sorted(positions, key=positions.__getitem__)},
            reason=None,
        )
        self._commit(tx, "order")

    def settle(
        self,
        current: ProductImages,
        image: ImageRecord,
        outcome: Outcome,
        main: ImageRecord | None,
        now: str,
        rejected_expires: datetime,
    ) -> str:
        """The thumbnail function's verdict, if the image is still PENDING and the product still has the
        version read: "settled", "not-pending" (already settled, or deleted: nothing changes) or "raced"
        (the product changed: read again)."""
        actions: list[Action] = [ProductImageItem.state.set(outcome.state.value), ProductImageItem.updatedAt.set(now)]
        if outcome.state is ImageState.READY:
            actions += [
                ProductImageItem.width.set(outcome.width or 0),
                ProductImageItem.height.set(outcome.height or 0),
                ProductImageItem.sizeBytes.set(outcome.size_bytes or 0),
                ProductImageItem.expiresAt.remove(),
            ]
        else:
            actions += [
                ProductImageItem.reason.set(outcome.reason or "rejected"),
                ProductImageItem.expiresAt.set(rejected_expires),
            ]
        tx = Transaction()
        tx.update(
            Part.IMAGE,
            ProductImageItem(*keys.product_image(image.product_id, image.image_id)),
            actions,
            ProductImageItem.state == ImageState.PENDING.value,
        )
        self._product_update(tx, current.product_id, current.version, now, main, True)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.IMAGE):
                return "not-pending"
            if cancelled.failed(Part.PRODUCT):
                return "raced"
            raise
        return "settled"
