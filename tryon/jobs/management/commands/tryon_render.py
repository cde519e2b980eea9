"""Render one try-on in this process, with a progress bar, and say where the image went."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from prompts import MAX_SAMPLES
from tryon.catalog.models import CatalogItem, FashionModel, Pose, Scene
from tryon.jobs.models import TryOnJob
from tryon.jobs.rendering import tryon_job_render
from tryon.jobs.services import tryon_job_create
from tryon.media.signing import signed_url
from tryon.merchants.models import Merchant


def _pick(model, merchant, field, name):
    """By name, or the merchant's first one when no name is given."""
    queryset = model.objects.filter(merchant=merchant)
    found = queryset.filter(name=name).first() if name else queryset.first()
    if found is None:
        choices = ", ".join(queryset.values_list("name", flat=True)) or "none yet"
        raise CommandError(
            f"--{field.replace('_', '-')}: no {model._meta.verbose_name} {name!r}; choose from {choices}"
        )
    return found


class Command(BaseCommand):
    help = "Render one try-on now, in this process (no worker needed), and print where the image is."

    def add_arguments(self, parser):
        parser.add_argument("--merchant", default="demo", help="merchant slug (default: demo)")
        parser.add_argument("--item", help="catalog item SKU (default: the merchant's first item)")
        parser.add_argument("--fashion-model", help="fashion model name (default: the first)")
        parser.add_argument("--pose", help="pose name (default: the first)")
        parser.add_argument("--scene", help="scene name (default: the first)")
        parser.add_argument("--seed", type=int, help="seed for a repeatable image (default: random)")
        parser.add_argument("--preset", help="engine preset, e.g. tiny or sd15 (default: TRYON_PRESET)")
        parser.add_argument(
            "--samples", type=int, default=1, help=f"images to render, seeds seed, seed+1, ... (1 to {MAX_SAMPLES})"
        )

    def handle(self, *args, **options):
        merchant = Merchant.objects.filter(slug=options["merchant"]).first()
        if merchant is None:
            raise CommandError(f"--merchant: no merchant {options['merchant']!r}; run `manage.py tryon_demo` first")
        items = CatalogItem.objects.filter(merchant=merchant)
        item = items.filter(sku=options["item"]).first() if options["item"] else items.first()
        if item is None:
            raise CommandError(f"--item: no catalog item {options['item']!r} for {merchant}")
        try:
            job = tryon_job_create(
                merchant=merchant,
                catalog_item=item,
                fashion_model=_pick(FashionModel, merchant, "fashion_model", options["fashion_model"]),
                pose=_pick(Pose, merchant, "pose", options["pose"]),
                scene=_pick(Scene, merchant, "scene", options["scene"]),
                seed=options["seed"],
                preset=options["preset"],
                samples=options["samples"],
                enqueue=False,
            )
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from None

        self.stdout.write(f"Try-on #{job.id}: {item.title} with preset {job.preset}, seed {job.seed}")
        with tqdm(total=job.steps_total, unit="step", desc="Rendering", file=self.stderr._out) as bar:

            def on_step(step: int, total: int) -> None:
                if step < bar.n or total != bar.total:  # the next pass: after the stage-1 person, or a retry
                    bar.reset(total=total)
                bar.update(step - bar.n)

            tryon_job_render(job_id=job.id, on_step=on_step)

        job = TryOnJob.objects.get(pk=job.id)
        if job.status != TryOnJob.Status.SUCCEEDED:
            raise CommandError(f"Try-on #{job.id} {job.status}: {job.error}")
        for image in job.images.all():
            where = image.file.path if hasattr(image.file.storage, "path") else signed_url(image.file)
            self.stdout.write(self.style.SUCCESS(f"Image: {where} ({image.width}x{image.height}, seed {image.seed})"))
        self.stdout.write(f"Took {job.render_seconds:.1f} s; attached to catalog item {item.sku}")
