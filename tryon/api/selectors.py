"""Storefront API reads, each scoped to one merchant: another merchant's rows do not exist here."""

from datetime import datetime

from django.db.models import Prefetch, QuerySet, Subquery
from django.http import Http404

from tryon.api.keys import key_parse, secret_matches
from tryon.api.models import StorefrontKey
from tryon.catalog.models import CatalogItem, FashionModel, Garment, Pose, Scene
from tryon.jobs.gallery import approved_gallery
from tryon.jobs.models import TryOnBatch, TryOnJob
from tryon.merchants.models import Merchant
from tryon.rows import PreparedRows


class PickNotFound(Http404):
    """An id in a request body that names nothing this merchant owns; says which field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def storefront_key_for(token: str) -> StorefrontKey | None:
    """The key row a bearer token proves, revoked or not; None for anything else."""
    parsed = key_parse(token)
    if parsed is None:
        return None
    found = _KEY_AND_MERCHANT(prefix=parsed.prefix)
    if found is None or not secret_matches(parsed.secret, found["key"][0].secret_hash):
        return None
    key = found["key"][0]
    key.merchant = found["merchant"][0]
    return key


# Every API request's first read: compiled once (tryon.rows).
_KEY_AND_MERCHANT = PreparedRows(
    lambda prefix: {
        "key": StorefrontKey.objects.filter(prefix=prefix),
        "merchant": Merchant.objects.filter(
            pk=Subquery(StorefrontKey.objects.filter(prefix=prefix).values("merchant"))
        ),
    }
)


def storefront_key_list(*, merchant: Merchant | None = None) -> QuerySet[StorefrontKey]:
    keys = StorefrontKey.objects.select_related("merchant")
    return keys.filter(merchant=merchant) if merchant else keys


# --- Catalog ---


def catalog_item_list_with_gallery(*, merchant: Merchant) -> QuerySet[CatalogItem]:
    """Catalog items with their garments and approved gallery images, the primary one first."""
    approved = approved_gallery()
    return CatalogItem.objects.filter(merchant=merchant).prefetch_related(
        "garments", Prefetch("generated_images", queryset=approved, to_attr="approved_images")
    )


def garment_list(*, merchant: Merchant) -> QuerySet[Garment]:
    return Garment.objects.filter(merchant=merchant, transient=False)


def fashion_model_list(*, merchant: Merchant) -> QuerySet[FashionModel]:
    return FashionModel.objects.filter(merchant=merchant, transient=False)


def pose_list(*, merchant: Merchant) -> QuerySet[Pose]:
    return Pose.objects.filter(merchant=merchant, transient=False)


def scene_list(*, merchant: Merchant) -> QuerySet[Scene]:
    return Scene.objects.filter(merchant=merchant, transient=False)


def _owned(queryset: QuerySet, *, field: str, pk: int, noun: str):
    found = queryset.filter(pk=pk).first()
    if found is None:  # the same answer for "no such id" and "someone else's": nothing leaks
        raise PickNotFound(field, f"No {noun} with id {pk}.")
    return found


def _owned_many(queryset: QuerySet, *, field: str, pks: list[int], noun: str) -> list:
    wanted = list(dict.fromkeys(pks))
    found = queryset.in_bulk(wanted)
    if missing := [pk for pk in wanted if pk not in found]:
        raise PickNotFound(field, f"No {noun} with id {missing[0]}.")
    return [found[pk] for pk in wanted]


def batch_picks_get(
    *,
    merchant: Merchant,
    catalog_item_ids: list[int],
    fashion_model_ids: list[int],
    pose_ids: list[int],
    scene_ids: list[int],
) -> dict:
    """The rows a batch request names, as tryon_batch_create's keyword arguments."""
    return {
        "catalog_items": _owned_many(
            CatalogItem.objects.filter(merchant=merchant),
            field="catalog_item_ids",
            pks=catalog_item_ids,
            noun="catalog item",
        ),
        "fashion_models": _owned_many(
            fashion_model_list(merchant=merchant),
            field="fashion_model_ids",
            pks=fashion_model_ids,
            noun="fashion model",
        ),
        "poses": _owned_many(pose_list(merchant=merchant), field="pose_ids", pks=pose_ids, noun="pose"),
        "scenes": _owned_many(scene_list(merchant=merchant), field="scene_ids", pks=scene_ids, noun="scene"),
    }


