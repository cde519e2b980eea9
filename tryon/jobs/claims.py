"""Which job a worker renders next: the database decides, the broker only wakes workers up.

A render message names a job, but brokers disagree about order: Redis serves the message priority
(shoppers 0, batches 9), the embedded SQLite broker serves messages in the order they were sent, so a
shopper behind a 48-render batch used to wait for all 48. Now a worker that takes a message claims the
most urgent queued job of that job's preset, whichever job the message named
(selectors.tryon_jobs_in_claim_order):

1. shoppers before batches: a shopper is waiting at a screen;
2. within a priority, merchants take turns (round-robin): the merchant this preset's workers served
   least recently goes first, a merchant never served counting as longest ago, so one merchant's burst
   of 50 API try-ons puts at most one render in front of another merchant's single shopper;
3. then the oldest job first.

Every queued job has sent a message of its own (and the sweeper resends lost ones), so there are at
least as many wake-ups as queued jobs: a message whose job another worker already took claims the next
one, or finds nothing to do.

The claim is one short transaction. On PostgreSQL the candidate is read with SELECT ... FOR UPDATE SKIP
LOCKED, so concurrent workers each lock a different row and none waits for another; SQLite has no row
locks, but its transactions begin IMMEDIATE (tryon.settings): claimers take turns as the single writer.
Either way the conditional UPDATE queued -> running (services.tryon_job_claim) decides, and its row
count is checked; two workers racing together may serve one merchant twice in a row, never one job twice.
"""

import logging
import time

from django.conf import settings
from django.db import transaction

from tryon.jobs.models import TryOnJob
from tryon.jobs.selectors import tryon_jobs_in_claim_order
from tryon.jobs.services import tryon_job_claim

logger = logging.getLogger(__name__)

# Without row locks a claimer can lose the conditional UPDATE to another and must look again; past this
# many losses it gives up, and the job it would have claimed keeps its own message.
MAX_LOST_RACES = 10


def tryon_job_claim_next(*, preset: str) -> int | None:
    """queued -> running for the most urgent job of `preset`; its id, or None when none is queued."""
    for _ in range(MAX_LOST_RACES):
        with transaction.atomic():
            candidates = tryon_jobs_in_claim_order(preset=preset).select_for_update(skip_locked=True, of=("self",))
            job_id = candidates.values_list("id", flat=True).first()
            if job_id is None:
                return None
            if tryon_job_claim(job_id=job_id):
                return job_id
    logger.warning(
        "Lost the claim of a %s job %s times in a row; leaving it to the next message", preset, MAX_LOST_RACES
    )
    return None


def tryon_job_claim_for_message(*, job_id: int) -> int | None:
    """A render message for `job_id` arrived: claim the most urgent job of its preset, maybe another one."""
    preset = TryOnJob.objects.filter(pk=job_id).values_list("preset", flat=True).first()
    if preset is None:
        logger.info("Try-on #%s no longer exists; its message wakes nobody", job_id)
        return None
    claimed = tryon_job_claim_next(preset=preset)
    if claimed is None:
        logger.info("Message for try-on #%s: no %s job is queued any more; nothing to do", job_id, preset)
    return claimed  # whoever renders it logs the claim under the claimed job (tryon.jobs.tasks)


# --- Batch-mates: more queued jobs of the claimed job's shape, rendered with it in one call ---

# How many queued jobs a batch claim reads past the ones it can take: jobs of another shape are skipped
# (they keep their own messages), so a mixed queue still fills a batch.
MATES_SCANNED = 64
POLL_SECONDS = 0.01


def tryon_job_claim_batch_mates(*, job_id: int) -> list[int]:
    """queued -> running for up to TRYON_MAX_BATCH - 1 more jobs that can share `job_id`'s pipeline call.

    Mates have the claimed job's preset, priority (a shopper never waits for a merchant's batch to render
    beside it) and batch key (generation.batching: size, mode, steps, ...), taken in claim order with the
    same conditional claim. Up to the batch window, the worker waits for more to be queued; none: [].
    """
    from generation.batching import batch_key
    from prompts import GenerationPlan

    room = settings.TRYON_MAX_BATCH - 1
    head = TryOnJob.objects.filter(pk=job_id).values("preset", "priority", "plan").first()
    if room < 1 or head is None or (key := batch_key(GenerationPlan.from_dict(head["plan"]))) is None:
        return []
    deadline = time.monotonic() + batch_window_seconds()
    mates: list[int] = []
    while True:
        mates += _claim_matching(head["preset"], head["priority"], key, room - len(mates))
        left = deadline - time.monotonic()
        if len(mates) >= room or left <= 0:
            return mates
        time.sleep(min(POLL_SECONDS, left))


def batch_window_seconds() -> float:
    """TRYON_BATCH_WINDOW_MS, or where unset 50 ms on a GPU and none on a CPU (waiting only delays there)."""
    if settings.TRYON_BATCH_WINDOW_MS is not None:
        return settings.TRYON_BATCH_WINDOW_MS / 1000
    from generation.loading import select_device

    return 0.05 if select_device() == "cuda" else 0.0


def _claim_matching(preset: str, priority: str, key: tuple, room: int) -> list[int]:
    from generation.batching import batch_key
    from prompts import GenerationPlan

    claimed = []
    with transaction.atomic():
        candidates = (
            tryon_jobs_in_claim_order(preset=preset)
            .filter(priority=priority)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("id", "plan")[:MATES_SCANNED]
        )
        for candidate, plan in candidates:
            if len(claimed) >= room:
                break
            try:
                fits = batch_key(GenerationPlan.from_dict(plan)) == key
            except Exception:  # a plan that does not load fails in its own render, not in another's claim
                fits = False
            if fits and tryon_job_claim(job_id=candidate):
                claimed.append(candidate)
    return claimed
