"""Base64 images from A1111 clients: decoded, bounded, stored once by content, and referred to by plans.

A1111 takes them with or without a data-URI prefix (`data:image/png;base64,...`); so do we. Decoding and its
limits are tryon.remote_images' (as for FASHN's data URIs); every failure is a ValidationError on the field's
path, so the client is told which image failed and why.
"""

import hashlib
import io
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageFilter, ImageOps

from prompts.plan import ImageRef
from tryon.jobs.models import TryOnJob
from tryon.remote_images import image_from_data_uri

PREFIX = "a1111"  # a1111/<merchant id>/<sha256>.png


def decode_image(value, *, field: str) -> Image.Image:
    """The picture in a base64 string, loaded, upright, within the upload limits."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({field: "Expected a base64 image, with or without a data:image/...;base64, prefix."})
    return image_from_data_uri(value, field=field, prefix_required=False)


def mask_image(image: Image.Image, *, blur: int, invert: bool) -> Image.Image:
    """A1111's mask: white repaints, black keeps; `invert` swaps them, `blur` softens the edge by that many pixels."""
    if image.mode in ("RGBA", "LA") and image.getchannel("A").getextrema()[0] < 255:
        mask = image.getchannel("A")  # a painted layer over transparency: the paint is the mask
    else:
        mask = image.convert("L")
    if invert:
        mask = ImageOps.invert(mask)
    return mask.filter(ImageFilter.GaussianBlur(blur)) if blur else mask


def image_ref(image: Image.Image, *, merchant_id: int, pending: dict[str, bytes], mode: str = "RGB") -> ImageRef:
    """`image` as a PNG named by its content: the plan's ImageRef to it. The PNG waits in `pending` until the
    whole request has been validated (images_store), so a refused request leaves nothing in storage."""
    buffer = io.BytesIO()
    image.convert(mode).save(buffer, format="PNG")
    data = buffer.getvalue()
    sha256 = hashlib.sha256(data).hexdigest()
    name = f"{PREFIX}/{merchant_id}/{sha256}.png"
    pending[name] = data
    return ImageRef(name=name, sha256=sha256)


def images_store(pending: dict[str, bytes]) -> None:
    """The validated request's images, in storage once per content (their names say what they hold)."""
    for name, data in pending.items():
        if not default_storage.exists(name):
            saved = default_storage.save(name, ContentFile(data))
            if saved != name:  # another request stored the same picture meanwhile: keep one copy
                default_storage.delete(saved)


def a1111_inputs_purge_expired(*, now: datetime | None = None) -> int:
    """Run by every sweep (tryon.a1111.apps): init images, masks and ControlNet images stored more than
    TRYON_SDAPI_RETENTION_HOURS ago that no unfinished job's plan names. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.TRYON_SDAPI_RETENTION_HOURS)
    try:
        merchants = default_storage.listdir(PREFIX)[0]  # a bucket has no folder to ask `exists` about
    except FileNotFoundError:
        return 0
    live = TryOnJob.objects.exclude(status__in=TryOnJob.FINISHED).values_list("plan", flat=True)
    wanted = {name for plan in live for name in _named_files(plan)}
    deleted = 0
    for merchant in merchants:
        for file in default_storage.listdir(f"{PREFIX}/{merchant}")[1]:
            name = f"{PREFIX}/{merchant}/{file}"
            if name not in wanted and default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                deleted += 1
    return deleted


def _named_files(plan) -> list[str]:
    """Every storage name under a1111/ in a plan's JSON (init image, mask, ControlNet units), walked with a list."""
    found, pending = [], [plan]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and item.startswith(f"{PREFIX}/"):
            found.append(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found
