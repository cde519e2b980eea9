"""The API's storefronts (tests/tryon/api/conftest.py), for the casting API's stories."""

from tests.tryon.api.conftest import fresh_rate_limits, other_storefront, storefront  # noqa: F401
