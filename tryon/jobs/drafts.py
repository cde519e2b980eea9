"""The instant draft of a warp try-on: made in the request, shown to the shopper before diffusion starts.

The garments' stored cut-outs are warped onto the person by keypoints (prompts.draft): milliseconds on a
CPU, no GPU queue. The person is the fashion model's photo, else the stage-1 person when it was rendered
before, else a neutral silhouette in the pose on the scene's picture. The render replaces it when done.

A draft is stored under a name made of what it is made of (the picks, the person's pixels, the cut-outs, the
keypoints and the size), so the same picks in another try-on (another seed, sample count or preset) share
the file: the request finds it with one stat and neither warps nor encodes again. The picks' ids are in the
name too, so a draft is only ever shared by try-ons of the same picks, which are deleted together
(tryon.shoppers, tryon.fashn purges); drafts are never moderated results (tryon.moderation).
"""

import hashlib
import io
import json
import logging
import time
from functools import lru_cache

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from prompts import GenerationPlan
from prompts.letterbox import letterbox
from tryon.catalog.models import Scene
from tryon.jobs.models import PersonRender, TryOnJob

logger = logging.getLogger(__name__)
DRAFT_QUALITY = 92  # JPEG: a draft is replaced in seconds, and encodes ten times faster than PNG
DRAFT_VERSION = 1  # part of every draft's name: raise it when prompts.draft draws differently


def stored_image(name: str, mode: str) -> Image.Image:
    with default_storage.open(name) as stored, Image.open(stored) as image:
        return image.convert(mode)


@lru_cache(maxsize=64)
def _cutout(name: str, sha256: str) -> Image.Image:
    """A garment's cut-out, decoded once per process: every shopper trying that garment on shares it.

    Keyed by content hash as well as name, so a new cut-out is never served stale; never modified by callers.
    """
    return stored_image(name, "RGBA")


def draft_name(*, merchant_id: int, picks: str, plan: GenerationPlan, person: dict) -> str:
    """The storage name of the draft these inputs make; `person` says whose pixels it dresses."""
    made_of = {
        "version": DRAFT_VERSION,
        "quality": DRAFT_QUALITY,
        "picks": picks,
        "person": person,
        "layers": [[layer.cutout.sha256, layer.category, layer.sleeves, layer.length] for layer in plan.garment_layers],
        "keypoints": [list(point) for point in plan.person_keypoints],
        "size": [plan.width, plan.height],
    }
    key = hashlib.sha256(json.dumps(made_of, sort_keys=True, default=str).encode()).hexdigest()
    return f"{TryOnJob.draft.field.upload_to}{merchant_id}/draft-{key[:40]}.jpg"


def _person_source(plan: GenerationPlan, person: PersonRender | None, scene: Scene | None) -> dict:
    if plan.init_image is not None:
        return {"photo": plan.init_image.sha256}
    if person is not None:
        return {"rendered": person.sha256 or person.fingerprint}
    return {"silhouette": scene.picture.name if scene is not None and scene.picture else ""}


def _person_image(plan: GenerationPlan, source: dict, person: PersonRender | None, scene: Scene | None):
    from prompts.silhouette import silhouette

    if "photo" in source:
        return stored_image(plan.init_image.name, "RGB")
    if "rendered" in source:
        return stored_image(person.file.name, "RGB")
    background = stored_image(scene.picture.name, "RGB") if source["silhouette"] else None
    return silhouette(plan.person_keypoints, width=plan.width, height=plan.height, background=background)


def tryon_draft_get_or_create(
    *, merchant_id: int, picks: str, plan: GenerationPlan, person: PersonRender | None, scene: Scene | None
) -> str:
    """The storage name of the draft of a warp `plan`: found, or composed and stored now; "" when it cannot be
    made (logged, never fatal: the render goes on). `picks` names the picks (ids), `person` is the stage-1
    person rendered before (tryon.jobs.persons), if any."""
    from prompts.draft import DraftLayer, compose_draft

    started = time.perf_counter()
    source = _person_source(plan, person, scene)
    name = draft_name(merchant_id=merchant_id, picks=picks, plan=plan, person=source)
    try:
        if default_storage.exists(name):  # the same picks drafted before: one stat, no warp, no encode
            return name
        try:
            image = _person_image(plan, source, person, scene)
        except OSError as error:
            if "rendered" not in source:
                raise
            # The stage-1 person's file went missing: the silhouette will do (the worker renders it again)
            logger.warning("Person render %s is missing its file: %s", person.fingerprint[:8], error)
            source = _person_source(plan, None, scene)
            name = draft_name(merchant_id=merchant_id, picks=picks, plan=plan, person=source)
            image = _person_image(plan, source, None, scene)
        layers = [
            DraftLayer(
                cutout=_cutout(layer.cutout.name, layer.cutout.sha256),
                category=layer.category,
                sleeves=layer.sleeves,
                length=layer.length,
            )
            for layer in plan.garment_layers
        ]
        person_image = letterbox(image, plan.width, plan.height)
        draft = compose_draft(person_image, layers, plan.person_keypoints, width=plan.width, height=plan.height)
        buffer = io.BytesIO()
        draft.image.save(buffer, format="JPEG", quality=DRAFT_QUALITY, subsampling=0)  # 4:4:4 keeps thin stripes
        stored = default_storage.save(name, ContentFile(buffer.getvalue()))
        if stored != name:  # two first requests at once: the other stored the same pixels first; no orphan copy
            default_storage.delete(stored)
    except (OSError, ValueError) as error:
        logger.warning("No draft for merchant %s, picks %s: %s", merchant_id, picks, error)
        return ""
    logger.info("Draft %s made in %.0f ms", name.rsplit("/", 1)[-1], (time.perf_counter() - started) * 1000)
    return name
