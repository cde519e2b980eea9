"""A cast fashion model looks like itself in every render: its portrait, words and seed go into every plan, and
each render's face is scored against the portrait, stored with the image, shown in the gallery and gated."""

import dataclasses
import hashlib
import io

import huggingface_hub
import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image

from generation import presets
from prompts import POSE_LIBRARY, GenerationPlan, ImageRef
from tests.factories import FashionModelFactory, MerchantFactory, PoseFactory, SceneFactory, StaffFactory
from tests.tryon.garment_photos import striped_garment, upload
from tryon.catalog.services import garment_create
from tryon.jobs.models import PersonRender, TryOnJob
from tryon.jobs.rendering import tryon_job_render
from tryon.jobs.services import tryon_job_create

pytestmark = pytest.mark.django_db
LENIENT = {"max_delta_e_median": 100, "min_pattern_ssim": -1, "min_edge_agreement": 0, "min_coverage": 0,
           "max_leakage": 1}  # fmt: skip


def portrait_png() -> bytes:
    pixels = np.random.default_rng(7).integers(0, 255, (96, 64, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def merchant():
    return MerchantFactory()


@pytest.fixture
def amara(merchant):
    """A fashion model the merchant cast: a portrait, fixed words and a seed (tryon.casting keeps them so)."""
    model = FashionModelFactory(merchant=merchant, name="Amara", height_cm=181)
    data = portrait_png()
    model.identity_portrait.save("amara-portrait.png", ContentFile(data), save=False)
    model.identity_portrait_sha256 = hashlib.sha256(data).hexdigest()
    model.identity_prompt = "Amara, high cheekbones, a small scar above the left eyebrow"
    model.identity_seed = 424242
    model.save()
    return model


@pytest.fixture
def breton(merchant):
    return garment_create(merchant=merchant, name="Breton tee", category="top", image=upload(striped_garment()))


def job_of(merchant, fashion_model, garment, *, pose=None, **options) -> TryOnJob:
    return tryon_job_create(
        merchant=merchant,
        garments=[garment],
        fashion_model=fashion_model,
        pose=pose or PoseFactory(merchant=merchant),
        scene=SceneFactory(merchant=merchant),
        enqueue=False,
        **options,
    )


def test_two_poses_of_a_cast_model_carry_the_same_portrait_words_and_person_seed(merchant, amara, breton):
    walking = PoseFactory(merchant=merchant, name="Walking", keypoints=POSE_LIBRARY["walking"].keypoints)
    standing = GenerationPlan.from_dict(job_of(merchant, amara, breton).plan)
    walks = GenerationPlan.from_dict(job_of(merchant, amara, breton, pose=walking).plan)

    portrait = ImageRef(amara.identity_portrait.name, amara.identity_portrait_sha256)
    for plan in (standing, walks):
        person = plan.person  # warp: the face is painted in stage 1
        assert person.identity_references == (portrait,)
        assert "amara, high cheekbones, a small scar above the left eyebrow" in person.prompt
        assert "a tall athletic woman" in person.prompt
        assert person.seed == 424242
    assert standing.person.controlnet_units != walks.person.controlnet_units  # two poses, one person


def test_a_render_of_a_cast_model_stores_its_face_score_and_the_gallery_shows_it(merchant, amara, breton, client):
    job = job_of(merchant, amara, breton, preset="tiny-tryon")

    tryon_job_render(job_id=job.id)

    job.refresh_from_db()
    assert job.status == TryOnJob.Status.SUCCEEDED, job.error
    image = job.images.get()
    similarity = image.scores["identity_similarity"]
    assert isinstance(similarity, float) and -1 <= similarity <= 1  # tiny-tryon's CLIP encoder compared them
    # The product's path, as sd15-tryon -> sd15: the stage-1 person was painted through the face adapter
    person = PersonRender.objects.get(merchant=merchant)
    with person.file.open("rb") as file, Image.open(file) as stored:
        assert "Identity: ip-adapter-plus-face 0.6" in stored.info["parameters"]
    assert "Identity: ip-adapter-plus-face 0.6" in image.parameters  # the warp names its stage-1 person's
    assert f"identity {similarity:.2f}" in image.parameters
    client.force_login(StaffFactory(merchant=merchant))
    gallery = client.get(reverse("admin:jobs_generatedimage_changelist")).content.decode()
    assert f"Identity <b>{similarity:.2f}</b>" in gallery


def test_a_model_that_was_not_cast_has_no_face_score(merchant, breton, client):
    job = job_of(merchant, FashionModelFactory(merchant=merchant), breton, preset="tiny-tryon")

    tryon_job_render(job_id=job.id)

    image = TryOnJob.objects.get(pk=job.id).images.get()
    assert image.scores["identity_similarity"] is None and "Identity" not in image.parameters
    client.force_login(StaffFactory(merchant=merchant))
    assert "Identity <b>" not in client.get(reverse("admin:jobs_generatedimage_changelist")).content.decode()


@pytest.fixture
def strict_about_faces(merchant, monkeypatch, settings):
    """Every preset's gate on with one retry, and a face score no render reaches: only the face can fail."""
    for name in ("tiny", "tiny-tryon"):
        monkeypatch.setitem(presets.PRESETS, name, dataclasses.replace(presets.PRESETS[name], quality_gate=True))
    settings.TRYON_QUALITY_RETRIES = 1
    merchant.quality_thresholds = {"*": {**LENIENT, "min_identity_similarity": 1}}  # no render is the portrait
    merchant.save()


def test_a_face_unlike_the_portrait_fails_the_quality_gate_naming_identity(merchant, amara, breton, strict_about_faces):
    job = job_of(merchant, amara, breton, preset="tiny", method="text")  # generated: every seed paints the face

    tryon_job_render(job_id=job.id)

    job.refresh_from_db()
    assert job.status == TryOnJob.Status.SUCCEEDED, job.error
    assert GenerationPlan.from_dict(job.plan).mode == "generate"
    assert len(job.quality_attempts) == 2  # tried again with the next seed
    image = job.images.get()
    assert [reason.split(" ")[:2] for reason in image.quality_failures] == [["identity", "similarity"]]


def test_a_warp_onto_a_cached_stage_1_person_stores_its_face_score_without_burning_retries_on_it(
    merchant, amara, breton, strict_about_faces
):
    # A retry reseeds only the garments' inpainting; the face is the stage-1 person's, the same on every attempt
    job = job_of(merchant, amara, breton, preset="tiny-tryon")

    tryon_job_render(job_id=job.id)

    job.refresh_from_db()
    assert job.status == TryOnJob.Status.SUCCEEDED, job.error
    assert len(job.quality_attempts) == 1 and job.images.get().quality_failures == []
    scores = job.images.get().scores
    assert -1 <= scores["identity_similarity"] < 1  # measured and stored, below the limit all the same
    assert "not gated" in scores["identity_note"] and "stage-1 person" in scores["identity_note"]


def test_pulling_a_preset_with_a_face_adapter_downloads_it(monkeypatch):
    fetched = []

    def download(repo, **options):  # the Hub as seen offline: it takes every request, nothing lands
        if options.get("local_files_only"):
            raise OSError(f"{repo} is not in the cache")
        fetched.append((repo, options["allow_patterns"]))

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(huggingface_hub, "snapshot_download", download)
    with pytest.raises(CommandError, match="is not on this machine"):  # nothing landed: no manifest to write
        call_command("tryon_models", "pull", "sd15", stdout=io.StringIO(), stderr=io.StringIO())

    assert ("h94/IP-Adapter", ["models/ip-adapter-plus-face_sd15.safetensors", "models/image_encoder/config.json",
                               "models/image_encoder/model.safetensors"]) in fetched  # fmt: skip
