"""Options several commands share: the repeatable ``--set KEY=VALUE``, and Lightning's ``--devices``."""

from __future__ import annotations

from typing import Any, Mapping

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


def set_options_beside(flags: Mapping[str, Any], items: list[str]) -> dict[str, Any]:
    """The ``--set`` items (:func:`parse_set_options`) that the command's own flags do not already
    give; :class:`ConfigError` for a key given both ways with different values (the ``--set`` one
    silently won, or the call failed with "got multiple values").

    Example:
        >>> set_options_beside({"n": 10, "size": 128}, ["n=10", "hair_rate=0.5"])
        {'hair_rate': 0.5}
    """
    extra = parse_set_options(items)
    twice = sorted(k for k in extra if k in flags and extra[k] != flags[k])
    if twice:
        raise ConfigError(f"{', '.join(twice)} given both as a flag and with --set, with different values: give {'it' if len(twice) == 1 else 'them'} once, as a flag")
    return {k: v for k, v in extra.items() if k not in flags}


def parse_devices(text: str) -> int | str | list[int]:
    """``--devices`` as Lightning takes it: ``auto``, a count, or a list of device indices.

    Example:
        >>> parse_devices("2"), parse_devices("0,1"), parse_devices("auto"), parse_devices("-1")
        (2, [0, 1], 'auto', -1)
    """
    if "," in text:
        try:
            return [int(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise ConfigError(f"--devices: a list of device indices must hold integers, got {text!r}") from None
    return int(text) if text.lstrip("-").isdigit() else text
