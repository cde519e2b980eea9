"""Catalog rows as the prompt builder's picks."""

from prompts import FashionModelPick, GarmentPick, ImageRef, PosePick, ScenePick
from tryon.catalog.models import FashionModel, Garment, Pose, Scene


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
    )


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
