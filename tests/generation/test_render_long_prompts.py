"""render() reads a prompt past CLIP's 77 tokens, and A1111's weights, instead of truncating them."""

import pytest

from generation import EngineError, RenderResult, render

from .test_prompt_encoding import words


def pixels(result: RenderResult) -> bytes:
    return result.images[0].tobytes()


def test_the_end_of_a_long_prompt_reaches_the_image(make_plan):
    prompt = words(200)
    changed = prompt.rsplit(" ", 3)[0] + " purple velvet hat"

    assert pixels(render(make_plan(prompt=changed))) != pixels(render(make_plan(prompt=prompt)))


def test_a_long_prompt_with_a_long_negative_prompt_renders_the_same_pixels_every_time(make_plan):
    plan = make_plan(prompt=words(80), negative_prompt=", ".join(words(126, start=3).split()))

    first = render(plan)

    assert first.images[0].size == (64, 96)
    assert pixels(render(plan)) == pixels(first)
    assert f"Negative prompt: {plan.negative_prompt}\n" in first.parameters  # infotext keeps the text as given


def test_the_end_of_a_long_negative_prompt_reaches_the_image(make_plan):
    negative = words(150)

    changed = render(make_plan(negative_prompt=negative.rsplit(" ", 3)[0] + " purple velvet hat"))

    assert pixels(changed) != pixels(render(make_plan(negative_prompt=negative)))


def test_without_guidance_the_negative_prompt_changes_nothing(make_plan):
    unguided = render(make_plan(guidance_scale=1.0, negative_prompt="blurry"))

    assert pixels(render(make_plan(guidance_scale=1.0, negative_prompt=words(150)))) == pixels(unguided)


def test_a_weight_that_is_not_a_number_is_refused(make_plan):
    with pytest.raises(EngineError, match=r"^negative_prompt: weight '1\.2\.3' at character 5 is not a number$"):
        render(make_plan(negative_prompt="(red:1.2.3) dress"))
