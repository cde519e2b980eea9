"""A webhook goes to the address that was checked, and what a receiver answers stays with the receiver: the
delivery log keeps its status, never its body."""

import socket

import pytest

from tests.factories import shop_with_picks
from tests.tryon.api.receiver import Receiver
from tryon.webhooks.models import WebhookDelivery
from tryon.webhooks.services import webhook_delivery_attempt, webhook_send

pytestmark = pytest.mark.django_db
REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def receiver(settings):
    settings.TRYON_WEBHOOK_ALLOW_PRIVATE_NETWORKS = True  # the receiver runs on 127.0.0.1
    with Receiver() as running:
        yield running


def fake_dns(monkeypatch, name: str, addresses: list[str]) -> list:
    """`name` resolves to the next of `addresses` at each lookup (the last repeats); other names as usual."""
    lookups = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != name:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        lookups.append(host)
        address = addresses[min(len(lookups), len(addresses)) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def test_a_name_that_rebinds_to_our_network_after_the_check_never_reaches_it(receiver, monkeypatch, settings):
    settings.TRYON_WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    settings.TRYON_WEBHOOK_CONNECT_TIMEOUT = 1
    # A public address for the check, then the internal receiver for whoever looks again.
    lookups = fake_dns(monkeypatch, "hooks.attacker.test", ["8.8.8.8", "127.0.0.1"])
    url = f"http://hooks.attacker.test:{receiver.server.server_port}/in"
    delivery = webhook_send(merchant=shop_with_picks()["merchant"], url=url, event="e", payload={})

    webhook_delivery_attempt(delivery_id=delivery.id)

    assert receiver.received == [] and lookups == ["hooks.attacker.test"]
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.last_error  # 8.8.8.8 is not our receiver


def test_a_pinned_delivery_still_names_the_host_it_was_sent_to(receiver, monkeypatch):
    lookups = fake_dns(monkeypatch, "hooks.shop.test", ["127.0.0.1", "127.0.0.2"])  # nothing on 127.0.0.2
    port = receiver.server.server_port
    merchant = shop_with_picks()["merchant"]
    delivery = webhook_send(merchant=merchant, url=f"http://hooks.shop.test:{port}/in", event="e", payload={})

    assert webhook_delivery_attempt(delivery_id=delivery.id) is None

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED and lookups == ["hooks.shop.test"]
    headers, _ = receiver.received[0]
    assert headers["Host"] == f"hooks.shop.test:{port}"


def test_the_delivery_log_keeps_the_receivers_status_but_not_its_body(receiver):
    merchant = shop_with_picks()["merchant"]
    delivery = webhook_send(merchant=merchant, url=receiver.url, event="e", payload={})
    receiver.answer(500, body=b"Traceback: psycopg.OperationalError password=hunter2 host=db.internal")

    webhook_delivery_attempt(delivery_id=delivery.id)

    delivery.refresh_from_db()
    assert delivery.last_error == "HTTP 500 Internal Server Error"
    assert delivery.response_status == 500
