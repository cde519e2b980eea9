"""Prompt embeddings the way AUTOMATIC1111 makes them: past CLIP's 77 tokens, and weighted.

CLIP reads 77 tokens, BOS and EOS included; a string prompt handed to a diffusers pipeline loses
everything past that. Like A1111 (modules/sd_hijack_clip.py), we cut the tokens into chunks of 75,
wrap each as BOS + 75 + EOS, encode each chunk on its own and lay the results end to end: the UNet's
cross-attention takes any number of rows. `(word:1.3)` weights scale the rows of their tokens.

SDXL gets the same treatment rather than prompt strings with the weights stripped: each chunk goes
through both text encoders, their penultimate hidden states side by side (as diffusers' SDXL
encode_prompt does), weights applied per encoder; the pooled embedding is the second encoder's for
the first chunk, as A1111 takes it. An empty negative prompt is all zeros where the model asks for it.
"""

from dataclasses import dataclass, field

import torch

from prompts.attention import is_break, parse_prompt_attention

CHUNK_LENGTH = 75  # prompt tokens per chunk; with BOS and EOS, the text encoder's 77
# A1111's comma_padding_backtrack default: a chunk that would end within this many tokens after a
# comma ends at the comma instead, so the phrase after it is encoded whole in the next chunk.
COMMA_BACKTRACK = 20


@dataclass
class Chunk:
    tokens: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)


def prompt_embeddings(pipe, prompt: str, negative_prompt: str, *, do_cfg: bool) -> dict:
    """The pipeline's prompt arguments: SD1.5's two embeddings, or SDXL's four."""
    if getattr(pipe, "text_encoder_2", None) is not None:
        return encode_prompts_xl(pipe, prompt, negative_prompt, do_cfg=do_cfg)
    embeds, negative = encode_prompts(pipe, prompt, negative_prompt, do_cfg=do_cfg)
    return {"prompt_embeds": embeds, "negative_prompt_embeds": negative}


def encode_prompts(pipe, prompt: str, negative_prompt: str, *, do_cfg: bool):
    """(prompt_embeds, negative_prompt_embeds) for `pipe`, each (1, chunks * 77, hidden).

    negative_prompt_embeds is None without classifier-free guidance, which never reads it. With it,
    both have the same number of chunks, the shorter padded with empty ones, so the pipeline can
    batch them. `pipe` must be a per-call view (as render makes): its tokenizer is not thread-safe.
    """
    # 1. Tokens and weights, in chunks of 75
    chunks = tokenize_chunks(pipe.tokenizer, prompt)
    negative_chunks = tokenize_chunks(pipe.tokenizer, negative_prompt or "") if do_cfg else []

    # 2. The same number of chunks on both sides, so the pipeline can stack them for guidance (as
    #    A1111's "pad prompt/negative prompt" option does)
    count = max(len(chunks), len(negative_chunks))
    chunks += [Chunk() for _ in range(count - len(chunks))]
    if do_cfg:
        negative_chunks += [Chunk() for _ in range(count - len(negative_chunks))]

    # 3. All chunks of both sides through the text encoder in one batch, then each side's end to end
    embeds = encode_chunks(pipe, chunks + negative_chunks)
    embeds = embeds.reshape(-1, count * embeds.shape[1], embeds.shape[2])
    return embeds[:1], (embeds[1:] if do_cfg else None)


def tokenize_chunks(tokenizer, text: str) -> list[Chunk]:
    """`text` as chunks of at most 75 weighted tokens, without BOS and EOS (A1111's tokenize_line)."""
    parsed = parse_prompt_attention(text)
    pieces = [(piece, weight) for piece, weight in parsed if not is_break(piece, weight)]
    # verbose=False: the pieces are meant to run past model_max_length; that is the point.
    ids = tokenizer([piece for piece, _ in pieces], truncation=False, add_special_tokens=False, verbose=False)
    tokenized = iter(ids["input_ids"])
    comma = tokenizer.convert_tokens_to_ids(",</w>")
    comma = None if comma == tokenizer.unk_token_id else comma

    chunks: list[Chunk] = []
    chunk = Chunk()
    last_comma = -1  # where the chunk's last comma is; -1 for none
    for piece, weight in parsed:
        if is_break(piece, weight):
            chunks.append(chunk)
            chunk, last_comma = Chunk(), -1
            continue
        for token in next(tokenized):
            if token == comma:
                last_comma = len(chunk.tokens)
            elif len(chunk.tokens) == CHUNK_LENGTH and last_comma >= CHUNK_LENGTH - COMMA_BACKTRACK:
                # Full, and a comma close behind: move what follows the comma into the next chunk.
                cut = last_comma + 1
                chunks.append(Chunk(chunk.tokens[:cut], chunk.weights[:cut]))
                chunk, last_comma = Chunk(chunk.tokens[cut:], chunk.weights[cut:]), -1
            if len(chunk.tokens) == CHUNK_LENGTH:
                chunks.append(chunk)
                chunk, last_comma = Chunk(), -1
            chunk.tokens.append(token)
            chunk.weights.append(weight)
    if chunk.tokens or not chunks:
        chunks.append(chunk)
    return chunks


