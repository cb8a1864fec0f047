"""The calibrated indicator-state model: features of a (clause, indicator) pair -> state probabilities.

A multinomial logistic regression over a handful of transparent features (similarity of the clause to
the indicator and to the practice's other indicators, the clause's polarity, degree words, and the
indicator's level), fitted on the labelled pairs in ``eval/pairs/`` by ``smm eval pairs --fit`` and
stored as data in ``assistant/assets/reader-model.json``. Nothing here is tuned by hand per scenario.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from assistant.reading.cues import Cues

STATES = ("unrelated", "supports", "partly", "contradicts")
"""The classes the model predicts; ``plan`` and ``hedge`` come from cues on top of "related"."""
MODEL_PATH = Path(__file__).resolve().parent.parent / "assets" / "reader-model.json"

FEATURES = (
    "sim",
    "overlap",
    "overlap_minus_best",
    "sim_minus_best",
    "sim_minus_mean",
    "is_best",
    "positive",
    "negative",
    "plan_or_hedge",
    "limited",
    "extended",
    "level",
    "limited_x_level",
    "extended_x_level",
    "negative_x_sim",
    "positive_x_level",
    "level4_no_extended",
)


def features(
    sims: np.ndarray[Any, np.dtype[np.float32]],
    levels: list[int],
    cues: Cues,
    overlap: np.ndarray[Any, np.dtype[np.float64]],
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """One feature row per indicator of the practice, for one clause."""
    n = len(levels)
    best = float(sims.max()) if n else 0.0
    mean = float(sims.mean()) if n else 0.0
    lv = np.asarray(levels, dtype=np.float64)
    lim = min(len(cues.limited), 2)
    ext = min(len(cues.extended), 3)
    pos = 1.0 if cues.polarity == "positive" else 0.0
    neg = 1.0 if cues.polarity == "negative" else 0.0
    ph = 1.0 if cues.polarity in ("plan", "hedge") else 0.0
    s = sims.astype(np.float64)
    cols = [
        s,
        overlap,
        overlap - (float(overlap.max()) if n else 0.0),
        s - best,
        s - mean,
        (s >= best).astype(np.float64),
        np.full(n, pos),
        np.full(n, neg),
        np.full(n, ph),
        np.full(n, float(lim)),
        np.full(n, float(ext)),
        lv,
        lim * lv,
        ext * lv,
        neg * s,
        pos * lv,
        ((lv == 4) & (ext == 0)).astype(np.float64),
    ]
    return np.stack(cols, axis=1)


class StateModel(BaseModel):
    """Fitted parameters (standardisation and softmax weights)."""

    model_config = ConfigDict(frozen=True)

    features: list[str]
    """Feature names, in column order."""
    mean: list[float]
    """Per-feature mean used to standardise."""
    scale: list[float]
    """Per-feature standard deviation used to standardise."""
    weights: list[list[float]]
    """Class x feature weights."""
    bias: list[float]
    """Per-class bias."""
    classes: list[str]
    """Class names, in row order."""
    trained_on: str = ""
    """Where the parameters came from (pairs file hash, counts)."""

    def predict(self, x: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Class probabilities, one row per feature row."""
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        logits = z @ np.asarray(self.weights).T + np.asarray(self.bias)
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        out: np.ndarray[Any, np.dtype[np.float64]] = e / e.sum(axis=1, keepdims=True)
        return out

    @classmethod
    def fit(
        cls,
        x: np.ndarray[Any, np.dtype[np.float64]],
        y: np.ndarray[Any, np.dtype[np.int64]],
        *,
        l2: float = 1.0,
        steps: int = 3000,
        trained_on: str = "",
        sample_weight: np.ndarray[Any, np.dtype[np.float64]] | None = None,
    ) -> StateModel:
        """Multinomial logistic regression by full-batch gradient descent (small data, deterministic)."""
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale < 1e-9] = 1.0
        z = (x - mean) / scale
        k = len(STATES)
        n, d = z.shape
        w = np.zeros((k, d))
        b = np.zeros(k)
        onehot = np.eye(k)[y]
        sw = np.ones(n) if sample_weight is None else sample_weight
        sw = sw / sw.mean()
        lr = 0.5
        for _ in range(steps):
            logits = z @ w.T + b
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            g = (p - onehot) * sw[:, None]
            gw = g.T @ z / n + l2 * w / n
            gb = g.mean(axis=0)
            w -= lr * gw
            b -= lr * gb
        return cls(
            features=list(FEATURES),
            mean=mean.tolist(),
            scale=scale.tolist(),
            weights=w.tolist(),
            bias=b.tolist(),
            classes=list(STATES),
            trained_on=trained_on,
        )

    def save(self, path: Path = MODEL_PATH) -> None:
        """Write the parameters as JSON."""
        path.write_text(json.dumps(self.model_dump(), indent=1) + "\n", encoding="utf-8")


def load_state_model(path: Path = MODEL_PATH) -> StateModel | None:
    """The fitted model, or ``None`` when none has been fitted (the reader then uses its prior)."""
    if not path.is_file():
        return None
    model = StateModel.model_validate_json(path.read_text(encoding="utf-8"))
    return model if model.features == list(FEATURES) else None
