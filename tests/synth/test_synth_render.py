"""Rendering: determinism, independent random streams, exact masks, diagnosis-specific looks, true ITA."""

import dataclasses

import numpy as np
import pytest
from skimage.color import rgb2lab

from dermkit.errors import ConfigError
from dermkit.imaging.ita import ita_from_lab
from dermkit.synth import ARTIFACTS, MASKED_ARTIFACTS, CaseParams, plan_cases, render_case
from dermkit.synth.lesion import DIAGNOSIS_PATTERNS, STYLES


def test_same_seed_same_bytes_different_seed_differs():
    p = CaseParams(diagnosis="melanoma", size=96, artifacts=tuple(ARTIFACTS))
    a, b, c = render_case(p, 7), render_case(p, 7), render_case(p, 8)
    assert a.image.tobytes() == b.image.tobytes() and a.mask.tobytes() == b.mask.tobytes()
    assert (a.image != c.image).mean() > 0.5


def test_removing_one_artifact_changes_only_its_pixels():
    p = CaseParams(diagnosis="nevus", size=128, artifacts=("hair", "ruler"))
    full = render_case(p, 1)
    no_hair = render_case(dataclasses.replace(p, artifacts=("ruler",)), 1)
    hair = full.artifact_masks["hair"]
    changed = (full.image != no_hair.image).any(-1)
    assert changed[hair].mean() > 0.9  # the hair pixels differ ...
    assert changed[~hair].mean() < 0.02  # ... and barely anything else (anti-aliased fringes)
    assert (no_hair.artifact_masks["ruler"] == full.artifact_masks["ruler"]).all()
    assert (no_hair.mask == full.mask).all()


@pytest.mark.parametrize("name", MASKED_ARTIFACTS)
def test_every_masked_artifact_has_a_mask_where_the_image_changed(name):
    p = CaseParams(diagnosis="nevus", size=128)
    clean = render_case(p, 2).image
    out = render_case(dataclasses.replace(p, artifacts=(name,)), 2)
    mask = out.artifact_masks[name]
    assert 0 < mask.mean() < 0.6
    diff = np.abs(out.image.astype(int) - clean).sum(-1)
    assert diff[mask].mean() > 5 * max(diff[~mask].mean(), 0.5)


@pytest.mark.parametrize("diagnosis", DIAGNOSIS_PATTERNS)
def test_every_diagnosis_and_style_renders_a_lesion_inside_its_mask(diagnosis):
    for style in STYLES[diagnosis]:
        out = render_case(CaseParams(diagnosis=diagnosis, size=128, radius=0.2, style=style), 0)
        assert abs(out.mask.mean() - np.pi * 0.2**2) < 0.06
        skin = rgb2lab(render_case(CaseParams(diagnosis=diagnosis, size=128, radius=0.2, style=style), 0).image)
        assert out.structures and out.colours
        ring = np.zeros_like(out.mask)
        ring[:6], ring[-6:] = True, True
        # the lesion differs from the skin around it
        assert np.linalg.norm(skin[out.mask].mean(0) - skin[ring].mean(0)) > 5


def _lesion_lab(diagnosis, seeds=range(4), **kw):
    labs = []
    for s in seeds:
        out = render_case(CaseParams(diagnosis=diagnosis, size=128, radius=0.25, ita=50.0, **kw), s)
        labs.append(rgb2lab(out.image)[out.mask])
    return np.concatenate(labs)


def test_diagnoses_look_as_a_dermatologist_expects():
    nevus, mel, vasc, bcc, df = (_lesion_lab(d) for d in ("nevus", "melanoma", "vasc", "bcc", "df"))
    # vascular lesions are red to purple (a* high, b* low), nevi brown (b* > a*)
    assert np.median(vasc[:, 1]) > np.median(nevus[:, 1]) + 8
    assert np.median(vasc[:, 2]) < 0.8 * np.median(vasc[:, 1]) and np.median(nevus[:, 2]) > 1.05 * np.median(nevus[:, 1])
    # melanoma is more variegated than a nevus, and darker at its darkest
    assert mel.std(0)[0] > 1.5 * nevus.std(0)[0]
    assert np.percentile(mel[:, 0], 5) < np.percentile(nevus[:, 0], 5) - 10
    # bcc has bright red vessels (a* far above a nevus); df has a white centre
    assert np.percentile(bcc[:, 1], 99) > np.percentile(nevus[:, 1], 99) + 10
    out = render_case(CaseParams(diagnosis="df", size=128, radius=0.25, ita=30.0), 0)
    lab = rgb2lab(out.image)
    centre = lab[56:72, 56:72, 0].mean()
    assert centre > np.median(lab[out.mask, 0]) + 5


def test_bad_params():
    with pytest.raises(ConfigError, match="diagnosis 'psoriasis'"):
        CaseParams(diagnosis="psoriasis")
    with pytest.raises(ConfigError, match="at least 32"):
        CaseParams(diagnosis="nevus", size=20)
    with pytest.raises(ConfigError, match="asymmetry"):
        CaseParams(diagnosis="nevus", asymmetry=1.5)
    with pytest.raises(ConfigError, match="unknown artifact"):
        CaseParams(diagnosis="nevus", artifacts=("smudge",))
    with pytest.raises(ConfigError, match="ita"):
        CaseParams(diagnosis="nevus", ita=120.0)


def measured_ita(out):
    skin = ~out.mask
    for m in out.artifact_masks.values():
        skin &= ~m
    lab = rgb2lab(out.image[skin])
    return float(np.median(ita_from_lab(lab[:, 0], lab[:, 2])))


def test_true_ita_matches_ita_measured_on_skin_pixels():
    plan = plan_cases("balanced", n=36, size=96, seed=11)
    errors = [measured_ita(render_case(CaseParams.from_json(p), s)) - ita for p, s, ita in zip(plan["synth_params"], plan["render_seed"], plan["ita"])]
    assert np.mean(np.abs(errors)) < 3.0
    # without colour cast (a global white-balance error) every image is within a few degrees
    clean = [abs(e) for e, a in zip(errors, plan["artifacts"]) if "colour_cast" not in a]
    assert max(clean) < 6.0
