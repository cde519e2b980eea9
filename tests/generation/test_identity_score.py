"""The identity-consistency score: the face where the pose puts the head, against the portrait, by CLIP embedding."""

import pytest
from PIL import Image

from generation.identity import face_box, identity_similarity, portrait_crop, preset_image_encoder
from generation.scoring import ScoringError
from tests.generation.conftest import STANDING, picture

SIZE = (128, 192)  # the pose canvas's 2:3: keypoints are fractions of the render


def with_face(face: Image.Image, keypoints=STANDING) -> Image.Image:
    """A render whose head region, where the pose puts it, shows `face`."""
    render = Image.new("RGB", SIZE, (200, 200, 200))
    left, top, right, bottom = face_box(keypoints, *SIZE)
    render.paste(face.resize((right - left, bottom - top)), (left, top))
    return render


@pytest.fixture(scope="module")
def encoder():
    found = preset_image_encoder("tiny-tryon")  # the garment IP-Adapter's CLIP image encoder
    assert found is not None
    return found


def test_the_face_box_is_around_the_head_the_pose_shows():
    left, top, right, bottom = face_box(STANDING, *SIZE)

    nose = (0.5 * SIZE[0], 0.1 * SIZE[1])
    assert left < nose[0] < right and top < nose[1] < bottom
    assert bottom < 0.2 * SIZE[1] + (bottom - top)  # about the neck, not down to the chest
    assert face_box([(x, y, False) for x, y, _ in STANDING], *SIZE) is None  # a pose without a face


def test_the_same_face_scores_about_one_and_another_face_less(encoder):
    amara, someone_else = picture(21, (64, 64)), picture(22, (64, 64)).rotate(90)

    same = identity_similarity(with_face(amara), amara, keypoints=STANDING, encoder=encoder)
    other = identity_similarity(with_face(someone_else), amara, keypoints=STANDING, encoder=encoder)

    assert same.similarity == pytest.approx(1.0, abs=0.02)
    assert other.similarity < same.similarity - 0.02
    assert -1 <= other.similarity <= 1


def test_a_tall_portrait_is_compared_by_the_square_where_its_face_is():
    tall = Image.new("RGB", (60, 120), "white")

    assert portrait_crop(tall).size == (60, 60)
    assert portrait_crop(Image.new("RGB", (120, 60))).size == (60, 60)


def test_without_an_image_encoder_there_is_no_score_and_the_note_says_why():
    assert preset_image_encoder("tiny-fast") is None  # no IP-Adapter, no encoder

    score = identity_similarity(with_face(picture(21, (64, 64))), picture(21), keypoints=STANDING, encoder=None)

    assert score.similarity is None
    assert "no image encoder" in score.note


def test_a_pose_without_a_face_gives_no_score_and_says_so(encoder):
    faceless = tuple((x, y, i not in (0, 14, 15, 16, 17)) for i, (x, y, _) in enumerate(STANDING))

    score = identity_similarity(picture(1), picture(2), keypoints=faceless, encoder=encoder)

    assert score.similarity is None and "no face" in score.note


@pytest.mark.parametrize(
    ("render", "portrait", "keypoints", "message"),
    [
        ("render.png", picture(1), STANDING, "render: expected a PIL image"),
        (picture(1), None, STANDING, "portrait: expected a PIL image"),
        (picture(1), picture(2), STANDING[:5], "keypoints: expected 18"),
    ],
)
def test_what_cannot_be_scored_is_refused_naming_the_argument(render, portrait, keypoints, message):
    with pytest.raises(ScoringError, match=message):
        identity_similarity(render, portrait, keypoints=keypoints, encoder=None)
