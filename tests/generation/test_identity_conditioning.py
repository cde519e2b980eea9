"""A cast fashion model keeps its face: the preset's face IP-Adapter where it has one, else words and seed."""

import numpy as np
import pytest

from generation import EngineError, render
from generation.batching import BatchItem, batch_key, render_batch
from generation.identity import preset_image_encoder
from generation.loading import load_stack
from generation.presets import get_preset
from generation.sources import weight_sources
from tests.generation.conftest import IMAGES, picture, reference

PORTRAIT, OTHER_PORTRAIT = reference("portrait.png"), reference("other-portrait.png")
WITH_FACES = {**IMAGES, PORTRAIT.sha256: picture(11, (64, 64)), OTHER_PORTRAIT.sha256: picture(12, (64, 64))}


def pixels(result) -> np.ndarray:
    return np.asarray(result.images[0], dtype=np.int16)


def test_a_tryon_render_conditions_on_the_portrait_beside_the_garment_photo(tryon_plan):
    plain = render(tryon_plan(), images=WITH_FACES)
    cast = render(tryon_plan(identity_references=(PORTRAIT,)), images=WITH_FACES)
    other = render(tryon_plan(identity_references=(OTHER_PORTRAIT,)), images=WITH_FACES)

    assert "Identity: ip-adapter-plus-face 0.6" in cast.parameters
    assert "Identity" not in plain.parameters
    # The face adapter steers the pixels, by the portrait it is shown
    assert np.abs(pixels(cast) - pixels(plain)).max() > 0
    assert np.abs(pixels(cast) - pixels(other)).max() > 0
    # Both adapters were loaded together, and the garment one kept working
    assert len(load_stack("tiny-tryon").pipeline.unet.encoder_hid_proj.image_projection_layers) == 2


def test_after_a_cast_model_a_plain_render_is_the_same_pixels_as_before_it(tryon_plan):
    before = render(tryon_plan(), images=WITH_FACES)
    render(tryon_plan(identity_references=(PORTRAIT,)), images=WITH_FACES)
    after = render(tryon_plan(), images=WITH_FACES)

    assert np.array_equal(pixels(before), pixels(after))
    assert len(load_stack("tiny-tryon").pipeline.unet.encoder_hid_proj.image_projection_layers) == 1


def test_a_preset_without_a_face_adapter_keeps_the_person_by_words_and_seed_and_says_so(make_plan):
    plain = render(make_plan(preset="tiny-fast"), images=WITH_FACES)
    cast = render(make_plan(preset="tiny-fast", identity_references=(PORTRAIT,)), images=WITH_FACES)

    assert "Identity: prompt+seed" in cast.parameters
    assert np.array_equal(pixels(plain), pixels(cast))  # the same words and seed: the same person
    assert load_stack("tiny-fast").identity is None  # nothing was loaded for it


def test_a_face_adapter_not_on_this_machine_falls_back_to_words_and_seed_and_says_so(
    presets_file, make_plan, tmp_path, caplog
):
    # A preset whose face adapter was never pulled: its cast models still render, by words and seed
    presets_file(
        '[presets.tiny-unpulled]\nbased_on = "tiny"\n'
        f'identity_adapter = "{tmp_path}/not-pulled"\n'
        'identity_adapter_weight = "models/ip-adapter-plus-face_sd15.safetensors"\n'
        'identity_adapter_encoder = "models/image_encoder"\n'
    )
    plain = render(make_plan(preset="tiny-unpulled"), images=WITH_FACES)
    cast = render(make_plan(preset="tiny-unpulled", identity_references=(PORTRAIT,)), images=WITH_FACES)

    assert "Identity: prompt+seed (face adapter missing)" in cast.parameters
    assert np.array_equal(pixels(plain), pixels(cast))
    assert load_stack("tiny-unpulled").identity is None
    assert "face adapter's weights are not on this machine" in caplog.text


def test_a_portrait_not_supplied_is_refused_naming_the_field(tryon_plan):
    with pytest.raises(EngineError, match=r"identity_references\[0\]: image .* was not supplied"):
        render(tryon_plan(identity_references=(PORTRAIT,)), images=IMAGES)


def test_plans_of_a_cast_model_render_alone_not_in_a_batch(make_plan):
    assert batch_key(make_plan()) is not None
    assert batch_key(make_plan(identity_references=(PORTRAIT,))) is None


@pytest.mark.parametrize(
    ("preset", "weight"),
    [
        ("sd15", "models/ip-adapter-plus-face_sd15.safetensors"),
        ("sd15-tryon", "models/ip-adapter-plus-face_sd15.safetensors"),
        ("sdxl", "sdxl_models/ip-adapter-plus-face_sdxl_vit-h.safetensors"),
    ],
)
def test_real_presets_name_the_face_adapter_and_its_vit_h_encoder(preset, weight):
    face = {w.role: w for w in weight_sources(get_preset(preset))}["identity IP-Adapter"]

    assert (face.value, face.is_hub, face.optional) == ("h94/IP-Adapter", True, True)  # loaded on first use
    assert face.patterns == (weight, "models/image_encoder/config.json", "models/image_encoder/model.safetensors")
    assert "identity IP-Adapter" not in {w.role for w in weight_sources(get_preset("tiny-fast"))}


def test_a_generate_preset_with_only_a_face_adapter_loads_it_on_the_first_cast_model(make_plan, fresh_stacks):
    # tiny, as sd15 is: no garment IP-Adapter, the face one (and its image encoder) loaded by the first plan needing it
    plain = make_plan()
    before = render(plain, images=WITH_FACES)
    assert load_stack("tiny").identity is None and load_stack("tiny").pipeline.image_encoder is None

    cast = render(make_plan(identity_references=(PORTRAIT,)), images=WITH_FACES)
    after = render(plain, images=WITH_FACES)

    assert "Identity: ip-adapter-plus-face 0.6" in cast.parameters
    assert np.abs(pixels(cast) - pixels(before)).max() > 0
    assert np.array_equal(pixels(before), pixels(after))  # plain attention again, exactly
    assert load_stack("tiny").pipeline.unet.encoder_hid_proj is None
    assert preset_image_encoder("tiny") is not None  # the face adapter's encoder scores the face
    # Plain plans still batch after it, and a batch leaves the face adapter off for the next cast model to load
    render(make_plan(identity_references=(PORTRAIT,)), images=WITH_FACES)
    batched = render_batch([BatchItem(plain, images=WITH_FACES), BatchItem(make_plan(seed=9))])
    assert np.abs(pixels(batched[0]) - pixels(before)).max() <= 1  # as alone, give or take batched arithmetic
    assert batched[1].images
