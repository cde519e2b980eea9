"""Measure one preset in this process: load, render(plan) against a bare diffusers call, model evaluations."""

import dataclasses
import inspect
import resource
import statistics
import sys
import time
import traceback

import numpy as np
import torch

from generation import render
from generation.fullsize import SD15_FULL, SDXL_FULL, ensure_fullsize
from generation.loading import load_stack
from generation.presets import PRESETS, get_preset
from generation.samplers import make_scheduler
from generation.tiny_extras import ensure_local_builds
from prompts.plan import ControlNetUnit, GenerationPlan
from prompts.poses import FRONT_STANDING

FULL_SIZE = {"sd15-full": SD15_FULL, "sdxl-full": SDXL_FULL}
BENCH_SIZE = {"sd15-full": (512, 512), "sdxl-full": (1024, 1024)}  # each family's native square
PROMPT = "full body photo of a woman wearing a red linen summer dress, white studio background, soft light"
NEGATIVE = "blurry, lowres, deformed hands, watermark"
SEED = 1234


class ModelClock:
    """Counts UNet and ControlNet evaluations as batch rows, so classifier-free guidance's one call on a
    batch of 2 (conditional + unconditional) counts 2; notes when each UNet call starts; and sums the time
    spent inside the models, so what a call spends outside them (the engine's own overhead) shows apart
    from machine noise, which only stretches the models' time."""

    def __init__(self, pipeline):
        self.rows, self.inside, self.unet_starts = {"unet": 0, "controlnet": 0}, 0.0, []
        self.hooks = [
            getattr(pipeline, name).register_forward_pre_hook(self._counter(name), with_kwargs=True)
            for name in ("unet", "controlnet")
        ]
        # The VAE's decode is a method, not its forward: its decoder module does the work.
        for module in (pipeline.text_encoder, pipeline.unet, pipeline.controlnet, pipeline.vae.decoder):
            self.hooks += [module.register_forward_pre_hook(self._enter), module.register_forward_hook(self._leave)]

    def remove(self) -> None:
        """Take the hooks off: torch.compile cannot trace their clock reads and would break its graphs there."""
        for hook in self.hooks:
            hook.remove()

    def _counter(self, name: str):
        def count(module, args, kwargs):
            self.rows[name] += (args[0] if args else kwargs["sample"]).shape[0]
            if name == "unet":
                self.unet_starts.append(time.perf_counter())

        return count

    def _enter(self, module, args):
        self.inside -= time.perf_counter()

    def _leave(self, module, args, output):
        self.inside += time.perf_counter()

    def reset(self) -> None:
        self.rows, self.inside, self.unet_starts = dict.fromkeys(self.rows, 0), 0.0, []

    def gaps(self) -> list[float]:
        """Time between UNet calls: one sampler step, ControlNet included, for one-call samplers."""
        return [later - earlier for earlier, later in zip(self.unet_starts, self.unet_starts[1:], strict=False)]


def prepare(name: str):
    """Build the preset's weights if need be (not timed) and make the loader know it."""
    if name in FULL_SIZE:
        ensure_fullsize(name)
        # Until generation.presets lists it, registered here so render() and the loader run unchanged.
        PRESETS.setdefault(name, FULL_SIZE[name])
    elif get_preset(name).built_locally:
        ensure_local_builds()  # what the loader would otherwise build inside the timed load
    return get_preset(name)


