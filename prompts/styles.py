"""How each photographic style is briefed, and the words for a scene's light and time of day.

A style changes the whole brief, not one adjective: the kind of photograph, where it is shot when the
scene says nothing, the light, the mood, and what the negative prompt keeps out. The garment stays the
subject in every style; only the editorial lets the picture be more than the clothes.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    photograph: str  # "{framing} {photograph} of ..."
    backdrop: str  # where, when the scene gives no location or prompt
    lighting: str  # the light, when the scene leaves it to the style
    mood: str  # said after the garment details: how the picture should feel
    quality: str  # the closing words
    negative: tuple[str, ...]  # said after the category's exclusions


STYLES = {
    "studio": Style(
        photograph="e-commerce fashion photograph",
        backdrop="seamless light grey studio backdrop",
        lighting="soft even studio lighting",
        mood="clean catalog look, true-to-life garment colours",
        quality="professional fashion photography, sharp focus, detailed fabric texture, natural skin texture, "
        "high resolution",
        negative=("busy background", "props", "harsh shadows", "colour cast"),
    ),
    "lifestyle": Style(
        photograph="lifestyle fashion photograph",
        backdrop="sunlit city street with softly blurred shopfronts",
        lighting="natural daylight",
        mood="candid moment, relaxed natural movement, shallow depth of field, warm inviting atmosphere",
        quality="professional lifestyle photography, 50mm lens, sharp focus on the outfit, detailed fabric texture, "
        "natural skin texture",
        negative=("stiff pose", "studio backdrop", "crowd", "harsh flash"),
    ),
    "editorial": Style(
        photograph="editorial fashion photograph",
        backdrop="minimalist architectural set with a deep coloured wall",
        lighting="dramatic directional lighting with deep shadows",
        mood="high-fashion magazine editorial, striking composition, bold contrast",
        quality="medium format fashion photography, sharp focus, rich fabric texture, natural skin texture, "
        "high resolution",
        negative=("flat lighting", "snapshot", "amateur photo", "cluttered background"),
    ),
}

# scene.lighting -> words
LIGHTINGS = {
    "softbox": "soft even softbox lighting",
    "natural daylight": "natural daylight",
    "window light": "soft window light",
    "golden hour": "warm golden hour sunlight",
    "overcast": "soft overcast daylight",
    "neon": "colourful neon light",
    "dramatic rim light": "dramatic rim lighting",
}

# scene.time_of_day -> words
TIMES_OF_DAY = {
    "morning": "early morning",
    "midday": "midday",
    "afternoon": "afternoon",
    "sunset": "at sunset",
    "blue hour": "at blue hour",
    "night": "at night",
}
