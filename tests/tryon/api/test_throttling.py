"""Each storefront key has its own budget of requests; past it, 429 and how long to wait."""

import pytest

from tests.tryon.api.conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_limits(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"read": "3/min", "write": "2/min"},
    }


def test_creates_past_the_budget_are_throttled_with_retry_after_for_that_key_only(storefront, tight_limits):
    bad_body = {}  # cheap to refuse, and still counted: the budget is checked before the body

    answers = [storefront.client.post("/api/v1/tryons", bad_body, format="json") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [400, 400, 429]
    error = error_of(answers[-1])
    assert error["code"] == "throttled" and 0 < error["details"]["retry_after"] <= 60
    assert int(answers[-1]["Retry-After"]) == error["details"]["retry_after"]
    assert storefront.client.get("/api/v1/poses").status_code == 200  # reads have their own budget
    other_key = storefront.another_key_client()
    assert other_key.post("/api/v1/tryons", bad_body, format="json").status_code == 400


def test_reads_past_the_budget_are_throttled(storefront, tight_limits):
    statuses = [storefront.client.get("/api/v1/scenes").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
