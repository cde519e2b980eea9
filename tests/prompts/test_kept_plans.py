"""A submission's plan is built once per process for the same picks up to the seed (build_plan keeps it), and
plans derived from it (another seed, the preview) walk only what changed: each must be exactly the plan, and
the fingerprint, that building it afresh gives. Fingerprints are stored as cache keys: they must not move."""

import dataclasses

import pytest

from prompts import GenerationPlan, ImageRef, build_plan
from prompts.plan import _plain

from .test_warp_plans import JEANS, PHOTO, SHIRT


def fresh(plan: GenerationPlan) -> GenerationPlan:
    """The same plan, built from its JSON: nothing cached on it."""
    return GenerationPlan.from_dict(plan.to_dict())


def built_afresh(**arguments) -> GenerationPlan:
    """build_plan's work without its kept plans."""
    return build_plan.__wrapped__(**arguments)


@pytest.mark.parametrize(
    ("picks", "plans_kept"),
    [
        ({}, 4),  # no person_seed: the seed stays in the key, whatever the mode
        ({"mode": "warp", "garments": [SHIRT, JEANS], "person_seed": 77}, 1),  # as every submission asks
        ({"mode": "warp", "garments": SHIRT}, 4),  # the stage-1 person's seed follows the plan's
        ({"mode": "warp", "garments": SHIRT, "identity": "cast"}, 1),  # a cast model's person keeps its own seed
        ({"mode": "tryon", "garments": SHIRT, "photo": PHOTO}, 4),
        ({"canny": True, "garments": SHIRT, "samples": 2, "person_seed": 5}, 1),
    ],
    ids=["generate", "warp", "warp-person-follows-seed", "warp-cast", "tryon", "canny"],
)
def test_a_kept_plan_with_another_seed_is_the_plan_built_afresh(make_plan, fashion_model, picks, plans_kept):
    picks = dict(picks)
    if picks.pop("identity", None):
        fashion_model = dataclasses.replace(fashion_model, identity_seed=4242)
    if photo := picks.pop("photo", None):
        fashion_model = dataclasses.replace(fashion_model, photo=photo)
    picks["fashion_model"] = fashion_model
    build_plan.kept.cache_clear()

    for seed in (1234, 5, 0, 2**32 - 1, 5):
        plan = make_plan(seed=seed, **picks)
        built = built_afresh(**{**make_plan.defaults, "seed": seed, **picks})

        assert plan == built
        assert plan.to_dict() == built.to_dict() == _plain(plan, names=True)  # the walk, done afresh
        assert plan.fingerprint == built.fingerprint == fresh(plan).fingerprint
        if plan.person is not None:
            assert plan.person == built.person
            assert plan.person.fingerprint == fresh(plan.person).fingerprint
    assert build_plan.kept.cache_info().currsize == plans_kept


def test_the_same_picks_are_built_once(make_plan):
    build_plan.kept.cache_clear()
    make_plan(seed=1, person_seed=9)
    make_plan(seed=2, person_seed=9)
    make_plan(seed=3, person_seed=9, garments=[SHIRT])  # a list is a key as a tuple
    make_plan(seed=4, person_seed=9, garments=[SHIRT])

    assert (build_plan.kept.cache_info().misses, build_plan.kept.cache_info().hits) == (2, 2)


@pytest.mark.parametrize("seed", [True, 5.0, -1, 2**32])  # not a seed: refused as before, never kept
def test_a_seed_that_is_no_seed_is_refused_as_before(make_plan, seed):
    with pytest.raises(Exception) as kept:
        make_plan(seed=seed, person_seed=9)
    with pytest.raises(Exception) as afresh:
        built_afresh(**{**make_plan.defaults, "seed": seed, "person_seed": 9})

    assert (type(kept.value), str(kept.value)) == (type(afresh.value), str(afresh.value))


@pytest.mark.parametrize(
    "changes",
    [
        {"seed": 99},
        {"preview": True},
        {"preview": False},
        {"samples": 1},  # back to a later field's default: left out of the fingerprint again
        {"samples": 3, "seed": 7},
        {"steps": 8, "guidance_scale": 1},
    ],
)
def test_a_replaced_plan_fingerprints_as_one_built_afresh(make_plan, changes):
    plan = make_plan(mode="warp", garments=[SHIRT, JEANS], person_seed=3, samples=2)
    assert plan.fingerprint  # walked: what replaced() reuses

    derived = plan.replaced(**changes)

    assert derived == dataclasses.replace(plan, **changes)
    assert derived.fingerprint == fresh(derived).fingerprint
    assert derived.to_dict() == _plain(derived, names=True)
    assert (derived.fingerprint == plan.fingerprint) == (derived == plan)


