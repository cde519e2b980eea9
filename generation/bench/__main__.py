"""python -m generation.bench [--presets tiny,sd15-full] [--steps 4,20] [--repeats N] [--size WxH] [--quick] ...
python -m generation.bench --compare [--presets sd15-full] [--repeats N] [--memory N]

Prints, per preset and step count: load time, seconds per image, UNet and ControlNet evaluations per
image, peak RSS, and render(plan) over a bare diffusers call measured interleaved in one process.
Each preset runs in a child process of its own, so its load time and peak memory are its alone.
--compare: the shopper preview path against a bare diffusers LCM call, lever by lever (generation.bench.compare).
"""

import argparse
import json
import os
import subprocess
import sys

# DESIGN.md: glibc handing pages back between steps swings CPU speed ~8 %; every run keeps them.
MALLOC_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "536870912"}
RESULT = "BENCH_RESULT "
# The worker's levers (generation.loading) that would apply to the loaded models under every row of the table.
CUDA_LEVERS_FROM_ENV = ("TRYON_COMPILE", "TRYON_COMPILE_MODE", "TRYON_CHANNELS_LAST")
NOTES = """\
evals/img: batch rows through the model per image; classifier-free guidance's one call on a batch of 2 counts 2.
render/bare: median render(plan) over median bare diffusers ControlNet pipeline __call__ (same weights, prompt
  strings, pose image, sampler, steps, guidance, seed), timed in pairs, A B then B A, in one process.
outside models s: render/bare, median seconds a call spends outside the text encoder, UNet, ControlNet and VAE
  decoder: the engine's own overhead, which machine noise (stretching the models' time) hardly touches.
px diff: the largest difference between their first images (0-255).
~: too slow for the time budget, so extrapolated: the measured image plus the extra steps at the median gap between
  UNet calls (one sampler step, ControlNet included).
load s: load_pipeline in a fresh process (weights in the OS page cache if read lately). peak RSS: the whole child."""


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the bench's weights are all local
    if any(os.environ.get(name) != value for name, value in MALLOC_ENV.items()):
        # glibc reads these once, at start-up: only a fresh process picks them up.
        os.execve(sys.executable, [sys.executable, "-m", "generation.bench", *argv], {**os.environ, **MALLOC_ENV})
    args = parse(argv)
    if args.child:
        print(RESULT + json.dumps(child(args)), flush=True)
        return
    print(f"generation.bench: {' '.join(f'{k}={v}' for k, v in MALLOC_ENV.items())}, CPU: {cpu_name()}")
    print(f"load average at start: {os.getloadavg()[0]:.1f}", flush=True)
    if args.compare:
        from generation.bench.compare import report

        result = run_child(args.presets[0], argv)
        print(f"load average at end: {os.getloadavg()[0]:.1f}; torch {result['torch']}, {result['threads']} threads\n")
        print(report(result))  # its last line: preview/bare-default: R (preview X s, bare Y s)
        return
    results = [run_child(name, argv) for name in args.presets]
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    # Spinning OpenMP threads on a busy machine cost several times the work itself: say which policy ran.
    policy = os.environ.get("OMP_WAIT_POLICY", "unset (spinning)")
    print(f"torch {results[0]['torch']}, {results[0]['threads']} threads, OMP_WAIT_POLICY {policy}\n")
    print(table(results))
    on_cuda = [result for result in results if result.get("cuda_device")]
    for result in on_cuda:
        print("\n" + cuda_report(result))
    if args.cuda and not on_cuda:
        print("\n--cuda: no CUDA device here, so no CUDA table (batching is tested on CPU: tests/generation)")
    print("\n" + NOTES)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m generation.bench", description=__doc__.split("\n\n")[1])
    numbers = lambda text: [int(n) for n in text.split(",")]  # noqa: E731
    parser.add_argument("--presets", type=lambda text: text.split(","), default=["tiny", "sd15-full"])
    parser.add_argument("--steps", type=numbers, default=[4, 20], help="step counts to time (default 4,20)")
    parser.add_argument("--repeats", type=int, default=5, help="render/bare pairs per step count (default 5)")
    size = lambda text: tuple(numbers(text.replace("x", ",")))  # noqa: E731
    parser.add_argument(
        "--size", type=size, help="WxH of full-size presets (512x512, SDXL 1024x1024); tiny keeps its own"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=900,
        help="seconds of timed images per preset, and with --cuda for starting the table's variants (default 900)",
    )
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's, one per core)")
    parser.add_argument("--quick", action="store_true", help="tiny only")
    parser.add_argument(
        "--compare", action="store_true", help="the preview path against a bare diffusers LCM call (default sd15-full)"
    )
    parser.add_argument("--memory", type=int, default=0, help="with --compare: N consecutive previews, RSS over them")
    parser.add_argument(
        "--cuda", action="store_true", help="sd15-full at 512x512, 4 steps, with the CUDA batch table (needs a GPU)"
    )
    parser.add_argument(
        "--cuda-variants",
        type=lambda text: [name.strip() for name in text.split(",")],
        default=[],
        help="with --cuda: only these rows of the table, by name, comma-separated (default: all, within --budget)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cuda:  # sd15-fast's cost: the SD1.5 architecture with OpenPose, 4 steps
        args.presets, args.steps, args.size = ["sd15-full"], [4], args.size or (512, 512)
    if args.cuda and (switched := [name for name in CUDA_LEVERS_FROM_ENV if os.environ.get(name)]):
        parser.error(f"--cuda: unset {', '.join(switched)}: the table switches compiling and layouts itself")
    if args.cuda_variants:
        from generation.bench.cuda import VARIANTS

        known = [variant.name for variant in VARIANTS]
        unknown = [name or repr(name) for name in args.cuda_variants if name not in known]
        if unknown:
            parser.error(f"--cuda-variants: unknown {', '.join(unknown)}; known: {', '.join(known)}")
    if args.quick:
        args.presets = ["tiny"]
    if args.compare and "--presets" not in " ".join(argv):
        args.presets = ["sd15-full"]
    if args.compare and len(args.presets) != 1:
        parser.error("--compare measures one preset: give --presets NAME")
    if args.budget <= 0:
        parser.error(f"--budget: {args.budget:g} must be more than 0 seconds")
    if args.memory < 0:
        parser.error(f"--memory: {args.memory} must be 0 or more renders")
    return args


def child(args: argparse.Namespace) -> dict:
    import diffusers
    import torch
    import transformers

    from generation.bench.measure import bench_preset

    if args.threads:
        torch.set_num_threads(args.threads)
    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()
    if args.compare:
        from generation.bench.compare import compare_preset

        return compare_preset(args.child, args.repeats, args.size, args.memory)
    result = bench_preset(args.child, args.steps, args.repeats, args.size, args.budget, args.cuda_variants)
    return {**result, "torch": torch.__version__}


def run_child(name: str, argv: list[str]) -> dict:
    print(f"{name}: measuring in a child process", flush=True)
    command = [sys.executable, "-m", "generation.bench", *argv, "--child", name]
    output = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True).stdout
    return json.loads(next(line for line in output.splitlines() if line.startswith(RESULT))[len(RESULT) :])


