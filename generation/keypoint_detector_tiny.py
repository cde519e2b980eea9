"""A random-weight OpenPose body model in lllyasviel/Annotators' layout, so tests run the real detector.

controlnet_aux's `bodypose_model`, seeded, saved as `body_pose_model.pth` with the key names the real
file has (controlnet_aux's `util.transfer` strips the first module name). The heatmap head is scaled
down so no heatmap reaches OpenPose's peak threshold: this detector deterministically finds nobody.
Stored in float16 (half the disk; loading copies it into the float32 model as it does the real file).
"""

from pathlib import Path

from generation.keypoints import BODY_WEIGHTS
from generation.presets import models_dir

HEATMAP_HEAD = "Mconv7_stage6_L2"  # the last stage's 19 heatmaps (18 joints + background)


def tiny_detector_folder() -> Path:
    return models_dir() / "tiny-annotators"


def build_random_detector(folder: Path | None = None, *, seed: int = 0) -> Path:
    """`folder`/body_pose_model.pth with random weights, built unless it is there; returns the folder."""
    import torch
    from controlnet_aux.open_pose.model import bodypose_model

    folder = Path(folder) if folder is not None else tiny_detector_folder()
    target = folder / BODY_WEIGHTS
    if target.is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with torch.random.fork_rng(devices=[]):  # neither depends on nor disturbs the caller's RNG
        torch.manual_seed(seed)
        model = bodypose_model()
    state = {}
    for name, tensor in model.state_dict().items():
        if HEATMAP_HEAD in name:
            tensor = tensor * 1e-3
        state[name.split(".", 1)[1]] = tensor.half()  # "model6_2.Mconv7_stage6_L2.weight" -> "Mconv7_…"
    staging = target.with_suffix(".partial")
    torch.save(state, staging)
    staging.replace(target)  # whole or absent: a test killed mid-write leaves no truncated file
    return folder
