"""Merchant text may describe a garment; it may not steer the pipeline through prompt syntax."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prompts.sanitise import clean_text

# What prompt syntax and prose are made of, for hypothesis to shuffle.
PIECES = [*"()[]<>|{}.,+-\\", " ", "\n", ":1.5", "silk", "BREAK", "AND", "__", "naked"]
SYNTAX = re.compile(r"[()\[\]{}<>:|\\]|\bBREAK\b|\bAND\b|\+\+|--|__")


@pytest.mark.parametrize(
    ("untrusted", "cleaned"),
    [
        ("(cheap:1.8) BREAK <lora:x:1>", "cheap"),
        ("[[blurry]] pleated skirt", "blurry pleated skirt"),
        ("red AND (nsfw:2)", "red"),
        ("{red|blue} dress", "red blue dress"),
        ("__colours__ shirt", "colours shirt"),
        ("silk++ collar--", "silk collar"),
        ("\\(escaped\\) parens", "escaped parens"),
        ("<embedding:bad_prompt> linen", "linen"),
        ("\uff08satin\uff1a1.4\uff09", "satin"),  # full-width lookalikes fold to ASCII first
        ("Relaxed fit.\nMother-of-pearl buttons.\t", "relaxed fit, mother-of-pearl buttons"),
        ("black and white, break-resistant zip", "black and white, break-resistant zip"),  # plain English stays
        ("2.5 cm hem , , wide", "2.5 cm hem, wide"),
        ("naked shoulder NSFW top", "shoulder top"),
    ],
)
def test_prompt_syntax_is_taken_out_and_the_words_kept(untrusted, cleaned):
    assert clean_text(untrusted, limit=200) == cleaned


def test_long_text_is_cut_at_a_word_boundary():
    assert clean_text("pleated midi skirt with pockets", limit=20) == "pleated midi skirt"
    assert clean_text("supercalifragilistic", limit=5) == "super"


@settings(deadline=None)  # a loaded CI machine must not turn a slow example into a failure
@given(st.text(max_size=300), st.integers(1, 250))
def test_no_text_gets_syntax_through_or_runs_long(text, limit):
    cleaned = clean_text(text, limit=limit)

    assert not SYNTAX.search(cleaned)
    assert len(cleaned) <= limit
    assert cleaned == cleaned.strip() and "\n" not in cleaned


@settings(deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_cleaning_twice_changes_nothing(text):
    once = clean_text(text, limit=60)

    assert clean_text(once, limit=60) == once
