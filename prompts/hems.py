"""How far down a garment reaches, as a height on the body: shoulder 0, hip 1, knee 2, ankle 3.

Pure numbers, no drawing (that is prompts/masks.py, which needs OpenCV), so the builder can check a
try-on pick without importing cv2.
"""

from collections.abc import Sequence

# Hem heights on the shoulder-0 ... ankle-3 scale. A hem a little past its joint covers the joint's flesh.
HEMS = {"cropped": 0.55, "waist": 0.8, "hip": 1.1, "mini": 1.5, "knee": 2.15, "midi": 2.5, "ankle": 3.05, "floor": 3.2}
CROPPED_TROUSERS = 2.6  # "cropped" on a bottom: well above the ankle (the outline adds its width), not the waist
WAISTBAND = 0.75  # where a bottom starts: the natural waist, above the hip joints
DEFAULT_LENGTHS = {"top": "hip", "outerwear": "hip", "dress": "knee", "bottom": "ankle", "outfit": "ankle"}
UPPER = frozenset({"top", "dress", "outerwear", "outfit"})
LOWER = frozenset({"bottom", "outfit"})


def needed_keypoints(categories: Sequence[str]) -> tuple[str, ...]:
    """Keypoints of which at least one must be visible to place the categories' region.

    The upper body is placed from the shoulders, and hips out of frame are then continued from them;
    a bottom alone needs the hips themselves.
    """
    if set(categories) & UPPER:
        return ("neck", "right_shoulder", "left_shoulder")
    return ("right_hip", "left_hip")


def hem(categories: Sequence[str], length: str) -> float:
    """How far down the longest garment reaches, on the shoulder-0 ... ankle-3 scale."""
    if not length:
        return max(HEMS[DEFAULT_LENGTHS[category]] for category in categories)
    if not set(categories) & LOWER:
        return HEMS[length]
    # A bottom reaches past the hips whatever it is called; "cropped" on it means cropped trousers.
    return CROPPED_TROUSERS if length == "cropped" else max(HEMS[length], HEMS["hip"])
