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


def _lesion_lab(diagnosis, seeds=range(4), core=False, **kw):
    """CIELAB of the lesion's pixels over a few seeds; ``core``: without the soft rim (8 px)."""
    import cv2

    labs = []
    for s in seeds:
        out = render_case(CaseParams(diagnosis=diagnosis, size=128, radius=0.25, ita=50.0, **kw), s)
        mask = cv2.erode(out.mask.astype(np.uint8), np.ones((17, 17), np.uint8)).astype(bool) if core else out.mask
        labs.append(rgb2lab(out.image)[mask])
    return np.concatenate(labs)


def test_diagnoses_look_as_a_dermatologist_expects():
    nevus, mel, vasc, bcc, akiec, df = (_lesion_lab(d) for d in ("nevus", "melanoma", "vasc", "bcc", "akiec", "df"))
    # vascular lesions are red to purple (a* high, b* low), nevi brown (b* > a*)
    assert np.median(vasc[:, 1]) > np.median(nevus[:, 1]) + 8
    assert np.median(vasc[:, 2]) < 0.8 * np.median(vasc[:, 1]) and np.median(nevus[:, 2]) > 1.05 * np.median(nevus[:, 1])
    # melanoma is more variegated than a nevus (in the lesion's body, not its soft rim), and darker at its darkest
    assert _lesion_lab("melanoma", core=True).std(0)[0] > 1.5 * _lesion_lab("nevus", core=True).std(0)[0]
    assert np.percentile(mel[:, 0], 5) < np.percentile(nevus[:, 0], 5) - 10
    # bcc and akiec are pink-red plaques (a* well above b*, where a nevus is brown), bcc with redder
    # vessels at its reddest; df has a white centre
    for plaque in (bcc, akiec):
        assert np.median(plaque[:, 1]) > 1.3 * np.median(plaque[:, 2])
    assert np.percentile(bcc[:, 1], 99) > np.percentile(nevus[:, 1], 99) + 5
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
    with pytest.raises(ConfigError, match="haemoglobin must be a finite number, got nan"):  # an IndexError deep in the renderer
        CaseParams(diagnosis="nevus", haemoglobin=float("nan"))
    with pytest.raises(ConfigError, match="asymmetry must be a finite number, got '0.5'"):  # a bare TypeError
        CaseParams(diagnosis="nevus", asymmetry="0.5")
    with pytest.raises(ConfigError, match="size must be a whole number >= 1, got 64.5"):
        CaseParams(diagnosis="nevus", size=64.5)
    assert CaseParams(diagnosis="nevus", artifacts=None).artifacts == ()  # was a TypeError


def test_a_single_artifact_name_may_be_a_string():
    p = CaseParams(diagnosis="nevus", size=64, artifacts="hair")
    assert p.artifacts == ("hair",) and p == CaseParams(diagnosis="nevus", size=64, artifacts=["hair"])
    assert list(render_case(p, 0).artifact_masks) == ["hair"]
    assert dataclasses.replace(p, artifacts="ruler").artifacts == ("ruler",)  # render_row(row, artifacts="ruler") too


def test_artifact_options_are_checked_against_the_renderer():
    with pytest.raises(ConfigError, match="unknown hair option.*'foo'.*known: count, colour, thickness"):
        CaseParams(diagnosis="nevus", artifacts=("hair",), artifact_options={"hair": {"foo": 1}})
    with pytest.raises(ConfigError, match="unknown artifact 'hairs' in artifact_options"):
        CaseParams(diagnosis="nevus", artifact_options={"hairs": {"count": 1}})
    with pytest.raises(ConfigError, match="artifact_options must map artifact names to options"):
        CaseParams(diagnosis="nevus", artifact_options={"hair": 3})
    out = render_case(CaseParams(diagnosis="nevus", size=64, artifacts=("hair",), artifact_options={"hair": {"count": 0}}), 0)
    assert not out.artifact_masks["hair"].any()


@pytest.mark.parametrize("centre", [(2.0, 2.0), (-0.1, 0.5), (0.5,), (0.5, float("nan"))])
def test_centre_outside_the_image_is_refused(centre):
    with pytest.raises(ConfigError, match="centre must be"):
        CaseParams(diagnosis="nevus", centre=centre)


def test_centre_on_the_image_edge_renders_part_of_the_lesion():
    out = render_case(CaseParams(diagnosis="nevus", size=64, centre=(0.0, 1.0)), 0)
    assert out.mask[32:, :32].any() and not out.mask[:32, 32:].any()


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


def _outline_contrast(border_fade):
    """Lightness just inside the outline as a share of the way from the lesion's core to the skin."""
    import cv2

    out = render_case(CaseParams(diagnosis="nevus", size=192, radius=0.3, style="homogeneous", ita=60.0, border_fade=border_fade), 5)
    L = rgb2lab(out.image)[..., 0]
    m = out.mask.astype(np.uint8)
    depth = cv2.distanceTransform(m, cv2.DIST_L2, 5)
    gap = cv2.distanceTransform(1 - m, cv2.DIST_L2, 5)
    core, skin = np.median(L[depth > 30]), np.median(L[(gap > 10) & (gap < 20)])
    rim = np.median(L[(depth > 0) & (depth <= 2)])
    return (rim - core) / (skin - core), out.mask


def test_border_fade_softens_the_edge_inside_an_unchanged_outline():
    sharp, mask_sharp = _outline_contrast(0.0)
    soft, mask_soft = _outline_contrast(0.5)
    # the outline does not move with the fade: the mask is geometry only
    assert (mask_sharp == mask_soft).all()
    # sharp: the rim is still well below the skin (the nevus lightens only gently to its edge);
    # soft: just inside the outline the lesion is most of the way to the skin
    assert sharp < 0.5 and soft > 0.75


def test_border_fade_out_of_range_is_a_config_error():
    with pytest.raises(ConfigError, match="border_fade"):
        CaseParams(diagnosis="nevus", border_fade=1.5)


def test_skin_texture_sets_how_blotchy_the_skin_is():
    def lightness_spread(texture):
        out = render_case(CaseParams(diagnosis="nevus", size=128, radius=0.1, ita=50.0, skin_texture=texture), 3)
        L = rgb2lab(out.image)[..., 0][~out.mask]
        return np.percentile(L, 90) - np.percentile(L, 10)

    flat, typical, blotchy = lightness_spread(0.0), lightness_spread(1.0), lightness_spread(3.0)
    assert flat < typical < blotchy and blotchy > 2 * typical
    with pytest.raises(ConfigError, match="skin_texture"):
        CaseParams(diagnosis="nevus", skin_texture=-0.5)


def test_the_generators_dermoscopic_colours_are_spelt_as_the_abcd_features_name_them():
    from dermkit.explain.abcd import DERMOSCOPIC_COLOURS
    from dermkit.synth.lesion import COLOURS

    assert set(DERMOSCOPIC_COLOURS) <= set(COLOURS)  # the synth table's colours said blue_grey, the ABCD column colour_blue_gray
