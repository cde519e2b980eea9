"""Every A1111 sampler name the engine accepts renders, with a scheduler of its own."""

import pytest

from generation import render
from generation.samplers import SAMPLERS, make_scheduler

# PLMS (diffusers' PNDM) runs one extra step at the start of its schedule.
EXTRA_STEPS = {"PLMS": 1}


@pytest.mark.parametrize("sampler", list(SAMPLERS))
def test_every_sampler_renders_and_reports_each_step(make_plan, sampler):
    reports = []

    result = render(make_plan(sampler=sampler, width=64, height=64), on_step=lambda done, total: reports.append(done))

    assert result.images[0].size == (64, 64)
    assert f"Sampler: {sampler}," in result.parameters
    assert reports == list(range(1, 2 + EXTRA_STEPS.get(sampler, 0) + 1))


def test_the_brief_samplers_are_all_there():
    assert {"Euler a", "Euler", "DPM++ 2M", "DPM++ 2M Karras", "DDIM", "UniPC", "LMS", "Heun", "LCM"} <= set(SAMPLERS)


def test_karras_names_use_karras_sigmas_and_keep_the_models_noise_schedule():
    base = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "steps_offset": 1}

    karras = make_scheduler("DPM++ 2M Karras", base)
    plain = make_scheduler("DPM++ 2M", base)

    assert karras.config.use_karras_sigmas and not plain.config.use_karras_sigmas
    assert karras.config.beta_end == 0.012 and karras.config.beta_schedule == "scaled_linear"
    assert make_scheduler("DPM++ 2M", base) is not plain  # a fresh one every time
