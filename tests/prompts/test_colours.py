"""A swatch "#RRGGBB" becomes the colour word a catalogue would use, because SD cannot read hex."""

import pytest

from prompts.colours import COLOURS, colour_name


@pytest.mark.parametrize(
    ("swatch", "name"),
    [
        ("#000080", "navy"),
        ("#1F2A44", "dark navy"),
        ("#800020", "burgundy"),
        ("#808000", "olive"),
        ("#D8C3A5", "beige"),
        ("#FFFFFF", "white"),
        ("#0A0A0A", "black"),
        ("#C19A6B", "camel"),
        ("#E2725B", "terracotta"),
        ("#98FB98", "mint green"),
        ("#ff0000", "red"),
        ("#F00", "red"),  # shorthand
    ],
)
def test_a_swatch_is_named_by_its_nearest_catalogue_colour(swatch, name):
    assert colour_name(swatch) == name


def test_every_named_colour_names_itself():
    for name, (red, green, blue) in COLOURS.items():
        assert colour_name(f"#{red:02x}{green:02x}{blue:02x}") == name


def test_a_plain_name_is_kept_but_cleaned():
    assert colour_name("  Dusty Rose ") == "dusty rose"
    assert colour_name("(red:1.5)") == "red"
    assert colour_name("") == ""


@pytest.mark.parametrize("bad", ["#12345", "#GGGGGG", "#", "#1234567"])
def test_a_malformed_swatch_is_refused(bad):
    with pytest.raises(ValueError, match="is not #RRGGBB or a colour name"):
        colour_name(bad)
