"""`{% load tryon_media %}` then `{{ image.file|signed_url }}` or `{{ image|catalog_image_url:merchant }}`."""

from django import template

from tryon.media import signing

register = template.Library()


@register.filter
def signed_url(file_or_name) -> str:
    return signing.signed_url(file_or_name)


@register.filter
def catalog_image_url(image, merchant) -> str:
    return signing.catalog_image_url(image, merchant=merchant)
