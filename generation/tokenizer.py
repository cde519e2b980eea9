"""The real CLIP tokenizer, built offline from the BPE table that open_clip ships.

The tiny preset has random weights but must tokenize exactly as SD1.5 does, so prompt-length
limits and token ids behave the same as in production. open_clip's `bpe_simple_vocab_16e6.txt.gz`
is OpenAI's CLIP vocabulary (MIT); we lay it out the way Hugging Face's CLIP repos do.
"""

import gzip
import importlib.util
import json
from pathlib import Path

from transformers import CLIPTokenizer

from generation.errors import EngineBroken

BOS, EOS = "<|startoftext|>", "<|endoftext|>"
VOCAB_SIZE = 49408
MODEL_MAX_LENGTH = 77
# The BPE file's first line is a header; CLIP keeps just enough merges to fill the vocabulary
# after the 2 x 256 byte tokens (with and without "</w>") and the 2 specials: 48894 merges.
MERGES_END = 49152 - 256 - 2 + 1


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible byte -> printable character table (order matters: it sets token ids)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, codes), strict=True))


def open_clip_bpe_path() -> Path:
    # find_spec locates the package without importing it: open_clip is installed --no-deps.
    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        raise EngineBroken("tokenizer: open_clip is not installed, so the CLIP BPE vocabulary is missing")
    path = Path(next(iter(spec.submodule_search_locations))) / "bpe_simple_vocab_16e6.txt.gz"
    if not path.is_file():
        raise EngineBroken(f"tokenizer: {path} is missing")
    return path


def write_clip_vocab(folder: Path, bpe_path: Path | None = None) -> None:
    """Write `vocab.json` and `merges.txt` in the Hugging Face CLIP layout."""
    with gzip.open(bpe_path or open_clip_bpe_path(), "rt", encoding="utf-8") as bpe:
        lines = bpe.read().split("\n")
    merges = lines[1:MERGES_END]
    characters = list(bytes_to_unicode().values())
    vocab = [*characters, *(c + "</w>" for c in characters), *(m.replace(" ", "") for m in merges), BOS, EOS]
    if len(vocab) != VOCAB_SIZE:
        raise EngineBroken(f"tokenizer: built {len(vocab)} tokens, expected {VOCAB_SIZE}")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps({token: i for i, token in enumerate(vocab)}, ensure_ascii=False))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")


def build_clip_tokenizer(folder: Path) -> CLIPTokenizer:
    """The SD1.5 tokenizer, from vocab files written into `folder`."""
    write_clip_vocab(folder)
    return CLIPTokenizer.from_pretrained(folder, model_max_length=MODEL_MAX_LENGTH)
