"""The try-on panel's radio groups, each choice with its picture: a photo or initials, a skeleton, a scene card."""

from django.urls import reverse

from tryon.catalog.admin_display import initials
from tryon.catalog.thumbnails import pose_version
from tryon.media.signing import signed_url


def _fashion_model(fashion_model, merchant) -> dict:
    photo = fashion_model.reference_photo
    details = [fashion_model.get_body_type_display(), fashion_model.age_range]
    return {
        "picture": signed_url(photo),
        "initials": initials(fashion_model.name),
        "detail": ", ".join(details),
    }


def _pose(pose, merchant) -> dict:
    url = reverse("shop:pose-skeleton", args=[merchant.slug, pose.id])
    return {"picture": f"{url}?v={pose_version(pose)}", "detail": ""}


def _scene(scene, merchant) -> dict:
    detail = scene.location or scene.get_lighting_display() or scene.get_time_of_day_display()
    return {
        "picture": signed_url(scene.picture),
        "detail": detail.capitalize() if detail else "",
        "tone": scene.lighting or "plain",  # the card's colours where there is no picture
    }


YOURS = "Your model"
DESCRIBE = {"fashion_model": ("model", _fashion_model), "pose": ("pose", _pose), "scene": ("scene", _scene)}


def _name(form, pick) -> str:
    """The shopper's own model reads "Your model" to them, whatever it is called inside."""
    return YOURS if pick.pk == getattr(form, "yours_id", None) else str(pick)


def pickers(form, merchant) -> list[dict]:
    groups = []
    for name, (kind, describe) in DESCRIBE.items():
        field = form[name]
        choices = [
            {
                "widget": choice,
                "name": _name(form, choice.data["value"].instance),
                **describe(choice.data["value"].instance, merchant),
            }
            for choice in field
        ]
        groups.append({"field": field, "kind": kind, "choices": choices})
    return groups
