"""What most shop and admin stories start from: a merchant's shop with one of every pick."""

import pytest

from tests.factories import StaffFactory, shop_with_picks


@pytest.fixture
def shop():
    return shop_with_picks()


@pytest.fixture
def staff_client(client, shop):
    """The admin, signed in as a member of the shop's merchant's staff."""
    client.force_login(StaffFactory(merchant=shop["merchant"]))
    return client
