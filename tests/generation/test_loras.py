"""`<lora:name:weight>` in a prompt: a LoRA from the merchant's folder, for that render only."""

import pytest
from diffusers import UNet2DConditionModel

from generation import EngineError, load_pipeline, render
from generation.loras import available_loras, strip_lora_tags
from generation.tiny_extras import write_random_lora

# peft says so whenever a second adapter joins the first: two LoRAs in one prompt is the point here.
pytestmark = pytest.mark.filterwarnings("ignore:Already found a `peft_config` attribute:UserWarning")


def pixels(result) -> bytes:
    return result.images[0].tobytes()


@pytest.fixture(scope="module")
def lora_folder(tiny_models_dir, tmp_path_factory):
    """Two A1111-style LoRA files for tiny, as a merchant would drop them in."""
    folder = tmp_path_factory.mktemp("loras")
    unet = UNet2DConditionModel.from_pretrained(tiny_models_dir / "tiny" / "base" / "unet")
    write_random_lora(unet, folder / "linen-texture.safetensors", seed=11)
    write_random_lora(unet, folder / "studio-light.safetensors", seed=12)
    return folder


@pytest.fixture(autouse=True)
def loras_here(lora_folder, monkeypatch):
    monkeypatch.setenv("TRYON_LORA_DIR", str(lora_folder))


def test_a_lora_tag_changes_the_image_and_its_weight_matters(make_plan):
    plain = render(make_plan())

    full = render(make_plan(prompt=make_plan().prompt + " <lora:linen-texture:1>"))
    half = render(make_plan(prompt=make_plan().prompt + " <lora:linen-texture:0.5>"))

    assert len({pixels(plain), pixels(full), pixels(half)}) == 3


def test_the_tag_is_cut_from_the_prompt_so_at_weight_0_nothing_changes(make_plan):
    plain = render(make_plan())

    tagged = render(make_plan(prompt=make_plan().prompt + " <lora:linen-texture:0>"))

    assert pixels(tagged) == pixels(plain)
    assert "<lora:linen-texture:0>" in tagged.parameters  # the infotext keeps the prompt as written


def test_the_lora_is_unloaded_after_the_render_so_the_next_starts_clean(make_plan):
    plain = render(make_plan())

    render(make_plan(prompt="<lora:linen-texture:0.8> <lora:studio-light> " + make_plan().prompt))

    assert pixels(render(make_plan())) == pixels(plain)
    assert not getattr(load_pipeline("tiny").unet, "peft_config", None)


def test_two_loras_mix_and_each_counts(make_plan):
    one = render(make_plan(prompt="<lora:linen-texture:0.6> a dress"))

    both = render(make_plan(prompt="<lora:linen-texture:0.6> <lora:studio-light:0.6> a dress"))

    assert pixels(both) != pixels(one)


def test_an_unknown_lora_is_refused_naming_it_and_the_ones_there(make_plan, lora_folder):
    with pytest.raises(EngineError) as refused:
        render(make_plan(prompt="a dress <lora:silk:0.7>"))

    assert str(refused.value) == (
        f"prompt: LoRA 'silk' is not in {lora_folder} (available: linen-texture, studio-light)"
    )


@pytest.mark.parametrize(
    ("tag", "error"),
    [
        ("<lora:linen-texture:lots>", r"prompt: <lora:linen-texture:lots> has a weight 'lots' that is not a number"),
        ("<lora:../../etc/passwd:1>", r"prompt: LoRA '\.\./\.\./etc/passwd' is not in"),
        ("<lora:linen-texture:9>", r"prompt: <lora:linen-texture:9> has a weight 9 outside -4\.\.4"),
        ("<lora:linen-texture> <lora:linen-texture:0.2>", r"prompt: LoRA 'linen-texture' is tagged twice"),
    ],
)
def test_a_bad_tag_is_refused_before_anything_loads(make_plan, tag, error):
    with pytest.raises(EngineError, match=rf"^{error}"):
        render(make_plan(prompt=f"a dress {tag}"))


def test_a_lora_tag_in_the_negative_prompt_is_refused(make_plan):
    with pytest.raises(EngineError, match=r"^negative_prompt: <lora:\.\.\.> tags go in the prompt$"):
        render(make_plan(negative_prompt="<lora:linen-texture:1> blurry"))


def test_loras_on_top_of_a_fused_lcm_lora_unload_back_to_the_fused_weights(make_plan):
    plan = make_plan(preset="tiny-fast", sampler="LCM", steps=2, guidance_scale=1.0)
    fast = render(plan)

    render(make_plan(preset="tiny-fast", sampler="LCM", steps=2, guidance_scale=1.0, prompt="<lora:studio-light> a"))

    assert pixels(render(plan)) == pixels(fast)


def test_the_folder_lists_its_loras_and_tags_come_out_of_the_text():
    assert available_loras() == ["linen-texture", "studio-light"]
    assert strip_lora_tags("a <lora:x:0.5>dress, <lora:y>red") == "a dress, red"
