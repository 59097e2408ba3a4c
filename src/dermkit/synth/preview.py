"""A labelled contact sheet of generated cases (diagnosis, skin tone and artifacts under each image).

Example:
    >>> contact_sheet(cases, "sheet.png", n=24)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from dermkit.checks import check_count
from dermkit.errors import ConfigError
from dermkit.io import read_image, write_image

_SHORT = {"dark_corner": "corner", "gel_bubble": "bubble", "colour_cast": "cast"}


def contact_sheet(cases: pd.DataFrame, path: str | os.PathLike[str], n: int = 24, columns: int = 6, thumb: int = 192, seed: int = 0) -> Path:
    """Tile up to ``n`` cases (a seeded sample, sorted by diagnosis) with a caption each; write ``path`` atomically.

    ``cases`` needs ``image_path`` (absolute, as returned by :func:`dermkit.synth.generate`) and
    ``diagnosis``; ``skin_tone``, ``ita`` and ``artifacts`` are printed when present.
    """
    if n < 1 or columns < 1 or thumb < 32:
        raise ConfigError(f"contact sheet needs n >= 1, columns >= 1 and thumb >= 32; got n={n}, columns={columns}, thumb={thumb}")
    if len(cases) == 0:
        raise ConfigError("contact sheet: the case table is empty")
    pick = cases.sample(n=min(n, len(cases)), random_state=check_count("seed", seed, 0)).sort_values(["diagnosis", "case_id"])
    caption_h = 34
    tiles = []
    for _, row in pick.iterrows():
        img = cv2.resize(read_image(row["image_path"]), (thumb, thumb), interpolation=cv2.INTER_AREA)
        cap = np.full((caption_h, thumb, 3), 255, np.uint8)
        line1 = str(row["diagnosis"])
        if "skin_tone" in row and pd.notna(row.get("skin_tone")):
            line1 += f"  {row['skin_tone']}" + (f" ({row['ita']:.0f})" if pd.notna(row.get("ita")) else "")
        raw = row.get("artifacts")
        arts = [a for a in ("" if pd.isna(raw) else str(raw)).split(";") if a]
        line2 = ",".join(_SHORT.get(a, a) for a in arts) or "-"
        if bool(row.get("ugly_duckling", False)):
            line2 = "UGLY DUCKLING " + line2
        for k, text in enumerate((line1, line2)):
            cv2.putText(cap, text[: thumb // 6], (3, 13 + 15 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1, cv2.LINE_AA)
        tiles.append(np.vstack([img, cap]))
    blank = np.full_like(tiles[0], 255)
    tiles += [blank] * (-len(tiles) % columns)
    rows = [np.hstack(tiles[i : i + columns]) for i in range(0, len(tiles), columns)]
    sheet = np.vstack(rows)
    out = Path(path)
    write_image(out, sheet)
    return out
