"""Keypoints of the person in a photo: OpenPose's pixels become fractions of the letterboxed pose canvas."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from generation import EngineError, keypoints
from generation.keypoint_detector_tiny import build_random_detector
from generation.keypoints import (
    DetectorMissing,
    DetectorRefused,
    detect_keypoints,
    detector_available,
    keypoints_from_detection,
)

NECK, RIGHT_SHOULDER, LEFT_SHOULDER, RIGHT_HIP = 1, 2, 5, 8


def detection(people: list[dict[int, tuple[float, float]]], scores: list[float]):
    """Body's output for hand-placed people: candidate rows (x, y, score, id), subset rows of 18 indices + 2."""
    candidate, subset = [], []
    for joints, score in zip(people, scores, strict=True):
        row = -np.ones(20)
        for part, (x, y) in joints.items():
            row[part] = len(candidate)
            candidate.append((x, y, 0.9, len(candidate)))
        row[18], row[19] = score, len(joints)
        subset.append(row)
    return np.array(candidate), np.array(subset)


@pytest.fixture
def no_detector(tmp_path, monkeypatch):
    monkeypatch.setenv("TRYON_KEYPOINT_DETECTOR", str(tmp_path / "empty"))


@pytest.fixture(scope="module")
def random_detector(tmp_path_factory):
    return build_random_detector(tmp_path_factory.mktemp("annotators"))


@pytest.fixture
def opted_in(monkeypatch):
    monkeypatch.setenv("TRYON_ALLOW_NONCOMMERCIAL", "1")


def test_a_square_photo_is_letterboxed_so_its_points_sit_between_the_bars():
    # 300x300 on the 512x768 canvas: scaled to 512x512, bars of 128 px above and below.
    person = {NECK: (75, 30), RIGHT_SHOULDER: (150, 150), LEFT_SHOULDER: (300, 300), RIGHT_HIP: (0, 0)}

    found = keypoints_from_detection(*detection([person], [3.2]), (300, 300))

    assert len(found) == 18
    assert found[NECK] == (0.25, round((128 + 0.1 * 512) / 768, 4), True)
    assert found[RIGHT_SHOULDER] == (0.5, 0.5, True)
    assert found[LEFT_SHOULDER] == (1.0, round((128 + 512) / 768, 4), True)
    assert found[RIGHT_HIP] == (0.0, round(128 / 768, 4), True)
    assert found[0] == (0.0, 0.0, False)  # the nose was not found: hidden
    assert all(type(x) is float and type(y) is float and type(v) is bool for x, y, v in found)


def test_a_wide_photo_seen_scaled_down_maps_through_the_original_photos_letterbox():
    # A 1200x600 photo, seen by the detector at 512x256: on the canvas it is 512x256 with bars of 256 px.
    person = {NECK: (256, 128), RIGHT_SHOULDER: (128, 64), LEFT_SHOULDER: (384, 64), RIGHT_HIP: (256, 256)}

    found = keypoints_from_detection(*detection([person], [2.0]), (512, 256), photo_size=(1200, 600))

    assert found[NECK] == (0.5, 0.5, True)
    assert found[RIGHT_SHOULDER] == (0.25, round((256 + 64) / 768, 4), True)
    assert found[RIGHT_HIP] == (0.5, round((256 + 256) / 768, 4), True)


def test_the_most_confident_person_is_the_one_returned_and_nobody_is_none():
    faint = {NECK: (10, 10), RIGHT_SHOULDER: (5, 10), LEFT_SHOULDER: (15, 10), RIGHT_HIP: (8, 30)}
    clear = {NECK: (50, 20), RIGHT_SHOULDER: (40, 20), LEFT_SHOULDER: (60, 20), RIGHT_HIP: (45, 60)}

    found = keypoints_from_detection(*detection([faint, clear], [1.0, 5.0]), (100, 150))

    assert found[NECK] == (0.5, round(20 / 150, 4), True)
    assert keypoints_from_detection(np.zeros((0, 4)), -np.ones((0, 20)), (100, 150)) is None


def test_without_weights_there_is_no_detector_and_detecting_says_how_to_get_it(no_detector):
    assert detector_available() is False
    with pytest.raises(DetectorMissing, match=r"no body_pose_model\.pth in .*empty .*tryon_models pull annotators"):
        detect_keypoints(Image.new("RGB", (64, 96)))
    assert issubclass(DetectorMissing, EngineError)


def test_the_non_commercial_weights_are_refused_without_opting_in(random_detector, monkeypatch):
    monkeypatch.setenv("TRYON_KEYPOINT_DETECTOR", str(random_detector))
    monkeypatch.delenv("TRYON_ALLOW_NONCOMMERCIAL", raising=False)

    assert detector_available() is True
    with pytest.raises(DetectorRefused, match=r"non-commercial.*TRYON_ALLOW_NONCOMMERCIAL=1"):
        detect_keypoints(Image.new("RGB", (64, 96)))


def test_random_weights_run_the_real_detector_once_per_process_and_find_nobody(random_detector, monkeypatch, opted_in):
    monkeypatch.setenv("TRYON_KEYPOINT_DETECTOR", str(random_detector))
    figure = Image.new("RGB", (300, 450), "white")
    draw = ImageDraw.Draw(figure)
    draw.ellipse((130, 30, 170, 80), fill="black")
    draw.line((150, 80, 150, 280), fill="black", width=12)
    draw.line((100, 120, 200, 120), fill="black", width=10)
    keypoints._load_body.cache_clear()

    assert detect_keypoints(figure) is None
    assert detect_keypoints(Image.new("RGB", (800, 600), "grey")) is None
    assert keypoints._load_body.cache_info().misses == 1  # loaded once, then reused


def test_a_big_photo_is_detected_scaled_down_and_its_points_land_on_the_canvas(random_detector, monkeypatch, opted_in):
    monkeypatch.setenv("TRYON_KEYPOINT_DETECTOR", str(random_detector))
    seen = []

    def body(bgr):  # stands in for the network: a person at fixed fractions of whatever it is shown
        seen.append(bgr.shape)
        height, width = bgr.shape[:2]
        joints = {NECK: (width / 2, height / 4), RIGHT_SHOULDER: (width / 4, height / 4)}
        joints |= {LEFT_SHOULDER: (3 * width / 4, height / 4), RIGHT_HIP: (width / 2, height / 2)}
        return detection([joints], [3.0])

    monkeypatch.setattr(keypoints, "_load_body", lambda path, mtime: body)

    found = detect_keypoints(Image.new("RGB", (1024, 1536), "white"))  # 2:3: no bars

    assert seen == [(512, 341, 3)]
    assert found[NECK] == (0.5, 0.25, True) and found[RIGHT_HIP] == (0.5, 0.5, True)


def test_a_file_that_is_not_a_body_model_is_an_engine_error(tmp_path, monkeypatch, opted_in):
    (tmp_path / "body_pose_model.pth").write_bytes(b"not a checkpoint")
    monkeypatch.setenv("TRYON_KEYPOINT_DETECTOR", str(tmp_path))

    with pytest.raises(EngineError, match="is not an OpenPose body model"):
        detect_keypoints(Image.new("RGB", (64, 96)))
