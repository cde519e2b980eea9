"""Webhook endpoints and their delivery log: the API's face of tryon.webhooks."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from tryon.api.apis.base import MerchantScoped, ScopedDetailApi, ScopedListApi, validated
from tryon.api.auth import merchant_of
from tryon.api.idempotency import idempotent
from tryon.api.serializers import (
    WebhookDeliveryOutput,
    WebhookEndpointCreatedOutput,
    WebhookEndpointCreateInput,
    WebhookEndpointOutput,
    WebhookSigningSecretOutput,
)
from tryon.webhooks import selectors
from tryon.webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_signing_secret_get,
    webhook_signing_secret_rotate,
)
from tryon.webhooks.signing import __doc__ as SIGNING_DOC


class WebhookEndpointListApi(ScopedListApi):
    selector, serializer_class = selectors.webhook_endpoint_list, WebhookEndpointOutput


class WebhookEndpointCreateApi(APIView):
    throttle_scope = "write"

    @extend_schema(
        request=WebhookEndpointCreateInput,
        responses={201: WebhookEndpointCreatedOutput},
        summary="Register a webhook endpoint",
        description="Events: tryon.succeeded, tryon.failed, tryon.cancelled. The `secret` is in this response "
        f"only; keep it to verify deliveries.\n\n{SIGNING_DOC}",
    )
    @idempotent
    def post(self, request):
        endpoint = webhook_endpoint_create(
            merchant=merchant_of(request), **validated(WebhookEndpointCreateInput, request.data)
        )
        return Response(WebhookEndpointCreatedOutput(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookEndpointDetailApi(ScopedDetailApi):
    selector, serializer_class = selectors.webhook_endpoint_list, WebhookEndpointOutput


class WebhookEndpointDeleteApi(MerchantScoped, generics.DestroyAPIView):
    throttle_scope = "write"
    selector, serializer_class = selectors.webhook_endpoint_list, WebhookEndpointOutput

    @extend_schema(summary="Delete a webhook endpoint and its delivery log")
    def delete(self, request, *args, **kwargs):
        return super().delete(request, *args, **kwargs)

    def perform_destroy(self, endpoint):
        webhook_endpoint_delete(endpoint=endpoint)


class WebhookDeliveryListApi(ScopedListApi):
    serializer_class = WebhookDeliveryOutput

    @extend_schema(summary="The delivery log of one endpoint, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.webhook_delivery_list(merchant=self.merchant, endpoint_id=self.kwargs["id"])


SIGNING_SECRET_DOC = (
    "Deliveries to a `webhook_url` given with a request (the FASHN-compatible API) have no endpoint, and so no "
    f"secret of their own: this merchant-wide secret signs them.\n\n{SIGNING_DOC}"
)


class WebhookSigningSecretApi(APIView):
    @extend_schema(
        responses=WebhookSigningSecretOutput,
        summary="The secret that signs one-off deliveries",
        description=SIGNING_SECRET_DOC,
    )
    def get(self, request):
        secret = webhook_signing_secret_get(merchant=merchant_of(request))
        return Response(WebhookSigningSecretOutput({"secret": secret}).data)


class WebhookSigningSecretRotateApi(APIView):
    throttle_scope = "write"

    @extend_schema(
        request=None,
        responses=WebhookSigningSecretOutput,
        summary="Replace the one-off signing secret",
        description="Deliveries made from now on are signed with the new secret; the old one stops working.",
    )
    def post(self, request):
        secret = webhook_signing_secret_rotate(merchant=merchant_of(request))
        return Response(WebhookSigningSecretOutput({"secret": secret}).data)
