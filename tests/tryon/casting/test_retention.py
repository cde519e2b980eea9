"""Candidates nobody kept do not linger: TRYON_CASTING_RETENTION_DAYS after a casting, the sweeper deletes its jobs
and unkept candidates with every file made for them; a kept fashion model keeps its own copies of its references."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from tests.factories import MerchantFactory
from tests.tryon.casting.stories import BRIEF, cast_ready, casting_jobs
from tryon.casting.models import Casting, CastingCandidate
from tryon.casting.services import casting_candidate_keep, casting_create
from tryon.jobs.models import GeneratedImage, TryOnJob
from tryon.jobs.sweeper import tryon_jobs_sweep_exclusive

pytestmark = pytest.mark.django_db


def days_pass(days: int, *castings: Casting) -> None:
    Casting.objects.filter(pk__in=[c.pk for c in castings]).update(created_at=timezone.now() - timedelta(days=days))


def sweep(capture) -> None:
    with capture(execute=True):  # files go once the deletion commits
        tryon_jobs_sweep_exclusive(holder="test-sweeper")


def test_after_the_retention_the_sweeper_deletes_unkept_candidates_and_the_jobs_but_not_kept_models(
    settings, django_capture_on_commit_callbacks
):
    settings.TRYON_CASTING_RETENTION_DAYS = 3
    merchant = MerchantFactory()
    casting, recent = cast_ready(merchant, count=2), cast_ready(merchant, count=1)
    kept, dropped = casting.candidates.order_by("index")
    amara = casting_candidate_keep(candidate=kept, name="Amara")
    job_files = [image.file.name for job in casting_jobs(casting) for image in job.images.all()]
    dropped_files = [dropped.portrait.name, dropped.full_body.name]
    assert len(job_files) == 4 and all(default_storage.exists(name) for name in job_files + dropped_files)

    days_pass(2, casting, recent)
    sweep(django_capture_on_commit_callbacks)
    assert CastingCandidate.objects.filter(pk=dropped.pk).exists(), "within the retention nothing goes"

    days_pass(4, casting)
    sweep(django_capture_on_commit_callbacks)

    assert not CastingCandidate.objects.filter(pk=dropped.pk).exists()
    assert not any(default_storage.exists(name) for name in job_files + dropped_files)
    kept.refresh_from_db()
    assert kept.kept_as == amara and kept.portrait_job is None and kept.full_body_job is None
    assert not GeneratedImage.objects.filter(file__in=job_files).exists()
    amara.refresh_from_db()
    assert all(default_storage.exists(file.name) for file in (amara.identity_portrait, amara.identity_full_body))
    assert recent.candidates.get().portrait and len(casting_jobs(recent)) == 2  # younger: untouched
    assert TryOnJob.objects.count() == 2

    sweep(django_capture_on_commit_callbacks)  # nothing more to do, and nothing of the kept one goes
    assert Casting.objects.filter(pk=casting.pk).exists() and default_storage.exists(kept.portrait.name)


def test_a_casting_without_a_kept_candidate_goes_entirely_and_one_still_rendering_is_stopped_first(
    django_capture_on_commit_callbacks,
):
    merchant = MerchantFactory()
    done, rendering = cast_ready(merchant), casting_create(merchant=merchant, attributes=BRIEF, count=1)
    days_pass(8, done, rendering)

    sweep(django_capture_on_commit_callbacks)

    assert not Casting.objects.filter(pk=done.pk).exists()
    portrait_job = rendering.candidates.get().portrait_job
    assert portrait_job.status == TryOnJob.Status.CANCELLED  # stopped first...
    assert Casting.objects.filter(pk=rendering.pk).exists()

    sweep(django_capture_on_commit_callbacks)  # ...and gone at the next sweep
    assert not Casting.objects.exists() and not TryOnJob.objects.exists()
