"""Small pictures for admin lists and pickers: photos, initials for fashion models and scenes without one,
pose skeletons."""

from django.urls import reverse
from django.utils.html import format_html

from tryon.catalog.thumbnails import pose_version
from tryon.media.signing import signed_url


def thumbnail(file, size=64, alt=""):
    if not file:
        return "—"
    return format_html(
        '<img src="{}" alt="{}" class="tryon-thumb" style="height:{}px;width:auto;border-radius:4px">',
        signed_url(file),
        alt,
        size,
    )


def initials(name: str) -> str:
    return "".join(word[0] for word in name.split()[:2]).upper() or "?"


def _initials_badge(name: str, size: int, radius: str):
    return format_html(
        '<span class="tryon-initials" aria-hidden="true" style="display:inline-grid;place-items:center;'
        'width:{0}px;height:{0}px;border-radius:{1};background:#dfe6ee;color:#1f3a5f;font-weight:600">{2}</span>',
        size,
        radius,
        initials(name),
    )


def fashion_model_thumbnail(fashion_model, size=64):
    if fashion_model.reference_photo:
        return thumbnail(fashion_model.reference_photo, size)
    return _initials_badge(fashion_model.name, size, "50%")


def scene_thumbnail(scene, size=64):
    if scene.picture:
        return thumbnail(scene.picture, size)
    return _initials_badge(scene.name, size, "6px")


def pose_skeleton_url(pose) -> str:
    return f"{reverse('admin:catalog_pose_skeleton', args=[pose.id])}?v={pose_version(pose)}"


def pose_thumbnail(pose, height=96):
    """Decorative (empty alt): lists and pickers show the pose's name beside it."""
    return format_html(
        '<img src="{}" alt="" width="{}" height="{}" style="border-radius:4px;background:#000">',
        pose_skeleton_url(pose),
        height * 2 // 3,
        height,
    )


CHECKERBOARD = "background:repeating-conic-gradient(#e3e6ea 0 25%,#fff 0 50%) 0 0/16px 16px"


def garment_cutout_pair(garment, size=240):
    """The garment cut out (on a checkerboard, so the transparency shows) beside its mask."""

    def url(kind: str) -> str:
        return f"{reverse('admin:catalog_garment_preview', args=[garment.id, kind])}?v={garment.image_sha256[:12]}"

    return format_html(
        '<span class="tryon-cutout" style="display:inline-flex;gap:12px">'
        '<img src="{}" alt="{}, cut out of its photo" style="height:{}px;width:auto;border-radius:4px;{}">'
        '<img src="{}" alt="{}, its mask" style="height:{}px;width:auto;border-radius:4px;background:#000">'
        "</span>",
        url("cutout"),
        garment.name,
        size,
        CHECKERBOARD,
        url("mask"),
        garment.name,
        size,
    )
