"""The merchant admin's "Shop settings" page: a merchant's staff switch shoppers' own photos and moderation
for their own shop. It never takes a merchant from the request: staff change the one they work for."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from tryon.merchants.models import ModerationLevel
from tryon.merchants.scoping import merchant_of
from tryon.merchants.services import merchant_shop_settings_update

DEFAULT_LEVEL = "Default: permissive while shoppers may use their own photo, else off"


class ShopSettingsForm(forms.Form):
    shopper_photos = forms.BooleanField(
        required=False,
        label="Shoppers may use their own photo",
        help_text="With their consent, shoppers try garments on a photo of themselves. The photo and everything "
        "made from it are only shown to that shopper, never in your gallery, and are deleted after "
        "the retention time.",
    )
    moderation_level = forms.ChoiceField(
        required=False,
        label="Moderation",
        choices=[("", DEFAULT_LEVEL), *ModerationLevel.choices],
        help_text="Safety checks on renders and on shoppers' photos; a blocked picture is never stored or shown.",
    )


def shop_settings_view(model_admin, request):
    merchant = merchant_of(request)
    context = {**model_admin.admin_site.each_context(request), "title": "Shop settings", "merchant": merchant}
    if merchant is None:  # an operator: every merchant's settings are on its own page
        context["merchants_url"] = reverse("admin:merchants_merchant_changelist")
        return TemplateResponse(request, "admin/merchants/shop_settings.html", context)
    initial = {"shopper_photos": merchant.shopper_photos, "moderation_level": merchant.moderation_level}
    form = ShopSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        merchant_shop_settings_update(merchant=merchant, **form.cleaned_data)
        model_admin.message_user(request, "Shop settings saved.", messages.SUCCESS)
        return redirect("admin:merchants_merchant_shop_settings")
    context.update(form=form, effective=ModerationLevel(merchant.moderation).label)
    return TemplateResponse(request, "admin/merchants/shop_settings.html", context)
