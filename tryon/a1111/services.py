"""txt2img and img2img as A1111 takes them, rendered as try-on jobs on the workers.

A request becomes one GenerationPlan per `n_iter` batch of `batch_size` images, each a job on its
preset's queue (tryon.jobs.services.tryon_job_create_from_plan): the same queue, fairness, cache and
workers as /api/v1, so many clients share many GPUs. The request waits for its jobs, and past
TRYON_SDAPI_TIMEOUT cancels them and answers 504.
"""

import base64
import contextlib
import json
import secrets
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from generation import EngineError, get_preset
from generation.loras import TAG, lora_tags, strip_lora_tags
from generation.presets import Preset
from generation.samplers import SAMPLERS
from prompts.attention import parse_prompt_attention
from prompts.plan import ControlNetUnit, GenerationPlan, PlanError
from tryon.a1111 import images
from tryon.a1111.errors import A1111Error
from tryon.a1111.models import A1111Options, A1111Render
from tryon.a1111.selectors import SCHEDULERS, a1111_checkpoint, controlnet_model_list
from tryon.api.models import StorefrontKey
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import JobStateError, tryon_job_cancel, tryon_job_create_from_plan

SIZE_FACTOR = 2  # width and height may be up to twice the preset's longest side
POLL_SECONDS = 0.1
UNIT_PATH = ("alwayson_scripts", "ControlNet", "args")


def a1111_options_set(*, key: StorefrontKey, options: dict) -> None:
    """POST options: `sd_model_checkpoint` picks this key's preset; A1111's other options change nothing here."""
    if "sd_model_checkpoint" not in options:
        return
    checkpoint = _checkpoint_name(options["sd_model_checkpoint"], field="sd_model_checkpoint")
    A1111Options.objects.update_or_create(key=key, defaults={"checkpoint": checkpoint})


def a1111_interrupt(*, key: StorefrontKey) -> int:
    """Stop this key's unfinished renders (queued at once, running at their next step); how many were asked to stop.

    A job another key's request also waits for (the cache gave both the same job) is left to run for it.
    """
    stopped = 0
    mine = A1111Render.objects.filter(key=key).exclude(job__status__in=TryOnJob.FINISHED)
    for job_id in mine.values_list("job_id", flat=True).distinct():
        if A1111Render.objects.filter(job_id=job_id).exclude(key=key).exists():
            continue
        with contextlib.suppress(JobStateError):  # it finished meanwhile: nothing to stop
            tryon_job_cancel(job_id=job_id)
            stopped += 1
    return stopped


def a1111_generate(*, key: StorefrontKey, data: dict, img2img: bool) -> dict:
    """Render a validated txt2img or img2img body and answer A1111's {"images", "parameters", "info"}."""
    preset = _preset(key, data, mode="refine" if img2img else "generate")
    merchant_id = key.merchant_id
    _check_size(preset, data)
    sampler = _sampler(data)
    _check_prompts(data)
    pending: dict[str, bytes] = {}  # the images, stored once the whole request is valid
    units = _controlnet_units(data["alwayson_scripts"], preset, merchant_id=merchant_id, pending=pending)
    start = {}
    if img2img:
        start = _img2img_images(data, merchant_id=merchant_id, pending=pending)
    seed = data["seed"] if data["seed"] != -1 else secrets.randbelow(2**32)

    plans = []
    for batch in range(data["n_iter"]):  # A1111: batch n starts at seed + n * batch_size
        try:
            plans.append(
                GenerationPlan(
                    prompt=data["prompt"],
                    negative_prompt=data["negative_prompt"],
                    width=data["width"],
                    height=data["height"],
                    steps=data["steps"],
                    guidance_scale=data["cfg_scale"],
                    sampler=sampler,
                    seed=(seed + batch * data["batch_size"]) % 2**32,
                    preset=preset.name,
                    controlnet_units=units,
                    mode="refine" if img2img else "generate",
                    samples=data["batch_size"],
                    **start,
                )
            )
        except PlanError as error:
            field, _, message = str(error).partition(": ")
            raise ValidationError({field.split(".")[0]: message or str(error)}) from None

    images.images_store(pending)
    with transaction.atomic():  # the jobs are enqueued when this commits
        jobs = [tryon_job_create_from_plan(merchant=key.merchant, plan=plan) for plan in plans]
        renders = A1111Render.objects.bulk_create([A1111Render(key=key, job=job) for job in jobs])
    jobs = _wait(jobs, renders=[render.id for render in renders])
    return _answer(jobs, data, preset)


