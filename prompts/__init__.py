"""Picks in, GenerationPlan out. Pure Python: no Django, no torch.

Drawing needs OpenCV and is not imported here, so that `import prompts` stays free of it:
`prompts.conditioning` (openpose, canny, pose thumbnails) and `prompts.masks` (try-on masks) are
reached through a plan's `ControlNetUnit.conditioning_image` and `InpaintMask.mask_image`.
"""

from prompts.builder import build_plan
from prompts.framing import plan_size
from prompts.picks import FashionModelPick, GarmentPick, PickError, PosePick, ScenePick
from prompts.plan import MAX_SAMPLES, ControlNetUnit, GenerationPlan, ImageRef, InpaintMask, PlanError
from prompts.poses import POSE_LIBRARY, mirror_pose

__all__ = [
    "MAX_SAMPLES",
    "POSE_LIBRARY",
    "ControlNetUnit",
    "FashionModelPick",
    "GarmentPick",
    "GenerationPlan",
    "ImageRef",
    "InpaintMask",
    "PickError",
    "PlanError",
    "PosePick",
    "ScenePick",
    "build_plan",
    "mirror_pose",
    "plan_size",
]
