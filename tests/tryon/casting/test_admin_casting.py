"""In the merchant admin: "Cast new models…" on the fashion models' list, a brief, a casting page that shows the
candidates as they arrive, and "Keep" under a name, after which the fashion model's page shows its references."""

import re

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from tests.factories import StaffFactory
from tests.tryon.casting.stories import BRIEF, cast_ready, casting_jobs, render_casting
from tryon.casting.models import Casting
from tryon.casting.services import casting_candidate_keep
from tryon.catalog.models import FashionModel
from tryon.jobs.models import TryOnJob

pytestmark = pytest.mark.django_db


def brief_form(**changes) -> dict:
    form = {**BRIEF, "count": "2", **changes}
    return {name: "" if value is None else str(value) for name, value in form.items()}


def test_a_merchant_casts_two_candidates_watches_them_arrive_and_keeps_one(
    staff_client, shop, django_capture_on_commit_callbacks
):
    models_list = staff_client.get("/admin/catalog/fashionmodel/")
    assert "Cast new models…" in models_list.text and "/admin/casting/casting/add/" in models_list.text

    assert staff_client.get("/admin/casting/casting/add/").status_code == 200
    sent = staff_client.post("/admin/casting/casting/add/", brief_form())
    casting = Casting.objects.get(merchant=shop["merchant"])
    assert sent.status_code == 302 and sent.url == f"/admin/casting/casting/{casting.id}/change/"

    waiting = staff_client.get(sent.url)
    assert waiting.text.count('class="module casting-candidate"') == 2
    assert "Rendering the portrait" in waiting.text and 'http-equiv="refresh"' in waiting.text

    render_casting(casting, django_capture_on_commit_callbacks)

    ready = staff_client.get(sent.url)
    assert 'data-status="succeeded"' in ready.text and 'http-equiv="refresh"' not in ready.text
    assert ready.text.count('value="Keep"') == 2
    assert ready.text.count("Candidate 1, portrait") == 1 and "Candidate 2, full body" in ready.text
    first = casting.candidates.get(index=0)

    kept = staff_client.post(
        f"/admin/casting/casting/{casting.id}/keep/", {"candidate": first.id, "name": "Amara"}, follow=True
    )

    amara = FashionModel.objects.get(merchant=shop["merchant"], name="Amara")
    assert "Kept as" in kept.text and f"/admin/catalog/fashionmodel/{amara.id}/change/" in kept.text
    assert kept.text.count('value="Keep"') == 1  # the other one may still be kept
    page = staff_client.get(f"/admin/catalog/fashionmodel/{amara.id}/change/")
    assert "Cast identity" in page.text and "Amara, portrait reference" in page.text
    assert "Amara, full-body reference" in page.text and amara.identity_prompt in page.text

    again = staff_client.post(
        f"/admin/casting/casting/{casting.id}/keep/", {"candidate": first.id, "name": "Amara twice"}, follow=True
    )
    assert "Nothing kept. Candidate 1 is already kept" in again.text
    assert not FashionModel.objects.filter(name="Amara twice").exists()


def test_a_brief_with_bad_attributes_is_shown_again_with_the_problem_by_each_field(staff_client, shop):
    response = staff_client.post("/admin/casting/casting/add/", brief_form(height_cm=99, hair_style="mohawk", count=12))

    assert response.status_code == 200 and not Casting.objects.exists()
    for field in ("height_cm", "hair_style", "count"):
        assert re.search(rf'form-row field-{field} errors">\s*<ul class="errorlist', response.text), field


def test_another_merchants_staff_can_neither_see_nor_keep_a_candidate(
    staff_client, shop, django_capture_on_commit_callbacks
):
    staff_client.post("/admin/casting/casting/add/", brief_form(count="1"))
    casting = Casting.objects.get()
    render_casting(casting, django_capture_on_commit_callbacks)
    candidate = casting.candidates.get()
    other = Client()
    other.force_login(StaffFactory())

    page = other.get(f"/admin/casting/casting/{casting.id}/change/", follow=True)
    assert page.redirect_chain[-1][0] == "/admin/" and candidate.identity_prompt not in page.text
    assert casting.candidates.get().portrait.name not in other.get("/admin/casting/casting/").text
    keep = other.post(f"/admin/casting/casting/{casting.id}/keep/", {"candidate": candidate.id, "name": "Mine"})
    assert keep.status_code == 404 and not FashionModel.objects.filter(name="Mine").exists()


def test_deleting_a_casting_takes_its_candidates_jobs_and_files_but_not_the_models_kept_from_it(
    staff_client, shop, django_capture_on_commit_callbacks
):
    casting = cast_ready(shop["merchant"], count=2)
    amara = casting_candidate_keep(candidate=casting.candidates.get(index=0), name="Amara")
    files = [name for c in casting.candidates.all() for name in (c.portrait.name, c.full_body.name)]
    files += [image.file.name for job in casting_jobs(casting) for image in job.images.all()]

    with django_capture_on_commit_callbacks(execute=True):
        deleted = staff_client.post(f"/admin/casting/casting/{casting.id}/delete/", {"post": "yes"})
    assert deleted.status_code == 302, deleted.content.decode()[-3000:]

    assert not Casting.objects.exists() and not TryOnJob.objects.exists()
    assert not any(default_storage.exists(name) for name in files)
    amara.refresh_from_db()
    assert default_storage.exists(amara.identity_portrait.name)
