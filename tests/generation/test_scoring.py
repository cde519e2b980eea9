"""Fidelity scores on renders we build by hand: the garment placed exactly, recoloured, moved, turned."""

import time

import numpy as np
import pytest
from PIL import Image, ImageDraw
from skimage.color import hsv2rgb, rgb2hsv

from generation.quality_gate import QualityThresholds, gate_failures
from generation.scoring import FidelityScores, ScoringError, score_render

SIZE = (512, 768)
AT = (136, 200)  # where the garment sits on the person
RED, BLUE, YELLOW = (200, 30, 40), (40, 90, 200), (240, 220, 60)


def striped_garment(size=(240, 320)) -> Image.Image:
    """A red and blue striped top with yellow dots, rounded corners on transparency."""
    garment = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(garment)
    for top in range(0, size[1], 20):
        draw.rectangle((0, top, size[0], top + 19), fill=RED if top // 20 % 2 else BLUE)
    for x in range(20, size[0], 60):
        for y in range(30, size[1], 80):
            draw.ellipse((x - 8, y - 8, x + 8, y + 8), fill=YELLOW)
    shape = Image.new("L", size, 0)
    ImageDraw.Draw(shape).rounded_rectangle((0, 0, size[0] - 1, size[1] - 1), radius=30, fill=255)
    garment.putalpha(shape)
    return garment


def person() -> Image.Image:
    """A skin-toned figure on a grey studio background."""
    image = Image.new("RGB", SIZE, (128, 128, 128))
    ImageDraw.Draw(image).ellipse((150, 60, 360, 700), fill=(190, 150, 120))
    return image


def placed(garment: Image.Image, at=AT) -> Image.Image:
    """The garment on a transparent canvas of the render's size: what prompts.draft hands the scorer."""
    canvas = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    canvas.paste(garment, at)
    return canvas


def render_of(garment: Image.Image, at=AT) -> Image.Image:
    return Image.alpha_composite(person().convert("RGBA"), placed(garment, at)).convert("RGB")


def hue_shifted(image: Image.Image, degrees: float) -> Image.Image:
    hsv = rgb2hsv(np.asarray(image))
    hsv[..., 0] = (hsv[..., 0] + degrees / 360) % 1
    return Image.fromarray((hsv2rgb(hsv) * 255).round().astype(np.uint8))


# Not a real pose, but an easy extent: x 0.46..0.54, y 0.1..0.685; the ears are hidden.
STANDING = [(0.5, 0.1 + 0.045 * i, True) for i in range(14)] + [(0.46, 0.1, True), (0.54, 0.1, True)]
STANDING += [(0.45, 0.1, False), (0.55, 0.1, False)]


@pytest.fixture(scope="module")
def garment():
    return striped_garment()


def test_a_render_that_shows_the_garment_exactly_scores_as_faithful(garment):
    scores = score_render(render_of(garment), placed(garment), garment_colours_from=garment)

    assert scores.colour_delta_e_median < 1 and scores.colour_delta_e_p90 < 3
    assert scores.pattern_ssim > 0.98
    assert scores.edge_agreement > 0.95
    assert scores.coverage > 0.97 and scores.leakage < 0.02
    assert gate_failures(scores, QualityThresholds()) == []


def test_a_garment_rendered_30_degrees_off_in_hue_fails_the_gate_on_colour(garment):
    scores = score_render(hue_shifted(render_of(garment), 30), placed(garment), garment_colours_from=garment)

    assert scores.colour_delta_e_median > 10
    failures = gate_failures(scores, QualityThresholds())
    assert any(reason.startswith("colour") for reason in failures), failures


def test_a_garment_rendered_beside_its_mask_covers_little_of_it_and_leaks_out(garment):
    scores = score_render(render_of(garment, at=(AT[0] + 240, AT[1])), placed(garment), garment_colours_from=garment)

    assert scores.coverage < 0.05
    assert scores.leakage > 0.15
    failures = " / ".join(gate_failures(scores, QualityThresholds()))
    assert "coverage" in failures and "leakage" in failures


def test_stripes_turned_sideways_keep_their_colours_but_lose_edge_agreement_and_ssim(garment):
    turned = garment.rotate(90, expand=True).resize(garment.size)

    scores = score_render(render_of(turned), placed(garment), garment_colours_from=garment)

    assert scores.colour_delta_e_median < 1 and scores.coverage > 0.95
    assert scores.edge_agreement < 0.5 and scores.pattern_ssim < 0.7


def test_a_missing_garment_shows_none_of_its_colour(garment):
    scores = score_render(person(), placed(garment), garment_colours_from=garment)

    assert scores.coverage == 0 and scores.leakage == 0 and scores.colour_delta_e_median > 20


def test_dominant_colours_come_from_the_product_cut_out_when_given(garment):
    green = Image.new("RGBA", (60, 80), (20, 160, 60, 255))

    own = score_render(render_of(garment), placed(garment))
    from_green = score_render(render_of(garment), placed(garment), garment_colours_from=green)

    assert own.colour_delta_e_median < 1
    assert from_green.colour_delta_e_median > 20 and from_green.coverage == 0


def test_scores_are_repeatable(garment):
    render = hue_shifted(render_of(garment), 10)

    assert score_render(render, placed(garment)) == score_render(render, placed(garment))


def test_pose_error_is_the_mean_keypoint_distance_over_the_person_size(garment):
    scale = np.hypot(0.08 * SIZE[0], 0.585 * SIZE[1])  # the diagonal of STANDING's visible points, in pixels
    moved = [(x + 0.02, y, visible) for x, y, visible in STANDING]

    same = score_render(render_of(garment), placed(garment), requested_keypoints=STANDING, detected_keypoints=STANDING)
    off = score_render(render_of(garment), placed(garment), requested_keypoints=STANDING, detected_keypoints=moved)

    assert same.pose_error == 0 and same.pose_note == ""
    assert off.pose_error == pytest.approx(0.02 * SIZE[0] / scale, abs=1e-4)


def test_pose_error_is_missing_with_a_reason_when_nothing_was_detected(garment):
    args = render_of(garment), placed(garment)

    no_detector = score_render(*args, requested_keypoints=STANDING, detected_keypoints=None)
    nobody = score_render(*args, requested_keypoints=STANDING, detected_keypoints=[])
    all_hidden = score_render(*args, requested_keypoints=STANDING, detected_keypoints=[(0, 0, False)] * 18)

    assert (no_detector.pose_error, no_detector.pose_note) == (None, "no keypoint detector weights")
    assert (nobody.pose_error, nobody.pose_note) == (None, "no person detected")
    assert (all_hidden.pose_error, all_hidden.pose_note) == (None, "no person detected")
    assert no_detector.infotext().endswith("pose n/a")


def test_scores_round_trip_through_a_dict(garment):
    scores = score_render(
        render_of(garment), placed(garment), requested_keypoints=STANDING, detected_keypoints=STANDING
    )

    assert FidelityScores.from_dict(scores.to_dict()) == scores
    assert FidelityScores.from_dict({**scores.to_dict(), "pose_error": None, "pose_note": "x"}).pose_note == "x"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"coverage": None}, r"^scores\.coverage: None is not a finite number"),
        ({"leakage": "0.1"}, r"^scores\.leakage: '0\.1' is not"),
        ({"sharpness": 1.0}, r"^scores\.sharpness: unknown field"),
        ({"pose_note": 3}, r"^scores\.pose_note: expected text"),
    ],
)
def test_stored_scores_that_do_not_fit_are_refused_naming_the_field(change, message):
    data = {**FidelityScores(1.0, 2.0, 0.9, 0.9, 1.0, 0.0, None, "no keypoint detector weights").to_dict(), **change}

    with pytest.raises(ScoringError, match=message):
        FidelityScores.from_dict(data)


