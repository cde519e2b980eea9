"""render(plan): images of the planned size, the same pixels for the same plan, progress, cancelling."""

import dataclasses
import threading

import pytest
from diffusers import PNDMScheduler

from generation import EngineError, RenderCancelled, RenderResult, get_preset, load_pipeline, render
from prompts.plan import ControlNetUnit

from .conftest import ARMS_UP


def pixels(result: RenderResult) -> bytes:
    return result.images[0].tobytes()


def test_tiny_renders_one_image_of_the_planned_size_at_its_defaults(make_plan):
    tiny = get_preset("tiny")
    plan = make_plan(width=tiny.width, height=tiny.height, steps=tiny.steps, sampler=tiny.sampler)

    result = render(plan)

    assert len(result.images) == 1
    assert result.images[0].size == (128, 192)
    assert result.images[0].mode == "RGB"
    assert result.seconds > 0


def test_the_same_plan_gives_the_same_pixels_and_another_seed_other_pixels(make_plan):
    first = render(make_plan())

    assert pixels(render(make_plan())) == pixels(first)
    assert pixels(render(make_plan(seed=1235))) != pixels(first)


def test_the_pose_steers_the_image(make_plan):
    standing = render(make_plan())
    arms_up = render(make_plan(controlnet_units=(ControlNetUnit(kind="openpose", keypoints=ARMS_UP),)))

    assert pixels(arms_up) != pixels(standing)


def test_a_plan_without_controlnet_units_renders_from_the_prompt_alone(make_plan):
    reports = []

    result = render(make_plan(controlnet_units=(), width=64, height=64), on_step=lambda *report: reports.append(report))

    assert result.images[0].size == (64, 64)
    assert reports == [(1, 2), (2, 2)]
    assert "ControlNet" not in result.parameters


def test_two_openpose_units_share_the_one_controlnet(make_plan):
    units = (
        ControlNetUnit(kind="openpose", keypoints=ARMS_UP, scale=0.5),
        ControlNetUnit(kind="openpose", keypoints=ARMS_UP, scale=0.5, guidance_end=0.5),
    )

    result = render(make_plan(controlnet_units=units))

    assert result.images[0].size == (64, 96)
    assert 'ControlNet 1: "Module: openpose, Model: controlnet-openpose, Weight: 0.5' in result.parameters


def test_progress_is_reported_once_per_step(make_plan):
    reports = []

    render(make_plan(steps=4), on_step=lambda done, total: reports.append((done, total)))

    assert reports == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_cancelling_from_on_step_stops_the_render_and_leaves_the_pipeline_usable(make_plan):
    before = render(make_plan(steps=4))
    reports = []

    def cancel_after_two(done, total):
        reports.append(done)
        if done == 2:
            raise RenderCancelled("shopper left the page")

    with pytest.raises(RenderCancelled, match="shopper left the page"):
        render(make_plan(steps=4), on_step=cancel_after_two)

    assert reports == [1, 2]
    assert pixels(render(make_plan(steps=4))) == pixels(before)


def test_renders_never_change_the_shared_pipelines_scheduler(make_plan):
    shared = load_pipeline("tiny")
    scheduler = shared.scheduler

    render(make_plan(sampler="DDIM"))

    assert shared.scheduler is scheduler
    assert isinstance(scheduler, PNDMScheduler)


def test_renders_in_parallel_threads_match_renders_in_turn(make_plan):
    plans = [make_plan(seed=1), make_plan(seed=2, sampler="DPM++ 2M Karras")]
    expected = [pixels(render(plan)) for plan in plans]
    results = [None, None]

    def run(index):
        results[index] = pixels(render(plans[index]))

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == expected


def test_an_unknown_sampler_is_refused_with_the_valid_names(make_plan):
    with pytest.raises(EngineError) as refused:
        render(make_plan(sampler="Euler ancestral"))

    message = str(refused.value)
    assert message.startswith("sampler: 'Euler ancestral' is not one of ")
    for name in ("Euler a", "Euler", "DPM++ 2M", "DPM++ 2M Karras", "DDIM", "UniPC", "LMS", "Heun", "LCM"):
        assert f"{name}," in message or message.endswith(name)


def test_a_plan_for_an_unknown_preset_is_refused(make_plan):
    with pytest.raises(EngineError, match=r"preset: 'sd3' is not one of tiny, sd15"):
        render(make_plan(preset="sd3"))


def test_a_controlnet_kind_the_preset_lacks_is_refused(make_plan):
    depth = ControlNetUnit(kind="depth")

    with pytest.raises(EngineError, match=r"controlnet_units\[0\]\.kind: 'depth' is not supported by preset 'tiny'"):
        render(make_plan(controlnet_units=(depth,)))


def test_a_controlnet_unit_out_of_range_is_refused(make_plan):
    # An empty guidance window is refused by the plan itself (tests/prompts); scale is the engine's call.
    unit = dataclasses.replace(make_plan().controlnet_units[0], scale=-0.5)

    with pytest.raises(EngineError, match=r"controlnet_units\[0\]\.scale: -0\.5 must be from 0 to 2"):
        render(make_plan(controlnet_units=(unit,)))


def test_something_that_is_not_a_plan_is_refused():
    with pytest.raises(EngineError, match=r"plan: expected a GenerationPlan, got dict"):
        render({"prompt": "a dress"})
