from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.urls import path

from tryon.json_input import JSON_FORMFIELD_OVERRIDES
from tryon.merchants.models import Merchant, User
from tryon.merchants.scoping import StorableFilters
from tryon.merchants.shop_settings import shop_settings_view


class OperatorsOnly(StorableFilters):
    """Merchants and logins are the operator's business: merchant staff never see these pages."""

    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # e.g. quality thresholds: a field error, never a 500

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_change_permission = has_delete_permission = has_view_permission

    def has_add_permission(self, request):
        return self.has_module_permission(request)


@admin.register(Merchant)
class MerchantAdmin(OperatorsOnly, admin.ModelAdmin):
    list_display = ["name", "slug", "public_catalog_images", "created_at"]
    prepopulated_fields = {"slug": ["name"]}

    def get_urls(self):
        # Staff's own shop settings: any signed-in staff member, always their own merchant (shop_settings.py)
        view = self.admin_site.admin_view(self.shop_settings)
        return [path("shop-settings/", view, name="merchants_merchant_shop_settings"), *super().get_urls()]

    def shop_settings(self, request):
        return shop_settings_view(self, request)


@admin.register(User)
class TryOnUserAdmin(OperatorsOnly, UserAdmin):
    list_display = [*UserAdmin.list_display, "merchant"]
    list_filter = [*UserAdmin.list_filter, "merchant"]
    fieldsets = [*UserAdmin.fieldsets, ("Merchant", {"fields": ["merchant"]})]
    add_fieldsets = [
        (None, {**UserAdmin.add_fieldsets[0][1], "fields": [*UserAdmin.add_fieldsets[0][1]["fields"], "merchant"]})
    ]