def encode_chunks(pipe, chunks: list[Chunk]) -> torch.Tensor:
    """The text encoder's last hidden state for each chunk, (len(chunks), 77, hidden), weights applied."""
    tokenizer, text_encoder = pipe.tokenizer, pipe.text_encoder
    rows = [_wrap(chunk, tokenizer) for chunk in chunks]
    # The encoder's own device: the pipeline's _execution_device walks every module of every
    # component (milliseconds a call), and the pipeline moves the embeddings where it needs them anyway.
    ids = torch.tensor([tokens for tokens, _ in rows], device=text_encoder.device)

    with torch.no_grad():
        hidden = text_encoder(ids)[0]
    weights = torch.tensor([weights for _, weights in rows], device=hidden.device)
    return _emphasise(hidden, weights).to(dtype=text_encoder.dtype)


def _wrap(chunk: Chunk, tokenizer) -> tuple[list[int], list[float]]:
    # BOS + tokens + EOS, then the tokenizer's pad token: what diffusers' encode_prompt feeds CLIP,
    # so a short unweighted prompt encodes exactly as it does. SD1's pad is its EOS; SD2's is not.
    padding = CHUNK_LENGTH - len(chunk.tokens)
    tokens = [tokenizer.bos_token_id, *chunk.tokens, tokenizer.eos_token_id] + [tokenizer.pad_token_id] * padding
    return tokens, [1.0, *chunk.weights, 1.0] + [1.0] * padding


def _emphasise(hidden: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """A1111's "Original" emphasis: scale each token's row by its weight, then restore the chunk's mean.

    Restoring the mean keeps a heavily weighted prompt from drifting off the distribution the UNet was
    trained on (A1111 found artifacts without it). Done in fp32 whatever the encoder's dtype, since an
    fp16 mean over 77 x 768 values loses the precision the ratio needs. Unweighted chunks are left bit
    for bit, so they match diffusers' own encoding.
    """
    weighted = (weights != 1).any(dim=1)
    if not weighted.any():
        return hidden
    original = hidden.float()
    scaled = original * weights[:, :, None]
    before, after = original.mean(dim=(1, 2), keepdim=True), scaled.mean(dim=(1, 2), keepdim=True)
    # A trained CLIP's rows have a clear mean. Where there is none to restore (the tiny preset's random
    # CLIP ends in a LayerNorm without bias: every row's mean is 0 up to rounding), the ratio would be
    # rounding noise over rounding noise, of either sign or infinite: keep the rows as weighted.
    floor = 1e-3 * original.abs().mean(dim=(1, 2), keepdim=True)
    restorable = (before.abs() > floor) & (after.abs() > floor) & (before * after > 0)
    restored = torch.where(restorable, scaled * (before / after), scaled)
    return torch.where(weighted[:, None, None], restored, original)


def encode_prompts_xl(pipe, prompt: str, negative_prompt: str, *, do_cfg: bool) -> dict:
    """SDXL's prompt_embeds, pooled_prompt_embeds and, with guidance, their negatives."""
    # 1. Both sides in chunks of 75, padded to the same count (the encoders share CLIP's vocabulary)
    zero_negative = do_cfg and not negative_prompt and pipe.config.get("force_zeros_for_empty_prompt", True)
    sides = [prompt] + ([negative_prompt or ""] if do_cfg and not zero_negative else [])
    chunked = [tokenize_chunks(pipe.tokenizer, text) for text in sides]
    count = max(len(chunks) for chunks in chunked)
    chunks = [chunk for side in chunked for chunk in side + [Chunk() for _ in range(count - len(side))]]

    # 2. Every chunk through both encoders in one batch each; each wraps with its own pad token
    hidden, pooled = [], None
    for tokenizer, encoder in ((pipe.tokenizer, pipe.text_encoder), (pipe.tokenizer_2, pipe.text_encoder_2)):
        rows = [_wrap(chunk, tokenizer) for chunk in chunks]
        ids = torch.tensor([tokens for tokens, _ in rows], device=encoder.device)
        with torch.no_grad():
            output = encoder(ids, output_hidden_states=True)
        weights = torch.tensor([weights for _, weights in rows], device=ids.device)
        hidden.append(_emphasise(output.hidden_states[-2], weights).to(dtype=encoder.dtype))
        pooled = output[0]  # the second encoder's projected embedding, kept from the last pass
    embeds = torch.cat(hidden, dim=-1)
    embeds = embeds.reshape(len(sides), count * embeds.shape[1], embeds.shape[2])
    pooled = pooled.reshape(len(sides), count, -1)[:, 0]

    # 3. The negative side: encoded, or zeros for an empty one
    result = {"prompt_embeds": embeds[:1], "pooled_prompt_embeds": pooled[:1]}
    if do_cfg:
        negative = torch.zeros_like(embeds[:1]) if zero_negative else embeds[1:]
        negative_pooled = torch.zeros_like(pooled[:1]) if zero_negative else pooled[1:]
        result |= {"negative_prompt_embeds": negative, "negative_pooled_prompt_embeds": negative_pooled}
    return result
