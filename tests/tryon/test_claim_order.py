"""Who renders next is the database's call, not the broker's: a worker woken by any render message
claims the most urgent queued job of that preset. Shoppers go before batches, merchants take turns,
then the oldest job goes first; and however many workers claim at once, each job is claimed once."""

import threading

import pytest
from django.db import connection

from tests.factories import shop_with_picks
from tryon.jobs.claims import tryon_job_claim_for_message, tryon_job_claim_next
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import tryon_job_cancel, tryon_job_create
from tryon.jobs.tasks import render_tryon_job

pytestmark = pytest.mark.django_db
Status, Priority = TryOnJob.Status, TryOnJob.Priority


def queue(shop, count: int, *, priority=Priority.SHOPPER, first_seed: int = 1) -> list[int]:
    """`count` try-ons of one shop, oldest first, each with a seed of its own."""
    seeds = range(first_seed, first_seed + count)
    return [tryon_job_create(**shop, seed=seed, priority=priority, enqueue=False).id for seed in seeds]


def claim_all(preset: str = "tiny") -> list[int]:
    claimed = []
    while (job_id := tryon_job_claim_next(preset=preset)) is not None:
        claimed.append(job_id)
    return claimed


def test_a_message_for_a_batch_job_claims_the_shopper_who_is_waiting():
    shop = shop_with_picks()
    batch = queue(shop, 3, priority=Priority.BATCH)
    shopper = queue(shop, 1, first_seed=100)[0]

    assert tryon_job_claim_for_message(job_id=batch[0]) == shopper
    assert tryon_job_claim_for_message(job_id=batch[0]) == batch[0]  # the oldest batch job, now it is its turn
    assert TryOnJob.objects.get(pk=shopper).status == Status.RUNNING
    assert TryOnJob.objects.get(pk=shopper).attempts == 1


def test_a_message_whose_job_was_taken_claims_the_next_one_or_nothing():
    shop = shop_with_picks()
    first, second = queue(shop, 2)

    assert tryon_job_claim_for_message(job_id=first) == first
    assert tryon_job_claim_for_message(job_id=first) == second  # a redelivered message: another job's turn
    assert tryon_job_claim_for_message(job_id=second) is None  # its own message finds nothing left
    assert TryOnJob.objects.filter(status=Status.RUNNING).count() == 2


def test_cancelled_jobs_and_other_presets_jobs_are_never_claimed():
    shop = shop_with_picks()
    cancelled, waiting = queue(shop, 2)
    other_preset = tryon_job_create(**shop, seed=50, preset="tiny-fast", enqueue=False).id
    tryon_job_cancel(job_id=cancelled)

    assert claim_all("tiny") == [waiting]
    assert claim_all("tiny-fast") == [other_preset]
    assert TryOnJob.objects.get(pk=cancelled).status == Status.CANCELLED


def test_merchants_take_turns_so_a_burst_of_fifty_does_not_starve_another_shopper():
    busy, quiet = shop_with_picks(), shop_with_picks()
    burst = queue(busy, 50)  # a storefront's API client sends 50 try-ons at once
    single = queue(quiet, 1)[0]  # then a shopper of another merchant presses "Try it on"

    order = claim_all()

    assert order.index(single) == 1  # one render of the burst at most goes first
    assert order == [burst[0], single, *burst[1:]]


def test_two_bursts_alternate_and_a_newcomer_goes_next():
    first, second, newcomer = shop_with_picks(), shop_with_picks(), shop_with_picks()
    a, b = queue(first, 3), queue(second, 3)
    taken = [tryon_job_claim_next(preset="tiny") for _ in range(3)]
    late = queue(newcomer, 1)[0]

    order = taken + claim_all()

    assert order == [a[0], b[0], a[1], late, b[1], a[2], b[2]]


def test_a_shopper_goes_before_another_merchants_batch_even_right_after_their_turn():
    served, other = shop_with_picks(), shop_with_picks()
    queue(served, 1)
    claim_all()  # the first merchant was served just now
    batch = queue(other, 2, priority=Priority.BATCH)
    shoppers = queue(served, 2, first_seed=10)

    assert claim_all() == [*shoppers, *batch]  # turns count within a priority, never across


def test_the_worker_renders_the_shopper_whichever_message_woke_it():
    shop = shop_with_picks()
    batch = queue(shop, 2, priority=Priority.BATCH)
    shopper = queue(shop, 1, first_seed=100)[0]

    render_tryon_job.apply(args=(batch[0],))

    jobs = {job.id: job for job in TryOnJob.objects.all()}
    assert jobs[shopper].status == Status.SUCCEEDED, jobs[shopper].error
    assert [jobs[job_id].status for job_id in batch] == [Status.QUEUED, Status.QUEUED]
    assert jobs[shopper].images.count() == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_workers_claiming_at_once_on_postgresql_each_get_a_different_job():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED row claims are PostgreSQL's; SQLite claimers take turns as its single writer")
    jobs = queue(shop_with_picks(), 12) + queue(shop_with_picks(), 12)
    claimed, start = [], threading.Barrier(6)

    def worker():
        try:
            start.wait()
            claimed.extend(claim_all())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(claimed) == sorted(jobs)  # every job once, none twice
    assert TryOnJob.objects.filter(status=Status.RUNNING, attempts=1).count() == 24
