"""Engine tests run on the tiny preset, built once per session into a temporary models folder."""

import os

# Before anything imports huggingface_hub, which reads this once: no test may reach the network,
# and without it every file missing from the Hub cache costs ~20 s of retries.
os.environ["HF_HUB_OFFLINE"] = "1"

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from generation import loading
from generation.tiny_extras import ensure_local_builds
from prompts.plan import ControlNetUnit, GenerationPlan, ImageRef, InpaintMask

# A person standing straight, arms down, facing the camera: OpenPose-18 (x, y, visible).
STANDING = (
    (0.50, 0.10, True),  # nose
    (0.50, 0.20, True),  # neck
    (0.40, 0.20, True),  # right shoulder
    (0.37, 0.35, True),  # right elbow
    (0.35, 0.50, True),  # right wrist
    (0.60, 0.20, True),  # left shoulder
    (0.63, 0.35, True),  # left elbow
    (0.65, 0.50, True),  # left wrist
    (0.45, 0.50, True),  # right hip
    (0.45, 0.70, True),  # right knee
    (0.45, 0.90, True),  # right ankle
    (0.55, 0.50, True),  # left hip
    (0.55, 0.70, True),  # left knee
    (0.55, 0.90, True),  # left ankle
    (0.48, 0.08, True),  # right eye
    (0.52, 0.08, True),  # left eye
    (0.46, 0.09, True),  # right ear
    (0.54, 0.09, True),  # left ear
)
# The same person with both arms raised above the head.
ARMS_UP = tuple((x, 0.05, True) if i in (4, 7) else (x, 0.12, True) if i in (3, 6) else (x, y, v)
                for i, (x, y, v) in enumerate(STANDING))  # fmt: skip


# diffusers' schedulers hand torch tensors to numpy, which NumPy 2 flags thousands of times a run.
NUMPY2_NOISE = pytest.mark.filterwarnings("ignore:__array:DeprecationWarning")


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(NUMPY2_NOISE)


@pytest.fixture(scope="session", autouse=True)
def tiny_models_dir(tmp_path_factory):
    """The tiny stacks, built once; TRYON_MODELS_DIR points the loader at them for the whole session."""
    folder = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRYON_MODELS_DIR", str(folder))
        patch.setenv("TRYON_DEVICE", "cpu")  # the same fp32 pixels on a machine with a GPU too
        patch.delenv("TRYON_DOWNLOAD_WEIGHTS", raising=False)
        patch.delenv("TRYON_PRESETS_FILE", raising=False)
        patch.setenv("TRYON_LORA_DIR", str(folder / "no-loras"))
        for name in ("TRYON_COMPILE", "TRYON_CHANNELS_LAST", "TRYON_ALLOW_NONCOMMERCIAL"):
            patch.delenv(name, raising=False)
        ensure_local_builds(folder)
        yield folder


@pytest.fixture
def make_plan():
    """A small tiny-preset plan of a standing pose; keyword arguments change its fields."""

    def make(**changes) -> GenerationPlan:
        plan = GenerationPlan(
            prompt="full body photo of a woman in a red linen dress, studio lighting",
            negative_prompt="blurry, lowres",
            width=64,
            height=96,
            steps=2,
            guidance_scale=7.0,
            sampler="Euler a",
            seed=1234,
            preset="tiny",
            controlnet_units=(ControlNetUnit(kind="openpose", keypoints=STANDING),),
        )
        return dataclasses.replace(plan, **changes)

    return make


def picture(seed: int, size=(128, 192)) -> Image.Image:
    """A seeded RGB picture: smooth colour with noise, so every pixel tells where it came from."""
    generator = np.random.default_rng(seed)
    ys, xs = np.mgrid[0 : size[1], 0 : size[0]]
    base = np.stack([xs * 255 / size[0], ys * 255 / size[1], np.full(xs.shape, 128)], axis=-1)
    noisy = base + generator.normal(0, 20, base.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def reference(name: str) -> ImageRef:
    return ImageRef(name=name, sha256=hashlib.sha256(name.encode()).hexdigest())


def garment(colour, outline) -> Image.Image:
    """A garment photo: a flat-colour cut-out shape on white, so it has edges for canny to find."""
    image = Image.new("RGB", (96, 128), "white")
    ImageDraw.Draw(image).polygon(outline, fill=colour)
    return image


PHOTO, RED_DRESS, BLUE_DRESS = reference("photo.png"), reference("red-dress.png"), reference("blue-dress.png")
IMAGES = {
    PHOTO.sha256: picture(1),
    RED_DRESS.sha256: garment((200, 30, 40), [(30, 10), (66, 10), (80, 120), (16, 120)]),
    BLUE_DRESS.sha256: garment((30, 40, 200), [(48, 6), (90, 60), (70, 124), (6, 100)]),
}


@pytest.fixture
def tryon_plan(make_plan):
    """A tiny-tryon plan: the dress region of PHOTO repainted with RED_DRESS."""

    def make(**changes) -> GenerationPlan:
        plan = make_plan(
            preset="tiny-tryon",
            mode="tryon",
            init_image=PHOTO,
            garment_references=(RED_DRESS,),
            inpaint_mask=InpaintMask(category="dress", keypoints=STANDING),
        )
        return dataclasses.replace(plan, **changes)

    return make


@pytest.fixture
def fresh_stacks(monkeypatch):
    """An empty pipeline cache, as in a new worker process: settings read at load time apply."""
    monkeypatch.setattr(loading, "_PIPELINES", {})


@pytest.fixture
def presets_file(tmp_path, monkeypatch):
    """Write a presets file and point TRYON_PRESETS_FILE at it."""

    def write(text: str, suffix: str = ".toml") -> Path:
        path = tmp_path / f"presets{suffix}"
        path.write_text(text)
        monkeypatch.setenv("TRYON_PRESETS_FILE", str(path))
        return path

    return write
