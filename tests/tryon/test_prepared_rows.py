"""The reads every submission makes are compiled once per process (tryon.rows.PreparedRows): each call must
still answer exactly what the ORM would for its own values, and a build that would answer wrongly is refused."""

import pytest
from django.db.models import Q

from tests.factories import FashionModelFactory, MerchantFactory, PoseFactory
from tryon.catalog.models import FashionModel, Pose
from tryon.rows import PreparedRows

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
