"""Cut out every garment whose photo has no cut-out yet: garments uploaded before cut-outs were stored, or
after restoring photos from a backup. Without it, each is cut out on its first try-on, in that request."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import F
from tqdm import tqdm

from tryon.catalog.cutouts import garment_cutout_ensure
from tryon.catalog.models import Garment
from tryon.merchants.models import Merchant


class Command(BaseCommand):
    help = "Cut every garment out of its photo where that was not done yet, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("--merchant", help="Only this merchant's garments (its slug).")

    def handle(self, *args, **options):
        garments = Garment.objects.exclude(image="").exclude(cutout_of=F("image_sha256")).order_by("id")
        if options["merchant"]:
            merchant = Merchant.objects.filter(slug=options["merchant"]).first()
            if merchant is None:
                raise CommandError(f"--merchant: no merchant {options['merchant']!r}")
            garments = garments.filter(merchant=merchant)
        cut, refused, missing = 0, [], []
        for garment in tqdm(list(garments), unit="garment", desc="Cutting out", file=self.stderr._out):
            try:
                garment = garment_cutout_ensure(garment=garment)
            except OSError as error:  # the photo is gone from storage: say so and go on with the rest
                missing.append(f"{garment} (#{garment.pk}): {error}")
                continue
            if garment.cutout:
                cut += 1
            else:
                refused.append(f"{garment} (#{garment.pk}): {garment.cutout_error}")
        self.stdout.write(self.style.SUCCESS(f"{cut} garments cut out."))
        for line in refused:
            self.stdout.write(f"No cut-out, drawn from words until the photo is replaced: {line}")
        for line in missing:
            self.stdout.write(self.style.WARNING(f"Photo missing: {line}"))
