from rest_framework import generics

from tryon.api.auth import merchant_of
from tryon.merchants.models import Merchant


def validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


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
