"""Reading the repeatable ``--set KEY=VALUE`` option that several commands share."""

from __future__ import annotations

from typing import Any

from dermkit.errors import ConfigError


def parse_set_options(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` items as a dict, each value read as YAML (numbers, booleans, lists, mappings).

    An item without ``=`` or a value that is not valid YAML is a one-line :class:`ConfigError`
    naming it; a later item overrides an earlier one with the same key.

    Example:
        >>> parse_set_options(["hair_rate=0.8", "spurious={ruler: {melanoma: 1.0}}"])
        {'hair_rate': 0.8, 'spurious': {'ruler': {'melanoma': 1.0}}}
    """
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ConfigError(f"--set {key.strip()}: cannot read value {value!r}: {str(exc).splitlines()[0]}") from None
    return out
