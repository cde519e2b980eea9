"""A merchant edits a pose in a real browser: starts from the library, mirrors it (the same as
prompts.poses.mirror_pose), drags a joint on the canvas, nudges one by keyboard, hides one, and saves."""

import json

import pytest
from playwright.sync_api import expect

from prompts.poses import POSE_LIBRARY, mirror_pose
from prompts.vocabulary import OPENPOSE_KEYPOINTS
from tests.factories import StaffFactory
from tests.tryon.browser.helpers import log_in, screenshot
from tryon.catalog.models import Pose

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
RIGHT_WRIST = OPENPOSE_KEYPOINTS.index("right_wrist")
LEFT_EAR = OPENPOSE_KEYPOINTS.index("left_ear")


def close_to(actual, expected, tolerance=1e-4) -> bool:
    return all(
        abs(ax - ex) <= tolerance and abs(ay - ey) <= tolerance and av == ev
        for (ax, ay, av), (ex, ey, ev) in zip(actual, expected, strict=True)
    )


def test_a_merchant_builds_a_pose_from_the_library_mirrors_drags_and_saves_it(page):
    log_in(page, StaffFactory())
    page.goto("/admin/catalog/pose/add/")
    keypoints = page.locator("textarea[name=keypoints]")

    def points():
        return json.loads(keypoints.input_value())

    page.get_by_label("Name").fill("Leaning, mirrored")
    page.get_by_label("Start from the pose library").select_option(label=POSE_LIBRARY["leaning"].name)
    assert close_to(points(), POSE_LIBRARY["leaning"].keypoints)
    page.get_by_role("button", name="Mirror left ↔ right").click()
    assert close_to(points(), mirror_pose(POSE_LIBRARY["leaning"].keypoints))

    canvas = page.locator("[data-kpe-canvas]")
    box = canvas.bounding_box()
    x, y, _ = points()[RIGHT_WRIST]
    page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + x * box["width"] + 24, box["y"] + y * box["height"] + 36, steps=6)
    page.mouse.up()
    dragged = points()[RIGHT_WRIST]
    assert dragged[0] == pytest.approx(x + 24 / box["width"], abs=0.01)
    assert dragged[1] == pytest.approx(y + 36 / box["height"], abs=0.01)
    expect(page.get_by_label("Joint", exact=True)).to_have_value(str(RIGHT_WRIST))  # dragging picks the joint

    canvas.focus()
    page.keyboard.press("Shift+ArrowLeft")
    assert points()[RIGHT_WRIST][0] == pytest.approx(dragged[0] - 0.025, abs=1e-4)

    page.get_by_label("Joint", exact=True).select_option(label="Left ear")
    page.get_by_label("Visible").uncheck()
    assert points()[LEFT_EAR] == [0, 0, False]
    screenshot(page, "admin-pose-editor")

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    pose = Pose.objects.get()
    assert pose.name == "Leaning, mirrored" and pose.keypoints[LEFT_EAR] == [0.0, 0.0, False]
    assert pose.keypoints[RIGHT_WRIST][0] == pytest.approx(dragged[0] - 0.025, abs=1e-4)
    skeleton = page.locator(".field-skeleton img")
    expect(skeleton).to_have_js_property("complete", True)
    assert skeleton.evaluate("image => image.naturalWidth") == 128
