"""The pose keypoint editor: the JSON stays a plain textarea, drawn and dragged on a canvas by vanilla JS."""

from django import forms

from prompts.conditioning import COLOURS, LIMB_SEQUENCE
from prompts.poses import POSE_LIBRARY
from prompts.vocabulary import OPENPOSE_KEYPOINTS


def joint_label(name: str) -> str:
    return name.replace("_", " ").capitalize()


class KeypointEditor(forms.Textarea):
    template_name = "admin/catalog/widgets/keypoint_editor.html"

    class Media:
        css = {"all": ["catalog/keypoint_editor.css"]}
        js = ["catalog/keypoint_editor.js"]

    def __init__(self, attrs=None, *, background: str = "", empty_text: str = ""):
        """`background`: an image URL drawn behind the skeleton, letterboxed onto the 2:3 canvas as the engine
        does; `empty_text`: shown instead of an error when the JSON is empty (no keypoints is allowed)."""
        super().__init__(attrs={"rows": 18, "cols": 40, "spellcheck": "false", **(attrs or {})})
        self.background = background
        self.empty_text = empty_text

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["library"] = [(slug, pose.name) for slug, pose in POSE_LIBRARY.items()]
        context["widget"]["joints"] = [joint_label(joint) for joint in OPENPOSE_KEYPOINTS]
        context["widget"]["editor"] = {
            "joints": list(OPENPOSE_KEYPOINTS),  # mirror swaps right_* with left_* by name, as prompts does
            "limbs": [[first - 1, second - 1] for first, second in LIMB_SEQUENCE],
            "colours": [list(colour) for colour in COLOURS],
            "library": {slug: [list(point) for point in pose.keypoints] for slug, pose in POSE_LIBRARY.items()},
            "background": self.background,
            "emptyText": self.empty_text,
        }
        return context
