"""A worker's warm-up: throwaway renders at start, so compiling pays no shopper's time.

torch.compile compiles on a module's first call, again for a new input shape (a batch of 8 after a batch
of 1, after which it compiles one graph for any batch size), and "reduce-overhead" records a CUDA graph
per shape. A worker with TRYON_COMPILE=1 therefore renders the preset's own size at batch 1 and at its
largest batch before it takes a job (tryon.jobs.worker), as a catalog render and as a shopper's preview: the
preview path's DeepCache hooks split the compiled models' graphs, which compile anew on the first preview.
"""

import logging
import time

from generation.presets import get_preset
from prompts.plan import ControlNetUnit, GenerationPlan
from prompts.poses import FRONT_STANDING

logger = logging.getLogger(__name__)


def warm_up(preset_name: str, *, batch_sizes: tuple[int, ...] = (1,), previews: bool = True) -> float:
    """Render throwaway plans of the preset's size at each batch size, catalog renders first, then shoppers'
    previews where the shop renders them (`previews`); the seconds it took (0: nothing to do)."""
    from generation.batching import BatchItem, render_batch

    preset = get_preset(preset_name)
    if "generate" not in preset.modes:  # an inpainting-only stack has nothing to draw from noise alone
        logger.info("Preset %r renders no txt2img plan: no warm-up; the first job compiles", preset.name)
        return 0.0
    started = time.perf_counter()
    # Catalog renders first: a preview path that fails to warm up leaves them warmed all the same
    for preview in (False, True) if previews else (False,):
        for size in sorted(set(batch_sizes)):
            results = render_batch([BatchItem(_plan(preset, seed, preview)) for seed in range(size)])  # 1: render()
            if failed := [result for result in results if isinstance(result, Exception)]:
                raise failed[0]
    seconds = time.perf_counter() - started
    logger.info("Warmed up preset %r at batch sizes %s in %.1f s", preset.name, sorted(set(batch_sizes)), seconds)
    return seconds


def _plan(preset, seed: int, preview: bool) -> GenerationPlan:
    return GenerationPlan(
        prompt="full body photo of a person standing, plain studio background",
        negative_prompt="blurry",
        width=preset.width,
        height=preset.height,
        steps=preset.steps,
        guidance_scale=preset.guidance_scale,
        sampler=preset.sampler,
        seed=seed,
        preset=preset.name,
        controlnet_units=(ControlNetUnit(kind="openpose", keypoints=FRONT_STANDING.keypoints),),
        preview=preview,
    )
