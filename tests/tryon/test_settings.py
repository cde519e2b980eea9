"""Start-up refuses a mistyped environment instead of guessing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tryon.env import EnvError, env_bool, env_choice, env_int, env_list


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
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
    )
    assert started.returncode != 0 and complaint in started.stderr
