"""Webhook reads, always within one merchant."""

from django.db.models import QuerySet
from django.http import Http404

from tryon.merchants.models import Merchant
from tryon.webhooks.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list(*, merchant: Merchant) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(merchant=merchant)


def webhook_delivery_list(*, merchant: Merchant, endpoint_id: int) -> QuerySet[WebhookDelivery]:
    if not webhook_endpoint_list(merchant=merchant).filter(pk=endpoint_id).exists():
        raise Http404("No webhook endpoint matches the given query.")
    return WebhookDelivery.objects.filter(merchant=merchant, endpoint_id=endpoint_id)
