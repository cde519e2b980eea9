"""A database from before webhooks were their own app upgrades with every endpoint and delivery kept."""

import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import MerchantFactory
from tryon.webhooks.models import WebhookDelivery, WebhookEndpoint

BEFORE = [("api", "0002_webhook_endpoint_breaker"), ("webhooks", None)]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor


@pytest.mark.django_db(transaction=True)
def test_endpoints_and_deliveries_made_under_the_api_app_survive_the_move():
    merchant = MerchantFactory()
    ContentType.objects.get_for_model(WebhookEndpoint).delete()  # as it was named before: api.webhookendpoint
    ContentType.objects.create(app_label="api", model="webhookendpoint")
    try:
        old = migrate(BEFORE).loader.project_state(BEFORE[:1]).apps
        Endpoint, Delivery = old.get_model("api", "WebhookEndpoint"), old.get_model("api", "WebhookDelivery")
        endpoint = Endpoint.objects.create(
            merchant_id=merchant.id, url="https://shop.example/h", secret="whsec_kept", events=["tryon.failed"]
        )
        event_id = uuid.uuid4()
        Delivery.objects.create(
            merchant_id=merchant.id, endpoint=endpoint, event="tryon.failed", event_id=event_id, body='{"a":1}'
        )
    finally:
        migrate(None)

    kept = WebhookEndpoint.objects.get()
    assert (kept.id, kept.url, kept.secret, kept.events) == (
        endpoint.id,
        "https://shop.example/h",
        "whsec_kept",
        ["tryon.failed"],
    )
    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint, delivery.event_id, delivery.body, delivery.url) == (kept, event_id, '{"a":1}', "")
    assert WebhookEndpoint._meta.db_table == "webhooks_webhookendpoint"
    assert ContentType.objects.get(app_label="webhooks", model="webhookendpoint")
    assert not ContentType.objects.filter(app_label="api", model__startswith="webhook").exists()
    # The moved tables' id sequences go on where they were.
    assert WebhookEndpoint.objects.create(merchant=merchant, url="https://b.example/h", secret="s").id > kept.id
