"""parse_prompt_attention: A1111's own docstring examples, then the rest of its syntax."""

import pytest

from prompts.attention import is_break, parse_prompt_attention


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The examples in A1111's modules/prompt_parser.py, verbatim.
        ("normal text", [("normal text", 1.0)]),
        ("an (important) word", [("an ", 1.0), ("important", 1.1), (" word", 1.0)]),
        ("(unbalanced", [("unbalanced", 1.1)]),
        (r"\(literal\]", [("(literal]", 1.0)]),
        ("(unnecessary)(parens)", [("unnecessaryparens", 1.1)]),
        (
            "a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
            [
                ("a ", 1.0),
                ("house", 1.5730000000000004),
                (" ", 1.1),
                ("on", 1.0),
                (" a ", 1.1),
                ("hill", 0.55),
                (", sun, ", 1.1),
                ("sky", 1.4641000000000006),
                (".", 1.1),
            ],
        ),
    ],
)
def test_a1111_docstring_examples(text, expected):
    assert parse_prompt_attention(text) == expected


def test_nested_round_brackets_multiply_and_square_brackets_divide():
    assert parse_prompt_attention("((silk))") == [("silk", pytest.approx(1.21))]
    assert parse_prompt_attention("[[cotton]]") == [("cotton", pytest.approx(1 / 1.21))]
    assert parse_prompt_attention("a [plain] dress") == [("a ", 1.0), ("plain", 1 / 1.1), (" dress", 1.0)]


def test_an_explicit_weight_replaces_the_round_bracket_multiplier():
    assert parse_prompt_attention("(red:1.5) dress") == [("red", 1.5), (" dress", 1.0)]
    assert parse_prompt_attention("(red : 0.8 )") == [("red ", 0.8)]  # A1111 allows spaces around it


def test_escapes_are_literal_characters():
    assert parse_prompt_attention(r"\(a\) \[b\] c\\d") == [("(a) [b] c\\d", 1.0)]


def test_unmatched_closers_and_stray_colons_are_text():
    assert parse_prompt_attention("a) b] c: d") == [("a) b] c: d", 1.0)]


def test_break_separates_chunks_with_weight_minus_one():
    assert parse_prompt_attention("red dress BREAK studio") == [("red dress", 1.0), ("BREAK", -1), ("studio", 1.0)]
    # Only the upper-case word on its own: "breakfast" and "break" are prompt text.
    assert parse_prompt_attention("break at breakfast") == [("break at breakfast", 1.0)]


def test_break_inside_brackets_is_weighted_like_its_sides_as_in_a1111():
    # A1111 multiplies the marker too; is_break still reads it as one.
    assert parse_prompt_attention("(a BREAK b)") == [("a", 1.1), ("BREAK", pytest.approx(-1.1)), ("b", 1.1)]


def test_empty_text_is_one_empty_piece():
    assert parse_prompt_attention("") == [("", 1.0)]
    assert parse_prompt_attention("()") == [("", 1.0)]


def test_a_weight_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError, match=r"^weight '1\.2\.3' at character 5 is not a number"):
        parse_prompt_attention("(red:1.2.3)")


def test_is_break_knows_the_marker_even_inside_brackets():
    assert [is_break(*piece) for piece in parse_prompt_attention("a BREAK b (c BREAK d)")] == [
        False, True, False, False, True, False,
    ]  # fmt: skip
    assert not is_break("BREAK", 1.0)
