"""Confidence that means what it says: a proposal shown at 80 % should agree with gold about 80 % of the time.

The features (:func:`assistant.reading.rule.confidence_features`) say how much of the decision is known;
a logistic map fitted on the dev scenarios' outcomes (``smm eval calibrate``) turns them into a
probability, stored in ``assistant/assets/confidence.json``. The reliability table on the frozen test set
(``smm eval report``) shows whether it holds.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

PATH = Path(__file__).resolve().parent.parent / "assets" / "confidence.json"
FLOOR, CEILING = 0.05, 0.95
"""Never shown as certain either way: the reviewer decides."""

# Before calibration: more of the level known -> surer; an unheard-of next level or a conflict -> less sure.
_PRIOR = {
    "bias": -0.4,
    "met_share": 1.2,
    "next_ruled_out": 0.8,
    "next_partly": 0.3,
    "conflict": -0.9,
    "informative": 0.15,
    "budget_spent_unsettled": -0.4,
    "level0": 0.3,
}
_CACHE: dict[str, float] | None = None


def weights() -> dict[str, float]:
    """The fitted weights, or the prior when none are stored."""
    global _CACHE
    if _CACHE is None:
        try:
            _CACHE = {k: float(v) for k, v in json.loads(PATH.read_text(encoding="utf-8"))["weights"].items()}
        except (OSError, ValueError, KeyError, TypeError):
            _CACHE = dict(_PRIOR)
    return _CACHE


def calibrated_confidence(features: dict[str, float]) -> float:
    """P(the proposed level equals what a careful assessor would give), from the decision's features."""
    w = weights()
    z = w.get("bias", 0.0) + sum(w.get(k, 0.0) * v for k, v in features.items())
    p = 1.0 / (1.0 + math.exp(-z))
    return round(min(CEILING, max(FLOOR, p)), 2)
