"""Reads: a merchant's castings, and where each stands, read off its candidates' jobs."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from tryon.casting.models import Casting, CastingCandidate
from tryon.jobs.models import TryOnJob
from tryon.merchants.models import Merchant

Status = TryOnJob.Status
DONE = ("ready", "kept", "failed")


def casting_list(*, merchant: Merchant) -> QuerySet[Casting]:
    candidates = CastingCandidate.objects.select_related("portrait_job", "full_body_job", "kept_as")
    return Casting.objects.filter(merchant=merchant).prefetch_related(Prefetch("candidates", queryset=candidates))


def casting_get(*, merchant: Merchant, casting_id: int) -> Casting:
    return get_object_or_404(casting_list(merchant=merchant), pk=casting_id)


def casting_candidate_get(*, merchant: Merchant, candidate_id: int) -> CastingCandidate:
    """Another merchant's candidate is not found, never kept."""
    queryset = CastingCandidate.objects.filter(casting__merchant=merchant).select_related("casting", "kept_as")
    return get_object_or_404(queryset, pk=candidate_id)


@dataclass(frozen=True)
class CandidateState:
    status: str  # "portrait" (rendering it), "full_body" (rendering it), "ready", "kept" or "failed"
    progress: float  # 0..1 over both images
    error: str


def _job_progress(job: TryOnJob | None, done: bool) -> float:
    if done:
        return 1.0
    return job.progress if job is not None and not job.is_finished else 0.0


def candidate_state(candidate: CastingCandidate) -> CandidateState:
    portrait, full_body = candidate.portrait_job, candidate.full_body_job
    progress = _job_progress(portrait, bool(candidate.portrait)) + _job_progress(full_body, bool(candidate.full_body))
    progress /= 2
    if candidate.kept_as_id is not None:
        return CandidateState("kept", 1.0, "")
    if candidate.portrait and candidate.full_body:
        return CandidateState("ready", 1.0, "")
    if candidate.error:
        return CandidateState("failed", progress, candidate.error)
    for job, done in ((portrait, candidate.portrait), (full_body, candidate.full_body)):
        if not done and job is not None and job.status in (Status.FAILED, Status.CANCELLED):
            return CandidateState("failed", progress, job.error or f"Its render was {job.status}.")
    if not candidate.portrait:
        if portrait is None:  # its job is gone (retention) before it rendered
            return CandidateState("failed", progress, "Its portrait render is gone.")
        return CandidateState("portrait", progress, "")
    return CandidateState("full_body", progress, "")


def casting_state(casting: Casting) -> dict:
    """queued | running | succeeded (every candidate done, at least one usable) | failed (none usable); and 0..1."""
    candidates = list(casting.candidates.all())
    states = [candidate_state(candidate) for candidate in candidates]
    progress = sum(state.progress for state in states) / len(states) if states else 0.0
    if all(state.status in DONE for state in states):
        status = "succeeded" if any(state.status != "failed" for state in states) else "failed"
    else:
        jobs = [job for c in candidates for job in (c.portrait_job, c.full_body_job) if job is not None]
        started = any(job.status != Status.QUEUED for job in jobs)
        status = "running" if started else "queued"
    return {"status": status, "progress": round(progress, 3), "candidates": dict(zip(candidates, states, strict=True))}
