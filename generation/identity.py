"""The identity-consistency score: is the face in a render the cast fashion model's?

The face is cut out of the render where the plan's pose puts the head (nose, eyes, ears, neck), the reference
portrait is taken as a square from its upper middle (a portrait is head and shoulders), both are embedded with
the preset's CLIP image encoder (the IP-Adapter's), and the score is their cosine similarity, -1 to 1.
Without an encoder there is nothing to compare with: the score is None and the note says why.

identity_similarity(render, portrait, keypoints=plan's keypoints, encoder=preset_image_encoder(preset))
"""

import math
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
from PIL import Image

from generation.scoring import DECIMALS, ScoringError
from prompts.letterbox import POSE_CANVAS, fit
from prompts.vocabulary import OPENPOSE_KEYPOINTS

HEAD = ("nose", "right_eye", "left_eye", "right_ear", "left_ear")
# A face box this many times the head's measure: the nose-to-neck distance, or the spread of eyes and ears
# (a third of a head's width apart, ears about half): enough for hair and chin, little of the background.
FACE_BOX_SCALE = 1.6
SPREAD_TO_HEAD = 1.5
MIN_FACE_PX = 8  # a smaller face has nothing left to compare
PORTRAIT_TOP = 0.25  # where the portrait's square starts, as a share of the height it can move in


@dataclass(frozen=True)
class IdentityScore:
    similarity: float | None  # cosine of the two embeddings, -1..1; None when not measured
    note: str = ""  # why similarity is None


@dataclass(frozen=True)
class ImageEncoder:
    """A CLIP image encoder and its preprocessing: what turns a picture into one embedding."""

    model: object  # transformers CLIPVisionModelWithProjection
    processor: object  # transformers CLIPImageProcessor
    lock: object = None  # held while embedding: the encoder is the render stack's, shared between threads

    def embed(self, images: list[Image.Image]) -> np.ndarray:
        import torch

        model = self.model
        pixels = self.processor(images=images, return_tensors="pt").pixel_values
        with self.lock or nullcontext(), torch.inference_mode():
            output = model(pixels.to(device=model.device, dtype=model.dtype))
        return output.image_embeds.float().cpu().numpy()


def identity_similarity(
    render: Image.Image, portrait: Image.Image, *, keypoints: Sequence, encoder: ImageEncoder | None
) -> IdentityScore:
    """How alike the face in `render` (where `keypoints` put it) and the face of `portrait` are."""
    # 1. Check the inputs; refuse what cannot be scored, naming the argument
    check_inputs(render, portrait, keypoints)
    if encoder is None:
        return IdentityScore(None, "no image encoder in this preset (an IP-Adapter brings one)")

    # 2. The face in the render, where the pose puts the head
    box = face_box(keypoints, render.width, render.height)
    if box is None:
        return IdentityScore(None, "the pose shows no face (no nose, eyes or ears in frame)")
    if min(box[2] - box[0], box[3] - box[1]) < MIN_FACE_PX:
        return IdentityScore(None, f"the face is under {MIN_FACE_PX} px in the render")
    face = render.convert("RGB").crop(box)

    # 3. The reference: the square of the portrait where a head-and-shoulders portrait has the face
    reference = portrait_crop(portrait.convert("RGB"))

    # 4. Both through the same encoder, and the cosine of their embeddings
    first, second = encoder.embed([face, reference])
    return IdentityScore(cosine(first, second))


def check_inputs(render, portrait, keypoints) -> None:
    for name, image in (("render", render), ("portrait", portrait)):
        if not isinstance(image, Image.Image):
            raise ScoringError(f"{name}: expected a PIL image, got {type(image).__name__}")
        if min(image.size) < 1:
            raise ScoringError(f"{name}: the image is empty")
    if isinstance(keypoints, str) or not isinstance(keypoints, Sequence) or len(keypoints) != len(OPENPOSE_KEYPOINTS):
        raise ScoringError(f"keypoints: expected {len(OPENPOSE_KEYPOINTS)} OpenPose keypoints")


def face_box(keypoints: Sequence, width: int, height: int) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) in pixels of a `width` x `height` render; None if no head point is visible.

    Keypoints are on the 2:3 pose canvas, letterboxed into the render as the OpenPose unit was drawn.
    """
    canvas = fit(POSE_CANVAS, width, height)
    points = {
        name: (canvas.left + x * canvas.width, canvas.top + y * canvas.height)
        for name, (x, y, visible) in zip(OPENPOSE_KEYPOINTS, keypoints, strict=True)
        if visible
    }
    head = [points[name] for name in HEAD if name in points]
    if not head:
        return None
    centre_x = sum(x for x, _ in head) / len(head)
    centre_y = sum(y for _, y in head) / len(head)
    spread = max((math.dist(a, b) for a in head for b in head), default=0.0) * SPREAD_TO_HEAD
    neck = math.dist(points["nose"], points["neck"]) if "nose" in points and "neck" in points else 0.0
    half = FACE_BOX_SCALE * max(spread, neck) / 2
    left, top = max(0, round(centre_x - half)), max(0, round(centre_y - half))
    right, bottom = min(width, round(centre_x + half)), min(height, round(centre_y + half))
    return (left, top, right, bottom) if right > left and bottom > top else None


def portrait_crop(portrait: Image.Image) -> Image.Image:
    """A square from the portrait: the whole width of a tall one, from a quarter of the way down its slack."""
    width, height = portrait.size
    side = min(width, height)
    left = (width - side) // 2
    top = round((height - side) * PORTRAIT_TOP)
    return portrait.crop((left, top, left + side, top + side))


def cosine(first: np.ndarray, second: np.ndarray) -> float:
    norms = float(np.linalg.norm(first) * np.linalg.norm(second))
    if norms == 0 or not math.isfinite(norms):
        raise ScoringError("embeddings: an embedding is zero or not finite")
    return round(max(-1.0, min(1.0, float(np.dot(first, second)) / norms)), DECIMALS)


def preset_image_encoder(preset_name: str) -> ImageEncoder | None:
    """The CLIP image encoder of the preset's loaded stack (its IP-Adapters'), or None where it has none."""
    from generation.loading import load_stack

    stack = load_stack(preset_name)
    model = getattr(stack.pipeline, "image_encoder", None)
    processor = getattr(stack.pipeline, "feature_extractor", None)
    if model is None or processor is None:
        return None
    return ImageEncoder(model=model, processor=processor, lock=stack.lock)
