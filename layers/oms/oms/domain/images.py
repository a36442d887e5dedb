"""Product and SKU images: what may be uploaded, where each object lives in the images bucket, the states
of an image (PENDING → READY | REJECTED) and the order of a product's images (the first is the main one).

Pure: the store keeps the rows, `oms.adapters.images` the objects, `oms.services.images` decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from oms.domain.errors import InvalidRequest

# The types a shopper's browser shows everywhere; the S3 policy refuses any other Content-Type.
CONTENT_TYPES: dict[str, str] = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
PILLOW_FORMATS: dict[str, str] = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
MAX_BYTES = 10 * 1024 * 1024  # an upload's size limit (the policy's content-length-range)
MAX_PIXELS = 40_000_000  # width × height; above it an upload is refused before it is decoded (a bomb guard)
MAX_SIDE = 12_000  # pixels along either side
MAX_IMAGES = 20  # images of one product (PENDING and READY; REJECTED ones do not count)
THUMBNAIL_SIZES = (200, 800)  # the longest side of each thumbnail, in pixels (never enlarged)
UPLOAD_SECONDS = 900  # how long a presigned form is valid
PENDING_TTL_SECONDS = 86_400  # a PENDING row whose upload never came is dropped after a day (TTL)
REJECTED_TTL_SECONDS = 7 * 86_400  # a REJECTED row is kept a week, so the merchant sees why

UPLOADS_PREFIX = "uploads/"  # what the presigned forms write; the thumbnail function's S3 event prefix
PUBLIC_PREFIX = "images/"  # what the function writes after checking an upload; the only part CloudFront serves


class ImageState(StrEnum):
    PENDING = "PENDING"  # a form was handed out; no checked object yet
    READY = "READY"  # checked, re-encoded, thumbnails written
    REJECTED = "REJECTED"  # not an image of the declared type, or too large: its object is deleted


@dataclass(frozen=True)
class ImageKeys:
    """Where one image's objects live in the images bucket."""

    product_id: str
    image_id: str
    content_type: str

    @property
    def upload(self) -> str:
        return f"{UPLOADS_PREFIX}{self.product_id}/{self.image_id}"

    @property
    def original(self) -> str:
        return f"{PUBLIC_PREFIX}{self.product_id}/{self.image_id}/original.{CONTENT_TYPES[self.content_type]}"

    def thumbnail(self, size: int) -> str:
        return f"{PUBLIC_PREFIX}{self.product_id}/{self.image_id}/w{size}.webp"

    @property
    def thumbnails(self) -> dict[str, str]:
        return {str(size): self.thumbnail(size) for size in THUMBNAIL_SIZES}

    @property
    def public(self) -> list[str]:
        return [self.original, *self.thumbnails.values()]


def parse_upload_key(key: str) -> tuple[str, str] | None:
    """(productId, imageId) of an upload's object key, None for any other key."""
    if not key.startswith(UPLOADS_PREFIX):
        return None
    parts = key[len(UPLOADS_PREFIX) :].split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


def check_upload(content_type: str, size: int) -> str:
    """The file extension of an upload the policy will allow; InvalidRequest for another type or size."""
    extension = CONTENT_TYPES.get(content_type)
    if extension is None:
        raise InvalidRequest(f"product images are {', '.join(CONTENT_TYPES)}", field="contentType")
    if not 0 < size <= MAX_BYTES:
        raise InvalidRequest(f"a product image is 1 to {MAX_BYTES} bytes", field="size")
    return extension


def check_dimensions(width: int, height: int) -> str | None:
    """Why an image of this size is refused (before it is decoded), or None."""
    if width <= 0 or height <= 0:
        return "the image has no pixels"
    if width > MAX_SIDE or height > MAX_SIDE:
        return f"a side is longer than {MAX_SIDE} pixels"
    if width * height > MAX_PIXELS:
        return f"the image has more than {MAX_PIXELS} pixels"
    return None


def thumbnail_box(width: int, height: int, size: int) -> tuple[int, int]:
    """The thumbnail's size: the longest side `size` (never enlarged), the aspect ratio kept."""
    longest = max(width, height)
    if longest <= size:
        return width, height
    scale = size / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


@dataclass(frozen=True)
class Placed:
    """An image as ordering sees it."""

    image_id: str
    position: int
    state: ImageState


def check_order(current: Iterable[Placed], requested: Sequence[str]) -> dict[str, int]:
    """New positions (0 = main) from `requested`, which must name every image of the product that is not
    REJECTED, each once; InvalidRequest otherwise."""
    live = {image.image_id for image in current if image.state is not ImageState.REJECTED}
    if len(set(requested)) != len(requested):
        raise InvalidRequest("each image is named once", field="imageIds")
    if set(requested) != live:
        missing, unknown = sorted(live - set(requested)), sorted(set(requested) - live)
        raise InvalidRequest(
            "the order names every image of the product that is not rejected, and only those",
            field="imageIds",
            missing=missing,
            unknown=unknown,
        )
    return {image_id: position for position, image_id in enumerate(requested)}


def main_image(images: Iterable[Placed]) -> str | None:
    """The main image shown in listings: the first READY one by position."""
    ready = sorted((i for i in images if i.state is ImageState.READY), key=lambda i: (i.position, i.image_id))
    return ready[0].image_id if ready else None
