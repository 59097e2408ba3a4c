"""Errors that dermkit raises to its users.

Every error a user can cause (a missing file, a wrong column, an unknown label, a bad parameter)
is a :class:`DermkitError` whose message names the file, column or value at fault. The CLI prints
it on one line and exits with status 1; library users can catch the one base class.
"""

from __future__ import annotations


class DermkitError(Exception):
    """Base class of every error dermkit reports to a user."""


class DataError(DermkitError):
    """Input data is wrong: a bad table, a missing or unreadable file, an unknown label."""


class ConfigError(DermkitError, ValueError):
    """A parameter or option is out of range or unknown."""


class NotFittedError(DermkitError):
    """A model or transform was used before it was fitted or loaded."""
