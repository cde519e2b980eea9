"""`manage.py tryon_eval`: a folder of try-on results in, a table of fidelity scores and a JSON file out.

The golden JSON pins every score of three synthetic triples. To accept new scores after a scoring change, run
    UPDATE_GOLDEN=1 .venv/bin/pytest tests/tryon/test_eval_command.py
then read `git diff tests/tryon/golden/eval/` and commit it with the change.
"""

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image, ImageDraw
from skimage.color import hsv2rgb, rgb2hsv

GOLDEN = Path(__file__).parent / "golden" / "eval"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SIZE = (256, 384)  # the results'
BOX = (70, 100, 186, 250)  # where each result's garment was meant to go
GARMENT = (232, 300)  # its size in the product photo
RED, BLUE, YELLOW = (200, 30, 40), (40, 90, 200), (240, 220, 60)


def striped(size) -> Image.Image:
    """Red and blue stripes with yellow dots: a print whose colours, pattern and direction can all go wrong."""
    image = Image.new("RGB", size, BLUE)
    draw = ImageDraw.Draw(image)
    for top in range(0, size[1], 24):
        draw.rectangle((0, top, size[0], top + 11), fill=RED)
    for x in range(15, size[0], 40):
        for y in range(18, size[1], 48):
            draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=YELLOW)
    return image


def product_photo() -> Image.Image:
    """The garment on a plain white background, as merchants shoot it."""
    photo = Image.new("RGB", (300, 400), "white")
    photo.paste(striped(GARMENT), (34, 50))
    return photo


def person() -> Image.Image:
    image = Image.new("RGB", SIZE, (128, 128, 128))
    ImageDraw.Draw(image).ellipse((60, 20, 196, 370), fill=(190, 150, 120))
    return image


def mask() -> Image.Image:
    image = Image.new("L", SIZE, 0)
    ImageDraw.Draw(image).rounded_rectangle(BOX, radius=12, fill=255)
    return image


def result(shift=(0, 0), hue=0.0) -> Image.Image:
    """The person wearing the garment in the mask, moved by `shift` pixels, its hue turned by `hue` degrees."""
    region = (BOX[0], BOX[1], BOX[2] + 1, BOX[3] + 1)  # the drawn box includes its far edges
    garment = striped(GARMENT).resize((region[2] - region[0], region[3] - region[1]), Image.Resampling.LANCZOS)
    if hue:
        hsv = rgb2hsv(np.asarray(garment))
        hsv[..., 0] = (hsv[..., 0] + hue / 360) % 1
        garment = Image.fromarray((hsv2rgb(hsv) * 255).round().astype(np.uint8))
    image = person()
    image.paste(garment, (BOX[0] + shift[0], BOX[1] + shift[1]), mask().crop(region))
    return image


def write_triple(folder: Path, render: Image.Image, *, garment_ext="jpg", category=None) -> Path:
    folder.mkdir(parents=True)
    person().save(folder / "person.png")
    product_photo().save(folder / f"garment.{garment_ext}", quality=95)
    render.save(folder / "result.png")
    mask().save(folder / "mask.png")
    if category:
        (folder / "meta.json").write_text(json.dumps({"category": category}))
    return folder


@pytest.fixture
def triples(tmp_path) -> Path:
    root = tmp_path / "triples"
    write_triple(root / "a-faithful", result())
    write_triple(root / "b-hue-shifted", result(hue=30), garment_ext="png", category="dress")
    write_triple(root / "c-moved-aside", result(shift=(110, 0)))
    return root


