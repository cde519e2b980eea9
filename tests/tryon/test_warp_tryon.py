"""A merchant's own garment in every render: cut out on upload, warped onto the person as an instant draft,
then refined; the person is rendered once per model, pose and scene and shared by every garment."""

import dataclasses
import hashlib
import io

import numpy as np
import pytest
from django.core.files.base import ContentFile
from PIL import Image

import generation
from prompts import POSE_LIBRARY
from tests.factories import FashionModelFactory, MerchantFactory, PoseFactory, SceneFactory
from tests.tryon.garment_photos import NAVY, RED, TROUSERS, striped_garment, upload
from tryon.catalog.services import garment_create
from tryon.jobs.models import PersonRender, TryOnJob
from tryon.jobs.rendering import tryon_job_render
from tryon.jobs.selectors import tryon_job_status
from tryon.jobs.services import tryon_job_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant():
    return MerchantFactory()


@pytest.fixture
def breton(merchant):
    return garment_create(
        merchant=merchant, name="Breton tee", category="top", image=upload(striped_garment()), colour="#1f3a5f"
    )


@pytest.fixture
def picks(merchant):
    return {
        "fashion_model": FashionModelFactory(merchant=merchant),
        "pose": PoseFactory(merchant=merchant),
        "scene": SceneFactory(merchant=merchant),
    }


@pytest.fixture
def renders(monkeypatch):
    """Every engine render, by plan mode: what the worker asked the GPU for."""
    calls = []
    real = generation.render

    def counted(plan, **kwargs):
        calls.append(plan.mode)
        return real(plan, **kwargs)

    monkeypatch.setattr(generation, "render", counted)
    return calls


def near(pixels: np.ndarray, colour, tolerance=60) -> np.ndarray:
    return np.abs(pixels.astype(int) - np.array(colour)).sum(axis=-1) < tolerance


def test_an_uploaded_garment_is_cut_out_of_its_photo_once(breton):
    assert breton.cutout and len(breton.cutout_sha256) == 64 and not breton.cutout_error
    with breton.cutout.open() as stored, Image.open(stored) as cutout:
        alpha = np.asarray(cutout.getchannel("A"))
    assert 0.3 < (alpha > 0).mean() < 0.8  # the tee, without the white around it


def test_a_shopper_sees_their_garment_on_the_model_before_any_diffusion(merchant, breton, picks, renders):
    job = tryon_job_create(merchant=merchant, garments=[breton], enqueue=False, **picks)

    assert job.plan["mode"] == "warp" and renders == []
    status = tryon_job_status(TryOnJob.objects.get(pk=job.pk))
    assert status["draft"] and status["images"] == []
    with job.draft.open() as stored, Image.open(stored) as draft:
        pixels = np.asarray(draft.convert("RGB"))
    torso = pixels[
        int(0.3 * pixels.shape[0]) : int(0.45 * pixels.shape[0]),
        int(0.4 * pixels.shape[1]) : int(0.6 * pixels.shape[1]),
    ]
    navy, red = near(torso, NAVY), near(torso, RED)
    assert (navy | red).mean() > 0.6 and navy.mean() > 0.1 and red.mean() > 0.1  # the stripes, on the chest


def test_the_render_replaces_the_draft_with_scores_in_the_image_and_its_infotext(merchant, breton, picks):
    job = tryon_job_create(merchant=merchant, garments=[breton], enqueue=False, **picks)

    tryon_job_render(job_id=job.id)

    job.refresh_from_db()
    assert job.status == TryOnJob.Status.SUCCEEDED, job.error
    image = job.images.get()
    assert set(image.scores) >= {"colour_delta_e_median", "pattern_ssim", "coverage", "leakage", "pose_error"}
    assert "Fidelity: " in image.parameters and "Try-on: " in image.parameters
    with image.file.open() as stored, Image.open(stored) as png:
        assert png.info["parameters"] == image.parameters
    assert image.garment_mask  # the region the scores measured, for the admin's overlay
    assert len(job.quality_attempts) == 1  # tiny's gate is off: random weights cannot pass it


def test_stage_1_persons_are_rendered_once_and_shared_by_every_garment(merchant, breton, renders):
    models = [FashionModelFactory(merchant=merchant) for _ in range(2)]
    walking = [list(point) for point in POSE_LIBRARY["walking"].keypoints]
    poses = [PoseFactory(merchant=merchant), PoseFactory(merchant=merchant, name="Walking", keypoints=walking)]
    scene = SceneFactory(merchant=merchant)
    trousers = garment_create(
        merchant=merchant, name="Striped trousers", category="bottom", image=upload(striped_garment(TROUSERS))
    )

    def render_all(garment):
        for model in models:
            for pose in poses:
                job = tryon_job_create(
                    merchant=merchant, garments=[garment], fashion_model=model, pose=pose, scene=scene, enqueue=False
                )
                tryon_job_render(job_id=job.id)
                assert TryOnJob.objects.get(pk=job.id).status == TryOnJob.Status.SUCCEEDED

    render_all(breton)
    assert renders.count("generate") == 4 and renders.count("warp") == 4
    render_all(trousers)
    assert renders.count("generate") == 4  # all 4 persons reused
    assert renders.count("warp") == 8
    assert PersonRender.objects.filter(merchant=merchant).count() == 4


