"""Argument checks shared across dermkit, so every public function reads its arguments alike.

Example:
    >>> as_names("skin_tone"), as_names(("skin_tone", "site"))
    (['skin_tone'], ['skin_tone', 'site'])
"""

from __future__ import annotations

import math
import numbers
from typing import Iterable

from dermkit.errors import ConfigError


def as_names(names: str | Iterable[str]) -> list[str]:
    """``names`` as a list, a single string being one name (not a sequence of letters).

    Example:
        >>> as_names("accuracy")
        ['accuracy']
    """
    return [names] if isinstance(names, str) else list(names)


def check_count(name: str, value: object, minimum: int) -> int:
    """``value`` as an int; :class:`ConfigError` unless it is a whole number of at least ``minimum``
    (a bool, a float such as 2.0 or 2.5, or text is refused).

    Example:
        >>> check_count("n_boot", 2.5, 0)
        Traceback (most recent call last):
        ...
        dermkit.errors.ConfigError: n_boot must be a whole number >= 0, got 2.5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ConfigError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def check_number(name: str, value: object) -> float:
    """``value`` as a float; :class:`ConfigError` unless it is a finite real number (a bool, text,
    NaN or infinity is refused: they trained NaN models or failed mid-run).

    Example:
        >>> check_number("lr", float("inf"))
        Traceback (most recent call last):
        ...
        dermkit.errors.ConfigError: lr must be a finite number, got inf
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {value!r}")
    return float(value)
