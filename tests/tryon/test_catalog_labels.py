"""The admin shows the prompt vocabulary as a merchant would write it, not as the code stores it."""

from tryon.catalog.models import FashionModel


def test_age_ranges_read_as_ranges_and_words_read_as_words():
    labels = dict(FashionModel._meta.get_field("age_range").choices)
    body_types = dict(FashionModel._meta.get_field("body_type").choices)

    assert labels["25-34"] == "25–34" and labels["55+"] == "55+"
    assert body_types["plus-size"] == "Plus size"
