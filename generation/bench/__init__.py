"""A speed benchmark, not a test: `python -m generation.bench --help`.

Compares render(plan) with a bare diffusers call on the same pipeline and inputs, for `tiny` and the
full-size random-weight SD1.5 + OpenPose ControlNet stack (`sd15-full`, see generation.fullsize).
"""
