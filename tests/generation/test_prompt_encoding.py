"""encode_prompts: A1111's chunked, weighted CLIP embeddings, on the tiny preset's real CLIP tokenizer."""

import copy
import math

import pytest
import torch

from generation import load_pipeline
from generation.prompt_encoding import encode_prompts, tokenize_chunks

# Each word is one CLIP token, so n words are n tokens; no commas, so no chunk ends early at one.
WORDS = ("red", "linen", "dress", "blue", "silk", "blouse", "green", "wool", "coat", "black", "denim", "jeans", "white")
ROWS = 77  # one chunk: BOS + 75 tokens + EOS


def words(count: int, start: int = 0) -> str:
    return " ".join(WORDS[(start + i) % len(WORDS)] for i in range(count))


def token_count(pipe, text: str) -> int:
    return len(pipe.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])


@pytest.fixture(scope="module")
def tiny():
    return load_pipeline("tiny")


def encode(pipe, prompt: str) -> torch.Tensor:
    return encode_prompts(pipe, prompt, "", do_cfg=False)[0]


def test_a_200_token_prompt_is_encoded_whole_in_chunks_of_77_rows(tiny):
    prompt = words(200)
    assert token_count(tiny, prompt) == 200

    embeds = encode(tiny, prompt)

    assert embeds.shape == (1, math.ceil(200 / 75) * ROWS, tiny.text_encoder.config.hidden_size)


def test_changing_only_the_last_words_of_a_long_prompt_changes_the_last_chunk(tiny):
    prompt = words(200)
    changed = prompt.rsplit(" ", 3)[0] + " purple velvet hat"

    before, after = encode(tiny, prompt), encode(tiny, changed)

    torch.testing.assert_close(after[:, : 2 * ROWS], before[:, : 2 * ROWS])
    assert not torch.allclose(after[:, 2 * ROWS :], before[:, 2 * ROWS :])


def test_a_short_unweighted_prompt_encodes_exactly_as_diffusers_does(tiny):
    prompt, negative = "full body photo of a woman in a red linen dress", "blurry, lowres, bad anatomy"

    expected, expected_negative = tiny.encode_prompt(prompt, tiny.device, 1, True, negative)
    embeds, negative_embeds = encode_prompts(tiny, prompt, negative, do_cfg=True)

    assert embeds.shape == expected.shape == (1, ROWS, tiny.text_encoder.config.hidden_size)
    torch.testing.assert_close(embeds, expected)
    torch.testing.assert_close(negative_embeds, expected_negative)


@pytest.fixture(scope="module")
def trained_like(tiny):
    """tiny with a text encoder whose embeddings have a mean, as a trained CLIP's do and tiny's do not."""
    text_encoder = copy.deepcopy(tiny.text_encoder)
    with torch.no_grad():
        text_encoder.final_layer_norm.bias.fill_(0.5)
    return type(tiny)(**{**tiny.components, "text_encoder": text_encoder}, requires_safety_checker=False)


def test_a_weight_scales_its_tokens_rows_and_the_chunk_keeps_its_mean(trained_like):
    plain, weighted = encode(trained_like, "a red dress"), encode(trained_like, "a (red:1.5) dress")

    assert not torch.allclose(weighted, plain)
    torch.testing.assert_close(weighted.mean(), plain.mean())
    # Rows are BOS, a, red, dress, ...: all scaled by one mean-restoring factor, red's 1.5 times more.
    factor = weighted.mean() / (plain * torch.tensor([1.0, 1.0, 1.5] + [1.0] * 74)[None, :, None]).mean()
    torch.testing.assert_close(weighted[0, 1], plain[0, 1] * factor)
    torch.testing.assert_close(weighted[0, 2], plain[0, 2] * 1.5 * factor)


def test_embeddings_without_a_mean_are_weighted_but_not_rescaled_by_noise(tiny):
    plain, weighted = encode(tiny, "a red dress"), encode(tiny, "a (red:1.5) dress")

    assert weighted.isfinite().all()
    torch.testing.assert_close(weighted[0, 2], plain[0, 2] * 1.5)
    torch.testing.assert_close(weighted[0, 3:], plain[0, 3:])


def test_emphasis_brackets_weigh_like_their_explicit_weights(tiny):
    torch.testing.assert_close(encode(tiny, "a (red) dress"), encode(tiny, "a (red:1.1) dress"))
    assert not torch.allclose(encode(tiny, "a [red] dress"), encode(tiny, "a red dress"))


def test_break_starts_a_new_chunk(tiny):
    embeds = encode(tiny, "red dress BREAK studio lighting")

    assert embeds.shape[1] == 2 * ROWS
    torch.testing.assert_close(embeds[:, :ROWS], encode(tiny, "red dress"))
    torch.testing.assert_close(embeds[:, ROWS:], encode(tiny, "studio lighting"))


def test_chunks_hold_75_tokens_and_a_76th_starts_another(tiny):
    assert [len(chunk.tokens) for chunk in tokenize_chunks(tiny.tokenizer, words(75))] == [75]
    assert [len(chunk.tokens) for chunk in tokenize_chunks(tiny.tokenizer, words(76))] == [75, 1]


def test_a_full_chunk_ends_at_a_comma_up_to_20_tokens_back(tiny):
    near = tokenize_chunks(tiny.tokenizer, f"{words(70)}, {words(10)}")
    far = tokenize_chunks(tiny.tokenizer, f"{words(40)}, {words(50)}")

    # 70 words and the comma stay together; the 10 words after it move to the next chunk whole.
    assert [len(chunk.tokens) for chunk in near] == [71, 10]
    assert near[1].tokens == tiny.tokenizer(words(10), add_special_tokens=False)["input_ids"]
    assert [len(chunk.tokens) for chunk in far] == [75, 16]


def test_the_shorter_side_is_padded_with_empty_chunks(tiny):
    empty_chunk = encode(tiny, "")

    embeds, negative_embeds = encode_prompts(tiny, "red dress", words(150), do_cfg=True)

    assert embeds.shape == negative_embeds.shape == (1, 2 * ROWS, tiny.text_encoder.config.hidden_size)
    torch.testing.assert_close(embeds[:, ROWS:], empty_chunk)


def test_without_guidance_the_negative_prompt_is_not_encoded(tiny):
    embeds, negative_embeds = encode_prompts(tiny, "red dress", words(150), do_cfg=False)

    assert negative_embeds is None
    assert embeds.shape[1] == ROWS
