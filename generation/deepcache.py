"""DeepCache: a UNet's deep features reused between denoising steps (Ma et al. 2023, arXiv:2312.00858).

From one step to the next a UNet's deep, low-resolution features change little; the detail travels on
its shallow path (conv_in, the first down block, the last up block and the skips between them). On a
full step every block runs and the deep modules' outputs are kept; on a cached step those modules hand
back what they returned last time and only the shallow path runs: at SD1.5's 512 px about a third of
the UNet's work. A ControlNet is cut the same way, since on a cached step the UNet reads only its
shallow residuals (the deep ones feed the up blocks that are replayed).

diffusers 0.42's cache hooks (diffusers.hooks: FirstBlockCache, FasterCache, PyramidAttentionBroadcast,
TaylorSeer, MagCache) find transformer blocks in DiT models, and UNet2DConditionModel has no CacheMixin;
none skips a UNet's deep blocks, hence this small implementation.

Steps are told apart by the timestep each model is called with, so the ControlNet and the UNet of one
step agree, and a model first called on a cached step (a ControlNet that starts late) runs in full.
With interval 1 every step is full and the models compute exactly what they compute without it.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import torch


def deep_modules(model: torch.nn.Module) -> list[torch.nn.Module]:
    """What a cached step skips: every down block past the first (and the first one's downsampler), the
    middle block, and every up block but the last. A ControlNet has no up blocks."""
    first, *deeper = model.down_blocks
    modules = [*(first.downsamplers or ()), *deeper]
    if getattr(model, "mid_block", None) is not None:
        modules.append(model.mid_block)
    if hasattr(model, "up_blocks"):
        modules.extend(model.up_blocks[:-1])
    return modules


class DeepCache:
    """Run the deep modules of `models` on every `interval`-th step only; in between, replay them."""

    def __init__(self, interval: int):
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError(f"interval: {interval!r} must be an integer of at least 1")
        self.interval = interval
        self._step = -1
        self._timestep: float | None = None
        self._replaying: dict[int, bool] = {}  # id(model) -> this call replays its deep modules
        self._kept: dict[int, dict[int, object]] = {}  # id(model) -> id(module) -> its last output
        self._shapes: dict[int, tuple] = {}  # id(model) -> the input shape the kept outputs belong to

    @contextmanager
    def applied(self, *models: torch.nn.Module) -> Iterator["DeepCache"]:
        """Cache `models` (a UNet and its ControlNets) while the block runs; afterwards they are as they were
        and the kept features are let go, so nothing grows from one render to the next."""
        undo = []
        try:
            for model in models:
                undo.append(model.register_forward_pre_hook(self._before, with_kwargs=True).remove)
                for module in deep_modules(model):
                    undo.append(self._wrap(model, module))
            yield self
        finally:
            for step in reversed(undo):
                step()
            self._kept.clear()
            self._shapes.clear()

    def _before(self, model, args, kwargs):
        sample = args[0] if args else kwargs["sample"]
        timestep = args[1] if len(args) > 1 else kwargs["timestep"]
        key = float(torch.as_tensor(timestep).flatten()[0])
        if key != self._timestep:  # the first model called at a new timestep starts the next step
            self._timestep, self._step = key, self._step + 1
        kept = self._kept.setdefault(id(model), {})
        replay = self._step % self.interval != 0 and self._shapes.get(id(model)) == tuple(sample.shape)
        replay = replay and len(kept) == len(deep_modules(model))
        self._replaying[id(model)] = replay
        if not replay:
            self._shapes[id(model)] = tuple(sample.shape)
        return None

    def _wrap(self, model, module):
        had_own = "forward" in module.__dict__
        original = module.forward

        def forward(*args, **kwargs):
            kept = self._kept.setdefault(id(model), {})
            if self._replaying.get(id(model)):
                return kept[id(module)]
            output = original(*args, **kwargs)
            kept[id(module)] = output
            return output

        module.forward = forward

        def undo():
            if had_own:
                module.forward = original
            else:
                del module.forward

        return undo
