"""`manage.py tryon_models ... moderation`: the safety checker content moderation needs, listed, pulled, checked."""

import io

import huggingface_hub.constants
import pytest
from django.core.management import CommandError, call_command

from generation.moderation_tiny import build_tiny_checker


@pytest.fixture(autouse=True)
def empty_hub_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("TRYON_MODERATION_WEIGHTS", raising=False)


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("tryon_models", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_list_names_the_safety_checker_its_licence_and_that_it_is_missing():
    listed, _ = run("list")

    assert "moderation  content moderation" in listed
    assert "licence: Stable Diffusion safety checker (from stable-diffusion-v1-5): CreativeML OpenRAIL-M" in listed
    assert (
        "stable-diffusion-v1-5/stable-diffusion-v1-5 (safety_checker/config.json, safety_checker/model.safetensors"
        in (listed)
    )
    assert "[missing (needed only by shops with content moderation on)]" in listed


def test_pull_offline_fails_at_once_saying_how_to_get_it_and_ensure_only_warns():
    with pytest.raises(
        CommandError, match=r"^pull moderation: cannot download stable-diffusion-v1-5/stable-diffusion-v1-5"
    ):
        run("pull", "moderation")

    _, warned = run("ensure", "moderation")
    assert "moderation: cannot get the safety checker now: HF_HUB_OFFLINE=1" in warned


def test_verify_checks_a_local_folder_in_the_sd15_layout(monkeypatch, tmp_path):
    monkeypatch.setenv("TRYON_MODERATION_WEIGHTS", str(tmp_path / "checker"))
    with pytest.raises(CommandError, match=r"is missing safety_checker/config.json.*tryon_models pull moderation"):
        run("verify", "moderation")

    build_tiny_checker(tmp_path / "checker", blocks=False)

    assert run("verify", "moderation")[0].startswith("moderation: the safety checker's files are in ")
    assert run("ensure", "moderation")[0] == "moderation: the safety checker is here\n"
