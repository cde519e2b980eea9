"""Presets: the built-in stacks with their licences, and merchants' own from a file, read strictly."""

import subprocess
import sys

import pytest

from generation import PRESETS, EngineError, all_presets, get_preset, render
from generation.presets_file import read_presets_file
from generation.samplers import SAMPLERS


def test_the_default_stacks_are_declared_with_their_weights_and_licences():
    assert {"tiny", "sd15", "sd15-fast", "sd15-tryon", "sdxl", "tiny-fast", "tiny-tryon", "tiny-sdxl"} <= set(PRESETS)
    for preset in PRESETS.values():
        assert preset.description and preset.licence and preset.sampler in SAMPLERS
        assert preset.commercial_use, f"{preset.name}: the built-in stacks must all be usable commercially"
    fast = get_preset("sd15-fast")
    assert (fast.lora, fast.sampler, fast.steps, fast.guidance_scale) == (
        "latent-consistency/lcm-lora-sdv1-5",
        "LCM",
        4,
        1.0,
    )
    tryon = get_preset("sd15-tryon")
    assert tryon.modes == ("tryon", "warp") and tryon.ip_adapter == "h94/IP-Adapter"
    assert tryon.inpainting_base and tryon.person_preset == "sd15"  # its stage-1 person comes from txt2img
    assert all("warp" in preset.modes for preset in PRESETS.values())  # every family puts the garment's pixels in
    assert tryon.ip_adapter_weight == "models/ip-adapter_sd15.safetensors"
    assert "Apache-2.0" in tryon.licence and "OpenRAIL-M" in tryon.licence
    sdxl = get_preset("sdxl")
    assert sdxl.family == "sdxl" and sdxl.base == "stabilityai/stable-diffusion-xl-base-1.0"
    assert sdxl.openpose == "xinsir/controlnet-openpose-sdxl-1.0" and "Apache-2.0" in sdxl.licence


def test_a_merchant_adds_a_preset_from_a_toml_file_without_code(presets_file, make_plan):
    presets_file(
        """
        [presets.studio]
        based_on = "tiny"
        description = "Our studio look"
        steps = 3
        sampler = "DDIM"
        """
    )

    studio = get_preset("studio")

    assert (studio.steps, studio.sampler, studio.base, studio.description) == (
        3,
        "DDIM",
        PRESETS["tiny"].base,
        "Our studio look",
    )
    assert list(all_presets())[: len(PRESETS)] == list(PRESETS)  # the built-ins first, unchanged
    assert render(make_plan(preset="studio")).images[0].size == (64, 96)


def test_a_json_presets_file_works_the_same(presets_file):
    presets_file('{"presets": {"catalog": {"based_on": "sd15", "width": 576, "licence": "ours"}}}', ".json")

    assert (get_preset("catalog").width, get_preset("catalog").licence) == (576, "ours")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[presets.a]\nbased_on = 'tiny'\nstepz = 3", r"presets\.a\.stepz: unknown key; a preset may set "),
        ("[presets.a]\nbased_on = 'tiny'\nsteps = 'many'", r"presets\.a\.steps: 'many' must be an integer from 1 to"),
        ("[presets.a]\nbased_on = 'tiny'\nwidth = 100", r"presets\.a\.width: 100 must be a multiple of 8"),
        (
            "[presets.a]\nbased_on = 'tiny'\nsampler = 'Euler ancestral'",
            r"presets\.a\.sampler: 'Euler ancestral' is not",
        ),
        ("[presets.a]\nbased_on = 'tiny'\nmodes = ['paint']", r"presets\.a\.modes: \['paint'\] must be a list of"),
        ("[presets.a]\nbased_on = 'tiny'\nfamily = 'sd3'", r"presets\.a\.family: 'sd3' is not one of sd15, sdxl"),
        ("[presets.a]\nbased_on = 'sd2'", r"presets\.a\.based_on: 'sd2' is not one of tiny, sd15"),
        ("[presets.a]\nbase = 'x/y'", r"presets\.a\.openpose: required \(or name a preset to start from"),
        ("[presets.sd15]\nbased_on = 'tiny'", r"presets\.sd15: a built-in preset has this name"),
        ("[presets.a]\nbased_on = 'tiny'\nlora = 'x/y'", r"presets\.a\.lora_weight: required when lora is a Hub id"),
        ("[presets.a]\nbased_on = 'tiny'\ncommercial_use = 'no'", r"presets\.a\.commercial_use: 'no' must be true or"),
        ("[preset.a]\nbased_on = 'tiny'", r"unknown key 'preset' at the top"),
        ("[presets.a\nbased_on = 'tiny'", r"cannot read it"),
    ],
)
def test_a_mistake_in_the_presets_file_is_refused_naming_the_key(presets_file, text, error):
    path = presets_file(text)

    with pytest.raises(EngineError, match=rf"^TRYON_PRESETS_FILE \({path}\): {error}"):
        get_preset("tiny")


def test_a_missing_presets_file_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("TRYON_PRESETS_FILE", str(tmp_path / "nope.toml"))

    with pytest.raises(EngineError, match=r"TRYON_PRESETS_FILE: '.*nope\.toml' is not a readable file"):
        get_preset("tiny")


def test_the_presets_file_is_read_again_when_it_changes(presets_file):
    path = presets_file("[presets.a]\nbased_on = 'tiny'\nsteps = 3")
    assert get_preset("a").steps == 3

    path.write_text("[presets.a]\nbased_on = 'tiny'\nsteps = 5\n# longer, so the size changes too")

    assert get_preset("a").steps == 5


def test_a_non_commercial_preset_is_refused_unless_opted_in(presets_file, monkeypatch):
    presets_file("[presets.vton]\nbased_on = 'tiny'\nlicence = 'CC BY-NC-SA 4.0'\ncommercial_use = false")

    with pytest.raises(EngineError, match=r"preset: 'vton' has a non-commercial licence \(CC BY-NC-SA 4.0\); set "):
        get_preset("vton")

    monkeypatch.setenv("TRYON_ALLOW_NONCOMMERCIAL", "1")
    assert get_preset("vton").commercial_use is False


def test_read_presets_file_names_the_file_in_every_error(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("[presets.x]\nbased_on = 'tiny'\nguidance_scale = true")

    with pytest.raises(EngineError, match=r"presets\.x\.guidance_scale: True must be a number from 0 to 30"):
        read_presets_file(path)


def test_reading_presets_from_a_file_does_not_import_torch(presets_file):
    path = presets_file("[presets.a]\nbased_on = 'tiny'\nsampler = 'LCM'")
    script = (
        "import sys; from generation import get_preset; get_preset('a'); "
        "print(sorted(name for name in ('torch', 'diffusers', 'transformers') if name in sys.modules))"
    )
    env = {"TRYON_PRESETS_FILE": str(path), "PATH": ""}

    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)

    assert ran.stdout.strip() == "[]"
