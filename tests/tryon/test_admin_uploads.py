"""Admin uploads never end in a 500: a file that is not a usable photo is explained next to its field;
poses are edited as keypoints and shown as their skeleton."""

import io
import json
import os

import pytest
from PIL import Image, ImageDraw

from prompts.poses import POSE_LIBRARY
from tests.factories import FashionModelFactory, GarmentFactory, PoseFactory, SceneFactory, StaffFactory
from tests.tryon.images import photo_upload, raw_upload
from tests.tryon.links import link_path
from tryon.catalog.models import FashionModel, Garment, Pose, Scene

pytestmark = pytest.mark.django_db

GARMENT = {"name": "Linen shirt", "category": "top", "colour": "#f2efe6"}
SCENE = {"name": "Beach at dusk", "prompt": "sandy beach at dusk, warm light", "lighting": "golden hour"}
MODEL = {"name": "Amara", "gender_presentation": "feminine", "age_range": "25-34", "body_type": "athletic"}


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


def field_error(response, field) -> str:
    return " ".join(response.context["adminform"].form.errors.get(field, []))


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: raw_upload(b"just some text", name="notes.txt"), "This is not an image we can read"),
        (lambda: photo_upload(fmt="GIF"), "GIF images are not accepted"),
        (lambda: raw_upload(b""), "The submitted file is empty"),
    ],
    ids=["text", "gif", "empty"],
)
def test_a_garment_upload_that_is_not_a_usable_photo_is_explained_by_the_field(client, staff, upload, message):
    response = client.post("/admin/catalog/garment/add/", {**GARMENT, "image": upload()})

    assert response.status_code == 200
    assert message in field_error(response, "image")
    assert not Garment.objects.exists()


def test_a_photo_over_the_limit_is_refused_with_the_limit(client, staff, settings):
    settings.TRYON_UPLOAD_MAX_BYTES = 2048
    noise = io.BytesIO()
    Image.frombytes("RGB", (100, 100), os.urandom(30_000)).save(noise, format="PNG")  # does not compress

    response = client.post("/admin/catalog/garment/add/", {**GARMENT, "image": raw_upload(noise.getvalue(), "big.png")})

    assert "the limit is 2.0 KB" in field_error(response, "image")


