"""Queues for the stories about who renders first. Importable by this test process and by a
`manage.py shell` of the embedded mode alike: it uses only the factories and the services."""

from django.db import transaction

from tests.factories import CatalogItemFactory, FashionModelFactory, PoseFactory, SceneFactory, shop_with_picks
from tryon.jobs.batches import tryon_batch_create
from tryon.jobs.heartbeats import worker_heartbeat_record
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import job_queue, tryon_job_create


def a_worker_served_the_preset_before(preset: str = "tiny") -> None:
    """Try-ons for a preset no worker ever served are refused (tryon.jobs.heartbeats); this one's was,
    and its worker is stopped now, as if for a restart."""
    worker_heartbeat_record(hostname=f"earlier-{preset}@shop", queues=[job_queue(preset)])


def cheapen(job_ids) -> None:
    """One denoising step each: what is tested is the order the jobs run in, not their pixels."""
    with transaction.atomic():
        for job in TryOnJob.objects.filter(pk__in=job_ids):
            TryOnJob.objects.filter(pk=job.pk).update(plan={**job.plan, "steps": 1}, steps_total=1)


def queue_a_batch_then_a_shopper() -> tuple[list[int], int]:
    """A merchant's bulk render of 48 (4 items × 3 fashion models × 2 poses × 2 scenes), then one
    shopper's try-on on the same storefront; every render is sent to the broker as it is queued."""
    a_worker_served_the_preset_before()
    shop = shop_with_picks()
    merchant = shop["merchant"]
    batch = tryon_batch_create(
        merchant=merchant,
        catalog_items=[shop["catalog_item"], *CatalogItemFactory.create_batch(3, merchant=merchant)],
        fashion_models=[shop["fashion_model"], *FashionModelFactory.create_batch(2, merchant=merchant)],
        poses=[shop["pose"], PoseFactory(merchant=merchant, name="Second pose")],
        scenes=[shop["scene"], SceneFactory(merchant=merchant, name="Loft", prompt="industrial loft")],
    )
    batch_ids = sorted(batch.jobs.values_list("id", flat=True))
    shopper = tryon_job_create(**shop, seed=7)
    cheapen([*batch_ids, shopper.id])
    return batch_ids, shopper.id


def finishing_order(job_ids) -> list[int]:
    """The jobs' ids in the order their renders finished."""
    return list(TryOnJob.objects.filter(pk__in=job_ids).order_by("finished_at", "id").values_list("id", flat=True))


def queue_a_burst_then_another_merchants_shopper(burst: int = 50) -> tuple[list[int], int]:
    """One storefront's API client sends `burst` try-ons at once; then a shopper of another merchant
    presses "Try it on". All are shopper priority: only taking turns keeps the second one from waiting."""
    a_worker_served_the_preset_before()
    busy, quiet = shop_with_picks(), shop_with_picks()
    burst_ids = [tryon_job_create(**busy, seed=seed).id for seed in range(1, burst + 1)]
    single = tryon_job_create(**quiet, seed=7).id
    cheapen([*burst_ids, single])
    return burst_ids, single