def batch_list(*, merchant: Merchant) -> QuerySet[TryOnBatch]:
    return TryOnBatch.objects.filter(merchant=merchant)


def tryon_picks_get(
    *,
    merchant: Merchant,
    pose_id: int,
    scene_id: int,
    fashion_model_id: int | None = None,
    garment_ids: list[int] | None = None,
    catalog_item_id: int | None = None,
    fashion_model: FashionModel | None = None,
) -> dict:
    """The rows a try-on request names, as tryon_job_create's keyword arguments.

    `fashion_model`: a row already read instead of `fashion_model_id` from the catalog (a shopper's own model).

    Asked for on every submission, so in one round trip when everything named exists (_PICKS, compiled once);
    when something does not, one query per pick finds which, and the answer names its field.
    """
    known = {"fashion_model": fashion_model} if fashion_model is not None else {}
    if not garment_ids:
        ids = {"pose_id": pose_id, "scene_id": scene_id}
        ids.update({"fashion_model_id": fashion_model_id} if fashion_model is None else {})
        ids.update({"catalog_item_id": catalog_item_id} if catalog_item_id is not None else {})
        if (found := _PICKS(merchant_id=merchant.id, **ids)) is not None:
            return {**known, **{name: rows if name == "garments" else rows[0] for name, rows in found.items()}}
    picks = {
        "fashion_model": fashion_model
        or _owned(
            fashion_model_list(merchant=merchant), field="fashion_model_id", pk=fashion_model_id, noun="fashion model"
        ),
        "pose": _owned(pose_list(merchant=merchant), field="pose_id", pk=pose_id, noun="pose"),
        "scene": _owned(scene_list(merchant=merchant), field="scene_id", pk=scene_id, noun="scene"),
    }
    if catalog_item_id is not None:
        picks["catalog_item"] = _owned(
            CatalogItem.objects.filter(merchant=merchant),
            field="catalog_item_id",
            pk=catalog_item_id,
            noun="catalog item",
        )
    if garment_ids:
        picks["garments"] = _owned_many(
            garment_list(merchant=merchant), field="garment_ids", pks=garment_ids, noun="garment"
        )
    return picks


def _picks_by_id(*, merchant_id, pose_id, scene_id, fashion_model_id=None, catalog_item_id=None) -> dict:
    merchant = Merchant(pk=merchant_id)
    wanted = {
        "pose": pose_list(merchant=merchant).filter(pk=pose_id),
        "scene": scene_list(merchant=merchant).filter(pk=scene_id),
    }
    if fashion_model_id is not None:
        wanted["fashion_model"] = fashion_model_list(merchant=merchant).filter(pk=fashion_model_id)
    if catalog_item_id is not None:  # and its own garments, as tryon_job_create would read them
        wanted["catalog_item"] = CatalogItem.objects.filter(merchant=merchant, pk=catalog_item_id)
        wanted["garments"] = Garment.objects.filter(catalog_items=catalog_item_id)
    return wanted


_PICKS = PreparedRows(_picks_by_id)


# --- Try-on jobs ---


def tryon_job_list(
    *,
    merchant: Merchant,
    status: str | None = None,
    catalog_item_id: int | None = None,
    created_after: datetime | None = None,
) -> QuerySet[TryOnJob]:
    jobs = TryOnJob.objects.filter(merchant=merchant).prefetch_related("images", "garments")
    if status:
        jobs = jobs.filter(status=status)
    if catalog_item_id is not None:
        jobs = jobs.filter(catalog_item_id=catalog_item_id)
    if created_after is not None:
        jobs = jobs.filter(created_at__gt=created_after)
    return jobs
