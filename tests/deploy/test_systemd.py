"""An operator installs deploy/systemd/: each unit runs something real (gunicorn on the WSGI app, the Celery app
on the queues the code sends to, with the worker's preset taken from its instance name), stops a render
worker gently enough for its job to finish, and passes `systemd-analyze verify` where systemd is installed."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.deploy.checks import DEPLOY, REPO, load_unit, unit_problems

UNITS = DEPLOY / "systemd"
HARD_LIMIT = settings.CELERY_TASK_TIME_LIMIT
REAL_PRESETS = ("sd15", "sd15-fast", "sdxl")


def test_there_is_a_unit_for_the_web_app_each_presets_worker_webhooks_and_beat():
    assert sorted(path.name for path in UNITS.glob("*.service")) == [
        "tryon-beat.service",
        "tryon-web.service",
        "tryon-webhooks.service",
        "tryon-worker@.service",
    ]


@pytest.mark.parametrize("name", ["tryon-web.service", "tryon-webhooks.service", "tryon-beat.service"])
def test_each_unit_runs_something_real(name):
    assert unit_problems(load_unit(UNITS / name), name, hard_time_limit=HARD_LIMIT) == []


@pytest.mark.parametrize("preset", REAL_PRESETS)
def test_the_worker_template_serves_the_preset_named_by_its_instance(preset):
    unit = load_unit(UNITS / "tryon-worker@.service")

    assert unit_problems(unit, "tryon-worker@.service", instance=preset, hard_time_limit=HARD_LIMIT) == []
    assert "--queues=tryon,tryon.%i" in unit["Service"]["ExecStart"]


def broken_worker(**changes) -> object:
    unit = load_unit(UNITS / "tryon-worker@.service")
    for key, value in changes.items():
        unit["Service"][key] = value
    return unit


def test_a_worker_that_a_stop_would_kill_mid_render_is_named():
    unit = broken_worker(TimeoutStopSec="90s")

    assert unit_problems(unit, "worker", instance="sd15", hard_time_limit=HARD_LIMIT) == [
        f"worker (instance sd15): KillSignal=SIGTERM and a TimeoutStopSec over the hard time limit ({HARD_LIMIT} s) "
        "so a warm shutdown finishes its job, not 90 s"
    ]


def test_a_worker_on_a_queue_nobody_sends_to_or_with_a_concurrency_of_two_is_named():
    exec_start = load_unit(UNITS / "tryon-worker@.service")["Service"]["ExecStart"]
    exec_start = exec_start.replace("--concurrency=1", "--concurrency=2").replace("tryon,", "render,")
    unit = broken_worker(ExecStart=exec_start)

    assert unit_problems(unit, "worker", instance="sdxl", hard_time_limit=HARD_LIMIT) == [
        "worker (instance sdxl): no queue the code sends to is 'render'",
        "worker (instance sdxl): a render worker needs --concurrency=1, not '2'",
        "worker (instance sdxl): a render worker also consumes 'tryon' (the sweeper's queue)",
    ]


def test_a_unit_starting_an_unknown_module_or_setting_an_unknown_variable_is_named():
    unit = load_unit(UNITS / "tryon-web.service")
    unit["Service"]["ExecStart"] = unit["Service"]["ExecStart"].replace("tryon.wsgi:application", "tryon.wsgi:app")
    unit["Service"]["Environment"] = "TRYON_WORKERS=4"

    problems = unit_problems(unit, "web", hard_time_limit=HARD_LIMIT)

    assert problems[0] == "web: sets TRYON_WORKERS, which nothing reads"
    assert problems[1].startswith("web: gunicorn cannot load 'tryon.wsgi:app'")


# --- systemd's own verdict ---


def installed_copies(tmp_path: Path, units: dict[str, str]) -> list[Path]:
    """The units as installed on this machine: this checkout and interpreter in place of /opt/tryon, root as user."""
    environment_file = tmp_path / "tryon.env"
    environment_file.write_text("DJANGO_DEBUG=0\n")
    paths = []
    for name, text in units.items():
        text = text.replace("/opt/tryon/.venv/bin/python", sys.executable).replace("/opt/tryon", str(REPO))
        text = text.replace("/etc/tryon/tryon.env", str(environment_file)).replace("=tryon\n", "=root\n")
        (tmp_path / name).write_text(text)
        paths.append(tmp_path / name)
    return paths


def systemd_verify(paths: list[Path], instances: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *instances],
        cwd=paths[0].parent,
        capture_output=True,
        text=True,
        timeout=60,
    )


needs_systemd = pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")


@needs_systemd
def test_systemd_analyze_verifies_every_unit(tmp_path):
    units = {path.name: path.read_text() for path in UNITS.glob("*.service")}
    paths = installed_copies(tmp_path, units)
    instances = [f"./{path.name}" for path in paths if "@" not in path.name]
    instances += [f"./tryon-worker@{preset}.service" for preset in REAL_PRESETS]

    verdict = systemd_verify(paths, instances)

    ours = [line for line in (verdict.stdout + verdict.stderr).splitlines() if "tryon" in line]
    assert (verdict.returncode, ours) == (0, [])


@needs_systemd
def test_systemd_analyze_refuses_a_unit_that_runs_nothing(tmp_path):
    text = (UNITS / "tryon-beat.service").read_text().replace(".venv/bin/python", ".venv/bin/pyhton")
    paths = installed_copies(tmp_path, {"tryon-beat.service": text})

    verdict = systemd_verify(paths, ["./tryon-beat.service"])

    assert verdict.returncode != 0 and "pyhton" in verdict.stdout + verdict.stderr
