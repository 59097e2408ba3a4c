"""Calibration against hand-computed values, torchmetrics and a known temperature."""

import numpy as np
import pytest

from dermkit.errors import ConfigError, NotFittedError
from dermkit.evaluate.calibration import TemperatureScaler, expected_calibration_error, reliability_bins


def softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def test_ece_hand_computed():
    p = np.array([[0.95, 0.05], [0.95, 0.05], [0.55, 0.45], [0.3, 0.7]])
    y = np.array([0, 1, 0, 1])
    # bins of width .25: (.5,.75] holds .55 (right) and .7 (right): conf .625, acc 1; (.75,1] holds .95, .95: acc .5
    b = reliability_bins(y, p, n_bins=4)
    assert b["count"].tolist() == [0, 0, 2, 2]
    assert b.loc[2, "confidence"] == pytest.approx(0.625) and b.loc[2, "accuracy"] == 1.0
    assert b.loc[3, "accuracy"] == 0.5 and np.isnan(b.loc[0, "accuracy"])
    assert expected_calibration_error(y, p, n_bins=4) == pytest.approx(0.5 * 0.375 + 0.5 * 0.45)
    assert expected_calibration_error([0], [[1.0, 0.0]], n_bins=4) == 0.0  # confidence 1 lands in the last bin


def test_ece_matches_torchmetrics():
    import torch
    from torchmetrics.functional.classification import multiclass_calibration_error

    rng = np.random.default_rng(1)
    y = rng.integers(0, 5, 400)
    p = softmax(rng.normal(size=(400, 5)) * 2 + np.eye(5)[y])
    for bins in (5, 15):
        ref = multiclass_calibration_error(torch.tensor(p, dtype=torch.float64), torch.tensor(y), num_classes=5, n_bins=bins, norm="l1")
        assert expected_calibration_error(y, p, n_bins=bins) == pytest.approx(float(ref), abs=1e-6)


def test_temperature_scaling_recovers_a_known_temperature():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(6000, 4)) * 1.5
    y = np.array([rng.choice(4, p=row) for row in softmax(z)])  # labels drawn from the calibrated model
    over = softmax(z * 2.0)  # an overconfident model: temperature 1/2 applied
    ts = TemperatureScaler().fit(over, y)
    assert ts.temperature_ == pytest.approx(2.0, rel=0.08)
    assert ts.nll_after_ < ts.nll_before_
    fixed = ts.transform(over)
    assert np.allclose(fixed.sum(1), 1) and (fixed.argmax(1) == over.argmax(1)).all()
    assert expected_calibration_error(y, fixed) < expected_calibration_error(y, over) / 2
    assert np.abs(fixed - softmax(z)).max() < 0.05


def test_temperature_scaler_not_fitted():
    with pytest.raises(NotFittedError, match="fit"):
        TemperatureScaler().transform([[0.5, 0.5]])


@pytest.mark.parametrize("n_bins", [2.5, 0])
def test_n_bins_must_be_a_whole_number(n_bins):
    with pytest.raises(ConfigError, match=f"n_bins must be a whole number >= 1, got {n_bins}"):
        reliability_bins([0, 1], [[0.9, 0.1], [0.2, 0.8]], n_bins=n_bins)
