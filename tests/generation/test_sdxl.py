"""SDXL's route on tiny-sdxl: two text encoders, pooled embeddings, A1111 weights and chunks, both modes."""

import torch

from generation import load_pipeline, render
from generation.prompt_encoding import encode_prompts_xl

from .conftest import IMAGES, PHOTO
from .test_prompt_encoding import words


def pixels(result) -> bytes:
    return result.images[0].tobytes()


def xl(make_plan, **changes):
    return make_plan(preset="tiny-sdxl", guidance_scale=5.0, **changes)


def test_sdxl_generates_with_its_openpose_controlnet_the_same_pixels_every_time(make_plan):
    first = render(xl(make_plan))

    assert type(load_pipeline("tiny-sdxl")).__name__ == "StableDiffusionXLControlNetPipeline"
    assert first.images[0].size == (64, 96)
    assert pixels(render(xl(make_plan))) == pixels(first)
    assert pixels(render(xl(make_plan, seed=9))) != pixels(first)


def test_sdxl_prompts_are_both_encoders_side_by_side_with_a_pooled_embedding():
    pipeline = load_pipeline("tiny-sdxl")

    short = encode_prompts_xl(pipeline, "a red dress", "blurry", do_cfg=True)
    long = encode_prompts_xl(pipeline, words(100), "", do_cfg=True)

    width = pipeline.text_encoder.config.hidden_size + pipeline.text_encoder_2.config.hidden_size
    assert short["prompt_embeds"].shape == (1, 77, width)
    assert short["pooled_prompt_embeds"].shape == (1, pipeline.text_encoder_2.config.projection_dim)
    assert long["prompt_embeds"].shape == (1, 154, width)  # past 77 tokens, a second chunk
    assert short["negative_prompt_embeds"].abs().sum() > 0
    # SDXL was trained with zeros for "no negative prompt" (force_zeros_for_empty_prompt)
    assert not long["negative_prompt_embeds"].any() and not long["negative_pooled_prompt_embeds"].any()
    assert long["negative_prompt_embeds"].shape == long["prompt_embeds"].shape


def test_sdxl_weights_scale_their_tokens_in_both_encoders():
    pipeline = load_pipeline("tiny-sdxl")

    plain = encode_prompts_xl(pipeline, "a red dress", "", do_cfg=False)
    weighted = encode_prompts_xl(pipeline, "a (red:1.5) dress", "", do_cfg=False)

    assert "negative_prompt_embeds" not in plain
    changed = (plain["prompt_embeds"] != weighted["prompt_embeds"]).any(dim=1)[0]
    assert changed[:32].any() and changed[32:].any()  # the first encoder's features, and the second's
    assert torch.equal(plain["pooled_prompt_embeds"], weighted["pooled_prompt_embeds"])


def test_the_end_of_a_long_sdxl_prompt_reaches_the_image(make_plan):
    prompt = words(120)

    changed = render(xl(make_plan, prompt=prompt.rsplit(" ", 3)[0] + " purple velvet hat"))

    assert pixels(changed) != pixels(render(xl(make_plan, prompt=prompt)))


def test_sdxl_refines_an_image(make_plan):
    reports = []

    result = render(
        xl(make_plan, mode="refine", init_image=PHOTO, strength=0.5, steps=4),
        images=IMAGES,
        on_step=lambda done, total: reports.append(done),
    )

    assert result.images[0].size == (64, 96) and reports == [1, 2]
