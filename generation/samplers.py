"""A1111 sampler names -> diffusers schedulers, so plans and PNG infotext speak A1111's language.

Mapping after the table in diffusers' scheduler docs. A scheduler holds per-run state (its
timesteps, a multistep solver's history), so `make_scheduler` builds a fresh one for every render.
Classes are named, not imported: web processes check names here without loading diffusers.
"""

import importlib

from generation.errors import EngineError

KARRAS = {"use_karras_sigmas": True}
SDE = {"algorithm_type": "sde-dpmsolver++"}

SAMPLERS: dict[str, tuple[str, dict]] = {
    "Euler a": ("EulerAncestralDiscreteScheduler", {}),
    "Euler": ("EulerDiscreteScheduler", {}),
    "DPM++ 2M": ("DPMSolverMultistepScheduler", {}),
    "DPM++ 2M Karras": ("DPMSolverMultistepScheduler", KARRAS),
    "DPM++ 2M SDE": ("DPMSolverMultistepScheduler", SDE),
    "DPM++ 2M SDE Karras": ("DPMSolverMultistepScheduler", {**SDE, **KARRAS}),
    "DPM2": ("KDPM2DiscreteScheduler", {}),
    "DPM2 Karras": ("KDPM2DiscreteScheduler", KARRAS),
    "DPM2 a": ("KDPM2AncestralDiscreteScheduler", {}),
    "DPM2 a Karras": ("KDPM2AncestralDiscreteScheduler", KARRAS),
    "Heun": ("HeunDiscreteScheduler", {}),
    "LMS": ("LMSDiscreteScheduler", {}),
    "LMS Karras": ("LMSDiscreteScheduler", KARRAS),
    "DDIM": ("DDIMScheduler", {}),
    "PLMS": ("PNDMScheduler", {}),
    "UniPC": ("UniPCMultistepScheduler", {}),
    "LCM": ("LCMScheduler", {}),
    "TCD": ("TCDScheduler", {}),  # Forge's name; for TCD and Hyper-SD LoRAs, 2-8 steps
}


def check_sampler(name: str, *, field: str = "sampler") -> None:
    if name not in SAMPLERS:
        raise EngineError(f"{field}: {name!r} is not one of {', '.join(SAMPLERS)}")


def make_scheduler(name: str, base_config):
    """A new scheduler for sampler `name`, keeping the model's noise schedule from `base_config`."""
    check_sampler(name)
    class_name, options = SAMPLERS[name]
    scheduler_class = getattr(importlib.import_module("diffusers"), class_name)
    return scheduler_class.from_config(base_config, **options)
