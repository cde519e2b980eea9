"""A1111's attention syntax: `(word)`, `[word]`, `(word:1.3)`, escapes and `BREAK`, parsed to weighted text.

A port of `parse_prompt_attention` from AUTOMATIC1111's modules/prompt_parser.py, so a prompt pasted
from A1111 (or read back from a PNG's infotext) weighs the same here. Pure Python: the engine's
generation.prompt_encoding turns the pieces into weighted CLIP embeddings.
"""

import re

ROUND = 1.1  # `(word)` multiplies by this
SQUARE = 1 / 1.1  # `[word]` multiplies by this
BREAK = ("BREAK", -1.0)  # A1111's marker: the next piece starts a new 75-token chunk

# A1111's tokens, in its order: escapes, openers, `:weight)`, closers, plain text, a stray colon.
_ATTENTION = re.compile(
    r"""
    \\\(|
    \\\)|
    \\\[|
    \\]|
    \\\\|
    \\|
    \(|
    \[|
    :\s*([+-]?[.\d]+)\s*\)|
    \)|
    ]|
    [^\\()\[\]:]+|
    :
    """,
    re.X,
)
_BREAK = re.compile(r"\s*\bBREAK\b\s*", re.S)


def parse_prompt_attention(text: str) -> list[tuple[str, float]]:
    """`text` as (piece, weight) pairs, adjacent pieces of equal weight merged; `BREAK` as ("BREAK", -1).

    Unbalanced openers weigh to the end of the text; unmatched closers are literal text. A weight that
    is not a number, such as `(word:1.2.3)`, raises ValueError.
    """
    pieces: list[list] = []  # mutable [text, weight] pairs while brackets are still open
    round_open: list[int] = []  # where each open bracket's span starts in `pieces`
    square_open: list[int] = []

    def multiply_from(start: int, multiplier: float) -> None:
        for piece in pieces[start:]:
            piece[1] *= multiplier

    for match in _ATTENTION.finditer(text):
        token, weight = match.group(0), match.group(1)
        if token.startswith("\\"):
            pieces.append([token[1:], 1.0])
        elif token == "(":
            round_open.append(len(pieces))
        elif token == "[":
            square_open.append(len(pieces))
        elif weight is not None and round_open:
            multiply_from(round_open.pop(), _number(weight, match.start(1)))
        elif token == ")" and round_open:
            multiply_from(round_open.pop(), ROUND)
        elif token == "]" and square_open:
            multiply_from(square_open.pop(), SQUARE)
        else:
            for index, part in enumerate(_BREAK.split(token)):
                if index > 0:
                    pieces.append(list(BREAK))
                pieces.append([part, 1.0])

    for start in round_open:
        multiply_from(start, ROUND)
    for start in square_open:
        multiply_from(start, SQUARE)

    if not pieces:
        pieces = [["", 1.0]]
    merged = [pieces[0]]
    for piece in pieces[1:]:
        if piece[1] == merged[-1][1]:
            merged[-1][0] += piece[0]
        else:
            merged.append(piece)
    return [(piece, weight) for piece, weight in merged]


def _number(weight: str, at: int) -> float:
    # A1111 lets float() raise on "(word:1.2.3)" too; say where, rather than a bare ValueError.
    try:
        return float(weight)
    except ValueError:
        raise ValueError(f"weight {weight!r} at character {at} is not a number") from None


def is_break(text: str, weight: float) -> bool:
    """Whether a parsed piece is the BREAK marker.

    A1111 checks for weight == -1 exactly, so inside brackets, where the marker is multiplied too,
    it encodes the word "BREAK" with a negative weight instead; no writer means that, so any
    negative weight counts. Only the marker has the text "BREAK": the word is split off wherever
    it stands alone.
    """
    return text == BREAK[0] and weight < 0
