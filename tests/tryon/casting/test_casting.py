"""A merchant without photo shoots casts fashion models: N candidates, each a portrait and a neutral full-body
reference of one person; the merchant keeps the ones they like, and each kept one is a FashionModel whose later
renders condition on its references."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from prompts.casting import CastingAttributes, cast
from prompts.poses import POSE_LIBRARY
from tests.factories import MerchantFactory, PoseFactory, shop_with_picks
from tests.tryon.casting.stories import BRIEF, cast_ready, casting_jobs, render_casting
from tryon.casting.models import CastingCandidate
from tryon.casting.selectors import casting_state
from tryon.casting.services import CastingStateError, casting_candidate_keep, casting_create
from tryon.catalog.models import FashionModel
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import tryon_job_create

pytestmark = pytest.mark.django_db


def test_a_cast_of_three_gives_three_candidates_each_with_a_portrait_and_a_full_body_of_the_same_person(
    django_capture_on_commit_callbacks,
):
    merchant = MerchantFactory()
    with django_capture_on_commit_callbacks() as queued:
        casting = casting_create(merchant=merchant, attributes=BRIEF, count=3, seed=11)
    assert queued, "the portraits are sent to the workers once the casting commits"
    assert casting_state(casting)["status"] == "queued"
    portraits = casting_jobs(casting)
    assert len(portraits) == 3 and {job.priority for job in portraits} == {"batch"}  # behind shoppers

    render_casting(casting, django_capture_on_commit_callbacks)

    casting.refresh_from_db()
    state = casting_state(casting)
    assert state["status"] == "succeeded" and state["progress"] == 1.0
    candidates = list(casting.candidates.order_by("index"))
    assert [c.index for c in candidates] == [0, 1, 2]
    assert len({c.identity_prompt for c in candidates}) == 3, "each candidate has a face of their own"
    for candidate in candidates:
        assert candidate.portrait and candidate.full_body
        assert default_storage.exists(candidate.portrait.name) and default_storage.exists(candidate.full_body.name)
        portrait, full_body = candidate.portrait_job, candidate.full_body_job
        assert portrait.status == full_body.status == TryOnJob.Status.SUCCEEDED
        assert portrait.plan["width"] < portrait.plan["height"] < full_body.plan["height"]  # head, then whole body
        # The full body is conditioned on the portrait, starts from the same seed and says the same words
        assert full_body.plan["identity_references"] == [
            {"name": candidate.portrait.name, "sha256": candidate.portrait_sha256}
        ]
        assert portrait.seed == full_body.seed == candidate.seed
        for plan in (portrait.plan, full_body.plan):
            assert candidate.identity_prompt in plan["prompt"] and candidate.hair in plan["prompt"]
        assert "full-body" in full_body.plan["prompt"] and "head-and-shoulders" in portrait.plan["prompt"]
        assert state["candidates"][candidate].status == "ready"


def test_keeping_a_candidate_makes_a_fashion_model_with_its_references_and_keeping_it_twice_is_refused(
    django_capture_on_commit_callbacks,
):
    merchant = MerchantFactory()
    casting = casting_create(merchant=merchant, attributes=BRIEF, count=1, seed=5)
    render_casting(casting, django_capture_on_commit_callbacks)
    candidate = casting.candidates.get()

    amara = casting_candidate_keep(candidate=candidate, name="  Amara ")

    amara.refresh_from_db()
    assert amara.merchant == merchant and amara.name == "Amara"
    assert (amara.gender_presentation, amara.age_range, amara.body_type, amara.skin_tone, amara.height_cm) == (
        "feminine", "25-34", "curvy", "brown", 178,
    )  # fmt: skip
    assert amara.hair == candidate.hair == "long wavy auburn hair"
    assert amara.identity_seed == candidate.seed and amara.identity_prompt == candidate.identity_prompt
    assert not amara.reference_photo  # renders generate the person, conditioned on the identity
    for field, source in (("identity_portrait", candidate.portrait), ("identity_full_body", candidate.full_body)):
        stored = getattr(amara, field)
        assert stored.name.startswith(f"fashion-models/{merchant.id}/") and stored.name != source.name
        assert stored.read() == source.open().read()
    assert amara.identity_portrait_sha256 == candidate.portrait_sha256
    assert amara.identity_full_body_sha256 == candidate.full_body_sha256
    candidate.refresh_from_db()
    assert candidate.kept_as == amara and casting_state(casting)["candidates"][candidate].status == "kept"

    with pytest.raises(CastingStateError, match="already kept, as the fashion model 'Amara'"):
        casting_candidate_keep(candidate=candidate, name="Amara again")
    assert FashionModel.objects.filter(merchant=merchant).count() == 1


def test_a_candidate_is_kept_only_once_both_images_are_there_and_with_a_name(django_capture_on_commit_callbacks):
    casting = casting_create(merchant=MerchantFactory(), attributes=BRIEF, count=1, seed=6)
    candidate = casting.candidates.get()

    with pytest.raises(CastingStateError, match="no portrait yet"):
        casting_candidate_keep(candidate=candidate, name="Too soon")
    render_casting(casting, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as refused:
        casting_candidate_keep(candidate=candidate, name="   ")
    assert refused.value.message_dict == {"name": ["Give the fashion model a name."]}
    assert not FashionModel.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"gender_presentation": "robot"}, "gender_presentation"),
        ({"age_range": "12-17"}, "age_range"),
        ({"body_type": ""}, "body_type"),
        ({"skin_tone": 3}, "skin_tone"),
        ({"height_cm": 90}, "height_cm"),
        ({"height_cm": "tall"}, "height_cm"),
        ({"hair_colour": "green"}, "hair_colour"),
        ({"hair_style": "mohawk"}, "hair_style"),
        ({"note": "x" * 301}, "note"),
        ({"favourite_colour": "red"}, "favourite_colour"),
    ],
)
def test_a_brief_with_a_bad_attribute_is_refused_naming_it_and_queues_nothing(change, field):
    with pytest.raises(ValidationError) as refused:
        casting_create(merchant=MerchantFactory(), attributes={**BRIEF, **change}, count=2)

    assert list(refused.value.message_dict) == [field]
    assert not TryOnJob.objects.exists() and not CastingCandidate.objects.exists()


@pytest.mark.parametrize("count", [0, 9, "3", True])
def test_a_cast_is_of_one_to_eight_candidates(count):
    with pytest.raises(ValidationError) as refused:
        casting_create(merchant=MerchantFactory(), attributes=BRIEF, count=count)
    assert list(refused.value.message_dict) == ["count"]


def test_the_same_brief_and_seed_casts_the_same_people_and_another_seed_other_people():
    wanted = CastingAttributes(**BRIEF)
    assert cast(wanted, count=4, seed=1) == cast(wanted, count=4, seed=1)
    assert {c.identity_prompt for c in cast(wanted, count=4, seed=1)} != {
        c.identity_prompt for c in cast(wanted, count=4, seed=2)
    }


def test_every_later_render_of_a_kept_model_is_conditioned_on_its_portrait_words_and_seed():
    shop = shop_with_picks()
    candidate = cast_ready(shop["merchant"]).candidates.get()
    amara = casting_candidate_keep(candidate=candidate, name="Amara")
    other_pose = PoseFactory(merchant=shop["merchant"], name="Walking", keypoints=POSE_LIBRARY["walking"].keypoints)

    plans = [
        tryon_job_create(**{**shop, "fashion_model": amara, "pose": pose}, method="text", enqueue=False).plan
        for pose in (shop["pose"], other_pose)
    ]

    portrait = {"name": amara.identity_portrait.name, "sha256": amara.identity_portrait_sha256}
    for plan in plans:
        assert plan["identity_references"] == [portrait] and amara.identity_prompt in plan["prompt"]
    assert plans[0]["controlnet_units"] != plans[1]["controlnet_units"]  # another pose, the same person


@pytest.mark.django_db(transaction=True)
def test_with_real_commits_the_outbox_event_of_each_portrait_queues_its_full_body():
    """No test hooks: tasks run eagerly as each transaction commits, as a worker would pick them up."""
    casting = casting_create(merchant=MerchantFactory(), attributes=BRIEF, count=1, seed=21)

    candidate = CastingCandidate.objects.get(casting=casting)
    assert candidate.portrait and candidate.full_body and casting_state(casting)["status"] == "succeeded"
    assert candidate.full_body_job.plan["identity_references"][0]["sha256"] == candidate.portrait_sha256
