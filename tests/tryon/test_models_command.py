"""`manage.py tryon_models`: what each preset needs and under which licence, pulling it, checking it."""

import io
import json

import huggingface_hub
import pytest
from django.core.management import CommandError, call_command

from generation.manifest import manifest_path


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    """A models folder of this module's own, so tampering with it cannot touch other tests' weights."""
    folder = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRYON_MODELS_DIR", str(folder))
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.delenv("TRYON_PRESETS_FILE", raising=False)
        call_command("tryon_models", "pull", "tiny", stdout=io.StringIO(), stderr=io.StringIO())
        yield folder


@pytest.fixture(autouse=True)
def empty_hub_cache(models_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    for name in ("TRYON_SD15_BASE", "TRYON_SD15_OPENPOSE"):
        monkeypatch.delenv(name, raising=False)


def run(*args) -> str:
    out = io.StringIO()
    call_command("tryon_models", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_list_shows_every_preset_with_its_weights_licence_and_whether_they_are_here():
    listed = run("list")

    for name in ("tiny", "sd15", "sd15-fast", "sd15-tryon", "sdxl", "tiny-fast", "tiny-tryon", "tiny-sdxl"):
        assert f"\n{name}  modes: " in "\n" + listed
    assert "licence: Stable Diffusion 1.5: CreativeML OpenRAIL-M" in listed
    assert "commercial use: yes" in listed
    assert "base model:              stable-diffusion-v1-5/stable-diffusion-v1-5  [missing]" in listed
    assert "fused LoRA:              latent-consistency/lcm-lora-sdv1-5  [missing]" in listed
    assert "IP-Adapter:              h94/IP-Adapter  [missing]" in listed
    assert "/tiny/controlnet-openpose  [present]" in listed


def test_pull_writes_a_manifest_that_verify_checks(models_dir):
    manifest = json.loads(manifest_path("tiny", models_dir).read_text())
    roles = [entry["role"] for entry in manifest["sources"]]

    assert roles == ["base model", "OpenPose ControlNet", "Canny ControlNet", "identity IP-Adapter"]
    assert "unet/diffusion_pytorch_model.safetensors" in manifest["sources"][0]["files"]
    files = sum(len(entry["files"]) for entry in manifest["sources"])
    assert run("verify", "tiny").startswith(f"tiny: {files} files match the manifest")


def test_verify_finds_a_changed_or_truncated_file(models_dir):
    config = models_dir / "tiny" / "controlnet-openpose" / "config.json"
    original = config.read_bytes()
    try:
        config.write_bytes(original.replace(b'"act_fn": "silu"', b'"act_fn": "gelu"'))
        with pytest.raises(
            CommandError, match=r"tiny: the weights do not match the manifest:\n  OpenPose ControlNet: "
        ):
            run("verify", "tiny")

        config.write_bytes(original[:-10])
        with pytest.raises(CommandError, match=rf"{len(original) - 10} bytes, expected {len(original)}"):
            run("verify", "tiny")
    finally:
        config.write_bytes(original)


def test_verify_without_a_manifest_says_to_pull(models_dir):
    with pytest.raises(CommandError, match=r"no manifest at .*sd15\.json; run `manage.py tryon_models pull sd15`"):
        run("verify", "sd15")


def test_pull_offline_fails_at_once_saying_why():
    with pytest.raises(
        CommandError, match=r"^pull sd15-fast: cannot download with HF_HUB_OFFLINE=1; run it on a machine"
    ):
        run("pull", "sd15-fast")


def test_an_unknown_preset_is_refused_with_the_names():
    with pytest.raises(CommandError, match=r"^preset: 'sd3' is not one of tiny, sd15"):
        run("verify", "sd3")
