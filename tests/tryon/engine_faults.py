"""Faults injected below the engine, where they happen in production: torch itself runs out of GPU memory."""

import pytest


@pytest.fixture
def gpu_out_of_memory(monkeypatch):
    """Every UNet call (the tiny preset's included) raises torch's own CUDA out-of-memory error,
    so the engine's real handling (rendering._denoise) turns it into its own error."""
    import torch

    from generation.loading import load_stack

    def out_of_memory(*_args, **_kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.65 GiB total)")

    # On the class, not the instance: the preview path's bf16 copy of the UNet (generation.preview) would keep an
    # instance's patched forward for every later test in the process.
    unet = load_stack("tiny").pipeline.unet
    monkeypatch.setattr(type(unet), "forward", out_of_memory)
