"""From the command line: a demo shop in one command, and one try-on rendered with a progress bar."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tryon.catalog.models import CatalogItem, FashionModel, Garment, Pose, Scene
from tryon.jobs.models import TryOnJob
from tryon.merchants.models import User

pytestmark = pytest.mark.django_db


def counts():
    return [model.objects.count() for model in (Garment, CatalogItem, FashionModel, Pose, Scene, User)]


def test_the_demo_shop_has_something_of_everything_and_can_be_created_twice():
    out = io.StringIO()
    call_command("tryon_demo", stdout=out)
    first = counts()

    call_command("tryon_demo", stdout=io.StringIO())

    assert all(first) and counts() == first
    assert "Merchant admin login: demo / " in out.getvalue()
    assert {g.category for g in Garment.objects.all()} == {"top", "bottom", "dress", "outerwear"}
    assert Pose.objects.count() >= 6


def test_tryon_render_renders_one_try_on_and_prints_where_the_image_is():
    call_command("tryon_demo", stdout=io.StringIO())
    out, err = io.StringIO(), io.StringIO()

    call_command("tryon_render", "--item", "DEMO-DRESS", "--seed", "3", stdout=out, stderr=err)

    job = TryOnJob.objects.get()
    assert job.status == "succeeded" and job.catalog_item.sku == "DEMO-DRESS" and job.seed == 3
    image_path = Path(job.images.get().file.path)
    assert f"Image: {image_path}" in out.getvalue()
    assert image_path.is_file()
    assert f"{job.steps_total}/{job.steps_total}" in err.getvalue()  # the progress bar reached the end


def test_tryon_render_names_the_choices_when_a_pick_is_unknown():
    call_command("tryon_demo", stdout=io.StringIO())

    with pytest.raises(CommandError, match=r"--pose: no pose 'Cartwheel'; choose from .*Walking"):
        call_command("tryon_render", "--pose", "Cartwheel", stdout=io.StringIO())


def test_tryon_render_renders_several_samples_and_prints_each_with_its_seed():
    call_command("tryon_demo", stdout=io.StringIO())
    out = io.StringIO()

    call_command("tryon_render", "--seed", "10", "--samples", "2", stdout=out, stderr=io.StringIO())

    assert [line.rsplit("seed ", 1)[1] for line in out.getvalue().splitlines() if line.startswith("Image:")] == [
        "10)",
        "11)",
    ]


def test_tryon_render_refuses_more_samples_than_a_plan_holds():
    call_command("tryon_demo", stdout=io.StringIO())

    with pytest.raises(CommandError, match=r"^samples: 5 must be an integer from 1 to 4"):
        call_command("tryon_render", "--samples", "5", stdout=io.StringIO())
