"""What /sdapi/v1's listing calls answer, in A1111's shapes: checkpoints are presets, samplers A1111's names."""

from django.conf import settings

from generation import all_presets
from generation.presets import Preset
from generation.samplers import SAMPLERS
from tryon.a1111.models import A1111Options, A1111Render
from tryon.api.models import StorefrontKey
from tryon.jobs.models import TryOnJob

# A1111 1.9+ picks the noise schedule apart from the sampler; its older sampler names carry it ("... Karras").
SCHEDULERS = {"automatic": ("Automatic", ""), "karras": ("Karras", " Karras")}
CONTROLNET_MODULES = ["none", "openpose", "canny"]
CONTROLNET_VERSION = 2  # the sd-webui-controlnet API version whose unit fields we accept


def a1111_checkpoint(*, key: StorefrontKey) -> str:
    """The preset this key renders with: the one it chose by POST options, else the server's."""
    chosen = A1111Options.objects.filter(key=key).values_list("checkpoint", flat=True).first()
    return chosen if chosen in all_presets() else settings.TRYON_PRESET


def sd_model_list() -> list[dict]:
    from generation.sources import display_name

    return [
        {
            "title": name,
            "model_name": name,
            "hash": None,
            "sha256": None,
            "filename": display_name(preset.base),
            "config": None,
        }
        for name, preset in all_presets().items()
    ]


def sampler_list() -> list[dict]:
    return [{"name": name, "aliases": [], "options": {}} for name in SAMPLERS]


def scheduler_list() -> list[dict]:
    return [
        {"name": name, "label": label, "aliases": None, "default_rho": -1, "need_inner_model": False}
        for name, (label, _suffix) in SCHEDULERS.items()
    ]


def controlnet_model_list(preset: Preset) -> list[str]:
    """The preset's ControlNets as A1111 names them: by model name, one per kind it has."""
    from generation.sources import display_name

    sources = {"openpose": preset.openpose, "canny": preset.canny}
    return [display_name(sources[kind]) for kind in preset.controlnet_kinds]


def options_for(*, key: StorefrontKey) -> dict:
    return {
        "sd_model_checkpoint": a1111_checkpoint(key=key),
        "sd_checkpoint_hash": None,
        "samples_format": "png",
        "sd_vae": "Automatic",
        "CLIP_stop_at_last_layers": 1,
        "enable_pnginfo": True,
    }


def progress_for(*, key: StorefrontKey) -> dict:
    """A1111's /progress for this key's renders: the oldest unfinished one's steps, and how many are waiting."""
    renders = A1111Render.objects.filter(key=key).exclude(job__status__in=TryOnJob.FINISHED).select_related("job")
    jobs = [render.job for render in renders.order_by("created_at", "id")]
    current = next((job for job in jobs if job.status == TryOnJob.Status.RUNNING), jobs[0] if jobs else None)
    progress = current.progress if current else 0.0
    eta = 0.0
    if current is not None and current.started_at and 0 < progress < 1:
        from django.utils import timezone

        eta = (timezone.now() - current.started_at).total_seconds() * (1 - progress) / progress
    return {
        "progress": progress,
        "eta_relative": eta,
        "state": {
            "skipped": False,
            "interrupted": bool(current and current.cancel_requested),
            "job": f"tryon-{current.id}" if current else "",
            "job_count": len(jobs),
            "job_timestamp": current.created_at.strftime("%Y%m%d%H%M%S") if current else "0",
            "job_no": 0,
            "sampling_step": current.steps_done if current else 0,
            "sampling_steps": current.steps_total if current else 0,
        },
        "current_image": _preview(current),
        "textinfo": None,
    }


def _preview(job: TryOnJob | None) -> str | None:
    """The job's draft as base64, where it has one: the only picture there is before the render ends."""
    import base64

    if job is None or not job.draft:
        return None
    try:
        with job.draft.open("rb") as file:
            return base64.b64encode(file.read()).decode()
    except OSError:
        return None
