"""Whether a render of a cast fashion model shows its face: the portrait and what to compare it with.

The score itself is generation.identity's; this module finds the job's portrait (FashionModel.identity_portrait),
the pose that says where the head is, and the preset's image encoder. Best-effort, like the garment scores:
a render is never lost because its face could not be compared.
"""

import logging
from dataclasses import dataclass

from PIL import Image

from generation.identity import IdentityScore, ImageEncoder, identity_similarity, preset_image_encoder
from generation.scoring import ScoringError
from prompts import GenerationPlan
from tryon.jobs.models import TryOnJob

logger = logging.getLogger(__name__)


@dataclass
class ExpectedFace:
    portrait: Image.Image | None  # the cast model's portrait; None: not a cast model, or it could not be read
    keypoints: tuple | None  # where the pose puts the head, on the pose canvas
    encoder: ImageEncoder | None
    note: str = ""  # why the face is not compared


def expected_face(job: TryOnJob, plan: GenerationPlan) -> ExpectedFace | None:
    """What a render of `job` should show of its fashion model's face; None for a model that was not cast."""
    fashion_model = job.fashion_model
    if fashion_model is None or not fashion_model.identity_portrait:
        return None
    try:
        with fashion_model.identity_portrait.open("rb") as file, Image.open(file) as image:
            portrait = image.convert("RGB")
        return ExpectedFace(portrait, _head_pose(plan), preset_image_encoder(plan.preset))
    except Exception as error:  # a missing file, a stack that will not load: no score, never a lost render
        logger.exception("Try-on #%s: the portrait to compare faces with could not be prepared", job.id)
        return ExpectedFace(None, None, None, f"identity not scored: {type(error).__name__}: {error}")


def face_score(image: Image.Image, expected: ExpectedFace) -> IdentityScore:
    if expected.portrait is None:
        return IdentityScore(None, expected.note)
    if expected.keypoints is None:
        return IdentityScore(None, "the plan has no pose to find the face by")
    try:
        return identity_similarity(image, expected.portrait, keypoints=expected.keypoints, encoder=expected.encoder)
    except ScoringError as error:
        return IdentityScore(None, str(error))


def _head_pose(plan: GenerationPlan) -> tuple | None:
    """The keypoints of the body in the render: the warped person's, the mask's, or the OpenPose unit's."""
    if plan.mode == "warp":
        return plan.person_keypoints
    if plan.inpaint_mask is not None:
        return plan.inpaint_mask.keypoints
    poses = [unit.keypoints for unit in plan.controlnet_units if unit.kind == "openpose" and unit.keypoints]
    return poses[0] if poses else None
