"""What a hand or a script types into the admin: a pose's keypoints as JSON nested 50,000 deep, NaN, or text
PostgreSQL cannot hold is explained next to the field, nothing saved; a list filter holding a NUL shows the
list unfiltered. Nothing answers 500."""

import json

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory
from django.utils.html import escape

from tests.factories import FRONT_STANDING, PoseFactory, StaffFactory
from tryon.catalog.models import Pose
from tryon.json_input import BoundedJSONFormField
from tryon.merchants.models import User

pytestmark = pytest.mark.django_db

STANDING = [list(point) for point in FRONT_STANDING.keypoints]
DEEP = "[" * 50_000 + "]" * 50_000
REFUSED = {
    "50,000 deep": (DEEP, "nested more than 32 levels deep"),
    "NaN": (json.dumps([[float("nan"), 0.5, True], *STANDING[1:]]), "NaN is not a JSON number"),
    "NUL": (json.dumps([["\u0000", 0.5, True], *STANDING[1:]]), "NUL characters or unpaired surrogates"),
    "lone surrogate": (json.dumps(STANDING)[:-1] + ', "\\udc00"]', "NUL characters or unpaired surrogates"),
}


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


def keypoint_errors(response) -> str:
    return " ".join(response.context["adminform"].form.errors.get("keypoints", []))


@pytest.mark.parametrize("keypoints, message", REFUSED.values(), ids=REFUSED)
def test_keypoints_a_database_or_a_parser_cannot_take_are_explained_by_the_field(client, staff, keypoints, message):
    added = client.post("/admin/catalog/pose/add/", {"name": "Hands up", "keypoints": keypoints})
    pose = PoseFactory(merchant=staff.merchant, name="Standing")
    changed = client.post(f"/admin/catalog/pose/{pose.id}/change/", {"name": "Hands up", "keypoints": keypoints})

    for response in (added, changed):
        assert response.status_code == 200
        assert message in keypoint_errors(response)
    assert list(Pose.objects.values_list("name", flat=True)) == ["Standing"]
    pose.refresh_from_db()
    assert pose.keypoints == STANDING
    assert escape(keypoints[:200]) in changed.content.decode()  # shown again as typed, to be corrected


def test_keypoints_within_bounds_still_save(client, staff):
    response = client.post("/admin/catalog/pose/add/", {"name": "Standing", "keypoints": json.dumps(STANDING)})

    assert response.status_code == 302
    assert Pose.objects.get(merchant=staff.merchant).keypoints == STANDING


def test_every_json_field_in_every_admin_form_is_bounded():
    """A JSON field added to any model later is bounded too, or this fails."""
    request = RequestFactory().get("/admin/")
    request.user = User.objects.create_superuser("operator", password="x")
    json_fields = []
    for model, model_admin in admin.site._registry.items():
        form = model_admin.get_form(request, None)
        for name, field in form.base_fields.items():
            if isinstance(field, forms.JSONField):
                json_fields.append(f"{model._meta.label}.{name}")
                assert isinstance(field, BoundedJSONFormField), f"{model._meta.label}.{name} is not bounded"
    assert "catalog.Pose.keypoints" in json_fields


def filter_parameters(model_admin) -> list[str]:
    """The query parameters of an admin's list filters and search."""
    names = ["q"] if model_admin.search_fields else []
    for list_filter in model_admin.list_filter:
        if isinstance(list_filter, str):
            names += [list_filter, f"{list_filter}__exact"]
        elif hasattr(list_filter, "parameter_name"):
            names.append(list_filter.parameter_name)
        else:
            names.append(f"{list_filter[0]}__exact")
    return names


ADMINS = sorted(admin.site._registry.items(), key=lambda entry: entry[0]._meta.label)


@pytest.mark.parametrize(("model", "model_admin"), ADMINS, ids=[model._meta.label for model, _admin in ADMINS])
def test_a_nul_in_a_list_filter_is_an_incorrect_lookup_not_a_500(client, model, model_admin):
    client.force_login(User.objects.create_superuser("operator", password="x"))
    changelist = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"

    for name in filter_parameters(model_admin):
        response = client.get(changelist, {name: "a\x00b"}, follow=True)

        assert response.status_code in (200, 400), (name, response.status_code)  # 400: a lookup the admin forbids
        if response.redirect_chain:
            assert response.redirect_chain[-1][0] == f"{changelist}?e=1"
