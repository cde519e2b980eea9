"""python -m generation.bench.moderation [--repeats N] [--batch N]

Prints the seconds check_images (generation.moderation) takes per 512x768 render, on random weights in the
architecture of the Stable Diffusion safety checker (CLIP ViT-L/14 vision tower, 768-d projection, 17 concepts
and 3 special-care embeddings): what a moderated render or shopper photo adds. Random weights cost what real
ones do; the verdicts themselves mean nothing here.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image
from tqdm import tqdm


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m generation.bench.moderation", description=__doc__.split("\n\n")[1])
    parser.add_argument("--repeats", type=int, default=10, help="timed calls after one warm-up call (default 10)")
    parser.add_argument("--batch", type=int, default=1, help="images per call (default 1)")
    return parser.parse_args(argv)


def full_size_checker(folder: Path) -> Path:
    """The checker's architecture (CompVis/stable-diffusion-safety-checker's config) with random weights."""
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig, CLIPImageProcessor

    vision = {"hidden_size": 1024, "intermediate_size": 4096, "num_attention_heads": 16, "num_hidden_layers": 24}
    config = CLIPConfig(vision_config={**vision, "patch_size": 14, "image_size": 224}, projection_dim=768)
    StableDiffusionSafetyChecker(config).eval().save_pretrained(folder / "safety_checker")
    CLIPImageProcessor(size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224}).save_pretrained(
        folder / "feature_extractor"
    )
    return folder


def main(argv=None) -> None:
    args = parse(argv)
    with tempfile.TemporaryDirectory(prefix="tryon-bench-checker-") as scratch:
        os.environ["TRYON_MODERATION_WEIGHTS"] = str(full_size_checker(Path(scratch)))
        from generation.moderation import check_images

        renders = [Image.new("RGB", (512, 768), (120 + index, 90, 80)) for index in range(args.batch)]
        started = time.perf_counter()
        check_images(renders, level="permissive")  # loads the checker
        load = time.perf_counter() - started
        seconds = []
        for _ in tqdm(range(args.repeats), desc="checks", unit="call"):
            started = time.perf_counter()
            check_images(renders, level="conservative")
            seconds.append(time.perf_counter() - started)
    median = statistics.median(seconds)
    print(
        f"load + first check: {load:.2f} s; per call of {args.batch}: {median:.3f} s median; "
        f"per image: {median / args.batch:.3f} s"
    )


if __name__ == "__main__":
    main()
