"""Make untrusted merchant text safe to splice into a prompt.

Garment and scene text comes from merchant staff. It may describe the garment; it must not steer the
pipeline through prompt syntax: A1111 attention weights `(word:1.5)` / `[word]`, LoRA and embedding
tags `<lora:x:1>`, `BREAK` (new 75-token chunk), `AND` (composable prompts), dynamic-prompt
variants `{a|b}` and wildcards `__name__`, or Compel's `word++` / `word--`.
"""

import re
import unicodedata
from functools import lru_cache

# Applied after NFKC, which folds full-width lookalikes (U+FF08 and friends) into these.
_TAGS = re.compile(r"<[^<>]*>")  # <lora:name:1>, <hypernet:...>: dropped whole, the name is no description
_WEIGHTS = re.compile(r":\s*[-+]?(?:\d+\.?\d*|\.\d+)")  # the ":1.8" of "(cheap:1.8)"
_SYNTAX = re.compile(r"[()\[\]{}<>:|\\]")
_KEYWORDS = re.compile(r"\b(?:BREAK|AND)\b")  # upper case is what A1111 parses; lower case is plain English
_WEIGHT_RUNS = re.compile(r"\+{2,}|-{2,}|_{2,}")
_SENTENCE_ENDS = re.compile(r"\s*[.;!?]+(?=[\s,]|$)")  # not the "." of "2.5"
_COMMAS = re.compile(r"\s*,[\s,]*")
# Terms that only push a render towards explicit content; no garment needs them.
_EXPLICIT = re.compile(r"\b(?:nsfw|naked|nudity|topless|explicit|porn\w*)\b")


@lru_cache(maxsize=4096)  # a pure function of a catalog's few texts, asked for ~20 times per submission
def clean_text(text: str, *, limit: int) -> str:
    """`text` without prompt syntax, lower case, on one line, comma-separated, at most `limit` characters."""
    cleaned = _truncate(_clean(text or ""), limit)
    # Cutting can expose a new word end ("naked0" -> "naked"): clean again until nothing changes (one more
    # pass in practice), so that cleaning clean text changes nothing.
    for _ in range(4):
        again = _truncate(_clean(cleaned), limit)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(char).startswith(("C", "Z")) else char for char in text)
    text = _TAGS.sub(" ", text)
    text = _WEIGHTS.sub(" ", text)
    text = _SYNTAX.sub(" ", text)
    text = _KEYWORDS.sub(" ", text)
    text = _WEIGHT_RUNS.sub(" ", text)
    # Lower case: the CLIP tokenizers lower-case anyway, and equal renders then share a fingerprint.
    text = _EXPLICIT.sub(" ", text.lower())
    text = _SENTENCE_ENDS.sub(", ", text)
    text = " ".join(text.split())
    return _COMMAS.sub(", ", text).strip(" ,")


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    # Break at the last word boundary so no half word reaches the tokenizer.
    cut = cut[: cut.rfind(" ")] if " " in cut else cut[:limit]
    return cut.rstrip(" ,-.;!?")
