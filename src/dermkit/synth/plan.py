"""Planning a synthetic data set: patients, diagnoses, splits, skin tones, and per-case parameters.

Planning is cheap and sequential (one random stream from ``seed``); rendering, the expensive
part, then runs case by case in parallel from the planned :class:`CaseParams` and seeds.

The class mix is exact (largest remainders of ``n * weight``). Lesions are grouped into patients
of ``lesions_per_patient`` lesions; a patient shares skin tone, hair colour and a "signature"
nevus look (style, darkness, size), and with ``ugly_duckling_rate`` a patient with three or more
lesions is planted as similar nevi plus one different lesion (preferably a melanoma): the ugly
duckling. Splits are patient-grouped and stratified by diagnosis (:func:`dermkit.cases.split_cases`)
and are drawn before skin tones and artifacts, so presets can make those depend on the split.

Example:
    >>> plan = plan_cases("balanced", n=14, size=64, seed=0)
    >>> len(plan), sorted(plan["diagnosis"].value_counts().unique().tolist())
    (14, [2])
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from dermkit.cases import split_cases
from dermkit.checks import check_count
from dermkit.errors import ConfigError, DataError
from dermkit.imaging.ita import ITA_CATEGORIES, ita_category, ita_to_fitzpatrick
from dermkit.synth.artifacts import ARTIFACTS
from dermkit.synth.lesion import STYLES
from dermkit.synth.presets import Preset, get_preset
from dermkit.synth.render import MAX_SIZE, MIN_SIZE, CaseParams
from dermkit.synth.skin import ITA_LIMITS

# ITA interval of each tone group, from the category bounds, capped at what the skin model renders.
TONE_ITA_RANGES: dict[str, tuple[float, float]] = {}
_upper = 80.0
for _bound, _name in ITA_CATEGORIES:
    TONE_ITA_RANGES[_name] = (max(_bound, ITA_LIMITS[0] + 5.0), _upper)
    _upper = _bound

# Per diagnosis: (radius, asymmetry, border irregularity, darkness, variegation) ranges; radius
# log-uniform, the others uniform.
_MORPHOLOGY: dict[str, tuple[tuple[float, float], ...]] = {
    "melanoma": ((0.16, 0.34), (0.45, 1.0), (0.4, 0.9), (0.3, 1.0), (0.5, 1.0)),
    "nevus": ((0.05, 0.32), (0.0, 0.25), (0.0, 0.25), (0.0, 0.9), (0.0, 0.5)),
    "bcc": ((0.12, 0.30), (0.2, 0.6), (0.2, 0.5), (0.2, 0.7), (0.2, 0.6)),
    "akiec": ((0.12, 0.28), (0.2, 0.5), (0.3, 0.6), (0.1, 0.5), (0.2, 0.5)),
    "bkl": ((0.12, 0.30), (0.1, 0.5), (0.2, 0.6), (0.2, 0.9), (0.2, 0.6)),
    "df": ((0.08, 0.16), (0.0, 0.2), (0.0, 0.2), (0.2, 0.6), (0.0, 0.3)),
    "vasc": ((0.08, 0.20), (0.0, 0.3), (0.0, 0.3), (0.2, 0.8), (0.0, 0.4)),
}
# Per diagnosis: border fade range (units of the radius): soft-edged nevi and dermatofibromas,
# sharp "stuck-on" keratoses and lacunar vascular lesions (calibrated on the ISIC 2018 edge profile).
_BORDER_FADE: dict[str, tuple[float, float]] = {
    "melanoma": (0.08, 0.4), "nevus": (0.1, 0.5), "bcc": (0.15, 0.45), "akiec": (0.2, 0.5),
    "bkl": (0.03, 0.15), "df": (0.3, 0.6), "vasc": (0.04, 0.2),
}
_AGE = {"melanoma": 60, "nevus": 40, "bcc": 68, "akiec": 68, "bkl": 60, "df": 45, "vasc": 45}
_SITES = ("back", "trunk", "lower extremity", "upper extremity", "abdomen", "chest", "face", "neck")


def check_counts(n: Any, size: Any) -> tuple[int, int]:
    """Validate the number of images and the image size; return them as ints."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"number of images must be a positive integer, got {n!r}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not MIN_SIZE <= size <= MAX_SIZE:
        raise ConfigError(f"image size must be an integer of at least {MIN_SIZE} px and at most {MAX_SIZE} px, got {size!r}")
    return int(n), int(size)


