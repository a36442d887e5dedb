"""Decoding and re-encoding uploads with Pillow: is it really an image of the declared type, within the pixel
limits (checked from the header, before anything is decoded: a decompression bomb is refused unread), and
its renditions: the original re-encoded (EXIF orientation applied, metadata such as GPS dropped) and WebP
thumbnails."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from oms.domain.images import PILLOW_FORMATS, THUMBNAIL_SIZES, check_dimensions, thumbnail_box


@dataclass(frozen=True)
class Rendered:
    width: int
    height: int
    original: bytes
    thumbnails: dict[int, bytes]  # longest side -> WebP bytes


@dataclass(frozen=True)
class Refused:
    reason: str


def render(data: bytes, content_type: str) -> Rendered | Refused:
    from PIL import Image, ImageOps, UnidentifiedImageError

    expected = PILLOW_FORMATS.get(content_type)
    if expected is None:
        return Refused(f"{content_type or 'no content type'} is not an accepted image type")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as probe:
                width, height = probe.size
                why = check_dimensions(width, height)
                if why is not None:
                    return Refused(why)
                probe.verify()  # the whole stream parses (truncated or corrupt files fail here)
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
                return _renditions(upright, expected)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Refused(f"not a {expected} image within the limits")
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        return Refused(f"not a readable {expected} image ({type(error).__name__})")


def _renditions(image: object, pillow_format: str) -> Rendered:
    from PIL import Image

    assert isinstance(image, Image.Image)
    width, height = image.size
    keeps_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    base = image.convert("RGBA" if keeps_alpha else "RGB")
    original = io.BytesIO()
    if pillow_format == "JPEG":
        base.convert("RGB").save(original, "JPEG", quality=90, optimize=True)
    elif pillow_format == "PNG":
        base.save(original, "PNG", optimize=True)
    else:
        base.save(original, "WEBP", quality=90, method=4)
    thumbnails: dict[int, bytes] = {}
    for size in THUMBNAIL_SIZES:
        box = thumbnail_box(width, height, size)
        small = base.resize(box, Image.Resampling.LANCZOS) if box != (width, height) else base
        out = io.BytesIO()
        small.save(out, "WEBP", quality=80, method=4)
        thumbnails[size] = out.getvalue()
    return Rendered(width, height, original.getvalue(), thumbnails)
