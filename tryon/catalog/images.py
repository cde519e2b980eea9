"""Uploaded photos: decoded, bounded and normalised before anything is stored.

Every failure is a ValidationError on the named field, so a form or the API can show it next to
the input; nothing here touches storage, so a refused upload leaves nothing behind.
"""

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
MIN_SIDE = 256  # pixels on the shorter side: less is a thumbnail, not a photo to render from
MAX_ASPECT = 4  # longest side over shortest: beyond it a banner or a sliver, not a garment or a person
NOT_AN_IMAGE = "This is not an image we can read. Upload a JPEG, PNG or WebP photo."


@dataclass(frozen=True)
class NormalisedImage:
    file: ContentFile  # JPEG, RGB, upright, longest side within TRYON_IMAGE_MAX_SIDE
    width: int
    height: int
    sha256: str


def _human_size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.1f} KB"


def normalise_image_upload(upload, *, field: str) -> NormalisedImage:
    """Decode `upload` (a Django UploadedFile or any file object) into a clean RGB JPEG."""
    max_bytes = settings.TRYON_UPLOAD_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError({field: f"The file is {_human_size(size)}; the limit is {_human_size(max_bytes)}."})
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError({field: f"The file is larger than the limit of {_human_size(max_bytes)}."})
    if not data:
        raise ValidationError({field: "The file is empty."})

    image_format, (width, height), image = _open(data, field)
    if image_format not in ACCEPTED_FORMATS:
        raise ValidationError({field: f"{image_format} images are not accepted. Upload a JPEG, PNG or WebP photo."})
    _check_dimensions(width, height, field)  # from the header, before decoding
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
        image = _to_rgb(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError({field: "The image is damaged or truncated and cannot be decoded."}) from None

    max_side = settings.TRYON_IMAGE_MAX_SIDE
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)

    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95, optimize=True)
    content = buffer.getvalue()
    name = Path(getattr(upload, "name", "") or "photo").stem[:80] or "photo"
    return NormalisedImage(
        file=ContentFile(content, name=f"{name}.jpg"),
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def _open(data: bytes, field: str) -> tuple[str, tuple[int, int], Image.Image | None]:
    """(format, size, image) from the header. Past Pillow's own bomb limit (or its warning, where warnings are
    errors) there is no image, only the header's size, which `_check_dimensions` then refuses."""
    try:
        image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return (*_header_only(data, field), None)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):  # ValueError: e.g. a PNG text-chunk bomb
        raise ValidationError({field: NOT_AN_IMAGE}) from None
    return image.format, image.size, image


def _header_only(data: bytes, field: str) -> tuple[str, tuple[int, int]]:
    """Format and size as Image.open's format plugins read them, minus its bomb check (nothing is decoded)."""
    Image.init()
    for name in Image.ID:
        factory, accept = Image.OPEN[name]
        accepted = accept(data[:16]) if accept else True
        if not accepted or isinstance(accepted, str):
            continue
        try:
            header = factory(io.BytesIO(data), "")
        except Exception:  # any plugin's parse error means: not this format
            continue
        return header.format, header.size
    raise ValidationError({field: NOT_AN_IMAGE})


def _check_dimensions(width: int, height: int, field: str) -> None:
    """A small file can hold a huge (decompression bomb) image; a sliver or a thumbnail is no photo to render.

    The pixel limit is ours or Pillow's, the lower: past Pillow's, Image.open warns or refuses (see _open).
    """
    size = f"The image is {width}x{height} pixels"
    limit = min(settings.TRYON_UPLOAD_MAX_PIXELS, Image.MAX_IMAGE_PIXELS or settings.TRYON_UPLOAD_MAX_PIXELS)
    if width * height > limit:
        raise ValidationError({field: f"{size}; the limit is {limit / 1e6:g} megapixels."})
    if min(width, height) < MIN_SIDE:
        raise ValidationError({field: f"{size}; a photo needs at least {MIN_SIDE} pixels on its shorter side."})
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ValidationError(
            {field: f"{size}; a photo may be at most {MAX_ASPECT} times as long as it is wide. Crop it closer."}
        )


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB on white: a cut-out garment photo (transparent background) must not turn black.

    16-bit and 32-bit greyscale keep their top 8 bits (Pillow's own convert clips them to white); 48- and
    64-bit PNGs already arrive as 8-bit RGB(A) from Pillow; CMYK goes through Pillow's conversion.
    """
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        grey = np.asarray(image).astype(np.int64)  # numpy reads I;16B's byte order from Pillow's array interface
        image = Image.fromarray((np.clip(grey, 0, 65535) >> 8).astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
