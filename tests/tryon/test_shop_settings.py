"""A merchant's staff switch their own shop's settings in the admin: shoppers' own photos (off by default)
and the moderation level, with the level in force shown. They only ever reach their own shop's."""

import pytest

from tests.factories import MerchantFactory, StaffFactory

pytestmark = pytest.mark.django_db
URL = "/admin/merchants/merchant/shop-settings/"


@pytest.fixture
def two_shops(client):
    ours, theirs = MerchantFactory(name="Ours boutique"), MerchantFactory(name="Theirs boutique")
    client.force_login(StaffFactory(merchant=ours))
    return ours, theirs


def test_staff_find_their_shop_settings_off_by_default_and_switch_own_photos_on(client, two_shops):
    ours, _theirs = two_shops

    home = client.get("/admin/").content.decode()
    page = client.get(URL).content.decode()

    assert f'href="{URL}">Shop settings</a>' in home
    assert "Ours boutique" in page and "Shoppers may use their own photo" in page
    assert 'name="shopper_photos"' in page and "checked" not in page.split('name="shopper_photos"')[1].split(">")[0]
    assert "Moderation in force now: <strong data-effective-moderation>Off</strong>" in page

    saved = client.post(URL, {"shopper_photos": "on", "moderation_level": ""}, follow=True)

    ours.refresh_from_db()
    assert (ours.shopper_photos, ours.moderation_level, ours.moderation) == (True, "", "permissive")
    assert "Shop settings saved." in saved.content.decode()
    assert "<strong data-effective-moderation>Permissive</strong>" in saved.content.decode()


def test_staff_pick_a_moderation_level_and_a_level_that_does_not_exist_is_a_field_error(client, two_shops):
    ours, _theirs = two_shops

    client.post(URL, {"moderation_level": "conservative"})
    ours.refresh_from_db()
    assert (ours.shopper_photos, ours.moderation) == (False, "conservative")

    refused = client.post(URL, {"shopper_photos": "on", "moderation_level": "lenient"})

    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    ours.refresh_from_db()
    assert (ours.shopper_photos, ours.moderation_level) == (False, "conservative")


def test_staff_never_see_or_change_another_merchants_settings(client, two_shops):
    ours, theirs = two_shops

    page = client.get(URL, {"merchant": theirs.id}).content.decode()
    client.post(URL, {"merchant": theirs.id, "id": theirs.id, "shopper_photos": "on", "moderation_level": "off"})

    assert "Theirs boutique" not in page
    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert (theirs.shopper_photos, theirs.moderation_level) == (False, "")  # untouched
    assert (ours.shopper_photos, ours.moderation_level) == (True, "off")  # the post changed their own shop
    assert client.get(f"/admin/merchants/merchant/{theirs.id}/change/").status_code == 403
    assert client.post(f"/admin/merchants/merchant/{theirs.id}/change/", {"shopper_photos": "on"}).status_code == 403


def test_shoppers_and_signed_out_visitors_are_sent_to_sign_in(client):
    merchant = MerchantFactory()

    response = client.post(URL, {"shopper_photos": "on"})

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    merchant.refresh_from_db()
    assert merchant.shopper_photos is False


def test_operators_are_pointed_to_each_merchants_page(admin_client):
    MerchantFactory(name="Any boutique")

    page = admin_client.get(URL).content.decode()

    assert 'href="/admin/merchants/merchant/">merchant page</a>' in page and "Any boutique" not in page
