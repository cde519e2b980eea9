"""Shopper pages: thin views over the catalog selectors and the job service."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from tryon.catalog.models import FashionModel, Pose
from tryon.catalog.selectors import catalog_item_get, picks_for
from tryon.catalog.thumbnails import pose_thumbnail_response
from tryon.jobs.precompute import pick_count_record
from tryon.jobs.selectors import tryon_job_get, tryon_job_status
from tryon.jobs.services import tryon_job_create
from tryon.merchants.models import Merchant
from tryon.merchants.scoping import staff_of
from tryon.shop import ratelimit
from tryon.shop.explain import explain_failure, explanations
from tryon.shop.forms import TryOnForm
from tryon.shop.negotiation import wants_json
from tryon.shop.pickers import pickers
from tryon.shop.selectors import PICKS, cover, shop_catalog, shop_tryon_rows
from tryon.shop.your_model import shopper_fashion_model
from tryon.shoppers.services import shopper_model_touch

SESSION_JOBS = "tryon_jobs"  # a shopper sees only the try-ons they asked for


class RateLimited(Exception):
    def __init__(self, wait: int):
        super().__init__(wait)
        self.wait = wait


def home(request):
    merchants = Merchant.objects.all()
    if len(merchants) == 1:
        return redirect("shop:catalog", merchant_slug=merchants[0].slug)
    return render(request, "shop/home.html", {"merchants": merchants})


def catalog(request, merchant_slug):
    merchant = get_object_or_404(Merchant, slug=merchant_slug)
    items = [(item, cover(item)) for item in shop_catalog(merchant=merchant)]
    return render(request, "shop/catalog.html", {"merchant": merchant, "items": items})


def _start_tryon(request, merchant, item, picks):
    """A new render costs budget; out of budget, only picks already rendered (or on their way) still answer."""
    wait = ratelimit.reserve(request, merchant)  # spent now, so concurrent requests cannot all pass
    if not wait:
        try:
            job = tryon_job_create(merchant=merchant, catalog_item=item, **picks)
        except BaseException:
            ratelimit.give_back(request, merchant)
            raise
        if job.reused:
            ratelimit.give_back(request, merchant)
        return job
    with transaction.atomic():  # rolled back, render and all, when it would be a new one
        job = tryon_job_create(merchant=merchant, catalog_item=item, **picks)
        if not job.reused:
            raise RateLimited(wait)
    return job


def _id(value) -> int | None:
    """A posted id, or None for anything else (the form says what is wrong with it)."""
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19 else None


def _job_json(merchant, job) -> dict:
    return {
        **tryon_job_status(job, new=not job.reused),
        "reused": job.reused,
        "status_url": reverse("shop:tryon-status", args=[merchant.slug, job.id]),
        "page_url": reverse("shop:tryon", args=[merchant.slug, job.id]),
    }


def _too_many(wait: int) -> str:
    minutes = max(1, round(wait / 60))
    return (
        f"You have tried on a lot in the last few minutes. Please wait about {minutes} minute"
        f"{'s' if minutes > 1 else ''} before the next new try-on; looks you have already tried still show at once."
    )


@require_http_methods(["GET", "POST"])
def product(request, merchant_slug, item_id):
    known = None
    if request.method == "POST":  # a press: the shop, the item and the picks in one query
        picked = {name: _id(request.POST.get(name)) for name in PICKS}
        known = shop_tryon_rows(merchant_slug=merchant_slug, item_id=item_id, picks=picked)
        if known is None:
            raise Http404("No such shop or product")
        merchant, item = known["merchant"], known["item"]
    else:
        merchant = get_object_or_404(Merchant, slug=merchant_slug)
        item = catalog_item_get(merchant=merchant, item_id=item_id)
    yours = shopper_fashion_model(request, merchant)  # "Your model": no query unless this session set one here
    form = TryOnForm(request.POST or None, picks=picks_for(merchant=merchant), yours=yours, known=known)
    if request.method == "POST" and not request.session.session_key:
        request.session.save()  # the rate limit counts per session from the first try-on
    status, limited = 200, ""
    if request.method == "POST" and form.is_valid():
        try:
            job = _start_tryon(request, merchant, item, form.cleaned_data)
        except RateLimited as error:
            status, limited = 429, _too_many(error.wait)
            if wants_json(request):
                return JsonResponse({"error": limited}, status=429, headers={"Retry-After": str(error.wait)})
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            picked = {name: form.cleaned_data[name] for name in ("fashion_model", "pose", "scene")}
            if yours is None or picked["fashion_model"] != yours:  # a shopper's own model is no one else's pick
                pick_count_record(catalog_item=item, **picked)  # what to render before the next shopper asks
            else:  # "Your model" in use: the idle sweep must not take it from under the session
                shopper_model_touch(fashion_model=yours)
            request.session[SESSION_JOBS] = [*request.session.get(SESSION_JOBS, [])[-49:], job.id]
            if wants_json(request):
                return JsonResponse(_job_json(merchant, job), status=200 if job.reused else 201)
            return redirect("shop:tryon", merchant_slug=merchant.slug, job_id=job.id)
    if request.method == "POST" and wants_json(request):
        problems = [
            *form.non_field_errors(),
            *(f"{form[name].label}: {' '.join(e)}" for name, e in form.errors.items() if name in form.fields),
        ]
        return JsonResponse({"error": " ".join(problems) or "Pick a model, a pose and a scene."}, status=400)
    if not hasattr(item, "approved_images"):  # the page again, after a press it refused: with the item's gallery
        item = catalog_item_get(merchant=merchant, item_id=item_id)
    context = {
        "merchant": merchant,
        "item": item,
        "form": form,
        "pickers": pickers(form, merchant),
        "yours": yours,
        "limited": limited,
        "explanations": explanations(),
    }
    return render(request, "shop/product.html", context, status=status)


def _shopper_job(request, merchant_slug, job_id):
    merchant = get_object_or_404(Merchant, slug=merchant_slug)
    if job_id in request.session.get(SESSION_JOBS, []):
        return merchant, tryon_job_get(merchant=merchant, job_id=job_id)
    if not staff_of(request.user, merchant):
        raise Http404("No such try-on")  # staff see their own merchant's try-ons, never another's
    job = tryon_job_get(merchant=merchant, job_id=job_id)
    if FashionModel.objects.filter(pk=job.fashion_model_id, private=True).exists():
        raise Http404("No such try-on")  # made from a shopper's own photo: theirs alone, not the shop's
    return merchant, job


def tryon(request, merchant_slug, job_id):
    merchant, job = _shopper_job(request, merchant_slug, job_id)
    context = {
        "merchant": merchant,
        "job": job,
        "status": {**tryon_job_status(job), "status_url": reverse("shop:tryon-status", args=[merchant.slug, job.id])},
        "failure": explain_failure(job.status, job.failure_code) if job.status in ("failed", "cancelled") else "",
        "explanations": explanations(),
    }
    return render(request, "shop/tryon.html", context)


def tryon_status(request, merchant_slug, job_id):
    _merchant, job = _shopper_job(request, merchant_slug, job_id)
    return JsonResponse(tryon_job_status(job))


def pose_skeleton(request, merchant_slug, pose_id):
    return pose_thumbnail_response(get_object_or_404(Pose, merchant__slug=merchant_slug, pk=pose_id))