def test_a_fashion_model_photo_is_normalised_or_explained(client, staff):
    noisy = io.BytesIO()
    Image.effect_noise((256, 256), 64).convert("RGB").save(noisy, format="JPEG")
    truncated = noisy.getvalue()[: noisy.tell() // 2]
    add = "/admin/catalog/fashionmodel/add/"
    refused = client.post(add, {**MODEL, "skin_tone": "tan", "reference_photo": raw_upload(truncated)})
    assert "damaged or truncated" in field_error(refused, "reference_photo")

    added = client.post(add, {**MODEL, "skin_tone": "tan", "reference_photo": photo_upload(mode="RGBA", fmt="PNG")})
    assert added.status_code == 302
    model = FashionModel.objects.get()
    assert model.merchant == staff.merchant and len(model.reference_photo_sha256) == 64
    with Image.open(model.reference_photo.path) as stored:
        assert (stored.format, stored.mode) == ("JPEG", "RGB")

    client.post(
        f"/admin/catalog/fashionmodel/{model.id}/change/", {**MODEL, "skin_tone": "tan", "reference_photo-clear": "on"}
    )
    model.refresh_from_db()
    assert not model.reference_photo and model.reference_photo_sha256 == ""


def test_fashion_models_without_a_photo_show_their_initials(client, staff):
    FashionModelFactory(merchant=staff.merchant, name="Mei Lin")

    assert ">ML</span>" in client.get("/admin/catalog/fashionmodel/").content.decode()


def test_a_scene_picture_is_normalised_or_explained(client, staff):
    add = "/admin/catalog/scene/add/"
    refused = client.post(add, {**SCENE, "picture": raw_upload(b"<html>", name="beach.jpg")})
    assert "This is not an image we can read" in field_error(refused, "picture")
    assert not Scene.objects.filter(merchant=staff.merchant).exists()

    assert client.post(add, {**SCENE, "picture": photo_upload(mode="RGBA", fmt="PNG")}).status_code == 302
    scene = Scene.objects.get(merchant=staff.merchant)
    with Image.open(scene.picture.path) as stored:
        assert (stored.format, stored.mode) == ("JPEG", "RGB")
    assert f'src="{link_path(scene.picture)}?expires=' in client.get("/admin/catalog/scene/").content.decode()


def test_scenes_without_a_picture_show_their_initials(client, staff):
    SceneFactory(merchant=staff.merchant, name="Lisbon street")

    assert ">LS</span>" in client.get("/admin/catalog/scene/").content.decode()


def test_a_pose_is_saved_from_keypoints_and_refused_with_a_reason(client, staff):
    walking = [list(point) for point in POSE_LIBRARY["walking"].keypoints]

    bad = client.post("/admin/catalog/pose/add/", {"name": "Broken", "keypoints": json.dumps(walking[:5])})
    good = client.post("/admin/catalog/pose/add/", {"name": "My walk", "keypoints": json.dumps(walking)})

    assert field_error(bad, "keypoints") == "Keypoints: expected 18 OpenPose keypoints, got 5"
    assert good.status_code == 302
    assert Pose.objects.get().keypoints == [[x, y, bool(v)] for x, y, v in walking]


def test_the_pose_editor_starts_from_a_standing_pose_with_the_library_at_hand(client, staff):
    page = client.get("/admin/catalog/pose/add/").content.decode()

    assert "data-keypoint-editor" in page and "catalog/keypoint_editor.js" in page
    assert "Start from the pose library" in page and POSE_LIBRARY["walking"].name in page


def test_pose_skeletons_are_served_as_png_to_their_merchant_and_in_their_shop(client, staff):
    mine, theirs = PoseFactory(merchant=staff.merchant), PoseFactory()

    admin_png = client.get(f"/admin/catalog/pose/{mine.id}/skeleton.png")
    shop_png = client.get(f"/shop/{staff.merchant.slug}/poses/{mine.id}/skeleton.png")

    assert admin_png["Content-Type"] == shop_png["Content-Type"] == "image/png"
    assert admin_png.content == shop_png.content and admin_png.content.startswith(b"\x89PNG")
    assert client.get(f"/admin/catalog/pose/{theirs.id}/skeleton.png").status_code == 404
    assert client.get(f"/shop/{staff.merchant.slug}/poses/{theirs.id}/skeleton.png").status_code == 404
    assert f"/admin/catalog/pose/{mine.id}/skeleton.png?v=" in client.get("/admin/catalog/pose/").content.decode()


def dress_on_white() -> bytes:
    photo = Image.new("RGB", (300, 400), "white")
    ImageDraw.Draw(photo).polygon([(90, 40), (210, 40), (270, 360), (30, 360)], fill="#b0242e")
    buffer = io.BytesIO()
    photo.save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_garment_page_shows_its_cut_out_and_mask(client, staff):
    client.post("/admin/catalog/garment/add/", {**GARMENT, "image": raw_upload(dress_on_white(), "dress.png")})
    garment = Garment.objects.get()

    page = client.get(f"/admin/catalog/garment/{garment.id}/change/").content.decode()

    assert f"/admin/catalog/garment/{garment.id}/cutout.png?v={garment.image_sha256[:12]}" in page
    cutout = client.get(f"/admin/catalog/garment/{garment.id}/cutout.png")
    mask = client.get(f"/admin/catalog/garment/{garment.id}/mask.png")
    with Image.open(io.BytesIO(cutout.content)) as picture, Image.open(io.BytesIO(mask.content)) as silhouette:
        assert (picture.mode, silhouette.mode) == ("RGBA", "L")
        assert picture.getpixel((5, 5))[3] == 0 and picture.getpixel((150, 200))[3] == 255
        assert silhouette.getpixel((150, 200)) == 255 and silhouette.getpixel((5, 5)) == 0


def test_a_garment_photo_without_a_plain_background_says_why_there_is_no_cut_out(client, staff):
    garment = GarmentFactory(merchant=staff.merchant)  # one flat colour, edge to edge

    page = client.get(f"/admin/catalog/garment/{garment.id}/change/").content.decode()

    assert "No cut-out: the photo has nothing that stands out from its background" in page
    assert client.get(f"/admin/catalog/garment/{garment.id}/mask.png").status_code == 404


def test_another_merchants_garment_previews_are_not_found(client, staff):
    stranger = GarmentFactory()

    assert client.get(f"/admin/catalog/garment/{stranger.id}/cutout.png").status_code in (302, 404)
