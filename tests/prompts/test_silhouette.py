"""The mannequin a draft is shown on when there is no photo: a neutral figure standing in the pose."""

import numpy as np
from PIL import Image

from prompts import POSE_LIBRARY
from prompts.masks import draw_mask
from prompts.silhouette import silhouette

FRONT = POSE_LIBRARY["front-standing"].keypoints


def figure(image: Image.Image, background=(238, 238, 238)) -> np.ndarray:
    return np.abs(np.asarray(image).astype(int) - background).max(axis=-1) > 12


def test_the_mannequin_stands_in_the_pose_on_a_light_background():
    image = silhouette(FRONT, width=512, height=768)

    assert (image.mode, image.size) == ("RGB", (512, 768))
    body = figure(image)
    torso = np.asarray(draw_mask(["top"], FRONT, sleeves=False, dilation=0, length="", width=512, height=768)) > 0
    assert body[torso].mean() > 0.9  # the figure is where the pose puts the body
    assert body.mean() < 0.3  # and the rest is background
    assert tuple(np.asarray(image)[5, 5]) == (238, 238, 238)
    for row, column in ((130, 256), (620, 218), (420, 160)):  # head, shin, wrist
        assert body[row, column], (row, column)


def test_its_tone_is_neutral_and_shaded_towards_the_edges():
    pixels = np.asarray(silhouette(FRONT, width=512, height=768)).astype(int)
    middle, edge = pixels[300, 256], pixels[300, 150]  # the chest, and near the torso's side

    assert np.ptp(middle) < 40  # greyish beige: no skin tone implied
    assert middle.sum() > edge.sum()


def test_it_stands_on_the_scene_picture_cover_fitted():
    scene = Image.new("RGB", (1000, 500), (40, 90, 160))
    scene.paste((200, 60, 40), (0, 0, 300, 500))  # a red strip on the left, cut off when fitted to 2:3

    image = np.asarray(silhouette(FRONT, width=512, height=768, background=scene))

    assert tuple(image[5, 5]) == (40, 90, 160)  # no bars: the picture fills the frame
    assert tuple(image[760, 505]) == (40, 90, 160)


def test_a_hidden_arm_is_not_drawn_and_the_same_pose_draws_the_same_figure():
    side = POSE_LIBRARY["side-profile"].keypoints
    image = silhouette(side, width=512, height=768, colour="#ffffff")

    assert not figure(image, (255, 255, 255))[:, 340:].any()  # the far arm is behind the body
    assert image.tobytes() == silhouette(side, width=512, height=768, colour="#ffffff").tobytes()