def test_a_missing_field_is_named():
    data = FidelityScores(1.0, 2.0, 0.9, 0.9, 1.0, 0.0, None).to_dict()
    del data["pattern_ssim"]

    with pytest.raises(ScoringError, match=r"^scores\.pattern_ssim: missing"):
        FidelityScores.from_dict(data)


def test_infotext_is_one_compact_line():
    scores = FidelityScores(0.42, 1.234, 0.987, 0.971, 0.999, 0.001, 0.0345)

    assert scores.infotext() == ("Fidelity: dE 0.4/1.2, SSIM 0.99, edges 0.97, coverage 1.00, leak 0.00, pose 0.03")


def test_inputs_that_cannot_be_scored_are_refused_naming_the_argument(garment):
    with pytest.raises(ScoringError, match=r"^garment: size \(256, 384\) differs"):
        score_render(render_of(garment), placed(garment).resize((256, 384)))
    with pytest.raises(ScoringError, match=r"^garment: expected RGBA"):
        score_render(render_of(garment), placed(garment).convert("RGB"))
    with pytest.raises(ScoringError, match=r"^garment: its alpha is empty"):
        score_render(render_of(garment), Image.new("RGBA", SIZE))
    with pytest.raises(ScoringError, match=r"^detected_keypoints: expected 18"):
        score_render(render_of(garment), placed(garment), requested_keypoints=STANDING, detected_keypoints=STANDING[:5])


def test_scoring_a_512x768_render_takes_well_under_a_second(garment):
    """The worker scores every render: it must not cost what a sampler step does. Best of 3, on a busy machine."""
    render, warped = hue_shifted(render_of(garment), 5), placed(garment)
    took = []
    for _attempt in range(3):
        start = time.perf_counter()
        score_render(render, warped, garment_colours_from=garment.resize((800, 1066)))
        took.append(time.perf_counter() - start)

    assert min(took) < 1.0, took
