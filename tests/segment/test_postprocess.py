import numpy as np
import pytest

from dermkit.errors import ConfigError, DataError
from dermkit.segment.postprocess import Postprocessing, largest_component, postprocess


def two_blobs():
    prob = np.zeros((12, 12))
    prob[1:4, 1:4] = 0.9  # 9 px
    prob[5:11, 5:11] = 0.8  # 36 px with a 1-px hole
    prob[7, 7] = 0.2
    return prob


def test_each_step_switches_on_and_off():
    prob = two_blobs()
    bare = Postprocessing(largest_component=False, fill_holes=False)
    assert postprocess(prob, bare).sum() == 9 + 35
    assert postprocess(prob, Postprocessing(fill_holes=False)).sum() == 35
    assert postprocess(prob, Postprocessing(largest_component=False)).sum() == 9 + 36
    assert postprocess(prob, Postprocessing()).sum() == 36
    assert postprocess(prob, Postprocessing(threshold=0.85, fill_holes=False)).sum() == 9


def test_smoothing_removes_a_spur_and_keeps_the_body():
    prob = np.zeros((30, 30))
    prob[5:25, 5:25] = 0.9
    prob[14:16, 25:29] = 0.9  # a 2-px wide spur
    out = postprocess(prob, Postprocessing(smooth_radius=2 * 256 / 30))  # a 2-px disk at 30 px
    assert not out[14:16, 26:29].any()
    assert out[6:24, 6:24].all()
    assert postprocess(prob, Postprocessing(smooth_radius=2)).sum() == prob.astype(bool).sum()  # < 1 px at 30 px: off


def test_empty_stays_empty():
    assert not postprocess(np.zeros((5, 5)), Postprocessing(smooth_radius=1)).any()
    assert not largest_component(np.zeros((3, 3), bool)).any()


def test_bad_input():
    with pytest.raises(DataError, match="sigmoid"):
        postprocess(np.full((3, 3), 2.0))
    with pytest.raises(DataError, match="2-D"):
        postprocess(np.zeros((1, 3, 3)))
    with pytest.raises(ConfigError):
        Postprocessing(threshold=1.0)
    with pytest.raises(ConfigError, match="unknown"):
        Postprocessing.from_dict({"thresh": 0.4})
    assert Postprocessing.from_dict(Postprocessing(smooth_radius=3).to_dict()).smooth_radius == 3
