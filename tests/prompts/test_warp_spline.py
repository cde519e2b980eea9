"""The draft's thin-plate spline (prompts.warp.ThinPlateSpline) is skimage's, to the bit, in numpy alone: the web
process warps drafts inside a shopper's request and must not load scipy for them (a second of CPU per process)."""

import numpy as np
import pytest

from prompts.warp import ThinPlateSpline


def test_the_spline_carries_every_point_exactly_where_skimages_does():
    skimage_transform = pytest.importorskip("skimage.transform")
    rng = np.random.default_rng(7)
    for _ in range(20):
        count = int(rng.integers(4, 60))  # a part's anchors: 5 per cross-section, 4 to 12 sections
        targets = rng.uniform(0, 768, (count, 2))
        sources = targets + rng.normal(0, 25, (count, 2))
        grid = rng.uniform(-40, 800, (2000, 2))

        ours = ThinPlateSpline.from_estimate(targets, sources)
        theirs = skimage_transform.ThinPlateSplineTransform.from_estimate(targets, sources)

        np.testing.assert_array_equal(ours(grid), theirs(grid))


def test_points_that_define_no_spline_give_none_not_an_error():
    assert ThinPlateSpline.from_estimate(np.ones((5, 2)), np.ones((5, 2))) is None
    with pytest.raises(ValueError, match="src, dst"):
        ThinPlateSpline.from_estimate(np.zeros((2, 2)), np.zeros((2, 2)))
