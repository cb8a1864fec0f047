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


def fit_confidence(rows: list[tuple[dict[str, float], bool]], *, source: str, l2: float = 1.0) -> dict[str, object]:
    """Fit the logistic map from features to P(right) on ``(features, was_right)`` rows; the JSON to store."""
    import numpy as np

    names = sorted({k for f, _ in rows for k in f})
    x = np.asarray([[f.get(k, 0.0) for k in names] for f, _ in rows], dtype=float)
    y = np.asarray([1.0 if ok else 0.0 for _, ok in rows])
    w = np.zeros(len(names))
    b = 0.0
    for _ in range(5000):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        g = p - y
        w -= 0.1 * (x.T @ g / len(y) + l2 * w / len(y))
        b -= 0.1 * g.mean()
    weights = {"bias": round(float(b), 4), **{k: round(float(v), 4) for k, v in zip(names, w, strict=True)}}
    return {"weights": weights, "fitted_on": source, "rows": len(rows), "agreement": round(float(y.mean()), 4)}


def save_confidence(data: dict[str, object], path: Path = PATH) -> None:
    """Store fitted weights (and forget the cached ones)."""
    global _CACHE
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    _CACHE = None
