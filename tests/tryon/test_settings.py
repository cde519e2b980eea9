"""Start-up refuses a mistyped environment instead of guessing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tryon.env import EnvError, env_bool, env_choice, env_duration, env_float, env_int, env_list, env_url

REPO = Path(__file__).resolve().parents[2]


def test_booleans_accept_the_usual_spellings_and_refuse_the_rest(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(EnvError, match="FLAG='maybe'"):
        env_bool("FLAG", False)


def test_integers_are_checked_for_form_and_range(monkeypatch):
    monkeypatch.setenv("LIMIT", "ten")
    with pytest.raises(EnvError, match="expected an integer"):
        env_int("LIMIT", 1)
    monkeypatch.setenv("LIMIT", "-1")
    with pytest.raises(EnvError, match="at least 0"):
        env_int("LIMIT", 1)
    monkeypatch.delenv("LIMIT")
    assert env_int("LIMIT", 7) == 7


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example, b.example,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_choices_refuse_anything_not_on_the_list(monkeypatch):
    monkeypatch.setenv("TRYON_MEDIA_ACCEL", "apache")
    with pytest.raises(EnvError, match="expected one of '', 'nginx', 'sendfile'"):
        env_choice("TRYON_MEDIA_ACCEL", ["", "nginx", "sendfile"], "")
    monkeypatch.setenv("TRYON_MEDIA_ACCEL", "nginx")
    assert env_choice("TRYON_MEDIA_ACCEL", ["", "nginx", "sendfile"], "") == "nginx"


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"TRYON_CACHE_URL": "memcached://127.0.0.1:11211"}, "TRYON_CACHE_URL='memcached://127.0.0.1:11211'"),
        ({"TRYON_RATELIMIT_STORE": "cache"}, "TRYON_RATELIMIT_STORE=cache needs TRYON_CACHE_URL"),
        ({"TRYON_MEDIA_ACCEL_LOCATION": "protected"}, "TRYON_MEDIA_ACCEL_LOCATION='protected'"),
    ],
)
def test_start_up_refuses_a_cache_or_media_setting_it_could_not_honour(tmp_path, env, complaint):
    started = subprocess.run(
        [sys.executable, "-c", "import tryon.settings"],
        env={"PATH": os.environ["PATH"], "TRYON_VAR_DIR": str(tmp_path), **env},
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert started.returncode != 0 and complaint in started.stderr


def test_floats_are_numbers_within_range_and_never_nan(monkeypatch):
    monkeypatch.setenv("RATIO", "0.25")
    assert env_float("RATIO", 1.0) == 0.25
    for bad, complaint in (("a quarter", "expected a number"), ("nan", "finite"), ("-1", "at least 0")):
        monkeypatch.setenv("RATIO", bad)
        with pytest.raises(EnvError, match=f"RATIO={bad!r}: .*{complaint}"):
            env_float("RATIO", 1.0)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("90", 90), ("0.5", 0.5), ("30s", 30), ("5m", 300), ("2h", 7200), ("1d", 86400), ("500ms", 0.5), (" 5 m ", 300)],
)
def test_durations_are_seconds_or_a_number_with_a_unit(monkeypatch, value, seconds):
    monkeypatch.setenv("WAIT", value)
    assert env_duration("WAIT", 1) == seconds


@pytest.mark.parametrize("value", ["5 minutes", "m", "-5s", "1h30m", "5x"])
def test_a_duration_without_a_known_unit_is_refused_by_name(monkeypatch, value):
    monkeypatch.setenv("WAIT", value)
    with pytest.raises(EnvError, match=f"WAIT={value!r}"):
        env_duration("WAIT", 1)


def test_a_duration_below_its_minimum_is_refused(monkeypatch):
    monkeypatch.setenv("WAIT", "200ms")
    with pytest.raises(EnvError, match="at least 1 seconds"):
        env_duration("WAIT", 5, minimum=1)
    monkeypatch.delenv("WAIT")
    assert env_duration("WAIT", 5, minimum=1) == 5


def test_urls_need_a_known_scheme_a_numeric_port_and_for_the_web_a_host(monkeypatch):
    monkeypatch.setenv("SITE", "https://shop.example:8443/tryon")
    assert env_url("SITE") == "https://shop.example:8443/tryon"
    monkeypatch.setenv("BROKER", "sqla+sqlite:///var/broker.sqlite3")
    assert env_url("BROKER", schemes=("redis", "sqla+sqlite")) == "sqla+sqlite:///var/broker.sqlite3"
    for name, value, complaint in (
        ("SITE", "shop.example", "expected a URL starting with http://, https://"),
        ("SITE", "https://", "names no host"),
        ("SITE", "http://shop.example:eighty/", "not a URL"),
        ("BROKER", "redis//localhost:6379", "expected a URL starting with redis://"),
    ):
        monkeypatch.setenv(name, value)
        with pytest.raises(EnvError, match=f"{name}={value!r}: {complaint}"):
            env_url(name, schemes=("redis",) if name == "BROKER" else ("http", "https"))


def django_setup(tmp_path, code: str = "import django; django.setup()", **env) -> subprocess.CompletedProcess:
    """Start Django as any process does, with `env`, in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-c", code],
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "tryon.settings",
            "TRYON_VAR_DIR": str(tmp_path),
            **env,
        },
        cwd=REPO,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"TRYON_MAX_ATTEMPTS": "many"}, "TRYON_MAX_ATTEMPTS='many': expected an integer"),
        ({"TRYON_STALE_AFTER": "ten minutes"}, "TRYON_STALE_AFTER='ten minutes': expected a duration"),
        ({"TRYON_PROGRESS_INTERVAL": "often"}, "TRYON_PROGRESS_INTERVAL='often'"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG='maybe'"),
        ({"CELERY_BROKER_URL": "localhost:6379"}, "CELERY_BROKER_URL='localhost:6379'"),
        ({"TRYON_PUBLIC_URL": "shop.example"}, "TRYON_PUBLIC_URL='shop.example'"),
        (
            {"TRYON_SOFT_TIME_LIMIT": "30m", "TRYON_HARD_TIME_LIMIT": "20m"},
            "TRYON_SOFT_TIME_LIMIT=1800 s must be below",
        ),
    ],
    ids=["int", "duration", "float", "bool", "broker", "url", "limits"],
)
def test_start_up_refuses_a_mistyped_setting_naming_it(tmp_path, env, complaint):
    started = django_setup(tmp_path, **env)

    assert started.returncode != 0 and complaint in started.stderr


