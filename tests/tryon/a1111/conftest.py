"""A1111 clients, unmodified: `webuiapi.WebUIApi` pointed at this server's /sdapi/v1 with a storefront key."""

import pytest
import webuiapi
from django.core.cache import cache
from PIL import Image

from prompts.conditioning import render_pose
from tests.factories import FRONT_STANDING, MerchantFactory
from tryon.api.services import storefront_key_create


class Storefront:
    """One merchant's key, and the A1111 client a storefront developer already has, signed in with it."""

    def __init__(self, base_url: str, name: str):
        self.merchant = MerchantFactory(name=name)
        self.key_row, self.key = storefront_key_create(merchant=self.merchant, name=f"{name} A1111 script")
        self.base_url = base_url
        self.api = webuiapi.WebUIApi(baseurl=f"{base_url}/sdapi/v1")
        self.api.set_auth(self.key_row.prefix, self.key)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def storefront(live_server) -> Storefront:
    return Storefront(live_server.url, "Atelier")


@pytest.fixture
def other_storefront(live_server) -> Storefront:
    return Storefront(live_server.url, "Someone else")


def skeleton(width: int = 128, height: int = 192) -> Image.Image:
    """What A1111 users send an OpenPose ControlNet with module "none": the skeleton, already drawn."""
    return render_pose(FRONT_STANDING.keypoints, width=width, height=height)


def photo(width: int = 128, height: int = 192, colour=(200, 60, 40)) -> Image.Image:
    """A picture with a left and a right half, so a repaint of one half shows."""
    image = Image.new("RGB", (width, height), colour)
    image.paste((30, 90, 200), (width // 2, 0, width, height))
    return image


def png_parameters(image: Image.Image) -> str:
    """The infotext A1111 writes into a PNG, as its PNG Info tab reads it."""
    return image.info.get("parameters", "")