def _checkpoint_name(value, *, field: str) -> str:
    """A preset from an A1111 checkpoint title: `name`, `name.safetensors` or `name [hash]`."""
    from generation import all_presets

    name = str(value).split(" [")[0].strip()
    name = name.removesuffix(".safetensors").removesuffix(".ckpt")
    presets = all_presets()
    if name not in presets:
        raise ValidationError({field: f"{value!r} is not one of {', '.join(presets)} (see GET /sdapi/v1/sd-models)."})
    return name


def _preset(key: StorefrontKey, data: dict, *, mode: str) -> Preset:
    override = data["override_settings"].get("sd_model_checkpoint")
    field = "override_settings.sd_model_checkpoint"
    name = _checkpoint_name(override, field="override_settings") if override else a1111_checkpoint(key=key)
    try:
        preset = get_preset(name)
    except EngineError as error:
        raise ValidationError({"override_settings": str(error)}) from None
    if mode not in preset.modes:
        what = "txt2img" if mode == "generate" else "img2img"
        raise ValidationError(
            {"override_settings": f"{field}: {name!r} cannot render {what} (it renders {', '.join(preset.modes)})."}
        )
    return preset


def _check_size(preset: Preset, data: dict) -> None:
    largest = SIZE_FACTOR * max(preset.width, preset.height)
    errors = {}
    for field in ("width", "height"):
        value = data[field]
        if value > largest:
            errors[field] = f"{value} is more than {largest}, the largest side preset {preset.name!r} renders."
        elif value % 8:
            errors[field] = f"{value} is not a multiple of 8 (try {value - value % 8})."
    if errors:
        raise ValidationError(errors)


def _sampler(data: dict) -> str:
    """Our sampler for A1111's sampler and scheduler: DPM++ 2M with the karras scheduler is "DPM++ 2M Karras"."""
    name = data.get("sampler_name") or data.get("sampler_index") or "Euler a"
    scheduler = (data.get("scheduler") or "automatic").lower()
    if scheduler not in SCHEDULERS:
        raise ValidationError({"scheduler": f"{data['scheduler']!r} is not one of {', '.join(SCHEDULERS)}."})
    if name not in SAMPLERS:
        raise ValidationError({"sampler_name": f"{name!r} is not one of {', '.join(SAMPLERS)}."})
    suffix = SCHEDULERS[scheduler][1]
    if suffix and not name.endswith(suffix):
        if f"{name}{suffix}" not in SAMPLERS:
            raise ValidationError({"scheduler": f"sampler {name!r} has no {scheduler} schedule here."})
        name = f"{name}{suffix}"
    return name


def _check_prompts(data: dict) -> None:
    for field in ("prompt", "negative_prompt"):
        try:
            parse_prompt_attention(strip_lora_tags(data[field]))
        except ValueError as error:
            raise ValidationError({field: str(error)}) from None
    if TAG.search(data["negative_prompt"]):
        raise ValidationError({"negative_prompt": "<lora:...> tags go in the prompt."})
    try:
        lora_tags(data["prompt"])
    except EngineError as error:
        raise ValidationError({"prompt": str(error).removeprefix("prompt: ")}) from None


def _unit_error(index: int, field: str, message: str) -> ValidationError:
    """An error on one unit's field; the dotted path becomes its `loc` (tryon.a1111.errors)."""
    return ValidationError({f"alwayson_scripts.ControlNet.args.{index}.{field}": message})


def _controlnet_units(
    scripts: dict, preset: Preset, *, merchant_id: int, pending: dict[str, bytes]
) -> tuple[ControlNetUnit, ...]:
    """ControlNet's units from `alwayson_scripts.ControlNet.args`, as plan units; disabled ones left out."""
    from tryon.a1111.serializers import ControlNetUnitInput

    others = [name for name in scripts if name.lower() != "controlnet"]
    if others:
        raise ValidationError({"alwayson_scripts": f"{others[0]!r} is not available here (available: ControlNet)."})
    script = next(iter(scripts.values()), None) or {}
    args = script.get("args", []) if isinstance(script, dict) else None
    if not isinstance(args, list):
        raise ValidationError({"alwayson_scripts": 'Expected {"ControlNet": {"args": [unit, ...]}}.'})
    units = []
    for index, raw in enumerate(args):
        if not isinstance(raw, dict):
            raise _unit_error(index, "__root__", "Expected a ControlNet unit object.")
        serializer = ControlNetUnitInput(data=raw)
        if not serializer.is_valid():
            field, messages = next(iter(serializer.errors.items()))
            raise _unit_error(index, field, str(messages[0] if isinstance(messages, list) else messages))
        unit = serializer.validated_data
        if unit["enabled"]:
            units.append(_controlnet_unit(index, unit, preset, merchant_id=merchant_id, pending=pending))
    return tuple(units)


