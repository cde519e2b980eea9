"""A random-weight safety checker in stable-diffusion-v1-5's layout, so tests run the real moderation path.

A tiny CLIP vision tower (32 px images) with random concept embeddings. Random embeddings judge nothing,
so the verdict is set by the thresholds instead: `blocks=True` gives every concept the threshold -1.5
(cosine similarity is at least -1, so every image matches: all blocked), `blocks=False` the threshold 1.5
(no image can match: all pass), at either level; a test may give its own threshold. The special-care
concepts never match. Built once per folder, whole or absent.
"""

import shutil
import tempfile
from pathlib import Path

from generation.moderation import CHECKER, FILES, PROCESSOR
from generation.presets import models_dir

BLOCKING, PASSING = -1.5, 1.5


def tiny_checker_folder(*, blocks: bool) -> Path:
    return models_dir() / ("tiny-moderation-blocks" if blocks else "tiny-moderation-passes")


def build_tiny_checker(
    folder: Path | None = None, *, blocks: bool = False, threshold: float | None = None, seed: int = 0
) -> Path:
    """`folder`/safety_checker + feature_extractor, built unless there; returns the folder (for
    TRYON_MODERATION_WEIGHTS). `threshold`: every concept's, instead of the blocking or passing one."""
    import torch
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig, CLIPImageProcessor

    folder = Path(folder) if folder is not None else tiny_checker_folder(blocks=blocks)
    if all((folder / name).is_file() for name in FILES):
        return folder
    config = CLIPConfig(
        text_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4},
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "image_size": 32,
            "patch_size": 8,
        },
        projection_dim=16,
    )
    with torch.random.fork_rng(devices=[]):  # neither depends on nor disturbs the caller's RNG
        torch.manual_seed(seed)
        checker = StableDiffusionSafetyChecker(config).eval()
        if threshold is None:
            threshold = BLOCKING if blocks else PASSING
        with torch.no_grad():
            checker.concept_embeds.copy_(torch.randn(checker.concept_embeds.shape))
            checker.special_care_embeds.copy_(torch.randn(checker.special_care_embeds.shape))
            checker.concept_embeds_weights.fill_(threshold)
            checker.special_care_embeds_weights.fill_(PASSING)  # no special-care matches: verdicts are plain nsfw
    processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        checker.save_pretrained(staging / CHECKER)
        processor.save_pretrained(staging / PROCESSOR)
        staging.chmod(0o755)
        try:
            staging.rename(folder)
        except OSError:
            if not all((folder / name).is_file() for name in FILES):  # another process built it at once: fine
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
