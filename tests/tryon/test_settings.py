"""Start-up refuses a mistyped environment instead of guessing."""

import pytest

from tryon.env import EnvError, env_bool, env_int, env_list


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
