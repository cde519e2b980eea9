"""The reads and the job INSERT every submission makes are compiled once per process (tryon.rows.PreparedRows,
PreparedInsert): each call must still read or write exactly what the ORM would for its own values, and a build
that would answer wrongly is refused."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, Q, Value
from django.db.models.signals import post_save
from django.forms.models import model_to_dict
from django.utils import timezone

from tests.factories import FashionModelFactory, MerchantFactory, PoseFactory, SceneFactory
from tryon.catalog.models import FashionModel, Pose
from tryon.jobs.models import TryOnJob
from tryon.rows import PreparedInsert, PreparedRows

pytestmark = pytest.mark.django_db


def by_id(*, merchant_id, fashion_model_id, pose_id):
    return {
        "fashion_model": FashionModel.objects.filter(merchant_id=merchant_id, pk=fashion_model_id),
        "pose": Pose.objects.filter(merchant_id=merchant_id, pk=pose_id),
    }


def test_each_call_answers_for_its_own_values_from_one_compiled_statement():
    first, second = MerchantFactory(), MerchantFactory()
    rows = {
        merchant: (FashionModelFactory(merchant=merchant), PoseFactory(merchant=merchant))
        for merchant in (first, second)
    }
    picks = PreparedRows(by_id)

    for merchant, (model, pose) in rows.items():
        found = picks(merchant_id=merchant.id, fashion_model_id=model.id, pose_id=pose.id)
        assert found == {"fashion_model": [model], "pose": [pose]}
        assert found["fashion_model"][0].name == model.name and found["pose"][0].keypoints == pose.keypoints

    assert len(picks._compiled) == 1  # one shape: compiled once, bound twice
    other_model = rows[second][0]  # another merchant's model is not this merchant's pick
    assert picks(merchant_id=first.id, fashion_model_id=other_model.id, pose_id=rows[first][1].id) is None


def test_lists_of_different_lengths_are_shapes_of_their_own():
    merchant = MerchantFactory()
    poses = [PoseFactory(merchant=merchant, name=name) for name in ("Walking", "Arms crossed", "Standing")]
    listed = PreparedRows(lambda *, ids: {"poses": Pose.objects.filter(pk__in=ids)})

    assert listed(ids=[poses[0].id])["poses"] == [poses[0]]
    assert listed(ids=[pose.id for pose in poses])["poses"] == sorted(poses, key=lambda pose: (pose.name, pose.id))
    assert len(listed._compiled) == 2


def test_constants_of_the_shape_stay_and_values_are_bound():
    merchant = MerchantFactory()
    walking, standing = PoseFactory(merchant=merchant, name="Walking"), PoseFactory(merchant=merchant, name="Standing")
    named = PreparedRows(
        lambda names, *, merchant_id: {"poses": Pose.objects.filter(Q(name__in=names), merchant_id=merchant_id)},
        optional=True,
    )

    assert named(("Walking",), merchant_id=merchant.id)["poses"] == [walking]
    assert named(("Standing",), merchant_id=merchant.id)["poses"] == [standing]  # another shape, not a stale one
    assert named(("Sitting",), merchant_id=merchant.id)["poses"] == []  # optional: no row, an empty list


def test_a_value_that_would_not_reach_the_sql_unchanged_is_refused_at_its_first_compile():
    searched = PreparedRows(lambda *, text: {"poses": Pose.objects.filter(name__icontains=text)})
    both = PreparedRows(lambda *, text: {"poses": Pose.objects.filter(Q(name=text) | Q(name__icontains=text))})

    with pytest.raises(ValueError, match="text"):
        searched(text="walk")
    with pytest.raises(ValueError, match="text"):  # bound where it is used as is, and transformed where it is not
        both(text="walk")


def test_constants_equal_in_python_but_not_in_sql_are_shapes_of_their_own():
    merchant = MerchantFactory()
    first = FashionModelFactory(merchant=merchant, height_cm=1)
    by_height = PreparedRows(
        lambda height, *, merchant_id: {
            "models": FashionModel.objects.filter(merchant_id=merchant_id, height_cm=height)
        }
    )

    assert by_height(1, merchant_id=merchant.id)["models"] == [first]
    by_height(True, merchant_id=merchant.id)
    by_height(1.0, merchant_id=merchant.id)

    assert len(by_height._compiled) == 3


@pytest.mark.parametrize("value", [None, 1.5, [], [1, "a"], {"id": 1}])
def test_only_ints_strings_and_lists_of_them_are_bound(value):
    prepared = PreparedRows(lambda *, pk: {"poses": Pose.objects.filter(pk=pk)})

    with pytest.raises(TypeError, match="pk"):
        prepared(pk=value)


# --- PreparedInsert: a new try-on's row, its INSERT compiled once ---


def job_values(merchant) -> dict:
    return {
        "merchant": merchant,
        "fashion_model": FashionModelFactory(merchant=merchant),
        "pose": PoseFactory(merchant=merchant),
        "scene": SceneFactory(merchant=merchant),
        "plan": {"prompt": "a linen dress", "keypoints": [[0.5, 0.25, True]], "ratio": 0.75, "person": None},
        "preset": "tiny",
        "style": "studio",
        "steps_total": 4,
        "notice": "Drawn from the description, not the photo.",
        "draft": "drafts/draft-1.jpg",
        "enqueued_at": timezone.now(),
    }


def unique(seed: int) -> dict:
    return {"seed": seed, "cache_key": f"key-{seed}", "plan_fingerprint": f"{seed:064x}"}


def stored(job: TryOnJob) -> dict:
    row = model_to_dict(TryOnJob.objects.get(pk=job.pk))
    return {name: value for name, value in row.items() if name not in ("id", *unique(0))}


def test_a_prepared_insert_stores_the_row_that_create_would():
    values = job_values(MerchantFactory())
    new_job = PreparedInsert(TryOnJob)
    made = TryOnJob.objects.create(**values, **unique(1))

    for seed in (2, 3):  # the first compiles, the second only binds
        job = new_job(**values, **unique(seed))

        assert job.pk and not job._state.adding and job.seed == seed
        assert stored(job) == stored(made)
        assert TryOnJob.objects.get(pk=job.pk).created_at == job.created_at  # auto_now_add, as create() sets it
    assert list(new_job._sql) == [connection.vendor]


def test_a_prepared_insert_keeps_the_constraints_of_the_table():
    merchant = MerchantFactory()
    new_job = PreparedInsert(TryOnJob)
    values = job_values(merchant)
    new_job(**values, **unique(7))

    with pytest.raises(IntegrityError), transaction.atomic():  # the same live render twice (tryon_job_create)
        new_job(**values, **{**unique(8), "cache_key": "key-7"})


def test_where_create_would_do_more_create_runs():
    values = job_values(MerchantFactory())
    new_job = PreparedInsert(TryOnJob)
    heard = []

    def listener(sender, instance, created, **kwargs):
        heard.append((instance.seed, created))

    post_save.connect(listener, sender=TryOnJob)
    try:
        new_job(**values, **unique(4))  # someone listens for saves: they hear this one
    finally:
        post_save.disconnect(listener, sender=TryOnJob)
    job = new_job(**{**values, "steps_total": Value(6)}, **unique(5))  # an expression: create() resolves it

    assert heard == [(4, True)]
    assert TryOnJob.objects.get(pk=job.pk).steps_total == 6
    assert new_job._sql == {}  # neither was prepared


def test_a_model_with_its_own_save_is_refused(monkeypatch):
    monkeypatch.setattr(TryOnJob, "save", lambda self, *args, **kwargs: Model.save(self, *args, **kwargs))

    with pytest.raises(ValueError, match="TryOnJob: a prepared insert is for a plain model"):
        PreparedInsert(TryOnJob)
