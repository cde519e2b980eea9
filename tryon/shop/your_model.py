"""The shop's "Your model" page: a shopper sets up someone like them (or picks the closest of the merchant's
models) and, where the shop allows it, consents to and uploads their own photo, or deletes it.

The shopper model lives under this session ("session:<key>", tryon.shoppers); the session also notes which
shops it has one at, so a product page of a shop where it has none costs no query to find that out.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from tryon.catalog.models import FashionModel
from tryon.catalog.selectors import picks_for
from tryon.media.signing import signed_url
from tryon.merchants.models import Merchant
from tryon.shop.negotiation import wants_json
from tryon.shoppers.forms import ATTRIBUTES, ShopperModelForm, ShopperPhotoForm, hair_picks
from tryon.shoppers.models import ShopperModel
from tryon.shoppers.selectors import shopper_model_get
from tryon.shoppers.services import shopper_model_set, shopper_photo_delete, shopper_photo_upload

SESSION_SHOPPER_MODELS = "tryon_shopper_models"  # ids of the shops this session has a model at
SAVED = "Your model is saved: pick “Your model” beside the shop's models to try garments on."
UPLOADED = "Your photo is stored: pick “Your model” to try garments on yourself."
DELETED = "Your photo and every preview made from it are deleted."
NO_PHOTO = "There is no photo of yours to delete."


def _owner(request) -> str:
    if not request.session.session_key:
        request.session.save()
    return f"session:{request.session.session_key}"


def shopper_model_of(request, merchant: Merchant) -> ShopperModel | None:
    """This session's model at this shop; no query where the session never set one here."""
    if merchant.id not in request.session.get(SESSION_SHOPPER_MODELS, ()) or not request.session.session_key:
        return None
    return shopper_model_get(merchant=merchant, owner=_owner(request))


def shopper_fashion_model(request, merchant: Merchant) -> FashionModel | None:
    """The person "Your model" renders, for the try-on form's model picker."""
    shopper_model = shopper_model_of(request, merchant)
    return shopper_model.fashion_model if shopper_model is not None else None


def _remember(request, merchant: Merchant) -> None:
    shops = request.session.get(SESSION_SHOPPER_MODELS, [])
    if merchant.id not in shops:
        request.session[SESSION_SHOPPER_MODELS] = [*shops[-19:], merchant.id]


def _next(request, merchant: Merchant) -> str:
    """Back where the shopper came from (a product page of this site), else this page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return reverse("shop:your-model", args=[merchant.slug])


def _add_errors(form, error: ValidationError) -> None:
    """A service's refusal on the form: on the field it names where the form has one, else above the form."""
    problems = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, words in problems.items():
        form.add_error(field if field in form.fields else None, words)


def _errors_json(form) -> JsonResponse:
    errors = {name or "__all__": list(words) for name, words in form.errors.items()}
    message = " ".join(" ".join(words) for words in errors.values())
    return JsonResponse({"error": message, "errors": errors}, status=400)


def _model_json(merchant: Merchant, shopper_model: ShopperModel) -> dict:
    fashion_model = shopper_model.fashion_model
    return {
        "fashion_model": fashion_model.id,
        **{name: getattr(fashion_model, name) for name in (*ATTRIBUTES, "height_cm", "hair")},
        "photo": signed_url(fashion_model.reference_photo) or None,
        "photo_expires_at": shopper_model.expires_at,
        "page_url": reverse("shop:your-model", args=[merchant.slug]),
    }


def _initial(shopper_model: ShopperModel | None) -> dict:
    if shopper_model is None:
        return {}
    fashion_model = shopper_model.fashion_model
    attributes = {name: getattr(fashion_model, name) for name in (*ATTRIBUTES, "height_cm")}
    return {**attributes, **hair_picks(fashion_model.hair), "like": shopper_model.like_id}


def _page(request, merchant, shopper_model, *, model_form=None, photo_form=None, status=200):
    picks = picks_for(merchant=merchant)
    if model_form is None:
        model_form = ShopperModelForm(initial=_initial(shopper_model), fashion_models=picks["fashion_models"])
    if photo_form is None and merchant.shopper_photos:
        photo_form = ShopperPhotoForm(poses=picks["poses"])
    photo = shopper_model.fashion_model.reference_photo if shopper_model is not None else None
    context = {
        "merchant": merchant,
        "shopper_model": shopper_model,
        "photo": signed_url(photo) if photo else "",
        "model_form": model_form,
        "photo_form": photo_form if merchant.shopper_photos else None,
        "next": _next(request, merchant),
    }
    return render(request, "shop/your_model.html", context, status=status)


@require_http_methods(["GET", "POST"])
def your_model(request, merchant_slug):
    """GET: the page. POST: save the attributes (or the closest of the shop's models) as this session's model."""
    merchant = get_object_or_404(Merchant, slug=merchant_slug)
    shopper_model = shopper_model_of(request, merchant)
    if request.method == "GET":
        return _page(request, merchant, shopper_model)
    form = ShopperModelForm(request.POST, fashion_models=picks_for(merchant=merchant)["fashion_models"])
    if form.is_valid():
        try:
            shopper_model = shopper_model_set(merchant=merchant, owner=_owner(request), **form.service_arguments())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            _remember(request, merchant)
            if wants_json(request):
                return JsonResponse(_model_json(merchant, shopper_model))
            messages.success(request, SAVED)
            return redirect(_next(request, merchant))
    if wants_json(request):
        return _errors_json(form)
    return _page(request, merchant, shopper_model, model_form=form, status=400)


@require_http_methods(["GET", "POST"])
def your_photo(request, merchant_slug):
    """GET: the page. POST: upload the shopper's photo with their consent; with `delete`, delete it now."""
    merchant = get_object_or_404(Merchant, slug=merchant_slug)
    shopper_model = shopper_model_of(request, merchant)
    if request.method == "GET":
        return _page(request, merchant, shopper_model)
    if "delete" in request.POST:  # whatever the shop's switch says now: a shopper can always delete theirs
        return _photo_delete(request, merchant, shopper_model)
    if not merchant.shopper_photos:
        raise Http404("This shop does not offer trying garments on your own photo.")
    form = ShopperPhotoForm(request.POST, request.FILES, poses=picks_for(merchant=merchant)["poses"])
    if form.is_valid():
        if shopper_model is None:
            form.add_error(None, "Save your model first: your photo is added to it.")
        else:
            try:
                data = form.cleaned_data
                shopper_photo_upload(
                    shopper_model=shopper_model, photo=data["photo"], consent=data["consent"], pose=data["pose"]
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                shopper_model.refresh_from_db()
                if wants_json(request):
                    return JsonResponse(_model_json(merchant, shopper_model), status=201)
                messages.success(request, UPLOADED)
                return redirect(_next(request, merchant))
    if wants_json(request):
        return _errors_json(form)
    return _page(request, merchant, shopper_model, photo_form=form, status=400)


def _photo_delete(request, merchant, shopper_model):
    had_photo = shopper_model is not None and shopper_model.has_photo
    if had_photo:
        shopper_photo_delete(shopper_model=shopper_model)
    words = DELETED if had_photo else NO_PHOTO
    if wants_json(request):
        return JsonResponse({"deleted": had_photo, "message": words})
    messages.success(request, words)
    return redirect("shop:your-model", merchant_slug=merchant.slug)
