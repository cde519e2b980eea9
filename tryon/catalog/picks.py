"""Catalog rows as the prompt builder's picks."""

from prompts import FashionModelPick, GarmentPick, ImageRef, PosePick, ScenePick
from prompts.picks import Keypoint
from tryon.catalog.models import FashionModel, Garment, KeypointSource, Pose, Scene


def garment_pick(garment: Garment) -> GarmentPick:
    return GarmentPick(
        category=garment.category,
        name=garment.name,
        colour=garment.colour,
        material=garment.material,
        description=garment.description,
        pattern=garment.pattern,
        fit=garment.fit,
        length=garment.length,
        sleeve_length=garment.sleeve_length,
        keywords=tuple(word.strip() for word in garment.keywords.split(",") if word.strip()),
        image=ImageRef(name=garment.image.name, sha256=garment.image_sha256) if garment.image_sha256 else None,
        cutout=ImageRef(name=garment.cutout.name, sha256=garment.cutout_sha256) if garment.cutout_sha256 else None,
    )


def fashion_model_pick(fashion_model: FashionModel) -> FashionModelPick:
    photo = fashion_model.reference_photo
    return FashionModelPick(
        gender_presentation=fashion_model.gender_presentation,
        age_range=fashion_model.age_range,
        body_type=fashion_model.body_type,
        skin_tone=fashion_model.skin_tone,
        hair=fashion_model.hair,
        expression=fashion_model.expression,
        photo=ImageRef(name=photo.name, sha256=fashion_model.reference_photo_sha256) if photo else None,
        photo_keypoints=fashion_model_keypoints(fashion_model),
        # A cast model's identity (tryon.casting): its portrait, words and seed go into every render of it.
        identity=(
            ImageRef(name=fashion_model.identity_portrait.name, sha256=fashion_model.identity_portrait_sha256)
            if fashion_model.identity_portrait and fashion_model.identity_portrait_sha256
            else None
        ),
        identity_prompt=fashion_model.identity_prompt,
        identity_seed=fashion_model.identity_seed,
        height_cm=fashion_model.height_cm,
    )


def fashion_model_keypoints(fashion_model: FashionModel) -> tuple[Keypoint, ...] | None:
    """The person's own keypoints in the reference photo (detected or corrected), or None: use the picked pose."""
    if fashion_model.photo_keypoints_source not in (KeypointSource.DETECTED, KeypointSource.EDITED):
        return None
    if not fashion_model.reference_photo or not fashion_model.photo_keypoints:
        return None
    return tuple((float(x), float(y), bool(visible)) for x, y, visible in fashion_model.photo_keypoints)


def pose_pick(pose: Pose) -> PosePick:
    return PosePick(name=pose.name, keypoints=tuple((x, y, bool(visible)) for x, y, visible in pose.keypoints))


def scene_pick(scene: Scene) -> ScenePick:
    return ScenePick(
        name=scene.name,
        prompt=scene.prompt,
        negative_prompt=scene.negative_prompt,
        location=scene.location,
        lighting=scene.lighting,
        time_of_day=scene.time_of_day,
    )
