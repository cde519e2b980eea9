"""A garment's cut-out: made once per photo and stored for the renders, and as PNG previews for its admin page."""

import hashlib
import io
from functools import lru_cache

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from PIL import Image

from prompts.cutout import CutoutError, garment_cutout
from tryon.catalog.models import Garment, garment_cutout_upload_to

PREVIEW_SIDE = 480
KINDS = ("cutout", "mask")


@lru_cache(maxsize=64)
def _previews(name: str, sha256: str) -> dict[str, bytes]:
    """PNGs of the stored photo `name`; its `sha256` in the key, so a new photo is never served stale."""
    with default_storage.open(name) as stored, Image.open(stored) as photo:
        photo.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
        cutout = garment_cutout(photo)
    pngs = {}
    for kind, image in (("cutout", cutout), ("mask", cutout.getchannel("A"))):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        pngs[kind] = buffer.getvalue()
    return pngs


def garment_previews(garment: Garment) -> dict[str, bytes]:
    """{"cutout": RGBA PNG, "mask": L PNG}; CutoutError when the photo has no plain background."""
    return _previews(garment.image.name, garment.image_sha256)


def garment_preview_response(garment: Garment, kind: str) -> HttpResponse:
    if kind not in KINDS or not garment.image:
        raise Http404("No such preview")
    try:
        png = garment_previews(garment)[kind]
    except CutoutError as error:
        raise Http404(str(error)) from None
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"  # the URL carries the photo's hash
    return response


CUTOUT_SIDE = 1024  # renders are at most ~1216 px tall; a larger cut-out only costs storage and warp time


def garment_cutout_ensure(*, garment: Garment) -> Garment:
    """Cut the garment out of its photo, once per photo, and store it (or why it cannot be) on the garment.

    The cut-out is what every warp render puts on the person; made here, not per render, so a shopper's
    draft costs a warp, not a GrabCut. Safe to call again: a photo already cut out is left alone.
    """
    if not garment.image or not garment.image_sha256 or garment.cutout_of == garment.image_sha256:
        return garment
    photo_sha256 = garment.image_sha256
    error, png = "", None
    with default_storage.open(garment.image.name) as stored, Image.open(stored) as photo:
        photo.thumbnail((CUTOUT_SIDE, CUTOUT_SIDE))
        try:
            cutout = garment_cutout(photo)
        except CutoutError as cutout_error:
            error = str(cutout_error)
        else:
            buffer = io.BytesIO()
            cutout.save(buffer, format="PNG")
            png = buffer.getvalue()
    previous = garment.cutout.name if garment.cutout else ""
    name = ""
    if png is not None:
        sha256 = hashlib.sha256(png).hexdigest()
        name = default_storage.save(garment_cutout_upload_to(garment, f"{sha256[:16]}.png"), ContentFile(png))
    # Only if the photo is still the one cut out: a photo replaced meanwhile gets its own cut-out.
    updated = Garment.objects.filter(pk=garment.pk, image_sha256=photo_sha256).update(
        cutout=name,
        cutout_sha256=hashlib.sha256(png).hexdigest() if png else "",
        cutout_of=photo_sha256,
        cutout_error=error,
    )
    if not updated:
        if name:
            default_storage.delete(name)
        return Garment.objects.get(pk=garment.pk)
    if previous and previous != name:
        default_storage.delete(previous)
    garment.refresh_from_db(fields=["cutout", "cutout_sha256", "cutout_of", "cutout_error"])
    return garment


def garment_cutout_image(garment: Garment) -> Image.Image | None:
    """The stored cut-out (RGBA), or None when the photo has none."""
    if not garment.cutout:
        return None
    with default_storage.open(garment.cutout.name) as stored, Image.open(stored) as cutout:
        return cutout.convert("RGBA")
