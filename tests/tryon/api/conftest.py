"""A storefront talking to the API: a merchant's shop, a key for it, and a client that sends it."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import StaffFactory, shop_with_picks
from tryon.api.services import storefront_key_create


class Storefront:
    """One merchant's shop as the API sees it, with a client that carries the storefront's key."""

    def __init__(self, name="Main storefront"):
        self.shop = shop_with_picks()
        self.merchant = self.shop["merchant"]
        self.key_row, self.key = storefront_key_create(merchant=self.merchant, name=name)
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.key}")

    def __getitem__(self, name):
        return self.shop[name]

    def another_key_client(self, name="Second storefront") -> APIClient:
        """The same merchant, through another storefront's key."""
        _row, key = storefront_key_create(merchant=self.merchant, name=name)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client

    def staff_client(self) -> APIClient:
        client = APIClient()
        client.force_login(StaffFactory(merchant=self.merchant))
        return client

    def tryon_body(self, **overrides) -> dict:
        return {
            "catalog_item_id": self["catalog_item"].id,
            "fashion_model_id": self["fashion_model"].id,
            "pose_id": self["pose"].id,
            "scene_id": self["scene"].id,
            **overrides,
        }


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Throttle counters live in the cache: each test starts with a full budget."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def storefront(db) -> Storefront:
    return Storefront()


@pytest.fixture
def other_storefront(db) -> Storefront:
    """Another merchant, with rows of every kind: none of them may ever show through."""
    return Storefront(name="Someone else's storefront")


def error_of(response) -> dict:
    """The `error` object every failed response carries, after checking it has the shared shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]) <= {"code", "message", "field", "details"}, body
    return body["error"]
