"""Uploaded photos: decoded, bounded and normalised before anything is stored.

Every failure is a ValidationError on the named field, so a form or the API can show it next to
the input; nothing here touches storage, so a refused upload leaves nothing behind.
"""

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WebP"}


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

    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError):
        raise ValidationError({field: "This is not an image we can read. Upload a JPEG, PNG or WebP photo."}) from None
    if image.format not in ACCEPTED_FORMATS:
        raise ValidationError({field: f"{image.format} images are not accepted. Upload a JPEG, PNG or WebP photo."})
    # Checked from the header, before decoding: a small file can hold a huge (decompression bomb) image.
    if image.width * image.height > settings.TRYON_UPLOAD_MAX_PIXELS:
        raise ValidationError(
            {
                field: f"The image is {image.width}x{image.height} pixels; "
                f"the limit is {settings.TRYON_UPLOAD_MAX_PIXELS / 1e6:g} megapixels."
            }
        )
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
        image = _to_rgb(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
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


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB on white: a cut-out garment photo (transparent background) must not turn black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