def test_the_preview_of_a_plan_and_its_person_fingerprint_as_built_afresh(make_plan):
    plan = make_plan(mode="warp", garments=SHIRT, person_seed=3)
    assert plan.fingerprint

    preview = plan.on_preview_path

    assert preview == make_plan(mode="warp", garments=SHIRT, person_seed=3, preview=True)
    assert preview.to_dict() == _plain(preview, names=True)
    assert preview.fingerprint == fresh(preview).fingerprint != plan.fingerprint
    assert preview.person.fingerprint == fresh(preview.person).fingerprint != plan.person.fingerprint
    assert preview.on_preview_path is preview
    half = plan.replaced(preview=True)  # a preview plan whose person is not: its person goes on the path too
    assert half.on_preview_path == preview and half.on_preview_path.person.preview


def test_every_seed_shares_its_picks_preview_person(make_plan):
    first, second = (make_plan(mode="warp", garments=SHIRT, person_seed=3, seed=seed) for seed in (1, 2))

    assert first.person is second.person  # kept: one person per picks, whatever the seed
    assert first.on_preview_path.person is second.on_preview_path.person  # its preview derived once
    assert first.on_preview_path.seed == 1 and second.on_preview_path.seed == 2
    assert second.on_preview_path == make_plan(mode="warp", garments=SHIRT, person_seed=3, seed=2, preview=True)


# Fingerprints of these plans (and their stage-1 person) as stored before plans were kept (c748243).
STORED = {
    "warp with its person": (
        {"garments": [SHIRT, JEANS], "mode": "warp", "person_seed": 77, "seed": 5},
        "325b0d9f29cac04e7c39cb73309e485bfacf620862356f864838e1217b1e5bae",
        "caea0bd5f758dee8a0ce739727d87118e6cd35f65351a7899a87f205b859058e",
    ),
    "warp, three samples, another seed": (
        {"garments": [SHIRT, JEANS], "mode": "warp", "person_seed": 77, "seed": 2**32 - 1, "samples": 3},
        "8c67fc30d9ebf5b726429f73574f577dd43377a1b8bd1aefa502d5ad3e799630",
        "caea0bd5f758dee8a0ce739727d87118e6cd35f65351a7899a87f205b859058e",
    ),
    "warp preview": (
        {"garments": [SHIRT], "mode": "warp", "person_seed": 3, "seed": 11, "preview": True},
        "f03ef6c9f9c68ed351102ad0b3b1be63ce0ed6936e132a70921c0f6aed914222",
        "46292d49cd5cda5b90999d372ba07819032c66f576b0b396cc2c2f6ff98a6ea5",
    ),
    "canny units": (
        {"garments": [SHIRT, JEANS], "canny": True, "seed": 9},
        "3fd19e3720d782f04ab18ae1b1148e5dc18d31ea56335085fb65bade222187ab",
        None,
    ),
    "tryon on a photo": (
        {"garments": [SHIRT], "mode": "tryon", "seed": 4, "photo": ImageRef("fashion-models/ada.jpg", "a" * 64)},
        "ccb09448c8f1eb920cad50f1cd83c74c36a0afef14d9f915a7f83b01420d2692",
        None,
    ),
}


@pytest.mark.parametrize("name", STORED)
def test_fingerprints_are_those_stored_before_plans_were_kept(make_plan, fashion_model, name):
    picks, stored, stored_person = STORED[name]
    picks = dict(picks)
    if photo := picks.pop("photo", None):
        picks["fashion_model"] = dataclasses.replace(fashion_model, photo=photo)
    build_plan.kept.cache_clear()
    make_plan(**{**picks, "seed": 123})  # kept first with another seed: the asked-for one is replaced() from it

    plan = make_plan(**picks)
    derived = plan
    if picks.get("preview"):  # as a submission derives a shopper's preview (GenerationPlan.on_preview_path)
        derived = make_plan(**{**picks, "preview": False}).on_preview_path

    for each in (plan, derived):
        assert each.fingerprint == stored
        assert (each.person.fingerprint if each.person else None) == stored_person


def test_changing_what_to_dict_gave_leaves_the_plan_as_it_was(make_plan):
    plan = make_plan(mode="warp", garments=SHIRT, person_seed=3)
    stored = plan.to_dict()

    stored["seed"], stored["person"] = 99, None

    assert plan.to_dict()["seed"] == plan.seed and plan.to_dict()["person"] == plan.person.to_dict()
