"""A plan with samples > 1 renders that many images in one denoising batch, image i seeded with seed + i,
so a shopper who likes the third picks it and the same seed alone renders it again."""

import numpy as np
import pytest

from generation import render
from prompts import MAX_SAMPLES, PlanError

from .conftest import IMAGES, PHOTO


def as_array(image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def test_three_samples_are_three_different_images_each_with_its_own_seed(make_plan):
    result = render(make_plan(samples=3))

    assert len(result.images) == len(result.infotexts) == 3
    assert len({image.tobytes() for image in result.images}) == 3
    assert [text.splitlines()[-1].split("Seed: ")[1].split(",")[0] for text in result.infotexts] == [
        "1234",
        "1235",
        "1236",
    ]
    assert result.parameters == result.infotexts[0]


def test_each_sample_is_what_its_seed_renders_alone(make_plan):
    batch = render(make_plan(samples=2))

    for index, seed in enumerate((1234, 1235)):
        alone = render(make_plan(seed=seed)).images[0]
        # Batched matrix maths may round the last bit differently; the picture is the same.
        assert np.abs(as_array(batch.images[index]) - as_array(alone)).max() <= 2


@pytest.mark.parametrize("sampler", ["Euler a", "DPM++ 2M Karras"])
def test_each_try_on_sample_is_what_its_seed_paints_alone(tryon_plan, sampler):
    batch = render(tryon_plan(samples=3, sampler=sampler), images=IMAGES)

    assert len({image.tobytes() for image in batch.images}) == 3
    for index, seed in enumerate((1234, 1235, 1236)):
        alone = render(tryon_plan(seed=seed, sampler=sampler), images=IMAGES).images[0]
        assert np.abs(as_array(batch.images[index]) - as_array(alone)).max() <= 2


def test_each_refined_sample_is_what_its_seed_renders_alone(make_plan):
    plan = make_plan(mode="refine", init_image=PHOTO, strength=0.6, samples=2)
    batch = render(plan, images=IMAGES)

    alone = render(make_plan(mode="refine", init_image=PHOTO, strength=0.6, seed=1235), images=IMAGES).images[0]
    assert np.abs(as_array(batch.images[1]) - as_array(alone)).max() <= 2


def test_seeds_wrap_within_32_bits_so_every_sample_can_be_asked_for_again(make_plan):
    assert make_plan(seed=2**32 - 1, samples=3).sample_seeds == (2**32 - 1, 0, 1)


@pytest.mark.parametrize("samples", [0, MAX_SAMPLES + 1, 2.0, True])
def test_a_sample_count_out_of_range_is_refused_by_field(make_plan, samples):
    with pytest.raises(PlanError, match=r"^samples: "):
        make_plan(samples=samples)


def test_sdxl_repeats_its_pooled_embeddings_for_every_sample(make_plan):
    result = render(make_plan(preset="tiny-sdxl", guidance_scale=5.0, samples=2))

    assert len(result.images) == 2 and result.images[0].tobytes() != result.images[1].tobytes()
