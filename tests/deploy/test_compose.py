"""An operator runs deploy/compose.yaml: it is a valid Compose file (the compose-spec project's own JSON schema),
and every service starts something that exists: real manage.py commands, the Celery app on queues the code
sends to, gunicorn on the WSGI app, settings the code reads. Broken copies show each check can fail."""

import copy
import json
from pathlib import Path

import pytest
from django.conf import settings
from jsonschema import Draft202012Validator

from generation.presets import all_presets
from tests.deploy.checks import (
    APP_IMAGE,
    DEPLOY,
    REPO,
    compose_problems,
    compose_variables,
    env_example,
    env_names_read_by_code,
    interpolated,
    load_compose,
    render_queue_preset,
)

# Vendored from the compose-spec project (schema/compose-spec.json, Apache-2.0: compose-spec.LICENSE), as
# check-jsonschema 0.39.0 ships it on PyPI.
SCHEMA = json.loads((Path(__file__).parent / "compose-spec.json").read_text())
HARD_LIMIT = settings.CELERY_TASK_TIME_LIMIT  # TRYON_HARD_TIME_LIMIT's default under test


def schema_errors(compose: dict) -> list[str]:
    validator = Draft202012Validator(SCHEMA)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(compose)]


@pytest.fixture
def compose():
    return load_compose()


@pytest.fixture
def variables():
    """The operator's deploy/.env: the example as shipped."""
    return env_example()


def services_of(compose, variables) -> dict:
    return {name: interpolated(service, variables) for name, service in compose["services"].items()}


def test_the_compose_file_is_valid_against_the_compose_spec_schema(compose):
    assert schema_errors(compose) == []


def test_every_service_starts_something_real_with_settings_the_code_reads(compose, variables):
    assert compose_problems(compose, variables, hard_time_limit=HARD_LIMIT) == []


def test_it_runs_the_whole_service_web_workers_per_preset_webhooks_beat_and_its_stores(compose, variables):
    services = services_of(compose, variables)
    assert {"web", "webhooks", "beat", "migrate", "postgres", "redis", "minio", "minio-init", "proxy"} <= set(services)
    assert services["flower"]["profiles"] == ["flower"]  # optional
    assert "gunicorn" in services["web"]["command"]

    workers = {
        name: service["environment"]["TRYON_PRESET"]
        for name, service in services.items()
        if service.get("image") == APP_IMAGE and "TRYON_PRESET" in (service.get("environment") or {})
    }
    assert sorted(workers.values()) == ["sd15", "sd15-fast", "sdxl"]  # one per real preset, each on its GPU
    assert set(workers.values()) <= set(all_presets())
    assert "profiles" not in services["worker-sd15"]  # the default preset's worker always starts
    assert "--queues=tryon.webhooks" in services["webhooks"]["command"]
    assert "--pool=threads" in services["webhooks"]["command"]
    assert "mc mb" in services["minio-init"]["entrypoint"][2]  # the bucket exists before anything writes to it


def test_every_variable_in_the_env_example_is_read_by_the_code_or_fills_the_compose_file():
    compose_text = (DEPLOY / "compose.yaml").read_text()
    known = env_names_read_by_code() | compose_variables(compose_text)
    assert sorted(set(env_example()) - known) == []
    assert sorted(compose_variables(compose_text) - set(env_example())) == []  # the example names every ${VAR}


def test_the_compose_build_uses_the_dockerfile_and_copies_only_what_exists(compose):
    build = compose["x-app"]["build"]
    dockerfile = (DEPLOY / build["context"] / build["dockerfile"]).resolve()
    assert dockerfile == DEPLOY / "Dockerfile"
    for line in dockerfile.read_text().splitlines():
        if line.startswith("COPY "):
            *sources, _target = line.split()[1:]
            assert all((REPO / source).exists() for source in sources), line


# --- Each check can fail: broken copies of the real file ---


def test_a_worker_on_a_misspelt_queue_is_named(compose, variables):
    broken = copy.deepcopy(compose)
    command = broken["services"]["webhooks"]["command"]
    command[command.index("--queues=tryon.webhooks")] = "--queues=tryon.webhook"

    assert compose_problems(broken, variables, hard_time_limit=HARD_LIMIT) == [
        "service webhooks: no queue the code sends to is 'tryon.webhook'"
    ]


def test_a_render_worker_that_prefetches_or_consumes_another_presets_queue_is_named(compose, variables):
    broken = copy.deepcopy(compose)
    script = compose["services"]["worker-sd15"]["command"][2]  # shared by every render worker (a YAML alias)
    broken["services"]["worker-sd15"]["command"] = ["sh", "-c", script.replace("--prefetch-multiplier=1", "")]
    broken["services"]["worker-sdxl"]["command"] = ["sh", "-c", script.replace("tryon.$$TRYON_PRESET", "tryon.sd15")]

    assert compose_problems(broken, variables, hard_time_limit=HARD_LIMIT) == [
        "service worker-sd15: a render worker needs --prefetch-multiplier=1, not None",
        "service worker-sdxl: consumes the queues of ['sd15'] but loads TRYON_PRESET='sdxl'",
    ]


def test_a_render_worker_without_a_gpu_or_a_short_grace_period_is_named(compose, variables):
    broken = copy.deepcopy(compose)
    del broken["services"]["worker-sd15"]["deploy"]
    broken["services"]["worker-sdxl"]["stop_grace_period"] = "2m"

    problems = compose_problems(broken, variables, hard_time_limit=HARD_LIMIT)

    assert problems[0] == "service worker-sd15: a render worker reserves no NVIDIA GPU"
    assert problems[1].startswith("service worker-sdxl: stop with SIGTERM and a stop_grace_period over")
    assert len(problems) == 2


def test_an_unknown_setting_a_missing_command_and_a_dangling_volume_are_named(compose, variables):
    broken = copy.deepcopy(compose)
    broken["services"]["web"]["environment"]["TRYON_PRESETT"] = "sd15"
    broken["services"]["migrate"]["command"][2] = "python manage.py migrate && python manage.py collectstatics"
    broken["services"]["beat"]["volumes"] = ["schedule:/var/lib/tryon"]

    assert compose_problems(broken, variables, hard_time_limit=HARD_LIMIT) == [
        "service migrate: manage.py has no command 'collectstatics'",
        "service web: sets TRYON_PRESETT, which nothing reads",
        "service beat: volume 'schedule' is not declared under volumes:",
    ]


def test_the_schema_refuses_what_compose_would_refuse(compose):
    broken = copy.deepcopy(compose)
    broken["services"]["web"]["restart_policy"] = "always"  # a key compose does not know
    broken["services"]["proxy"]["depends_on"] = {"web": {"condition": "service_ready"}}

    errors = schema_errors(broken)

    assert any(e.startswith("services/web:") and "restart_policy" in e for e in errors), errors
    assert any(e.startswith("services/proxy/depends_on") and "service_ready" in e for e in errors), errors


def test_render_queues_are_read_as_presets():
    assert render_queue_preset("tryon.sd15-fast") == "sd15-fast"
    assert render_queue_preset("tryon.webhooks") is None
    assert render_queue_preset("tryon") is None
