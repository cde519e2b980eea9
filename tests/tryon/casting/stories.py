"""What casting stories share: a merchant's brief, and the worker's part played in this process."""

from tests.tryon.gallery import finish
from tryon.casting.models import Casting
from tryon.casting.services import casting_create, casting_job_finished
from tryon.jobs.models import TryOnJob
from tryon.jobs.rendering import tryon_job_render

BRIEF = {
    "gender_presentation": "feminine",
    "age_range": "25-34",
    "body_type": "curvy",
    "skin_tone": "brown",
    "height_cm": 178,
    "hair_colour": "auburn",
    "hair_style": "long wavy",
    "note": "a warm, friendly look",
}


def casting_jobs(casting: Casting) -> list[TryOnJob]:
    ids = [
        job_id
        for candidate in casting.candidates.all()
        for job_id in (candidate.portrait_job_id, candidate.full_body_job_id)
        if job_id
    ]
    return list(TryOnJob.objects.filter(pk__in=ids).order_by("id"))


def render_casting(casting: Casting, capture) -> None:
    """The worker's part: each queued job of the casting rendered on the tiny preset, its end announced as the
    outbox does once the render commits (`capture`: pytest-django's django_capture_on_commit_callbacks)."""
    for _round in range(3):  # portraits, then the full bodies they queue
        queued = [job for job in casting_jobs(casting) if job.status == TryOnJob.Status.QUEUED]
        if not queued:
            return
        for job in queued:
            with capture(execute=True):
                tryon_job_render(job_id=job.id)


def cast_ready(merchant, *, count: int = 1, note: str = "") -> Casting:
    """A casting whose candidates are ready, without rendering: each job ends as a worker would leave it, with a
    small PNG (tests/tryon/gallery.py), and its end is announced to casting as the outbox would."""
    casting = casting_create(merchant=merchant, attributes={**BRIEF, "note": note}, count=count)
    for _round in range(2):  # portraits, then the full bodies they queue
        for job in casting_jobs(casting):
            if job.status == TryOnJob.Status.QUEUED:
                finish(job)
                casting_job_finished(job_id=job.id)
    return casting
