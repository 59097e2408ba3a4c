"""dermkit: skin-lesion AI that is accurate, fair across skin tones, and explainable.

Every stage reads and writes one format, the case table (:mod:`dermkit.cases`).
"""

__version__ = "0.1.0"

from dermkit.errors import ConfigError, DataError, DermkitError  # noqa: E402

__all__ = ["__version__", "DermkitError", "DataError", "ConfigError"]