def table(results: list[dict]) -> str:
    header = ["preset", "device", "size", "steps", "load s", "render s/img", "bare s/img", "render/bare", "pairs"]
    header += ["outside models s", "UNet evals/img", "CN evals/img", "px diff", "peak RSS GiB"]
    rows = []
    for result in results:
        for row in result["rows"]:
            estimated = row.get("estimated", False)
            mark = "~" if estimated else ""
            rows.append(
                [
                    row["preset"],
                    row["device"],
                    row["size"],
                    row["steps"],
                    f"{result['load_s']:.1f}",
                    f"{mark}{row['render_s']:.2f}",
                    "-" if estimated else f"{row['bare_s']:.2f}",
                    "-" if estimated else f"{row['ratio']:.3f}",
                    row.get("pairs", 0),
                    "-" if estimated else f"{row['render_outside_s']:.3f}/{row['bare_outside_s']:.3f}",
                    f"{mark}{row['unet_evals']:.0f}",
                    f"{mark}{row['controlnet_evals']:.0f}",
                    row.get("max_pixel_diff", "-"),
                    f"{result['peak_rss_gib']:.2f}",
                ]
            )
    return format_rows(header, rows)


def cuda_report(result: dict) -> str:
    """The CUDA part of one preset's result: the heading, the table (failed rows too) and the batched check."""
    device = result["cuda_device"]
    measured = device["matmul_tflops"]
    lines = [
        f"CUDA on {device['name']}, attention {device['attention']}: one diffusers call per batch as render_batch",
        "makes it, guidance off as sd15-fast; share of the data sheet's dense bf16 peak and of the",
        f"{measured:.0f} TFLOP/s an 8192x8192x8192 bf16 matrix product reaches on this card:",
        cuda_table([{"preset": result["preset"], **row} for row in result["cuda"]], measured),
        "",
        "The worker's batched path on the device (render_batch against render() of each plan alone):",
        batched_summary(device["batched"]),
    ]
    return "\n".join(lines)


def cuda_table(rows: list[dict], measured_tflops: float) -> str:
    header = ["preset", "variant", "batch", "steps", "ms/img", "GFLOP/img", "TFLOP/s", "% bf16 peak", "% measured"]
    header += ["warm-up s", "peak GiB"]
    failed = [r for r in rows if "error" in r]
    cells = [
        [
            r["preset"],
            r["variant"],
            r["batch"],
            r["steps"],
            f"{r['s_per_image'] * 1000:.1f}",
            "?" if r["gflop_per_image"] is None else f"{r['gflop_per_image']:.0f}",
            "?" if r["tflops"] is None else f"{r['tflops']:.0f}",
            "?" if r["peak_share"] is None else f"{r['peak_share'] * 100:.1f}",
            "?" if r["tflops"] is None else f"{r['tflops'] / measured_tflops * 100:.1f}",
            f"{r['warm_up_s']:.1f}",
            f"{r['peak_gib']:.1f}",
        ]
        for r in rows
        if "error" not in r
    ]
    cells += [[r["preset"], r["variant"], "failed: " + r["error"], *[""] * (len(header) - 3)] for r in failed]
    return format_rows(header, cells)


def batched_summary(check: dict) -> str:
    if "error" in check:
        return f"  failed: {check['error']}"
    sizes = ", ".join(str(size) for size in check["unet_batch_sizes"])
    lines = [
        f"  {check['batch']} plans, UNet called on batches of {sizes}; failures: {check['failures'] or 'none'}",
        f"  largest pixel difference from alone {check['max_px_diff']} of 255, on {check['share_px_off']:.2%} of "
        f"the pixels; {check['distinct_images']} distinct images",
        f"  one plan cancelled at step 2: it alone ended, the others finished: {check['cancelled_alone']}",
        f"  {check['batch_s_per_image'] * 1000:.0f} ms/img batched, {check['alone_s_per_image'] * 1000:.0f} ms/img "
        "alone (render() end to end, eager, the loader's dtype)",
    ]
    return "\n".join(lines)


def format_rows(header: list[str], rows: list[list]) -> str:
    cells = [header, *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [" | ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown"


if __name__ == "__main__":
    main()
