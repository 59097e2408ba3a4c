"""Knowledge-based synthetic dermoscopy: skin, lesions and artifacts with exact ground truth.

In the spirit of S-SYNTH (Kim et al. 2024; knowledge-based, layered, controllable skin
synthesis), each image is rendered from parameters: skin colour from a melanin/haemoglobin
model at a target ITA angle, a lesion whose shape and dermoscopic patterns follow its diagnosis,
and acquisition artifacts (hair, rulers, ink, dark corners, gel bubbles, glare, blur, colour
cast), each with a flag and, where it has one, a mask.

Example:
    >>> from dermkit.synth import CaseParams, render_case
    >>> out = render_case(CaseParams(diagnosis="melanoma", size=64, ita=20.0, artifacts=("ruler",)), seed=0)
    >>> sorted(out.artifact_masks)
    ['ruler']
"""

from dermkit.synth.artifacts import ARTIFACTS, MASKED_ARTIFACTS, draw_hair, draw_ink, draw_ruler
from dermkit.synth.generate import MASK_COLUMNS, generate, load_synth_cases, render_row
from dermkit.synth.plan import plan_cases
from dermkit.synth.presets import PRESETS, Preset, get_preset
from dermkit.synth.preview import contact_sheet
from dermkit.synth.render import CaseParams, RenderedCase, render_case

__all__ = [
    "ARTIFACTS",
    "MASKED_ARTIFACTS",
    "MASK_COLUMNS",
    "PRESETS",
    "CaseParams",
    "Preset",
    "contact_sheet",
    "RenderedCase",
    "draw_hair",
    "draw_ink",
    "draw_ruler",
    "generate",
    "get_preset",
    "load_synth_cases",
    "plan_cases",
    "render_case",
    "render_row",
]