def tryon_eval(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("tryon_eval", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def rounded(value, digits=3):
    """Golden scores to 3 decimals: a last-digit wobble of floating point on another CPU is not a change."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item, digits) for item in value]
    return value


def matches_golden(name: str, value) -> None:
    path = GOLDEN / name
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    if UPDATE:
        path.write_text(text)
    assert path.exists(), f"{path} is missing: run UPDATE_GOLDEN=1 .venv/bin/pytest {__file__}"
    if isinstance(value, str):
        assert value == path.read_text()
    else:
        assert rounded(value) == rounded(json.loads(path.read_text()))


def test_a_folder_of_triples_is_scored_into_a_table_and_a_json_file(triples):
    out, err = tryon_eval(triples)

    written = json.loads((triples / "tryon_eval.json").read_text())
    matches_golden("tryon_eval.json", written)
    table = out.split("\nJSON: ")[0] + "\n"
    matches_golden("table.txt", table)
    # What the golden files hold, in words: the faithful triple passes, the others fail for their fault.
    rows = {row["name"]: row for row in written["rows"]}
    assert rows["a-faithful"]["passes"] and rows["a-faithful"]["scores"]["colour_delta_e_median"] < 2
    assert rows["b-hue-shifted"]["failures"][0].startswith("colour ΔE median")
    assert rows["b-hue-shifted"]["category"] == "dress" and rows["a-faithful"]["category"] == "top"
    assert rows["c-moved-aside"]["scores"]["coverage"] < 0.5 and not rows["c-moved-aside"]["passes"]
    assert (written["count"], written["passed"]) == (3, 1)
    assert [line.split()[0] for line in table.splitlines()] == [
        "ΔE",
        "a-faithful",
        "b-hue-shifted",
        "c-moved-aside",
        "mean",
    ]
    assert table.splitlines()[1].endswith("pass") and "fail: colour ΔE median" in table
    assert out.endswith(f"JSON: {triples / 'tryon_eval.json'}\n")
    assert "3/3" in err  # the progress bar reached the end


def test_json_goes_where_asked_and_category_is_the_default_for_triples_without_meta(triples, tmp_path):
    tryon_eval(triples, "--json", tmp_path / "out.json", "--category", "outerwear")

    rows = json.loads((tmp_path / "out.json").read_text())["rows"]
    assert [row["category"] for row in rows] == ["outerwear", "dress", "outerwear"]
    assert not (triples / "tryon_eval.json").exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda folder: (folder / "result.png").unlink(), r"b-hue-shifted: no result image \(result\.png or"),
        (lambda folder: (folder / "garment.png").write_bytes(b"not a png"), r"b-hue-shifted/garment\.png: cannot read"),
        (lambda folder: (folder / "mask.png").unlink(), r"b-hue-shifted: neither mask\.png nor keypoints\.json"),
        (lambda folder: (folder / "meta.json").write_text("{"), r"b-hue-shifted/meta\.json: cannot read it as JSON"),
        (
            lambda folder: (folder / "keypoints.json").write_text("[[0.5, 0.5, true]]"),
            r"b-hue-shifted/keypoints\.json: expected 18 \[x, y, visible\] with x and y from 0 to 1",
        ),
        (
            lambda folder: (folder / "meta.json").write_text('{"category": "hat"}'),
            r"b-hue-shifted/meta\.json: category 'hat' is not one of top",
        ),
        (
            lambda folder: mask().resize((128, 192)).save(folder / "mask.png"),
            r"b-hue-shifted/mask\.png: size \(128, 192\) differs from the result's \(256, 384\)",
        ),
    ],
)
def test_a_missing_or_unreadable_part_is_named_by_folder_and_file(triples, damage, message):
    damage(triples / "b-hue-shifted")

    with pytest.raises(CommandError, match=message):
        tryon_eval(triples)


def test_a_folder_without_triples_or_a_job_is_refused(tmp_path):
    with pytest.raises(CommandError, match="no sub-folders"):
        tryon_eval(tmp_path)
    with pytest.raises(CommandError, match="give a folder PATH of triples, or --job/--batch"):
        tryon_eval()
    with pytest.raises(CommandError, match="not both"):
        tryon_eval(tmp_path, "--job", 1)


def test_a_keypoints_triple_is_scored_against_the_garment_warped_by_prompts_draft(tmp_path):
    draft = pytest.importorskip("prompts.draft")
    from prompts.cutout import garment_cutout
    from prompts.poses import POSE_LIBRARY

    keypoints = [list(point) for point in POSE_LIBRARY["hands-on-hips"].keypoints]
    layer = draft.DraftLayer(garment_cutout(product_photo()), "top")
    garment = draft.compose_draft(person(), [layer], keypoints, width=SIZE[0], height=SIZE[1]).garment
    folder = tmp_path / "triples" / "warped"
    write_triple(folder, Image.alpha_composite(person().convert("RGBA"), garment).convert("RGB"))
    (folder / "mask.png").unlink()
    (folder / "keypoints.json").write_text(json.dumps(keypoints))

    tryon_eval(tmp_path / "triples")

    (row,) = json.loads((tmp_path / "triples" / "tryon_eval.json").read_text())["rows"]
    assert row["garment_from"] == "keypoints.json" and row["passes"], row
    assert row["scores"]["pose_error"] is None and row["scores"]["pose_note"] == "no keypoint detector weights"


@pytest.mark.django_db
def test_jobs_and_batches_show_the_scores_stored_with_their_images(shop):
    from generation.scoring import FidelityScores
    from tests.tryon.gallery import finished_job
    from tryon.jobs.models import GeneratedImage, TryOnBatch

    first, second, third = (finished_job(shop, seed=seed, images=2 if seed == 1 else 1) for seed in (1, 2, 3))
    good = FidelityScores(0.8, 2.5, 0.91, 0.95, 0.98, 0.01, 0.04)
    bad = FidelityScores(14.0, 30.0, 0.5, 0.9, 0.6, 0.02, None, "no keypoint detector weights")
    GeneratedImage.objects.filter(job=first, index=0).update(scores=good.to_dict())
    GeneratedImage.objects.filter(job=first, index=1).update(scores=bad.to_dict())
    GeneratedImage.objects.filter(job=second).update(scores=good.to_dict())
    batch = TryOnBatch.objects.create(merchant=shop["merchant"], preset="tiny")
    batch.jobs.add(second, third)

    out, _err = tryon_eval("--job", first.id, "--batch", batch.id)

    lines = out.splitlines()
    assert [line.split("  ")[0] for line in lines[1:]] == [
        f"job {first.id} #0",
        f"job {first.id} #1",
        f"job {second.id} #0",
        f"job {third.id} #0",
        "mean",
    ]
    assert lines[1].endswith("pass") and "fail: colour ΔE median, coverage" in lines[2]
    assert lines[4].endswith("not scored") and lines[5].endswith("2/4 pass")
    assert "  0.04  " not in lines[5] and " 0.040" in lines[5]  # pose: the mean of the two that measured it


@pytest.mark.django_db
def test_an_unknown_job_or_batch_is_named():
    with pytest.raises(CommandError, match=r"^--job 999999: no such try-on job"):
        tryon_eval("--job", 999999)
    with pytest.raises(CommandError, match=r"^--batch 999999: no such batch"):
        tryon_eval("--batch", 999999)


@pytest.mark.django_db
def test_stored_scores_are_gated_by_the_merchants_own_thresholds(shop, tmp_path):
    from generation.scoring import FidelityScores
    from tests.tryon.gallery import finished_job
    from tryon.jobs.models import GeneratedImage

    job = finished_job(shop, seed=1)
    scores = FidelityScores(0.8, 2.5, 0.91, 0.95, 0.98, 0.01, None)
    GeneratedImage.objects.filter(job=job).update(scores=scores.to_dict())
    shop["merchant"].quality_thresholds = {"*": {"max_delta_e_median": 0.5}}
    shop["merchant"].save()

    out, _err = tryon_eval("--job", job.id, "--json", tmp_path / "jobs.json")

    written = json.loads((tmp_path / "jobs.json").read_text())
    assert written["thresholds"]["max_delta_e_median"] == 0.5
    assert written["rows"][0]["failures"] == ["colour ΔE median 0.80 is above the maximum 0.5"]
    assert out.splitlines()[1].endswith("fail: colour ΔE median")
