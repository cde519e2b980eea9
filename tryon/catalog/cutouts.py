"""A garment's cut-out and mask as PNG responses, for its admin page: what the engine can tell apart."""

import io
from functools import lru_cache

from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from PIL import Image

from prompts.cutout import CutoutError, garment_cutout
from tryon.catalog.models import Garment

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
