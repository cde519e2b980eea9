"""An operator upgrading a shop cuts out the garments uploaded before cut-outs were stored, in one command."""

import io

import pytest
from django.core.management import CommandError, call_command

from tests.factories import GarmentFactory
from tests.tryon.garment_photos import striped_garment, upload
from tryon.catalog.models import Garment
from tryon.catalog.services import garment_create

pytestmark = pytest.mark.django_db


def test_garments_without_cutouts_are_cut_out_and_the_unusable_ones_named():
    breton = garment_create(
        merchant=GarmentFactory().merchant, name="Breton tee", category="top", image=upload(striped_garment())
    )
    Garment.objects.filter(pk=breton.pk).update(cutout="", cutout_sha256="", cutout_of="")  # as before the upgrade
    flat = GarmentFactory(name="Flat swatch", image_sha256="f" * 64)  # one colour to the edges: nothing to cut out
    out, err = io.StringIO(), io.StringIO()

    call_command("tryon_cutouts", stdout=out, stderr=err)

    breton.refresh_from_db()
    assert breton.cutout and breton.cutout_of == breton.image_sha256
    assert "1 garments cut out." in out.getvalue()
    assert f"No cut-out, drawn from words until the photo is replaced: Flat swatch (#{flat.pk})" in out.getvalue()
    assert "2/2" in err.getvalue()  # the progress bar reached the end

    again = io.StringIO()
    call_command("tryon_cutouts", stdout=again, stderr=io.StringIO())
    assert "0 garments cut out." in again.getvalue()  # done once per photo


def test_an_unknown_merchant_is_named():
    with pytest.raises(CommandError, match=r"^--merchant: no merchant 'nobody'$"):
        call_command("tryon_cutouts", "--merchant", "nobody", stdout=io.StringIO())
