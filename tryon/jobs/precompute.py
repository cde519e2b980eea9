"""Nothing to wait for: render what shoppers will pick before they pick it.

The shop counts picks per catalog item and combination (fashion model × pose × scene): a counter per
combination, no personal data. Every night (beat) and when a merchant approves an image of an item, the
most-picked combinations of each item and the shop's default one (what a product page preselects) are
rendered at batch priority, behind every shopper, as one TryOnBatch with source "precompute" (the admin
lists it with the merchant's own batches). The renders are the very jobs a shopper's press would create
(same picks, same seed, same plan), so the first shopper of the day gets a cache hit. Combinations already
rendered or on their way are skipped; new renders are capped per merchant per day (TRYON_PRECOMPUTE_PER_DAY).
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from tryon.catalog.models import CatalogItem, FashionModel, Pose, Scene
from tryon.catalog.selectors import default_picks
from tryon.jobs.models import PickCount, TryOnBatch, TryOnJob
from tryon.jobs.services import tryon_job_create
from tryon.merchants.models import Merchant

logger = logging.getLogger(__name__)
PRECOMPUTE = TryOnBatch.Source.PRECOMPUTE


def pick_count_record(*, catalog_item: CatalogItem, fashion_model: FashionModel, pose: Pose, scene: Scene) -> None:
    """One more shopper picked this combination: one statement, the first pick ever included.

    A shopper's own model (transient: tryon.shoppers) is nobody else's pick: never counted, never precomputed."""
    if fashion_model.transient:
        return
    # Created or counted on in one atomic round trip, so concurrent first picks need no savepoint and no retry
    # (PostgreSQL and SQLite 3.24+ both speak INSERT ... ON CONFLICT, as tryon.ratelimits.counters does).
    names = ("merchant_id", "catalog_item_id", "fashion_model_id", "pose_id", "scene_id", "count")
    table, *columns = map(connection.ops.quote_name, (PickCount._meta.db_table, *names))
    unique, count = ", ".join(columns[1:5]), columns[5]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES (%s, %s, %s, %s, %s, 1) "
            f"ON CONFLICT ({unique}) DO UPDATE SET {count} = {table}.{count} + 1",
            [catalog_item.merchant_id, catalog_item.id, fashion_model.id, pose.id, scene.id],
        )


@dataclass(frozen=True)
class Combination:
    catalog_item_id: int
    fashion_model_id: int
    pose_id: int
    scene_id: int


@dataclass
class PrecomputeResult:
    batch: TryOnBatch | None = None  # None when nothing new was queued
    queued: list[int] = field(default_factory=list)  # the new jobs
    cached: int = 0  # combinations already rendered or on their way
    over_cap: int = 0  # combinations not looked at, left for another day: the merchant's daily cap is spent
    refused: dict[Combination, str] = field(default_factory=dict)  # why a combination could not be planned


def most_picked(*, merchant: Merchant, catalog_item: CatalogItem | None = None, per_item: int) -> list[Combination]:
    """Each item's `per_item` most-picked combinations, the most-picked of all first."""
    counts = PickCount.objects.filter(merchant=merchant)
    if catalog_item is not None:
        counts = counts.filter(catalog_item=catalog_item)
    ranked = counts.annotate(
        rank=Window(RowNumber(), partition_by=[F("catalog_item_id")], order_by=[F("count").desc(), F("id").asc()])
    )
    rows = ranked.filter(rank__lte=per_item).order_by("-count", "id")
    return [Combination(*row) for row in rows.values_list("catalog_item_id", "fashion_model_id", "pose_id", "scene_id")]


def precompute_candidates(*, merchant: Merchant, catalog_item: CatalogItem | None = None) -> list[Combination]:
    """What to render, in order: the most-picked combinations, then each item's default one (newest item first)."""
    candidates = most_picked(merchant=merchant, catalog_item=catalog_item, per_item=settings.TRYON_PRECOMPUTE_TOP_PICKS)
    default = default_picks(merchant=merchant)
    if all(default.values()):
        items = [catalog_item] if catalog_item else CatalogItem.objects.filter(merchant=merchant).order_by("-id")
        picks = (default["fashion_model"].id, default["pose"].id, default["scene"].id)
        candidates += [Combination(item.id, *picks) for item in items]
    return list(dict.fromkeys(candidates))  # in order, each once: a default may also be a most-picked one


def precompute_renders_today(*, merchant: Merchant) -> int:
    """New renders precompute queued for the merchant since midnight (TIME_ZONE): what the daily cap counts."""
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return TryOnBatch.jobs.through.objects.filter(
        tryonbatch__merchant=merchant, tryonbatch__source=PRECOMPUTE, tryonbatch__created_at__gte=midnight
    ).count()


@transaction.atomic
def tryon_precompute(*, merchant: Merchant, catalog_item: CatalogItem | None = None) -> PrecomputeResult:
    """Queue the renders shoppers of `merchant` (of one item, when given) will most likely ask for.

    Safe to run any time and twice: what is rendered or queued is skipped and the cap is per day. The
    renders start when this transaction commits.
    """
    Merchant.objects.select_for_update().filter(pk=merchant.pk).first()  # one precompute per merchant at a time
    if catalog_item is not None and catalog_item.merchant_id != merchant.id:
        raise ValidationError({"catalog_item": f"{catalog_item} does not belong to {merchant}."})
    budget = settings.TRYON_PRECOMPUTE_PER_DAY - precompute_renders_today(merchant=merchant)
    result, jobs = PrecomputeResult(), []
    candidates = precompute_candidates(merchant=merchant, catalog_item=catalog_item)
    rows = _rows_of(candidates)
    for combination in candidates:
        if len(jobs) >= budget:
            result.over_cap += 1
            continue
        try:
            job = tryon_job_create(
                merchant=merchant,
                catalog_item=rows[CatalogItem][combination.catalog_item_id],
                fashion_model=rows[FashionModel][combination.fashion_model_id],
                pose=rows[Pose][combination.pose_id],
                scene=rows[Scene][combination.scene_id],
                priority=TryOnJob.Priority.BATCH,
                accept_preview=True,  # a shopper's preview already answers the next shopper at once
            )
        except ValidationError as error:  # an item without garments, a preset no worker serves: say why, go on
            result.refused[combination] = "; ".join(error.messages)
            continue
        if job.reused:
            result.cached += 1
        else:
            jobs.append(job)
    if jobs:
        result.batch = TryOnBatch.objects.create(merchant=merchant, preset=jobs[0].preset, source=PRECOMPUTE)
        result.batch.jobs.set(jobs)
        result.queued = [job.id for job in jobs]
    if result.refused:
        logger.warning("Precompute for %s skipped %s combinations: %s", merchant, len(result.refused), result.refused)
    return result


def _rows_of(candidates: list[Combination]) -> dict:
    """The rows the combinations name, fetched once per model rather than once per combination."""
    wanted = {
        CatalogItem: {c.catalog_item_id for c in candidates},
        FashionModel: {c.fashion_model_id for c in candidates},
        Pose: {c.pose_id for c in candidates},
        Scene: {c.scene_id for c in candidates},
    }
    return {model: model.objects.in_bulk(ids) for model, ids in wanted.items()}
