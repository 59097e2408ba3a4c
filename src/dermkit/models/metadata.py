"""Patient metadata (age, sex, anatomical site) as a fixed-length feature vector for fusion.

The encoder is fitted on the training table (it learns the vocabulary of anatomical sites) and
stored in the checkpoint config, so prediction encodes new cases exactly as training did.
Missing values are encoded as zeros plus an "age missing" flag, never dropped.

Example:
    >>> import pandas as pd
    >>> enc = MetadataEncoder.fit(pd.DataFrame({"age": [40.0, None], "sex": ["male", None], "anatom_site": ["back", "face"]}))
    >>> enc.transform(pd.DataFrame({"age": [50.0], "sex": ["female"], "anatom_site": ["face"]})).round(2).tolist()
    [[0.5, 0.0, 0.0, 1.0, 0.0, 1.0]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

METADATA_COLUMNS = ("age", "sex", "anatom_site")


@dataclass(frozen=True)
class MetadataEncoder:
    """Encodes ``age`` (years / 100, plus a missing flag), ``sex`` (two one-hot columns) and
    ``anatom_site`` (one-hot over the sites seen in training; unseen or missing sites are all zeros)."""

    sites: tuple[str, ...]

    @classmethod
    def fit(cls, cases: pd.DataFrame) -> "MetadataEncoder":
        """Learn the site vocabulary from ``cases`` (sorted, so the same table gives the same encoder)."""
        sites = cases["anatom_site"].dropna().astype(str).unique() if "anatom_site" in cases.columns else []
        return cls(tuple(sorted(sites)))

    @property
    def dim(self) -> int:
        """Length of the feature vector."""
        return 4 + len(self.sites)

    @property
    def feature_names(self) -> list[str]:
        """Names of the features, in order."""
        return ["age", "age_missing", "sex_male", "sex_female", *(f"site_{s}" for s in self.sites)]

    def transform(self, cases: pd.DataFrame) -> np.ndarray:
        """Encode ``cases`` as a float32 array of shape ``(len(cases), dim)``; absent columns count as missing."""
        n = len(cases)
        out = np.zeros((n, self.dim), dtype=np.float32)
        age = pd.to_numeric(cases["age"], errors="coerce").to_numpy(dtype=float, na_value=np.nan) if "age" in cases.columns else np.full(n, np.nan)
        out[:, 0] = np.nan_to_num(age / 100.0, nan=0.0)
        out[:, 1] = np.isnan(age)
        if "sex" in cases.columns:
            sex = cases["sex"].astype("string").str.lower()
            out[:, 2] = (sex == "male").fillna(False).to_numpy(dtype=bool)
            out[:, 3] = (sex == "female").fillna(False).to_numpy(dtype=bool)
        if "anatom_site" in cases.columns and self.sites:
            index = {s: i for i, s in enumerate(self.sites)}
            for row, site in enumerate(cases["anatom_site"].tolist()):
                if isinstance(site, str) and site in index:
                    out[row, 4 + index[site]] = 1.0
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (stored in the checkpoint config)."""
        return {"columns": list(METADATA_COLUMNS), "sites": list(self.sites)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MetadataEncoder":
        """Rebuild the encoder stored by :meth:`to_dict`."""
        return cls(tuple(data.get("sites", ())))