CELERY_SETTINGS = "from tryon.celery import app; print(app.conf.broker_url, app.conf.task_default_queue)"


def test_celery_takes_its_settings_from_djangos_and_refuses_to_start_on_its_defaults_when_they_are_wrong(tmp_path):
    configured = django_setup(tmp_path, CELERY_SETTINGS, CELERY_BROKER_URL="redis://127.0.0.1:6379/9", TRYON_QUEUE="q")
    refused = django_setup(tmp_path, CELERY_SETTINGS, TRYON_SOFT_TIME_LIMIT="30m", TRYON_HARD_TIME_LIMIT="20m")

    assert configured.stdout.split() == ["redis://127.0.0.1:6379/9", "q"], configured.stderr
    assert refused.returncode != 0 and "TRYON_SOFT_TIME_LIMIT=1800 s must be below" in refused.stderr


def test_start_up_takes_durations_with_units(tmp_path):
    started = django_setup(
        tmp_path,
        TRYON_SOFT_TIME_LIMIT="10m",
        TRYON_HARD_TIME_LIMIT="15m",
        TRYON_PROGRESS_INTERVAL="250ms",
        TRYON_MAX_ATTEMPTS="5",
    )
    assert started.returncode == 0, started.stderr


def test_the_engine_reads_its_settings_with_the_same_parser(monkeypatch):
    from generation.loading import env_flag, select_device

    monkeypatch.setenv("TRYON_COMPILE", "yes")
    assert env_flag("TRYON_COMPILE") is True  # the spellings Django's settings accept, not only 1 and 0
    monkeypatch.setenv("TRYON_DEVICE", "gpu")
    with pytest.raises(EnvError, match="TRYON_DEVICE='gpu'"):
        select_device()
