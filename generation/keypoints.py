"""The body keypoints of the person in a photo, found by OpenPose (controlnet_aux's body estimator).

A garment is warped onto a fashion model's photo by keypoints, so they must be that person's, not
the pose a shopper picked. Keypoints come in OpenPose-18 order (prompts.vocabulary.OPENPOSE_KEYPOINTS)
as (x, y, visible), x and y fractions of the pose canvas the photo is letterboxed into
(prompts.letterbox.POSE_CANVAS), so they line up with the photo as the engine letterboxes it.

The weights are lllyasviel/Annotators' `body_pose_model.pth`, in the folder `TRYON_KEYPOINT_DETECTOR`
names, else `{models_dir}/annotators`; `python manage.py tryon_models pull annotators` fetches them.
They are CMU's OpenPose body model, licensed for non-commercial research only, so detection is refused
unless TRYON_ALLOW_NONCOMMERCIAL=1, as for a non-commercial preset. Loaded once per process; torch and
controlnet_aux are imported on first detection, so a web process that only asks `detector_available()`
never pays for them.
"""

import functools
import threading
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from generation.env import env_str
from generation.errors import EngineError, WeightsMissing
from generation.presets import _allow_noncommercial, models_dir
from prompts.letterbox import POSE_CANVAS, fit
from prompts.picks import Keypoint

ANNOTATORS_REPO = "lllyasviel/Annotators"
BODY_WEIGHTS = "body_pose_model.pth"
DETECTOR_ENV = "TRYON_KEYPOINT_DETECTOR"
DETECTOR_LICENCE = (
    "OpenPose body model (CMU, via lllyasviel/Annotators): non-commercial research use only; "
    "commercial use needs a licence from CMU"
)
PULL_HINT = "python manage.py tryon_models pull annotators"
DETECT_SIDE = 512  # the photo's longest side as the detector sees it; it scales to 184 px high inside anyway

_lock = threading.Lock()  # one inference at a time: a web process may detect from several threads


class DetectorMissing(WeightsMissing):
    """No keypoint detector weights on this machine; the message says how to get them."""


class DetectorRefused(EngineError):
    """The detector's weights have a non-commercial licence and TRYON_ALLOW_NONCOMMERCIAL is not 1."""


def detector_folder() -> Path:
    """Where the detector's weights live: `TRYON_KEYPOINT_DETECTOR`, else `{models_dir}/annotators`."""
    configured = env_str(DETECTOR_ENV)
    return Path(configured).expanduser() if configured else models_dir() / "annotators"


def detector_weights() -> Path:
    return detector_folder() / BODY_WEIGHTS


def detector_available() -> bool:
    """Whether the body model's weights are on this machine (not whether their licence allows using them)."""
    return detector_weights().is_file()


def detect_keypoints(image: Image.Image) -> tuple[Keypoint, ...] | None:
    """The 18 keypoints of the most confident person in `image`, or None when no person is found."""
    weights = detector_weights()
    if not weights.is_file():
        raise DetectorMissing(
            f"keypoint detector: no {BODY_WEIGHTS} in {weights.parent} "
            f"(set {DETECTOR_ENV} to another folder, or run `{PULL_HINT}`)"
        )
    if not _allow_noncommercial():
        raise DetectorRefused(
            f"keypoint detector: {DETECTOR_LICENCE}; set TRYON_ALLOW_NONCOMMERCIAL=1 to use it for "
            "non-commercial work only"
        )
    # 1. The photo as the detector sees it: RGB, longest side at most DETECT_SIDE, aspect kept.
    seen = image.convert("RGB")
    if max(seen.size) > DETECT_SIDE:
        seen.thumbnail((DETECT_SIDE, DETECT_SIDE), Image.Resampling.LANCZOS)
    bgr = np.ascontiguousarray(np.asarray(seen)[:, :, ::-1])  # OpenPose was trained on OpenCV's BGR
    # 2. Peaks and limbs: candidate (x, y, score, id) rows, subset rows of 18 candidate indices + score, parts.
    body = _load_body(str(weights), weights.stat().st_mtime_ns)
    with _lock:
        candidate, subset = body(bgr)
    # 3. Pixels of what the detector saw -> fractions of the pose canvas, through the same letterbox.
    return keypoints_from_detection(candidate, subset, seen.size, photo_size=image.size)


def keypoints_from_detection(
    candidate: np.ndarray,
    subset: np.ndarray,
    size: tuple[int, int],
    *,
    photo_size: tuple[int, int] | None = None,
) -> tuple[Keypoint, ...] | None:
    """controlnet_aux's Body output for an image of `size` (width, height) as pose-canvas keypoints.

    `photo_size`: the original photo's size when the detector saw a scaled copy; its letterbox is the one
    the engine draws. The person with the highest total score wins; a joint it lacks is (0, 0, False).
    """
    people = _body_class().format_body_result(np.asarray(candidate), np.asarray(subset).reshape(-1, 20))
    if not people:
        return None
    person = max(people, key=lambda found: found.total_score)
    width, height = size
    box = fit(photo_size or size, *POSE_CANVAS)
    keypoints = []
    for joint in person.keypoints:
        if joint is None:
            keypoints.append((0.0, 0.0, False))
            continue
        x, y = box.point(float(joint.x) / width, float(joint.y) / height)
        keypoints.append((_fraction(x / POSE_CANVAS[0]), _fraction(y / POSE_CANVAS[1]), True))
    return tuple(keypoints)


def _fraction(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 4)


@functools.lru_cache(maxsize=2)
def _load_body(path: str, mtime_ns: int):
    """controlnet_aux's body estimator with the weights at `path`, once per process (and per file version)."""
    from controlnet_aux.open_pose import OpenposeDetector

    try:
        detector = OpenposeDetector(_body_class()(path))  # body only: the hand and face models are not needed
    except Exception as error:  # a truncated download, or another architecture's file
        raise EngineError(f"keypoint detector: {path} is not an OpenPose body model ({error})") from None
    return detector.body_estimation


def _body_class():
    """controlnet_aux's Body; importing the package imports every annotator, which warn about their own imports."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from controlnet_aux.open_pose.body import Body
    except ImportError as error:
        raise EngineError(f"keypoint detector: controlnet_aux is not installed ({error})") from None
    return Body
