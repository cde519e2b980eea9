"""Every way a merchant brings weights: a folder, one A1111-style checkpoint file, a Hub id at a revision,
an IP-Adapter, a fused LoRA; each missing one fails at once, naming it."""

import huggingface_hub
import pytest
import torch
from diffusers.models.attention_processor import IPAdapterAttnProcessor2_0

from generation import WeightsMissing, load_pipeline, render
from generation.loading import load_stack
from generation.original_checkpoint import save_original_checkpoint


def pixels(result) -> bytes:
    return result.images[0].tobytes()


@pytest.fixture(scope="module")
def checkpoints(tiny_models_dir, tmp_path_factory):
    """The tiny base written as one original-layout file, both ways A1111 users have them."""
    folder = tmp_path_factory.mktemp("checkpoints")
    base = tiny_models_dir / "tiny" / "base"
    return {suffix: save_original_checkpoint(base, folder / f"tiny{suffix}") for suffix in (".safetensors", ".ckpt")}


@pytest.mark.parametrize("suffix", [".safetensors", ".ckpt"])
def test_one_checkpoint_file_renders_what_the_folder_it_came_from_renders(
    presets_file, make_plan, checkpoints, suffix, fresh_stacks
):
    # Offline, from_single_file reads the component configs from base_config: here the tiny folder.
    presets_file(
        f"""
        [presets.civitai]
        based_on = "tiny"
        base = "{checkpoints[suffix]}"
        base_config = "{{models_dir}}/tiny/base"
        """
    )

    from_file = render(make_plan(preset="civitai"))

    assert pixels(from_file) == pixels(render(make_plan()))
    assert "Model: civitai" in from_file.parameters


def test_a_checkpoint_file_that_is_not_there_fails_at_once_naming_it(presets_file, make_plan, tmp_path):
    presets_file(f'[presets.civitai]\nbased_on = "tiny"\nbase = "{tmp_path}/realisticVision.safetensors"')

    with pytest.raises(WeightsMissing, match=r"base model '.*realisticVision\.safetensors': no such file"):
        render(make_plan(preset="civitai"))


def test_a_checkpoint_file_without_its_configs_offline_says_which_are_missing(
    presets_file, checkpoints, tmp_path, monkeypatch
):
    # No base_config: the family's reference repo, which this machine's empty cache does not have.
    presets_file(f'[presets.civitai]\nbased_on = "sd15"\nopenpose = "{{models_dir}}/tiny/controlnet-openpose"\n'
                 f'base = "{checkpoints[".safetensors"]}"')  # fmt: skip
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))

    with pytest.raises(WeightsMissing) as missing:
        load_pipeline("civitai")

    assert "base model's configs 'stable-diffusion-v1-5/stable-diffusion-v1-5': not in the Hugging Face cache" in str(
        missing.value
    )


def test_a_hub_id_at_a_revision_is_looked_up_at_that_revision(presets_file, monkeypatch, tmp_path):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    presets_file(
        '[presets.pinned]\nbased_on = "sd15"\nrevision = "1d0c4ebf"\n'
        'canny = "lllyasviel/control_v11p_sd15_canny@main"\nopenpose = "lllyasviel/control_v11p_sd15_openpose@a1b2c3"'
    )

    with pytest.raises(WeightsMissing) as missing:
        load_pipeline("pinned")

    message = str(missing.value)
    assert "base model 'stable-diffusion-v1-5/stable-diffusion-v1-5@1d0c4ebf': not in the Hugging Face cache" in message
    assert "OpenPose ControlNet 'lllyasviel/control_v11p_sd15_openpose@a1b2c3'" in message
    assert "hf download stable-diffusion-v1-5/stable-diffusion-v1-5 --revision 1d0c4ebf" in message


def test_the_ip_adapter_is_loaded_into_the_tryon_stack_with_its_image_encoder():
    pipeline = load_pipeline("tiny-tryon")

    assert type(pipeline).__name__ == "StableDiffusionControlNetInpaintPipeline"
    assert pipeline.unet.config.in_channels == 9
    assert type(pipeline.image_encoder).__name__ == "CLIPVisionModelWithProjection"
    processors = [p for p in pipeline.unet.attn_processors.values() if isinstance(p, IPAdapterAttnProcessor2_0)]
    assert processors and all(p.scale == [0.7] for p in processors)


def test_an_ip_adapter_that_is_not_there_fails_at_once(presets_file, tmp_path):
    presets_file(f'[presets.t]\nbased_on = "tiny-tryon"\nip_adapter = "{tmp_path}/IP-Adapter"')

    with pytest.raises(WeightsMissing, match=r"IP-Adapter '.*IP-Adapter': no such folder"):
        load_pipeline("t")


def test_the_lcm_lora_is_fused_into_the_weights_and_leaves_no_lora_layers():
    tiny, fast = load_pipeline("tiny"), load_pipeline("tiny-fast")

    fused = fast.unet.down_blocks[0].attentions[0].transformer_blocks[0].attn1.to_q
    plain = tiny.unet.down_blocks[0].attentions[0].transformer_blocks[0].attn1.to_q
    assert type(fused) is torch.nn.Linear  # fused, then the LoRA layers removed: no cost per step
    assert not torch.equal(fused.weight, plain.weight)
    assert fast.text_encoder is not tiny.text_encoder  # a stack of its own, not tiny's modified


def test_a_lora_file_that_is_not_there_fails_at_once(presets_file, tmp_path):
    presets_file(f'[presets.f]\nbased_on = "tiny-fast"\nlora = "{tmp_path}/lcm.safetensors"')

    with pytest.raises(WeightsMissing, match=r"fused LoRA '.*lcm\.safetensors': no such file"):
        load_pipeline("f")


def test_the_canny_controlnet_is_loaded_only_for_a_plan_that_needs_it(fresh_stacks):
    stack = load_stack("tiny")

    assert set(stack.controlnets) == {"openpose"}