def _class_counts(preset: Preset, n: int) -> dict[str, int]:
    names = list(preset.class_weights)
    w = np.array([preset.class_weights[c] for c in names], float)
    exact = n * w / w.sum()
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    return dict(zip(names, counts.tolist()))


def _patients(preset: Preset, counts: dict[str, int], rng: np.random.Generator) -> list[tuple[list[str], int | None]]:
    """Group diagnoses into patients: a list of (diagnoses, index of the planted ugly duckling or None)."""
    names = list(counts)
    left = np.array([counts[c] for c in names], np.int64)
    lo, hi = preset.lesions_per_patient
    patients = []
    while left.sum() > 0:
        k = int(min(rng.integers(lo, hi + 1), left.sum()))
        nevi = left[names.index("nevus")] if "nevus" in names else 0
        others = [c for c in names if c != "nevus" and left[names.index(c)] > 0]
        if k >= 3 and nevi >= k - 1 and others and rng.random() < preset.ugly_duckling_rate:
            duck = "melanoma" if "melanoma" in others else others[int(rng.integers(len(others)))]
            left[names.index("nevus")] -= k - 1
            left[names.index(duck)] -= 1
            patients.append((["nevus"] * (k - 1) + [duck], k - 1))
        else:
            take = rng.multivariate_hypergeometric(left, k)
            left -= take
            diag = [c for c, t in zip(names, take) for _ in range(int(t))]
            patients.append(([diag[i] for i in rng.permutation(len(diag))], None))
    return patients


def _tone_ita(weights: dict[str, float], rng: np.random.Generator) -> float:
    names = [t for t, w in weights.items() if w > 0]
    p = np.array([weights[t] for t in names], float)
    tone = names[int(rng.choice(len(names), p=p / p.sum()))]
    lo, hi = TONE_ITA_RANGES[tone]
    return float(rng.uniform(lo + 0.5, hi - 0.5))


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _lesion_params(diagnosis: str, rng: np.random.Generator, preset: Preset, size: int, base: dict[str, Any], signature: dict[str, Any] | None) -> CaseParams:
    (r, a, b, d, v) = _MORPHOLOGY[diagnosis]
    if diagnosis in ("melanoma", "nevus") and rng.random() < preset.hard_case_rate:
        other = _MORPHOLOGY["nevus" if diagnosis == "melanoma" else "melanoma"]
        r, a, b = other[0], other[1], other[2]  # early melanoma: small and regular; atypical nevus: large, irregular
        v = other[4] if diagnosis == "melanoma" else v
    radius = _log_uniform(rng, *r) * preset.radius_scale  # lesion areas are log-spread, as in ISIC
    params: dict[str, Any] = dict(
        diagnosis=diagnosis,
        radius=float(min(radius, 0.45)),
        asymmetry=float(rng.uniform(*a)),
        border_irregularity=float(rng.uniform(*b)),
        darkness=float(rng.uniform(*d)),
        variegation=float(rng.uniform(*v)),
        style=str(STYLES[diagnosis][int(rng.integers(len(STYLES[diagnosis])))]),
        elongation=float(rng.uniform(0.0, 0.5)),
        orientation=float(rng.uniform(0.0, np.pi)),
        border_fade=float(rng.uniform(*_BORDER_FADE[diagnosis])),
    )
    if signature is not None and diagnosis == "nevus":  # a patient's nevi look alike
        params.update(
            style=signature["style"],
            darkness=float(np.clip(signature["darkness"] + rng.normal(0, 0.05), 0, 1)),
            radius=float(np.clip(signature["radius"] * preset.radius_scale * rng.uniform(0.85, 1.15), 0.03, 0.45)),
        )
    slack = max(0.0, 0.5 - params["radius"] * 1.3)
    params["centre"] = tuple(float(0.5 + np.clip(rng.normal(0, 0.05), -slack, slack)) for _ in range(2))
    return CaseParams(size=size, **base, **params)


