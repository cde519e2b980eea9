"""plan_size: the framing's aspect at about a preset's pixel count, in multiples of 8."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prompts import plan_size
from prompts.framing import ASPECTS


@pytest.mark.parametrize(
    ("shot", "base", "size"),
    [
        ("full", (512, 768), (512, 768)),  # the sd15 preset's own size is already full-body 2:3
        ("knees", (512, 768), (552, 736)),
        ("upper", (512, 768), (576, 720)),
        ("full", (832, 1216), (816, 1224)),
        ("head", (1024, 1024), (928, 1160)),
        ("full", (64, 64), (64, 96)),  # never below the engine's 64 pixels
    ],
)
def test_a_framing_gets_its_photographic_aspect(shot, base, size):
    assert plan_size(shot, *base) == size


@given(
    shot=st.sampled_from(sorted(ASPECTS)),
    base=st.tuples(st.integers(32, 256).map(lambda n: n * 8), st.integers(32, 256).map(lambda n: n * 8)),
)
def test_any_size_has_the_exact_aspect_multiples_of_8_and_about_the_pixels(shot, base):
    width, height = plan_size(shot, *base)

    assert width % 8 == 0 and height % 8 == 0
    assert width * ASPECTS[shot][1] == height * ASPECTS[shot][0]
    assert width * height == pytest.approx(base[0] * base[1], rel=0.25)


def test_an_unknown_framing_is_refused():
    with pytest.raises(ValueError, match=r"^framing: 'wide' is not one of full, knees, waist, upper, head"):
        plan_size("wide", 512, 768)
