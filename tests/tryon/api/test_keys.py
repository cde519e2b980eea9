"""A merchant makes a key for a storefront, sees it once, and can revoke it; we keep only a hash."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tests.factories import MerchantFactory, StaffFactory
from tests.tryon.api.conftest import error_of
from tryon.api.keys import key_parse, secret_matches
from tryon.api.models import StorefrontKey

pytestmark = pytest.mark.django_db


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_a_key_made_on_the_command_line_is_printed_once_and_only_its_hash_is_kept():
    merchant = MerchantFactory(slug="acme")
    out, err = io.StringIO(), io.StringIO()

    call_command("tryon_apikey", "create", "--merchant", "acme", "--name", "Shopify store", stdout=out, stderr=err)

    key = out.getvalue().strip()
    prefix, secret = key_parse(key)
    row = StorefrontKey.objects.get()
    assert row.merchant == merchant and row.name == "Shopify store" and row.prefix == prefix
    assert "shown only now" in err.getvalue()
    assert secret not in row.secret_hash and secret_matches(secret, row.secret_hash)
    assert not secret_matches(secret + "x", row.secret_hash)
    listing = io.StringIO()
    call_command("tryon_apikey", "list", stdout=listing)
    assert prefix in listing.getvalue() and secret not in listing.getvalue()
    assert bearer(key).get("/api/v1/poses").status_code == 200


def test_an_unknown_merchant_is_refused_with_the_choices():
    MerchantFactory(slug="acme")

    with pytest.raises(CommandError, match="choose from acme"):
        call_command("tryon_apikey", "create", "--merchant", "nope", "--name", "x", stdout=io.StringIO())


def test_a_revoked_key_is_refused_at_once(storefront):
    assert storefront.client.get("/api/v1/poses").status_code == 200

    out = io.StringIO()
    call_command("tryon_apikey", "revoke", storefront.key_row.prefix, stdout=out)

    assert "is now revoked" in out.getvalue()
    response = storefront.client.get("/api/v1/poses")
    assert response.status_code == 401
    assert error_of(response) == {"code": "unauthenticated", "message": "This API key has been revoked."}
    call_command("tryon_apikey", "revoke", storefront.key_row.prefix, stdout=out)
    assert "was already revoked" in out.getvalue()


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer nonsense", "Bearer tryon_sk_000000000000_secret", "Token abc", "Basic dXNlcjpwYXNz"],
)
def test_a_missing_or_wrong_key_is_unauthenticated_and_says_how_to_authenticate(storefront, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/poses")

    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_right_prefix_with_a_wrong_secret_is_refused(storefront):
    prefix = storefront.key_row.prefix

    response = bearer(f"tryon_sk_{prefix}_not-the-secret").get("/api/v1/poses")

    assert response.status_code == 401 and error_of(response)["message"] == "Invalid API key."


def test_last_used_is_recorded_but_written_at_most_once_a_minute(storefront, django_assert_num_queries):
    key = storefront.key_row
    assert key.last_used_at is None

    storefront.client.get("/api/v1/scenes")
    key.refresh_from_db()
    first_use = key.last_used_at
    assert first_use is not None

    # key lookup, the shared throttle counter (one upsert that returns the count), count, page: no key UPDATE
    with django_assert_num_queries(4):
        storefront.client.get("/api/v1/scenes")
    key.refresh_from_db()
    assert key.last_used_at == first_use

    StorefrontKey.objects.filter(pk=key.pk).update(last_used_at=first_use - timedelta(minutes=2))
    storefront.client.get("/api/v1/scenes")
    key.refresh_from_db()
    assert key.last_used_at > first_use


def test_merchant_staff_signed_in_to_the_admin_may_use_the_api_for_their_own_merchant(storefront, other_storefront):
    response = storefront.staff_client().get("/api/v1/scenes")

    assert response.status_code == 200
    assert [scene["id"] for scene in response.json()["results"]] == [storefront["scene"].id]


def test_a_signed_in_operator_of_no_merchant_is_forbidden():
    client = APIClient()
    client.force_login(StaffFactory(merchant=None, is_superuser=True))

    response = client.get("/api/v1/scenes")

    assert response.status_code == 403 and error_of(response)["code"] == "permission_denied"
