"""What a shopper agrees to before their own photo is stored: shown by the shop and documented for the API.

A change of wording is a new CONSENT_VERSION, so each stored consent says which text the shopper saw.
"""

from django.conf import settings

CONSENT_VERSION = "2026-11-1"


def consent_text() -> str:
    hours = settings.TRYON_SHOPPER_PHOTO_HOURS
    return (
        "We store your photo, with its location and camera data removed, and the previews made from it. "
        f"They are deleted {hours} hours after you upload the photo, or at once when you delete it. "
        "They are used for nothing but your own previews: never shown to other shoppers, never added to the "
        "shop's gallery, never used to train anything."
    )
