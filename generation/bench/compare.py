"""`python -m generation.bench --compare`: the shopper preview path against a bare diffusers call.

On `sd15-full` at 512x512: 4 steps, guidance off, OpenPose ControlNet on, as a diffusers script or a CPU
Stable Diffusion app runs an LCM-LoRA model (the LoRA fused into the weights costs nothing per step). The
bare side is that pipeline call with its full VAE; the preview side is render(plan) with plan.preview set.
Each lever is switched off in turn, so its own share shows. Every variant runs in one process, in turns,
and every other round in reverse order (A B, then B A): machine drift and whatever the first call of a
round pays for hit them all alike.
"""

import dataclasses
import os
import resource
import statistics
import sys
import time

import torch

from generation import render
from generation.bench.measure import BENCH_SIZE, FULL_SIZE, PROMPT, SEED, prepare
from generation.loading import load_stack
from generation.presets import PRESETS
from generation.preview import PreviewLevers, native_bf16
from generation.samplers import make_scheduler
from prompts.plan import ControlNetUnit, GenerationPlan
from prompts.poses import FRONT_STANDING

STEPS = 4
FEWER_STEPS = 2  # what a Hyper-SD or TCD preset (sd15-hyper) takes
ALL_ON = PreviewLevers(bf16=None)
# lever -> (what "off" means for it, how the table names it)
LEVERS = {
    "taesd": ({"taesd": False}, "TAESD decode (off: full VAE)"),
    "deepcache": ({"deepcache_interval": 1}, "DeepCache every 2 (off: every step in full)"),
    "control_end": ({"control_end": 1.0}, "ControlNet until 0.5 (off: every step)"),
    "bf16": ({"bf16": False}, "bf16 UNet + ControlNet (off: fp32)"),
    "channels_last": ({"channels_last": False}, "channels_last (off: NCHW)"),
}
TINY_TAESD = "{models_dir}/tiny-extras/taesd"


def compare_preset(name: str, repeats: int, size: tuple[int, int] | None, memory: int) -> dict:
    """Measure in this process; returns what the parent prints."""
    preset = prepare(name)
    if not preset.taesd:  # tiny: its random TAESD from the tiny extras, under another name
        preset = dataclasses.replace(preset, name=f"{name}-preview", taesd=TINY_TAESD)
        PRESETS[preset.name] = preset
    started = time.perf_counter()
    stack = load_stack(preset.name)
    load_seconds = time.perf_counter() - started
    width, height = (size or BENCH_SIZE[name]) if name in FULL_SIZE else (preset.width, preset.height)
    unit = ControlNetUnit(kind="openpose", keypoints=FRONT_STANDING.keypoints)
    plan = GenerationPlan(
        prompt=PROMPT,
        negative_prompt="",
        width=width,
        height=height,
        steps=STEPS,
        guidance_scale=1.0,
        sampler="LCM",
        seed=SEED,
        preset=preset.name,
        controlnet_units=(unit,),
        preview=True,
    )
    bare = _bare_pipeline(stack.pipeline)
    pose_image = unit.conditioning_image(width, height)

    def bare_call():
        return bare(
            prompt=PROMPT,
            image=pose_image,
            width=width,
            height=height,
            num_inference_steps=STEPS,
            guidance_scale=1.0,
            generator=torch.Generator(device="cpu").manual_seed(SEED),
        ).images[0]

    bf16 = native_bf16()
    variants = {"bare": bare_call, "preview": lambda: render(plan, preview_levers=ALL_ON).images[0]}
    for lever, (off, _) in LEVERS.items():
        if lever in ("bf16", "channels_last") and not bf16:
            continue  # emulated bf16 is never on, so there is nothing to switch off
        levers = dataclasses.replace(ALL_ON, **off)
        variants[f"no {lever}"] = lambda levers=levers: render(plan, preview_levers=levers).images[0]
    fewer = dataclasses.replace(plan, steps=FEWER_STEPS)
    variants[f"{FEWER_STEPS} steps"] = lambda: render(fewer, preview_levers=ALL_ON).images[0]

    # Untimed: a first call pays for kernel set-up, the heap's growth and the bf16 copies (one per layout).
    for key in ("bare", "preview", "no channels_last"):
        if key in variants:
            variants[key]()
    seconds = {key: [] for key in variants}
    for index in range(repeats):
        order = list(variants) if index % 2 == 0 else list(reversed(variants))
        for key in order:
            begun = time.perf_counter()
            variants[key]()
            seconds[key].append(time.perf_counter() - begun)
            print(f"  round {index + 1}/{repeats}: {key} {seconds[key][-1]:.2f} s", file=sys.stderr, flush=True)
    medians = {key: statistics.median(times) for key, times in seconds.items()}
    infotext = render(plan, preview_levers=ALL_ON).parameters
    return {
        "preset": name,
        "size": f"{width}x{height}",
        "load_s": load_seconds,
        "repeats": repeats,
        "bf16_native": bf16,
        "medians": medians,
        "preview_field": infotext.rsplit("Preview: ", 1)[-1],
        "peak_rss_gib": _peak_rss_gib(),
        "memory": consecutive_previews(plan, memory) if memory else None,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }


