"""Individual Typology Angle (ITA): the formula, its six categories and the Fitzpatrick mapping.

ITA = arctan((L* - 50) / b*) * 180 / pi, with L* and b* from CIELAB (D65). dermkit uses
``arctan`` of the ratio, as in Chardon et al. (1991) and the dermatology fairness literature,
not ``atan2``: for skin, b* is positive, where both agree; ``atan2`` would add ±180° whenever
b* < 0 (blue-shifted pixels such as veins or shadows) and throw such outliers far away.
``b*`` at zero is nudged to a tiny positive value, so the angle is ±90° rather than undefined.

Example:
    >>> ita_category(60.0), ita_to_fitzpatrick(60.0)
    ('very_light', 1)
    >>> ita_category(-45.0), ita_to_fitzpatrick(-45.0)
    ('dark', 6)
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from dermkit.errors import ConfigError, DataError

# (lower bound, category): ITA > bound falls in the category (Chardon et al. 1991, Del Bino 2013).
ITA_CATEGORIES: tuple[tuple[float, str], ...] = (
    (55.0, "very_light"),
    (41.0, "light"),
    (28.0, "intermediate"),
    (10.0, "tan"),
    (-30.0, "brown"),
    (-np.inf, "dark"),
)

# ITA > bound gives Fitzpatrick type: Kinyanjui et al. (2020), "Fairness of classifiers across
# skin tones in dermatology", the mapping the issue names as dermkit's default.
FITZPATRICK_SCHEMES: dict[str, tuple[tuple[float, int], ...]] = {
    "kinyanjui": ((55.0, 1), (41.0, 2), (28.0, 3), (19.0, 4), (10.0, 5), (-np.inf, 6)),
}


def ita_from_lab(L: np.ndarray | float, b: np.ndarray | float) -> np.ndarray | float:
    """ITA in degrees from CIELAB L* and b* (``arctan`` of the ratio; see the module note)."""
    b_arr = np.asarray(b, dtype=np.float64)
    b_safe = np.where(np.abs(b_arr) < 1e-6, 1e-6, b_arr)
    out = np.degrees(np.arctan((np.asarray(L, dtype=np.float64) - 50.0) / b_safe))
    return float(out) if np.ndim(out) == 0 else out


def _check_ita(ita: float) -> float:
    """``ita`` as a float; :class:`DataError` unless it is one finite number (an array is refused:
    these functions name one angle's category)."""
    if isinstance(ita, bool) or not isinstance(ita, numbers.Real) or not math.isfinite(ita):
        raise DataError(f"ITA must be one finite number of degrees, got {ita!r}")
    return float(ita)


def ita_category(ita: float) -> str:
    """The ITA category name of an angle in degrees (``very_light`` ... ``dark``)."""
    ita = _check_ita(ita)
    for bound, name in ITA_CATEGORIES:
        if ita > bound:
            return name
    return ITA_CATEGORIES[-1][1]


def ita_to_fitzpatrick(ita: float, scheme: str = "kinyanjui") -> int:
    """Estimated Fitzpatrick type (1-6) from ITA with a documented scheme (default Kinyanjui et al.)."""
    if scheme not in FITZPATRICK_SCHEMES:
        raise ConfigError(f"unknown Fitzpatrick scheme {scheme!r}; known: {', '.join(FITZPATRICK_SCHEMES)}")
    ita = _check_ita(ita)
    for bound, ftype in FITZPATRICK_SCHEMES[scheme]:
        if ita > bound:
            return ftype
    return 6