def bench_preset(
    name: str,
    steps_list: list[int],
    repeats: int,
    size: tuple[int, int] | None,
    budget: float,
    cuda_variants_only: list[str] = (),
) -> dict:
    preset = prepare(name)
    started = time.perf_counter()
    stack = load_stack(name)
    shared = stack.pipeline
    load_seconds = time.perf_counter() - started
    width, height = (size or BENCH_SIZE[name]) if name in FULL_SIZE else (preset.width, preset.height)
    unit = ControlNetUnit(kind="openpose", keypoints=FRONT_STANDING.keypoints)
    plan = GenerationPlan(
        prompt=PROMPT,
        negative_prompt=NEGATIVE,
        width=width,
        height=height,
        steps=1,
        guidance_scale=preset.guidance_scale,
        sampler=preset.sampler,
        seed=SEED,
        preset=name,
        controlnet_units=(unit,),
    )
    # The bare call: plain diffusers (the loader's ControlNet pipeline class) on the same weights,
    # sampler and inputs; the pose image is an input.
    options = {"requires_safety_checker": False, "add_watermarker": False}
    accepted = inspect.signature(type(shared).__init__).parameters
    bare = type(shared)(
        **{**shared.components, "scheduler": make_scheduler(plan.sampler, shared.scheduler.config)},
        **{key: value for key, value in options.items() if key in accepted},
    )
    bare.set_progress_bar_config(disable=True)
    pose_image = unit.conditioning_image(width, height)

    def bare_call(steps: int, batch: int = 1):
        return bare(
            prompt=PROMPT,
            negative_prompt=NEGATIVE,
            image=pose_image,
            width=width,
            height=height,
            num_inference_steps=steps,
            guidance_scale=plan.guidance_scale,
            num_images_per_prompt=batch,
            generator=torch.Generator(device="cpu").manual_seed(SEED),
        ).images

    clock = ModelClock(shared)
    # Untimed: a process's first render pays for kernel set-up and for growing the heap to its working size,
    # which would otherwise land on whichever side of the first pair runs first.
    render(plan)

    rows, measured, bench_started = [], None, time.perf_counter()
    for steps in sorted(steps_list):
        row = {"preset": name, "device": str(shared.device), "size": f"{width}x{height}", "steps": steps}
        remaining = budget - (time.perf_counter() - bench_started)
        if measured and 2 * _extrapolate(measured, steps) > remaining:
            # Too slow to run in the budget: the same image plus the extra steps at the measured step time.
            scale = steps / measured["steps"]
            row |= {"render_s": _extrapolate(measured, steps), "estimated": True}
            row |= {key: measured[key] * scale for key in ("unet_evals", "controlnet_evals")}
            rows.append(row)
            continue
        run = dataclasses.replace(plan, steps=steps)
        seconds, outside, images, gaps = {"render": [], "bare": []}, {"render": [], "bare": []}, {}, []
        for index in range(repeats):
            if index and 2 * statistics.median(seconds["render"]) > budget - (time.perf_counter() - bench_started):
                break
            # Interleaved and counterbalanced (A B, B A, ...): machine drift, and whatever the first call of
            # a pair pays for, hit both sides alike.
            for side in ("render", "bare") if index % 2 == 0 else ("bare", "render"):
                clock.reset()
                started = time.perf_counter()
                images[side] = render(run).images[0] if side == "render" else bare_call(steps)[0]
                seconds[side].append(time.perf_counter() - started)
                outside[side].append(seconds[side][-1] - clock.inside)
                gaps += clock.gaps()
                if index == 0 and side == "render":
                    row |= {"unet_evals": clock.rows["unet"], "controlnet_evals": clock.rows["controlnet"]}
            if index == 0:
                mine, theirs = (np.asarray(images[side], np.int16) for side in ("render", "bare"))
                row["max_pixel_diff"] = int(np.abs(mine - theirs).max())
            pair = ", ".join(f"{side} {times[-1]:.2f} s" for side, times in seconds.items())
            print(f"  {name}, {steps} steps: {pair}", file=sys.stderr, flush=True)
        row |= {"render_s": statistics.median(seconds["render"]), "bare_s": statistics.median(seconds["bare"])}
        row |= {"ratio": row["render_s"] / row["bare_s"], "pairs": len(seconds["render"])}
        row |= {
            "render_outside_s": statistics.median(outside["render"]),
            "bare_outside_s": statistics.median(outside["bare"]),
        }
        row["step_s"] = statistics.median(gaps) if gaps else None
        rows.append(row)
        measured = row

    clock.remove()
    cuda, device = [], None
    if shared.device.type == "cuda":
        from generation.bench.cuda import batched_on_device, cuda_variants, device_description, failure, matmul_tflops

        device = device_description(shared) | {"matmul_tflops": matmul_tflops()}
        try:
            device["batched"] = batched_on_device(name, steps=max(steps_list), width=width, height=height)
        except Exception as error:  # the table below is still worth its minutes on a lent GPU
            traceback.print_exc()
            device["batched"] = failure(error)
        print(f"  cuda: render_batch on the device: {device['batched']}", file=sys.stderr, flush=True)
        cuda = cuda_variants(
            stack, max(steps_list), repeats, width=width, height=height, budget=budget, only=cuda_variants_only
        )
    return {
        "preset": name,
        "load_s": load_seconds,
        "threads": torch.get_num_threads(),
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,  # KiB on Linux
        "rows": rows,
        "cuda": cuda,
        "cuda_device": device,  # None off CUDA
    }


def _extrapolate(measured: dict, steps: int) -> float:
    return measured["render_s"] + (steps - measured["steps"]) * (measured["step_s"] or 0)
