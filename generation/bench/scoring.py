"""python -m generation.bench.scoring [--repeats N] [--size WxH] [--threads N]

Prints the median milliseconds score_render takes for one render (default 512x768): a printed garment over
a third of the frame, a product cut-out of 800x1000 for its colours, keypoints requested and re-detected.
Synthetic images cost what real ones do: the work depends on sizes and mask area, not on content.
"""

import argparse
import os
import statistics
import time

import cv2
import numpy as np
from PIL import Image, ImageDraw

from generation.scoring import score_render


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m generation.bench.scoring", description=__doc__.split("\n\n")[1])
    parser.add_argument("--repeats", type=int, default=30, help="timed calls after 3 warm-up calls (default 30)")
    parser.add_argument("--size", default="512x768", help="WxH of the render (default 512x768)")
    parser.add_argument("--threads", type=int, help="OpenCV threads (default: OpenCV's own choice)")
    return parser.parse_args(argv)


def printed(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Stripes, dots and fabric-like noise: every score has something to measure."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", size, (40, 90, 200))
    draw = ImageDraw.Draw(image)
    period = max(8, size[1] // 20)
    for top in range(0, size[1], period):
        draw.rectangle((0, top, size[0], top + period // 2), fill=(200, 30, 40))
    for x in range(period, size[0], 3 * period):
        for y in range(period, size[1], 4 * period):
            draw.ellipse((x - period // 3, y - period // 3, x + period // 3, y + period // 3), fill=(240, 220, 60))
    noise = rng.normal(0, 6, (size[1], size[0], 3))
    return Image.fromarray(np.clip(np.asarray(image) + noise, 0, 255).astype(np.uint8))


def inputs(width: int, height: int):
    box = (int(width * 0.22), int(height * 0.2), int(width * 0.78), int(height * 0.62))  # a top on a person
    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).rounded_rectangle(box, radius=width // 20, fill=255)
    garment = printed((width, height)).convert("RGBA")
    garment.putalpha(mask)
    person = Image.new("RGB", (width, height), (128, 128, 128))
    ImageDraw.Draw(person).ellipse((width * 0.3, height * 0.05, width * 0.7, height * 0.95), fill=(190, 150, 120))
    shifted = Image.new("RGBA", (width, height))
    shifted.paste(garment, (width // 40, 0))  # a little off its mask, so leakage has something to find
    render = Image.alpha_composite(person.convert("RGBA"), shifted).convert("RGB")
    cutout = printed((800, 1000), seed=1).convert("RGBA")
    cutout.putalpha(Image.new("L", cutout.size, 255).resize((800, 1000)))
    keypoints = [(0.5, 0.1 + 0.045 * i, True) for i in range(18)]
    detected = [(x + 0.01, y - 0.01, visible) for x, y, visible in keypoints]
    return render, garment, cutout, keypoints, detected


def main(argv=None) -> None:
    args = parse(argv)
    if args.threads is not None:
        cv2.setNumThreads(args.threads)
    width, height = (int(side) for side in args.size.lower().split("x"))
    render, garment, cutout, keypoints, detected = inputs(width, height)

    def once():
        return score_render(
            render, garment, garment_colours_from=cutout, requested_keypoints=keypoints, detected_keypoints=detected
        )

    for _warm_up in range(3):
        scores = once()
    times, cpu = [], []
    for _repeat in range(args.repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        once()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    print(f"score_render {width}x{height}, cut-out {cutout.width}x{cutout.height}, {args.repeats} calls")
    print(f"OpenCV threads {cv2.getNumThreads()}, load average {os.getloadavg()[0]:.1f}")
    print(scores.infotext())
    print(f"median {statistics.median(times):.1f} ms (min {min(times):.1f}, max {max(times):.1f})")
    # On a shared machine the wall clock includes waiting for a core; CPU time is the work itself.
    print(f"CPU time, all threads: median {statistics.median(cpu):.1f} ms")


if __name__ == "__main__":
    main()
