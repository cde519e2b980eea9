"""FASHN's `mode` changes the render: performance takes fewer steps than balanced, quality more, on the server's
preset; a distilled preset keeps the steps it was trained for. A mode's preset that does not exist stops the
server at start-up, naming the variable."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.tryon.fashn.conftest import data_uri
from tests.tryon.fashn.test_retention import fashn_client
from tryon.fashn.apps import fashn_presets_check
from tryon.fashn.models import Prediction
from tryon.fashn.services import mode_steps

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_mode_renders_with_its_own_number_of_steps(storefront, settings, garment_png, person_png):
    settings.TRYON_PRESET = "tiny"  # 4 steps of its own
    client = fashn_client(storefront)
    steps = {}
    for mode in ("performance", "balanced", "quality"):
        inputs = {"model_image": data_uri(person_png), "garment_image": data_uri(garment_png), "mode": mode}
        answer = client.post("/v1/run", {"model_name": "tryon-v1.6", "inputs": inputs}, format="json")
        assert answer.status_code == 200, answer.json()
        steps[mode] = Prediction.objects.get(pk=answer.json()["id"]).job.plan["steps"]

    assert steps == {"performance": 2, "balanced": 4, "quality": 6}


def test_a_distilled_preset_keeps_its_steps_in_every_mode():
    assert {mode_steps(preset="tiny-fast", mode=mode) for mode in ("performance", "quality")} == {None}


def test_a_modes_preset_that_does_not_exist_stops_the_server_naming_the_variable(settings):
    settings.TRYON_FASHN_PRESETS = {"performance": "sd15-fastest", "balanced": "", "quality": ""}
    with pytest.raises(ImproperlyConfigured, match=r"TRYON_FASHN_PRESET_PERFORMANCE: 'sd15-fastest' is not a preset"):
        fashn_presets_check()

    settings.TRYON_FASHN_PRESETS = {"performance": "tiny-fast", "balanced": "", "quality": "tiny"}
    fashn_presets_check()