def consecutive_previews(plan: GenerationPlan, count: int) -> dict:
    """RSS before the first of `count` previews, after the middle one and after the last: flat means no leak."""
    rss = {"start": _rss_gib()}
    for index in range(count):
        render(plan, preview_levers=ALL_ON)
        if index == count // 2 - 1:
            rss["middle"] = _rss_gib()
    rss["end"] = _rss_gib()
    return {"renders": count, "rss_gib": rss, "peak_rss_gib": _peak_rss_gib()}


def _bare_pipeline(shared):
    """What a diffusers script builds: the ControlNet pipeline with the LCM scheduler and the full VAE."""
    scheduler = make_scheduler("LCM", shared.scheduler.config)
    pipeline = type(shared)(**{**shared.components, "scheduler": scheduler}, requires_safety_checker=False)
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def report(result: dict) -> str:
    """The lever table, memory, and last the one line `preview/bare-default: R (preview X s, bare Y s)`."""
    from generation.bench.__main__ import format_rows

    medians = result["medians"]
    preview, bare = medians["preview"], medians["bare"]
    rows = [["preview path (all levers)", f"{preview:.2f}", f"{bare:.2f}", f"{preview / bare:.3f}"]]
    for lever, (_, label) in LEVERS.items():
        off = medians.get(f"no {lever}")
        if off is None:
            rows.append([label, "-", "-", "n/a: bf16 is emulated on this CPU"])
        else:
            rows.append([label, f"{preview:.2f}", f"{off:.2f}", f"{preview / off:.3f}"])
    fewer = medians[f"{FEWER_STEPS} steps"]
    rows.append(
        [
            f"{FEWER_STEPS} steps, Hyper-SD/TCD (off: {STEPS})",
            f"{fewer:.2f}",
            f"{preview:.2f}",
            f"{fewer / preview:.3f}",
        ]
    )
    lines = [
        f"{result['preset']} {result['size']}, {STEPS} steps, guidance off, OpenPose ControlNet; "
        f"median of {result['repeats']} rounds; bf16 native: {'yes' if result['bf16_native'] else 'no'}; "
        f"load {result['load_s']:.1f} s; peak RSS {result['peak_rss_gib']:.2f} GiB",
        f"preview infotext: Preview: {result['preview_field']}",
        "",
        format_rows(["lever", "on s", "off s", "ratio"], rows),
        "the first row's off is the bare diffusers call (LCM scheduler, full VAE); ratio = on / off",
    ]
    memory = result.get("memory")
    if memory:
        rss = memory["rss_gib"]
        lines.append(
            f"\n{memory['renders']} consecutive previews: RSS start {rss['start']:.2f} GiB, "
            f"middle {rss.get('middle', rss['start']):.2f} GiB, end {rss['end']:.2f} GiB "
            f"(growth {rss['end'] - rss['start']:+.3f} GiB), peak {memory['peak_rss_gib']:.2f} GiB"
        )
    lines.append(f"preview/bare-default: {preview / bare:.3f} (preview {preview:.2f} s, bare {bare:.2f} s)")
    return "\n".join(lines)


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def _rss_gib() -> float:
    with open(f"/proc/{os.getpid()}/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kib / 2**20
