"""Django admin scoped to the signed-in user's merchant: staff see, pick and save only their own rows."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import Http404

from tryon.json_input import JSON_FORMFIELD_OVERRIDES


def merchant_of(request):
    return getattr(request.user, "merchant", None)


def staff_of(user, merchant) -> bool:
    """Whether `user` works for `merchant`: its own active staff, or an operator (who works for all)."""
    if not (user.is_active and user.is_staff):
        return False
    return user.is_superuser or (merchant is not None and getattr(user, "merchant_id", None) == merchant.id)


class StorableFilters:
    """Changelist filters the database can compare: one with a NUL (PostgreSQL refuses it in any text, a 500)
    is an incorrect lookup, which the admin answers by showing the list unfiltered with a note (?e=1)."""

    def get_changelist_instance(self, request):
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
            raise IncorrectLookupParameters("A filter holds a NUL character.")
        return super().get_changelist_instance(request)


def _transient_field(model) -> bool:
    return any(field.name == "transient" for field in model._meta.fields)


def _catalog_only(queryset):
    """Photos sent with one API request (`transient`, tryon.fashn) are no part of the catalog staff manage."""
    return queryset.filter(transient=False) if _transient_field(queryset.model) else queryset


class MerchantScopedAdmin(StorableFilters, admin.ModelAdmin):
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # JSON too deep or unstorable: a field error, not a 500

    def _allowed(self, request) -> bool:
        return (
            request.user.is_active
            and request.user.is_staff
            and (request.user.is_superuser or merchant_of(request) is not None)
        )

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request) and (obj is None or self._owns(request, obj))

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request) and (obj is None or self._owns(request, obj))

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request) and (obj is None or self._owns(request, obj))

    def viewable_object_or_404(self, request, object_id):
        """For an admin's own views (a PNG of a row, say): the row if this user may see it, else 404."""
        obj = self.get_object(request, str(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404(f"No such {self.model._meta.verbose_name}")
        return obj

    def _owns(self, request, obj) -> bool:
        return request.user.is_superuser or obj.merchant_id == getattr(merchant_of(request), "id", None)

    def get_queryset(self, request):
        queryset = _catalog_only(super().get_queryset(request))
        return queryset if request.user.is_superuser else queryset.filter(merchant=merchant_of(request))

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        return excluded if request.user.is_superuser else [*excluded, "merchant"]

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.merchant = merchant_of(request)
        super().save_model(request, obj, form, change)

    def _scope_choices(self, request, db_field, kwargs):
        model = db_field.remote_field.model
        if not request.user.is_superuser and any(f.name == "merchant" for f in model._meta.fields):
            kwargs["queryset"] = model._default_manager.filter(merchant=merchant_of(request))
        if "queryset" in kwargs or _transient_field(model):
            kwargs["queryset"] = _catalog_only(kwargs.get("queryset", model._default_manager.all()))
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **self._scope_choices(request, db_field, kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(db_field, request, **self._scope_choices(request, db_field, kwargs))