def _controlnet_unit(
    index: int, unit: dict, preset: Preset, *, merchant_id: int, pending: dict[str, bytes]
) -> ControlNetUnit:
    source = unit.get("image") or unit.get("input_image")
    if not source:
        raise _unit_error(index, "image", "A ControlNet unit needs an image.")
    module, model = unit["module"], (unit.get("model") or "None")
    kind = next((k for k in ("openpose", "canny") if k in model.lower()), None)
    if model.lower() != "none" and kind is None:
        listed = ", ".join(controlnet_model_list(preset))
        raise _unit_error(index, "model", f"{model!r} is not one of {listed}.")
    kind = kind or (module if module != "none" else None)
    if kind is None:
        raise _unit_error(index, "model", "Name an openpose or canny model (or a module) for this unit.")
    if module not in ("none", kind):
        raise _unit_error(index, "module", f"Module {module!r} does not make conditioning for a {kind} model.")
    if kind not in preset.controlnet_kinds:
        raise _unit_error(index, "model", f"Preset {preset.name!r} has no {kind} ControlNet.")
    picture = images.decode_image(source, field=f"alwayson_scripts.ControlNet.args.{index}.image")
    common = {"scale": unit["weight"], "guidance_start": unit["guidance_start"], "guidance_end": unit["guidance_end"]}
    if module == "openpose":
        return ControlNetUnit(kind="openpose", keypoints=_detect_keypoints(index, picture), **common)
    ref = images.image_ref(picture, merchant_id=merchant_id, pending=pending)
    if module == "canny":
        low, high = int(unit["threshold_a"]), int(unit["threshold_b"])
        if low > high:
            raise _unit_error(index, "threshold_a", f"The low threshold {low} is above the high one {high}.")
        return ControlNetUnit(kind="canny", image=ref, low_threshold=low, high_threshold=high, **common)
    return ControlNetUnit(kind=kind, image=ref, preprocessed=True, **common)


def _detect_keypoints(index: int, picture):
    """Module openpose: the body in the photo, found now, so the plan carries its keypoints."""
    from generation.keypoints import detect_keypoints, detector_available

    if not detector_available():
        raise _unit_error(
            index, "module", "No OpenPose detector is installed here; send a drawn skeleton with module 'none'."
        )
    try:
        keypoints = detect_keypoints(picture)
    except EngineError as error:
        raise _unit_error(index, "module", str(error)) from None
    if keypoints is None:
        raise _unit_error(index, "image", "No person was found in this image.")
    return keypoints


def _img2img_images(data: dict, *, merchant_id: int, pending: dict[str, bytes]) -> dict:
    init = images.decode_image(data["init_images"][0], field="init_images.0")
    start = {
        "init_image": images.image_ref(init, merchant_id=merchant_id, pending=pending),
        "strength": data["denoising_strength"],
    }
    if data.get("mask"):
        mask = images.decode_image(data["mask"], field="mask")
        if mask.size != init.size:
            raise ValidationError({"mask": f"The mask is {mask.size[0]}x{mask.size[1]}; the init image is "
                                   f"{init.size[0]}x{init.size[1]}. They must match."})  # fmt: skip
        mask = images.mask_image(mask, blur=data["mask_blur"], invert=bool(data["inpainting_mask_invert"]))
        start["mask"] = images.image_ref(mask, merchant_id=merchant_id, pending=pending, mode="L")
    return start


