"""CUDA only, and never run on our CPU-only machines: the bare diffusers call at fp16 and bf16,
batch 1 and 8, eager and torch.compile'd. render() makes one image per plan, so batches of 8 go
through the bare call on the same shared pipeline."""

import statistics
import time

import torch


def cuda_variants(shared, bare_call, steps: int, repeats: int) -> list[dict]:
    rows = []
    for compiled in (False, True):
        if compiled:
            # In place, so every view of the shared pipeline runs the compiled modules.
            shared.unet.compile()
            shared.controlnet.compile()
        for dtype in (torch.float16, torch.bfloat16):
            shared.to(dtype=dtype)
            for batch in (1, 8):
                for _ in range(2):  # warm-up: compiling (again for a new dtype), cuDNN autotuning
                    bare_call(steps, batch)
                torch.cuda.reset_peak_memory_stats()
                seconds = []
                for _ in range(repeats):
                    torch.cuda.synchronize()
                    started = time.perf_counter()
                    bare_call(steps, batch)
                    torch.cuda.synchronize()
                    seconds.append(time.perf_counter() - started)
                rows.append(
                    {
                        "variant": f"{str(dtype).removeprefix('torch.')} {'compiled' if compiled else 'eager'}",
                        "batch": batch,
                        "steps": steps,
                        "s_per_image": statistics.median(seconds) / batch,
                        "peak_gib": torch.cuda.max_memory_allocated() / 2**30,
                    }
                )
    return rows