def _split(table: pd.DataFrame, cfg: Preset, seed: int) -> pd.DataFrame:
    """Patient-grouped split, stratified by diagnosis; unstratified when a class is too rare to stratify."""
    for stratify in ("diagnosis", None):
        try:
            return split_cases(table, cfg.split_fractions, seed=seed, stratify=stratify)
        except (DataError, ValueError):  # sklearn refuses classes with fewer members than folds
            continue
    return table.assign(split="train")  # too few patients to split at all


def plan_cases(preset: str | Preset = "balanced", n: int = 100, size: int = 256, seed: int = 0, **overrides: Any) -> pd.DataFrame:
    """Plan ``n`` cases: a case table without images, with ``synth_params`` (JSON) and ``render_seed``.

    See the module docstring for the rules and an example.
    """
    n, size = check_counts(n, size)
    seed = check_count("seed", seed, 0)
    cfg = get_preset(preset, **overrides)
    rng = np.random.default_rng(seed)
    groups = _patients(cfg, _class_counts(cfg, n), rng)
    rows = []
    for pid, (diagnoses, duck) in enumerate(groups):
        for j, diagnosis in enumerate(diagnoses):
            rows.append({"patient_id": f"P{pid:05d}", "diagnosis": diagnosis, "ugly_duckling": duck == j})
    order = rng.permutation(len(rows))  # case ids do not give the patient grouping away
    table = pd.DataFrame([rows[i] for i in order])
    table.insert(0, "case_id", [f"SYN_{i:06d}" for i in range(n)])
    table = _split(table, cfg, seed)
    patient_info: dict[str, dict[str, Any]] = {}
    params, seeds, ages, sexes, sites = [], [], [], [], []
    for row in table.itertuples(index=False):
        info = patient_info.get(row.patient_id)
        if info is None:
            sig_style = STYLES["nevus"][int(rng.integers(3))]
            info = patient_info[row.patient_id] = {
                "base": {"ita": _tone_ita(dict(cfg.tones(row.split)), rng), "haemoglobin": float(rng.uniform(0.15, 0.45)), "skin_texture": _log_uniform(rng, 0.5, 2.5)},
                "signature": {"style": sig_style, "darkness": float(rng.uniform(0.1, 0.7)), "radius": _log_uniform(rng, *_MORPHOLOGY["nevus"][0])},
                "hair": [(30, 22, 18), (55, 38, 28), (90, 62, 40), (15, 12, 12)][int(rng.integers(4))],
                "age": float(np.clip(round(rng.normal(_AGE[row.diagnosis], 14)), 5, 90)),
                "sex": "male" if rng.random() < 0.5 else "female",
            }
        p = _lesion_params(row.diagnosis, rng, cfg, size, info["base"], info["signature"])
        arts = tuple(a for a in ARTIFACTS if rng.random() < cfg.rate(a, row.diagnosis, row.split))
        opts = {"hair": {"colour": info["hair"]}} if "hair" in arts else {}
        params.append(dataclasses.replace(p, artifacts=arts, artifact_options=opts).to_json())
        seeds.append(int(rng.integers(0, 2**31 - 1)))
        ages.append(info["age"])
        sexes.append(info["sex"])
        sites.append(_SITES[int(rng.integers(len(_SITES)))])
    decoded = [CaseParams.from_json(p) for p in params]
    table["ita"] = [p.ita for p in decoded]
    table["skin_tone"] = [ita_category(p.ita) for p in decoded]
    table["fitzpatrick"] = [ita_to_fitzpatrick(p.ita) for p in decoded]
    table["artifacts"] = [";".join(p.artifacts) for p in decoded]
    table["asymmetry"] = [p.asymmetry for p in decoded]
    table["border_irregularity"] = [p.border_irregularity for p in decoded]
    table["style"] = [p.style for p in decoded]
    table["age"], table["sex"], table["anatom_site"] = ages, sexes, sites
    table["render_seed"] = seeds
    table["synth_params"] = params
    table["preset"] = cfg.name
    return table
