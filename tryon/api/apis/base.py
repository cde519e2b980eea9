import threading

from rest_framework import generics, serializers

from tryon.api.auth import merchant_of
from tryon.merchants.models import Merchant


def validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    if serializer_class.get_fields is not serializers.Serializer.get_fields:  # fields of its own each time
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
    fields = serializer.fields = _fields_built_once(serializer)
    _point_fields(fields, serializer)
    try:
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
    finally:  # the kept fields must not keep the body (a shopper's photo) alive until the thread's next request
        _point_fields(fields, None)


_built = threading.local()


def _fields_built_once(serializer: serializers.Serializer) -> dict:
    """A serializer class's fields, built (deep-copied from the class) once per thread, then pointed at each new
    serializer. DRF copies every declared field for each instance, which cost more CPU than validating a
    submission's body; validating keeps nothing on a plain field, and a thread validates one body at a time."""
    kept = _built.__dict__.setdefault("fields", {})
    if (fields := kept.get(type(serializer))) is None:
        fields = kept[type(serializer)] = serializer.fields
    return fields


def _point_fields(fields, serializer) -> None:
    fields.serializer = serializer
    for field in fields.values():
        field.parent = serializer


class MerchantScoped:
    # `selector(merchant=...)` gives the rows this caller may see; there is no other way to rows here.
    # (A comment, not a docstring: docstrings of API classes become the public API description.)

    selector = None
    serializer_class = None
    lookup_field = "pk"
    lookup_url_kwarg = "id"

    @property
    def merchant(self) -> Merchant:
        return merchant_of(self.request)

    def get_queryset(self):
        return type(self).selector(merchant=self.merchant)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "merchant": self.merchant}  # which links may be long-lived

    @property
    def queryset(self):
        # Tells the OpenAPI generator the model; always empty, so it can never leak rows.
        return self.serializer_class.Meta.model.objects.none()


class ScopedListApi(MerchantScoped, generics.ListAPIView):
    throttle_scope = "read"


class ScopedDetailApi(MerchantScoped, generics.RetrieveAPIView):
    throttle_scope = "read"
