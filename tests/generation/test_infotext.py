"""Infotext: the A1111 "parameters" text, as A1111's PNG Info would read it back."""

import io
import json
import re

from PIL import Image

from generation import png_with_parameters, render
from prompts.plan import ControlNetUnit

from .conftest import STANDING

# A1111's own parser (modules/infotext_utils.py, parse_generation_parameters), trimmed to what we write.
A1111_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')


def a1111_read(text: str) -> dict[str, str]:
    *lines, last = text.strip().split("\n")
    prompt, negative, in_negative = [], [], False
    for line in lines:
        if line.startswith("Negative prompt:"):
            in_negative, line = True, line[len("Negative prompt:") :].strip()
        (negative if in_negative else prompt).append(line)
    fields = {"Prompt": "\n".join(prompt), "Negative prompt": "\n".join(negative)}
    for key, value in A1111_PARAM.findall(last):
        fields[key] = json.loads(value) if value.startswith('"') else value
    return fields


def test_the_parameters_are_written_the_way_a1111_writes_them(make_plan):
    plan = make_plan(
        steps=2,
        seed=1234,
        controlnet_units=(ControlNetUnit(kind="openpose", keypoints=STANDING, guidance_end=0.8),),
    )

    result = render(plan)

    assert result.parameters == (
        "full body photo of a woman in a red linen dress, studio lighting\n"
        "Negative prompt: blurry, lowres\n"
        "Steps: 2, Sampler: Euler a, CFG scale: 7.0, Seed: 1234, Size: 64x96, Model: tiny, "
        'ControlNet 0: "Module: openpose, Model: controlnet-openpose, Weight: 1.0, '
        'Guidance Start: 0.0, Guidance End: 0.8"'
    )


def test_a1111s_parser_reads_every_field_back(make_plan):
    fields = a1111_read(render(make_plan(guidance_scale=5.5, sampler="DPM++ 2M Karras")).parameters)

    assert fields == {
        "Prompt": "full body photo of a woman in a red linen dress, studio lighting",
        "Negative prompt": "blurry, lowres",
        "Steps": "2",
        "Sampler": "DPM++ 2M Karras",
        "CFG scale": "5.5",
        "Seed": "1234",
        "Size": "64x96",
        "Model": "tiny",
        "ControlNet 0": "Module: openpose, Model: controlnet-openpose, Weight: 1.0, "
        "Guidance Start: 0.0, Guidance End: 1.0",
    }


def test_an_empty_negative_prompt_leaves_its_line_out(make_plan):
    parameters = render(make_plan(negative_prompt="")).parameters

    assert "Negative prompt" not in parameters
    assert parameters.split("\n")[1].startswith("Steps: 2,")


def test_the_png_carries_the_parameters_in_a_text_chunk():
    parameters = "a red dress\nSteps: 2, Sampler: Euler a, CFG scale: 7.0, Seed: 1, Size: 64x64, Model: tiny"

    png = png_with_parameters(Image.new("RGB", (64, 64), "red"), parameters)

    assert png.startswith(b"\x89PNG") and b"tEXtparameters\x00" in png
    reopened = Image.open(io.BytesIO(png))
    assert reopened.info["parameters"] == parameters
    assert reopened.getpixel((0, 0)) == (255, 0, 0)


def test_parameters_beyond_latin_1_survive_the_round_trip():
    parameters = "robe rouge, 赤いドレス\nSteps: 2, Sampler: Euler a, CFG scale: 7.0, Seed: 1, Size: 64x64, Model: tiny"

    png = png_with_parameters(Image.new("RGB", (64, 64)), parameters)

    assert Image.open(io.BytesIO(png)).info["parameters"] == parameters
