"""A fashion model's photo carries the person's own keypoints: detected on upload, shown over the photo,
corrected by the merchant; and when they cannot be found, the admin says why and renders use the pose."""

import io
import json
import re

import huggingface_hub
import pytest
from django.core.management import CommandError, call_command

from generation.keypoint_detector_tiny import build_random_detector
from prompts.poses import POSE_LIBRARY
from tests.factories import FashionModelFactory, StaffFactory
from tests.tryon.images import photo_upload
from tryon.catalog.models import FashionModel
from tryon.catalog.picks import fashion_model_keypoints
from tryon.catalog.services import NO_DETECTOR, NO_PERSON, fashion_model_create, fashion_model_detect_keypoints

pytestmark = pytest.mark.django_db

MODEL = {"name": "Amara", "gender_presentation": "feminine", "age_range": "25-34", "body_type": "athletic"}
ADD = "/admin/catalog/fashionmodel/add/"
STANDING = [list(point) for point in next(iter(POSE_LIBRARY.values())).keypoints]


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


@pytest.fixture(scope="module")
def random_detector_folder(tmp_path_factory):
    return build_random_detector(tmp_path_factory.mktemp("annotators"))


@pytest.fixture
def no_detector(tmp_path, monkeypatch):
    monkeypatch.setenv("TRYON_KEYPOINT_DETECTOR", str(tmp_path / "no-annotators"))


@pytest.fixture
def random_detector(random_detector_folder, monkeypatch):
    """Real OpenPose code on random weights, which find nobody; its licence opted into, as an operator would."""
    monkeypatch.setenv("TRYON_KEYPOINT_DETECTOR", str(random_detector_folder))
    monkeypatch.setenv("TRYON_ALLOW_NONCOMMERCIAL", "1")


def upload_model(client) -> FashionModel:
    response = client.post(ADD, {**MODEL, "skin_tone": "tan", "reference_photo": photo_upload(size=(300, 300))})
    assert response.status_code == 302, response.context["adminform"].form.errors
    return FashionModel.objects.get()