def _wait(jobs: list[TryOnJob], *, renders: list[int]) -> list[TryOnJob]:
    """The jobs once all have finished; past TRYON_SDAPI_TIMEOUT the answer is 504 and this request stops waiting
    (its `renders` rows go), and a job is cancelled unless another request still waits for it (a cache reuse)."""
    ids = [job.id for job in jobs]
    deadline = time.monotonic() + settings.TRYON_SDAPI_TIMEOUT
    while True:
        fresh = {job.id: job for job in TryOnJob.objects.filter(id__in=ids)}
        if len(fresh) < len(ids):  # deleted meanwhile (the merchant, in the admin): nothing will come
            raise A1111Error(404, "HTTPException", "The render was deleted before it finished.")
        if all(job.is_finished for job in fresh.values()):
            return [fresh[job_id] for job_id in ids]
        if time.monotonic() > deadline:
            A1111Render.objects.filter(id__in=renders).delete()
            waited_for = set(A1111Render.objects.filter(job_id__in=ids).values_list("job_id", flat=True))
            for job in fresh.values():
                if not job.is_finished and job.id not in waited_for:
                    with contextlib.suppress(JobStateError):  # it finished meanwhile: nothing to cancel
                        tryon_job_cancel(job_id=job.id)
            raise A1111Error(
                504,
                "TimeoutError",
                f"The render did not finish within {settings.TRYON_SDAPI_TIMEOUT} s (TRYON_SDAPI_TIMEOUT) and was "
                "cancelled. The workers may be busy: try again, or with fewer steps or a smaller size.",
            )
        time.sleep(POLL_SECONDS)


# How a failed job answers: A1111 has no codes of its own for these, so HTTP says it.
FAILURE_STATUS = {
    "invalid_input": (422, "ValidationError"),
    "out_of_memory": (503, "OutOfMemoryError"),
    "weights_missing": (503, "WeightsMissing"),
    "unserved_preset": (503, "NoWorker"),
    "timed_out": (504, "TimeoutError"),
}


def _answer(jobs: list[TryOnJob], data: dict, preset: Preset) -> dict:
    failed = next((job for job in jobs if job.status == TryOnJob.Status.FAILED), None)
    if failed is not None:
        status, name = FAILURE_STATUS.get(getattr(failed, "failure_code", ""), (500, "RenderError"))
        raise A1111Error(status, name, failed.error or "The render failed.")
    made = [image for job in jobs if job.status == TryOnJob.Status.SUCCEEDED for image in job.images.order_by("index")]
    encoded = []
    for image in made:
        with image.file.open("rb") as file:
            encoded.append(base64.b64encode(file.read()).decode())
    seeds = [image.seed for image in made]
    info = {
        "prompt": data["prompt"],
        "all_prompts": [data["prompt"]] * len(made),
        "negative_prompt": data["negative_prompt"],
        "all_negative_prompts": [data["negative_prompt"]] * len(made),
        "seed": seeds[0] if seeds else jobs[0].seed,
        "all_seeds": seeds,
        "subseed": -1,
        "all_subseeds": [-1] * len(made),
        "subseed_strength": 0,
        "width": data["width"],
        "height": data["height"],
        "sampler_name": GenerationPlan.from_dict(jobs[0].plan).sampler,
        "cfg_scale": data["cfg_scale"],
        "steps": data["steps"],
        "batch_size": data["batch_size"],
        "restore_faces": False,
        "face_restoration_model": None,
        "sd_model_name": preset.name,
        "sd_model_hash": None,
        "seed_resize_from_w": -1,
        "seed_resize_from_h": -1,
        "denoising_strength": data.get("denoising_strength"),
        "extra_generation_params": {},
        "index_of_first_image": 0,
        "infotexts": [image.parameters for image in made],
        "styles": [],
        "job_timestamp": timezone.localtime(jobs[0].created_at).strftime("%Y%m%d%H%M%S"),
        "clip_skip": 1,
        "is_using_inpainting_conditioning": False,
        "interrupted": any(job.status == TryOnJob.Status.CANCELLED for job in jobs),
        "job_ids": [job.id for job in jobs],
    }
    return {"images": encoded, "parameters": _echo(data), "info": json.dumps(info, ensure_ascii=False)}


def _echo(data: dict) -> dict:
    """The request's fields as A1111 echoes them: without the images it was sent, unless asked for."""
    echo = dict(data)
    if "init_images" in echo:
        echo["init_images"], echo["mask"] = None, None
    echo["alwayson_scripts"] = {name: _without_images(script) for name, script in echo["alwayson_scripts"].items()}
    return echo


def _without_images(script):
    args = script.get("args") if isinstance(script, dict) else None
    if not isinstance(args, list) or not all(isinstance(unit, dict) for unit in args):
        return script
    return {**script, "args": [{**unit, "image": None, "input_image": None} for unit in args]}