def test_a_later_draft_dresses_the_rendered_person_not_the_silhouette(merchant, breton, picks):
    first = tryon_job_create(merchant=merchant, garments=[breton], enqueue=False, seed=1, **picks)
    tryon_job_render(job_id=first.id)
    person = PersonRender.objects.get()
    with person.file.open() as stored, Image.open(stored) as image:
        person_pixels = np.asarray(image.convert("RGB"))

    again = tryon_job_create(merchant=merchant, garments=[breton], enqueue=False, seed=2, **picks)

    with again.draft.open() as stored, Image.open(stored) as draft:
        corner = np.asarray(draft.convert("RGB"))[:12, :12].astype(int)
    assert np.abs(corner - person_pixels[:12, :12]).mean() < 6  # JPEG's loss, no more: the stage-1 render


def test_a_garment_photo_without_a_plain_background_is_drawn_from_words_and_the_job_says_so(merchant, picks):
    close_up = Image.new("RGB", (360, 420), (120, 30, 40))  # the fabric fills the frame: nothing to cut out
    busy = garment_create(merchant=merchant, name="Busy tee", category="top", image=upload(close_up))

    job = tryon_job_create(merchant=merchant, garments=[busy], enqueue=False, **picks)

    assert busy.cutout_error
    assert job.plan["mode"] == "generate" and not job.draft
    assert "Drawn from the description, not the photo" in job.notice and "Busy tee" in job.notice
    tryon_job_render(job_id=job.id)
    assert TryOnJob.objects.get(pk=job.id).status == TryOnJob.Status.SUCCEEDED


def test_the_text_method_stays_available(merchant, breton, picks):
    job = tryon_job_create(merchant=merchant, garments=[breton], method="text", enqueue=False, **picks)

    assert job.plan["mode"] == "generate" and not job.draft and not job.notice


def test_a_text_render_is_scored_against_the_garment_on_its_pose(merchant, breton, picks):
    job = tryon_job_create(merchant=merchant, garments=[breton], method="text", enqueue=False, **picks)

    tryon_job_render(job_id=job.id)

    image = TryOnJob.objects.get(pk=job.id).images.get()
    assert image.scores is not None and image.scores["coverage"] >= 0


def test_a_photo_is_dressed_by_its_own_keypoints(merchant, breton, picks):
    model = picks["fashion_model"]
    png = _png(Image.new("RGB", (512, 768), (90, 120, 150)))
    model.reference_photo.save("ada.png", ContentFile(png), save=False)
    model.reference_photo_sha256 = hashlib.sha256(png).hexdigest()
    model.photo_keypoints = [[min(1.0, x + 0.1), y, v] for x, y, v in POSE_LIBRARY["front-standing"].keypoints]
    model.photo_keypoints_source = "edited"
    model.save()

    job = tryon_job_create(merchant=merchant, garments=[breton], enqueue=False, **picks)

    assert job.plan["init_image"]["sha256"] == model.reference_photo_sha256 and job.plan["person"] is None
    assert job.plan["person_keypoints"][1][0] == pytest.approx(POSE_LIBRARY["front-standing"].keypoints[1][0] + 0.1)
    assert job.draft


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_batch_render_skips_the_draft_nobody_waits_for(merchant, breton, picks):
    job = tryon_job_create(
        merchant=merchant, garments=[breton], priority=TryOnJob.Priority.BATCH, enqueue=False, **picks
    )

    assert job.plan["mode"] == "warp" and not job.draft  # 500 combinations would cost the request seconds


def test_one_progress_bar_runs_over_the_person_and_the_refine(merchant, breton, picks):
    job = tryon_job_create(merchant=merchant, garments=[breton], enqueue=False, **picks)
    seen = []

    tryon_job_render(job_id=job.id, on_step=lambda step, total: seen.append((step, total)))

    job.refresh_from_db()
    person_steps, refine_steps = job.plan["person"]["steps"], int(job.plan["steps"] * job.plan["strength"])
    assert (job.steps_done, job.steps_total) == (person_steps + refine_steps,) * 2
    assert [step for step, _total in seen] == list(range(1, person_steps + refine_steps + 1))  # never backwards


def test_a_preset_that_cannot_warp_draws_from_words_and_says_why(merchant, breton, picks, monkeypatch):
    from generation import presets

    monkeypatch.setitem(presets.PRESETS, "tiny", dataclasses.replace(presets.TINY, modes=("generate", "refine")))

    job = tryon_job_create(merchant=merchant, garments=[breton], enqueue=False, **picks)

    assert job.plan["mode"] == "generate" and "preset 'tiny' does not render warp" in job.notice


def test_two_first_drafts_of_the_same_picks_at_once_leave_one_file(merchant, breton, picks, monkeypatch):
    from django.core.files.storage import default_storage

    first = tryon_job_create(merchant=merchant, garments=[breton], enqueue=False, seed=1, **picks)
    # The second request looked before the first had stored its draft: both compose it, both store it.
    real_exists, looks = default_storage.exists, []

    def exists(name):  # its one look for the draft misses; storage's own looks (naming a copy) see the truth
        looks.append(name)
        return len(looks) > 1 and real_exists(name)

    monkeypatch.setattr(default_storage, "exists", exists)

    second = tryon_job_create(merchant=merchant, garments=[breton], enqueue=False, seed=2, **picks)

    assert second.draft.name == first.draft.name
    folder = first.draft.name.rsplit("/", 1)[0]
    assert default_storage.listdir(folder)[1] == [first.draft.name.rsplit("/", 1)[1]]  # no orphan copy