def change(client, fashion_model, **data):
    return client.post(
        f"/admin/catalog/fashionmodel/{fashion_model.id}/change/", {**MODEL, "skin_tone": "tan", **data}, follow=True
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_without_a_detector_the_upload_says_renders_use_the_picked_pose(client, staff, no_detector):
    fashion_model = upload_model(client)

    assert fashion_model.photo_keypoints is None
    assert fashion_model.photo_keypoints_source == "pose"
    assert fashion_model.photo_keypoints_note == NO_DETECTOR
    assert fashion_model_keypoints(fashion_model) is None

    page = client.get(f"/admin/catalog/fashionmodel/{fashion_model.id}/change/")
    assert "No keypoint detector weights are installed" in page.content.decode()
    assert "python manage.py tryon_models pull annotators" in page.content.decode()
    listed = client.get("/admin/catalog/fashionmodel/").content.decode()
    assert "No detector: renders use the picked pose" in listed


def test_the_detector_finding_nobody_is_explained_and_the_photo_is_shown_to_place_joints_on(
    client, staff, random_detector
):
    fashion_model = upload_model(client)

    assert (fashion_model.photo_keypoints, fashion_model.photo_keypoints_source) == (None, "")
    assert fashion_model.photo_keypoints_note == NO_PERSON
    page = client.get(f"/admin/catalog/fashionmodel/{fashion_model.id}/change/").content.decode()
    assert "No person was detected in this photo" in page
    assert "data-keypoint-editor" in page
    editor = json.loads(re.search(r'id="id_photo_keypoints-config"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert fashion_model.reference_photo.name in editor["background"]  # the editor draws over the photo
    assert "Choose a library pose to start" in page


def test_the_merchant_corrects_the_points_and_renders_use_them(client, staff, no_detector):
    fashion_model = upload_model(client)
    corrected = [[0.5, 0.12, True], *STANDING[1:-1], [0.0, 0.0, False]]

    response = change(client, fashion_model, photo_keypoints=json.dumps(corrected))

    assert response.status_code == 200 and not response.context.get("errors")
    fashion_model.refresh_from_db()
    assert fashion_model.photo_keypoints_source == "edited"
    assert fashion_model.photo_keypoints_note == ""
    assert fashion_model_keypoints(fashion_model) == tuple((x, y, v) for x, y, v in corrected)

    # A new photo is a new person: its keypoints are looked for again, the correction is gone.
    change(client, fashion_model, reference_photo=photo_upload(size=(256, 384)), photo_keypoints=json.dumps(corrected))
    fashion_model.refresh_from_db()
    assert (fashion_model.photo_keypoints_source, fashion_model_keypoints(fashion_model)) == ("pose", None)


def test_emptying_the_points_looks_for_them_again(client, staff, random_detector):
    fashion_model = upload_model(client)
    change(client, fashion_model, photo_keypoints=json.dumps(STANDING))
    fashion_model.refresh_from_db()
    assert fashion_model.photo_keypoints_source == "edited"

    response = change(client, fashion_model, photo_keypoints="")

    fashion_model.refresh_from_db()
    assert (fashion_model.photo_keypoints, fashion_model.photo_keypoints_note) == (None, NO_PERSON)
    assert any(NO_PERSON in message for message in messages_of(response))


@pytest.mark.parametrize(
    ("points", "message"),
    [
        (STANDING[:17], "Expected a list of 18 points, each [x, y, visible], got 17."),
        ([[0.5, 1.5, True], *STANDING[1:]], "The nose is at (0.5, 1.5); x and y must be within 0..1."),
        ([*STANDING[:1], ["0.5", 0.2, True], *STANDING[2:]], "The neck's x and y must be numbers, got '0.5' and 0.2."),
        ([*STANDING[:2], [0.4, 0.2, "yes"], *STANDING[3:]], "The right shoulder's visible must be true or false"),
        ([*STANDING[:3], [0.4, 0.2], *STANDING[4:]], "The right elbow is [0.4, 0.2]; expected [x, y, visible]."),
        ({"nose": [0.5, 0.1, True]}, "Expected a list of 18 points"),
    ],
    ids=["17-points", "outside", "text", "not-bool", "two-values", "not-a-list"],
)
def test_points_that_are_not_18_joints_within_the_photo_are_refused_by_the_field(
    client, staff, no_detector, points, message
):
    fashion_model = upload_model(client)

    response = change(client, fashion_model, photo_keypoints=json.dumps(points))

    assert message in " ".join(response.context["adminform"].form.errors["photo_keypoints"])
    fashion_model.refresh_from_db()
    assert fashion_model.photo_keypoints_source == "pose"


def test_the_admin_action_detects_again_for_the_chosen_models(client, staff, no_detector, monkeypatch):
    with_photo = upload_model(client)
    without = FashionModelFactory(merchant=staff.merchant, name="Bea")
    monkeypatch.setattr("generation.keypoints.detector_available", lambda: True)
    monkeypatch.setattr("generation.keypoints.detect_keypoints", lambda image: tuple(map(tuple, STANDING)))

    response = client.post(
        "/admin/catalog/fashionmodel/",
        {"action": "detect_keypoints", "_selected_action": [with_photo.id, without.id]},
        follow=True,
    )

    assert "Amara: Keypoints detected." in messages_of(response)
    with_photo.refresh_from_db()
    assert with_photo.photo_keypoints_source == "detected"
    assert fashion_model_keypoints(with_photo) == tuple(map(tuple, STANDING))
    without.refresh_from_db()
    assert without.photo_keypoints_source == "" and without.photo_keypoints is None


def test_non_commercial_weights_without_the_opt_in_fall_back_to_the_pose(
    client, staff, random_detector_folder, monkeypatch
):
    monkeypatch.setenv("TRYON_KEYPOINT_DETECTOR", str(random_detector_folder))
    monkeypatch.delenv("TRYON_ALLOW_NONCOMMERCIAL", raising=False)

    fashion_model = upload_model(client)

    assert fashion_model.photo_keypoints_source == "pose"
    assert "non-commercial" in fashion_model.photo_keypoints_note
    assert "TRYON_ALLOW_NONCOMMERCIAL=1" in fashion_model.photo_keypoints_note


def test_a_model_created_with_a_photo_outside_the_admin_is_looked_at_too(no_detector):
    merchant = StaffFactory().merchant
    fashion_model = fashion_model_create(merchant=merchant, **MODEL, skin_tone="tan", reference_photo=photo_upload())

    assert (fashion_model.photo_keypoints_source, fashion_model.photo_keypoints_note) == ("pose", NO_DETECTOR)
    fashion_model.refresh_from_db()
    assert fashion_model.photo_keypoints_source == "pose"


def test_a_model_without_a_photo_has_no_keypoints_to_find(no_detector):
    fashion_model = FashionModelFactory(photo_keypoints=STANDING, photo_keypoints_source="edited")

    fashion_model_detect_keypoints(fashion_model=fashion_model)

    fashion_model.refresh_from_db()
    assert (fashion_model.photo_keypoints, fashion_model.photo_keypoints_source) == (None, "")
    assert fashion_model_keypoints(fashion_model) is None


def models_command(*args) -> str:
    out = io.StringIO()
    call_command("tryon_models", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_models_list_shows_the_detector_and_whether_its_weights_are_here(
    no_detector, random_detector_folder, monkeypatch
):
    listed = models_command("list")
    assert "\nannotators  body keypoints" in listed
    assert "lllyasviel/Annotators/body_pose_model.pth" in listed and "[missing]" in listed.split("annotators  ")[1]
    assert "non-commercial" in listed.split("annotators  ")[1]

    monkeypatch.setenv("TRYON_KEYPOINT_DETECTOR", str(random_detector_folder))
    assert "[present]" in models_command("list").split("annotators  ")[1]
    assert models_command("verify", "annotators").startswith("annotators: ")


def test_pulling_the_detector_offline_is_a_clear_error(no_detector, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    with pytest.raises(CommandError, match=r"pull annotators: cannot download lllyasviel/Annotators/body_pose_model"):
        models_command("pull", "annotators")
    with pytest.raises(CommandError, match=r"no .*body_pose_model\.pth; run `manage.py tryon_models pull annotators`"):
        models_command("verify", "annotators")


def test_pulling_the_detector_puts_the_body_model_in_the_annotators_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TRYON_KEYPOINT_DETECTOR", str(tmp_path / "annotators"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    asked = []

    def download(repo_id, filename, *, local_dir):
        asked.append((repo_id, filename))
        (local_dir / filename).parent.mkdir(parents=True, exist_ok=True)
        (local_dir / filename).write_bytes(b"weights")
        return str(local_dir / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)

    assert "annotators: " in models_command("pull", "annotators")
    assert asked == [("lllyasviel/Annotators", "body_pose_model.pth")]
    assert (tmp_path / "annotators" / "body_pose_model.pth").read_bytes() == b"weights"

    def offline(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline)
    with pytest.raises(CommandError, match=r"annotators lllyasviel/Annotators/body_pose_model\.pth: download failed"):
        models_command("pull", "annotators")
