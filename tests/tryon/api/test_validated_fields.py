"""Request bodies are validated with DRF serializers whose fields are built once per thread (tryon.api.apis.base):
each body must still be judged on its own, as if its serializer were new."""

import contextlib
import threading

import pytest
from rest_framework import serializers

from tryon.api.apis import base
from tryon.api.apis.base import validated
from tryon.api.serializers import TryOnCreateInput

pytestmark = pytest.mark.django_db  # the API tests' fixtures

PICKS = {"fashion_model_id": 3, "pose_id": 4, "scene_id": 5}


def errors_of(data) -> dict:
    with pytest.raises(serializers.ValidationError) as refused:
        validated(TryOnCreateInput, data)
    return refused.value.detail


def test_a_body_is_judged_on_its_own_whatever_came_before_it_on_the_thread():
    first = errors_of({**PICKS, "seed": -1, "method": "paint"})
    answer = validated(TryOnCreateInput, {**PICKS, "catalog_item_id": 9, "seed": 7})
    second = errors_of({"pose_id": "x", "scene_id": 5, "samples": 9})

    assert set(first) == {"seed", "method"}
    assert answer == {**PICKS, "catalog_item_id": 9, "seed": 7, "samples": 1, "method": "warp"}
    assert set(second) == {"pose_id", "samples", "fashion_model_id"}  # no seed or method error left from the first
    assert validated(TryOnCreateInput, {**PICKS, "seed": 8})["seed"] == 8


def test_the_fields_are_built_once_per_thread():
    validated(TryOnCreateInput, PICKS)
    here = base._built.fields[TryOnCreateInput]
    validated(TryOnCreateInput, PICKS)
    elsewhere = {}

    def validate_on_another_thread():
        elsewhere["answer"] = validated(TryOnCreateInput, {**PICKS, "seed": 1})
        elsewhere["fields"] = base._built.fields[TryOnCreateInput]

    thread = threading.Thread(target=validate_on_another_thread)
    thread.start()
    thread.join()

    assert base._built.fields[TryOnCreateInput] is here  # the same fields, re-pointed at each serializer
    assert elsewhere["fields"] is not here and elsewhere["answer"]["seed"] == 1


class Varying(serializers.Serializer):
    """Fields chosen per instance (get_fields overridden): never kept."""

    def get_fields(self):
        return {"size": serializers.IntegerField(max_value=self.context.get("largest", 10))}


def test_a_serializer_whose_fields_vary_is_built_each_time():
    assert validated(Varying, {"size": 3}) == {"size": 3}
    assert Varying not in getattr(base._built, "fields", {})


@pytest.mark.parametrize("body", [{**PICKS, "seed": 3}, {**PICKS, "seed": -3}])
def test_the_kept_fields_hold_nothing_of_the_last_body(body):  # a shopper's photo must not outlive its request
    with contextlib.suppress(serializers.ValidationError):
        validated(TryOnCreateInput, body)

    fields = base._built.fields[TryOnCreateInput]
    assert fields.serializer is None and all(field.parent is None for field in fields.values())
