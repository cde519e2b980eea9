"""Keeping a cast fashion model's face: the preset's IP-Adapter Plus Face, beside the garment IP-Adapter.

A plan with identity_references conditions on them through the preset's identity adapter (Preset.identity_adapter),
loaded on the first such plan. diffusers runs every loaded IP-Adapter on every call, so the stack keeps two sets
of UNet attention processors and switches between them per render (renders hold the stack's lock):

    base      as the preset loaded: the garment IP-Adapter if it has one, else plain attention
    identity  the garment adapter (if any) and the face adapter, loaded together, each with its own scale

A plan that needs the face adapter but has no garments for the garment one gives it a blank image at scale 0
(diffusers skips an adapter at scale 0). A preset without an identity adapter keeps the person by the plan's
words and seed only: the infotext says which ("Identity: ip-adapter-plus-face 0.6" or "Identity: prompt+seed").
So does a preset whose face adapter's weights are not on this machine (not pulled yet): it renders, with a
warning in the log and "Identity: prompt+seed (face adapter missing)", rather than failing every cast model.
"""

import dataclasses
import logging
import os
from dataclasses import dataclass

from PIL import Image

from generation.env import env_bool
from generation.presets import Preset, get_preset
from generation.sources import weight_sources
from prompts.plan import GenerationPlan

BLANK_SIZE = 224  # what an unused adapter is shown, at scale 0: any image, it is never looked at
MISSING = "prompt+seed (face adapter missing)"

logger = logging.getLogger(__name__)


@dataclass
class _Processors:
    """One state of the UNet's attention: its processors and its image projection."""

    processors: dict
    projection: object
    projection_type: str | None

    @classmethod
    def of(cls, unet) -> "_Processors":
        return cls(dict(unet.attn_processors), unet.encoder_hid_proj, unet.config.encoder_hid_dim_type)

    def apply(self, unet) -> None:
        if unet.encoder_hid_proj is self.projection:
            return  # already this state: setting it again would only cost a walk over every layer
        # The projection first: a resampler's own attention layers count among the UNet's processors
        unet.encoder_hid_proj = self.projection
        unet.config.encoder_hid_dim_type = self.projection_type
        unet.set_attn_processor(dict(self.processors))


@dataclass
class IdentityAdapter:
    """A stack's two attention states, made when its first identity plan arrives."""

    base: _Processors
    identity: _Processors


def identity_label(preset: Preset, plan: GenerationPlan) -> str:
    """How the render keeps the person, for the infotext; "" for a plan of no cast fashion model.

    A warp plan's face is its stage-1 person's: that plan's conditioning is what the picture shows.
    """
    if plan.person is not None and not plan.identity_references:
        return identity_label(get_preset(plan.person.preset), plan.person)
    if not plan.identity_references:
        return ""
    if not preset.identity_adapter:
        return "prompt+seed"
    if not face_adapter_available(preset):
        return MISSING
    name = os.path.splitext(os.path.basename(preset.identity_adapter_weight))[0]
    return f"{name.removesuffix('_sd15').removesuffix('_sdxl_vit-h')} {preset.identity_adapter_scale:g}"


def adapter_arguments(plan: GenerationPlan, stack, garments: list[Image.Image], images) -> dict:
    """The pipeline's IP-Adapter arguments for `plan`, the UNet switched to the state they need.

    `garments`: the images for the garment IP-Adapter ([] where the plan gives none); `images` by sha256.
    Called with the stack's lock held, by every mode, so a render after an identity render is plain again.
    """
    preset = stack.preset
    adapter = stack.identity
    wanted = bool(plan.identity_references) and bool(preset.identity_adapter)
    if wanted and adapter is None and not face_adapter_available(preset):
        logger.warning(
            "Preset %r: its face adapter's weights are not on this machine (python manage.py tryon_models pull %s); "
            "the cast fashion model keeps its face by words and seed only",
            preset.name,
            preset.name,
        )
        wanted = False
    if not wanted:
        if adapter is not None:
            adapter.base.apply(stack.pipeline.unet)
        return {"ip_adapter_image": [garments]} if garments else {}
    if adapter is None:
        adapter = stack.identity = _load(stack)
    adapter.identity.apply(stack.pipeline.unet)
    faces = [images[ref.sha256].convert("RGB") for ref in plan.identity_references]
    if not preset.ip_adapter:
        return {"ip_adapter_image": [faces]}
    # Both adapters run; one with nothing to show is given a blank image and scale 0, which diffusers skips
    garment_scale = preset.ip_adapter_scale if garments else 0.0
    stack.pipeline.set_ip_adapter_scale([garment_scale, preset.identity_adapter_scale])
    return {"ip_adapter_image": [garments or [Image.new("RGB", (BLANK_SIZE, BLANK_SIZE), "white")], faces]}


def identity_active(stack) -> bool:
    """Whether the shared UNet is in the identity state now: a copy of it made earlier (a preview's bf16) is not."""
    return stack.identity is not None and stack.pipeline.unet.encoder_hid_proj is stack.identity.identity.projection


def face_adapter_available(preset: Preset) -> bool:
    """Whether the preset's face adapter and its image encoder are on this machine, or may be downloaded."""
    from generation.sources import is_available

    if env_bool("TRYON_DOWNLOAD_WEIGHTS", False):  # loading downloads it then, as any weight
        return True
    face = {weights.role: weights for weights in weight_sources(preset)}.get("identity IP-Adapter")
    if face is None:
        return False
    return all(is_available(dataclasses.replace(face, index=pattern)) for pattern in face.patterns)


def _load(stack) -> IdentityAdapter:
    """Load the face adapter (with the garment one, in one call: diffusers replaces every adapter at once)."""
    from generation.loading import _check_available, _loading_errors, _options, _revision

    preset, pipeline = stack.preset, stack.pipeline
    unet = pipeline.unet
    base = _Processors.of(unet)
    sources = {weights.role: weights for weights in weight_sources(preset)}
    adapters = [(sources["identity IP-Adapter"], preset.identity_adapter_weight, preset.identity_adapter_encoder)]
    if preset.ip_adapter:
        adapters.insert(0, (sources["IP-Adapter"], preset.ip_adapter_weight, preset.ip_adapter_encoder))
    _check_available(preset, [weights for weights, _, _ in adapters], optional_too=True)
    options = _options(stack.device)
    first = adapters[0][0]
    with _loading_errors(preset, adapters[-1][0]):
        pipeline.load_ip_adapter(
            [weights.value for weights, _, _ in adapters],
            subfolder=[os.path.dirname(weight) for _, weight, _ in adapters],
            weight_name=[os.path.basename(weight) for _, weight, _ in adapters],
            # Loaded only where the pipeline has none yet (an identity-only preset): the garment adapter's otherwise
            image_encoder_folder=adapters[0][2],
            local_files_only=options["local_files_only"],
            **_revision(first),
        )
    scales = [preset.identity_adapter_scale] if not preset.ip_adapter else [preset.ip_adapter_scale] * 2
    pipeline.set_ip_adapter_scale(scales)
    return IdentityAdapter(base=base, identity=_Processors.of(unet))
