"""The "Render previews" admin action: pick fashion models × poses × scenes for the selected items, start a batch.

On garments it renders into each garment's own catalog item (an existing item that holds exactly that
garment, else a new one with SKU G-<id>): previews always land in a gallery, awaiting approval.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from prompts import MAX_SAMPLES
from tryon.catalog.admin_display import fashion_model_thumbnail, pose_thumbnail, scene_thumbnail
from tryon.catalog.garment_items import catalog_items_for_garments
from tryon.catalog.models import Garment
from tryon.catalog.selectors import picks_for
from tryon.jobs.batches import MAX_IMAGES_PER_BATCH, tryon_batch_create
from tryon.merchants.scoping import merchant_of


class RenderPreviewsForm(forms.Form):
    fashion_models = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple)
    poses = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple)
    scenes = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple)
    samples = forms.TypedChoiceField(
        choices=[(n, n) for n in range(1, MAX_SAMPLES + 1)],
        coerce=int,
        initial=1,
        required=False,
        empty_value=1,
        label="Images per combination",
        help_text="More to choose from when approving; each takes as long to render as one.",
    )

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        for name, queryset in picks_for(merchant=merchant).items():
            self.fields[name].queryset = queryset
            self.fields[name].error_messages["required"] = f"Pick at least one of the {name.replace('_', ' ')}."


def _the_merchant(request, queryset):
    """Staff render for their own merchant; an operator only for a selection from a single merchant."""
    if not request.user.is_superuser:
        return merchant_of(request)
    merchants = {obj.merchant for obj in queryset}
    return merchants.pop() if len(merchants) == 1 else None


def _flat(error: ValidationError) -> list[str]:
    return [message for messages_ in error.message_dict.values() for message in messages_]


def _pickers(form):
    """Each picker's checkboxes with a picture: photos or initials, pose skeletons."""
    pictures = {"fashion_models": fashion_model_thumbnail, "poses": pose_thumbnail, "scenes": scene_thumbnail}
    return [
        (form[name], [(choice, picture(choice.data["value"].instance) if picture else "") for choice in form[name]])
        for name, picture in pictures.items()
    ]


@admin.action(description="Render previews…")
def render_previews(modeladmin, request, queryset):
    merchant = _the_merchant(request, queryset)
    if merchant is None:
        modeladmin.message_user(request, "Pick items of one merchant at a time.", messages.ERROR)
        return None
    form = RenderPreviewsForm(request.POST if "render" in request.POST else None, merchant=merchant)
    if form.is_valid():
        try:
            with transaction.atomic():
                items = list(queryset)
                if queryset.model is Garment:
                    items = catalog_items_for_garments(merchant=merchant, garments=items)
                batch = tryon_batch_create(merchant=merchant, catalog_items=items, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, _flat(error))
        else:
            size, samples = batch.jobs.count(), form.cleaned_data["samples"]
            images = f"{size} previews" if samples == 1 else f"{size} previews, {size * samples} images"
            modeladmin.message_user(request, f"Rendering {images}; they arrive in the galleries to approve.")
            return redirect("admin:jobs_tryonbatch_change", batch.id)
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Render previews",
        "opts": opts,
        "form": form,
        "pickers": _pickers(form),
        "selection": list(queryset),
        "garments": queryset.model is Garment,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "max_images": MAX_IMAGES_PER_BATCH,
        "media": modeladmin.media,
    }
    return TemplateResponse(request, "admin/jobs/render_previews.html", context)
