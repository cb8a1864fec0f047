"""The calibrated indicator-state model: features of a (clause, indicator) pair -> state probabilities.

Two logistic regressions over a handful of transparent features (similarity and word overlap of the
clause with the indicator and with the practice's other indicators, degree words, the indicator's level):

- **relevance**: is the clause about this indicator at all (any label but ``unrelated``)?
- **degree**: for a positive clause about it, does it meet the indicator (``supports``) or only part of
  it (``partly``)?

Polarity is not learned: the cues decide it (a negative clause about an indicator contradicts it, a plan
plans it), because a few hundred pairs cannot teach a linear model what "not" does, and the cues can.
Both heads are fitted on ``eval/pairs/`` (train split) by ``smm eval pairs --fit`` and stored as data in
``assistant/assets/reader-model.json``. Nothing here is tuned by hand per scenario.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from assistant.reading.cues import Cues

STATES = ("unrelated", "supports", "partly", "contradicts")
"""The states a clause can give an indicator before cues add ``plan`` and ``hedge``."""
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
        classes: list[str] | None = None,
    ) -> StateModel:
        """Multinomial logistic regression by full-batch gradient descent (small data, deterministic)."""
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale < 1e-9] = 1.0
        z = (x - mean) / scale
        k = int(y.max()) + 1 if classes is None else len(classes)
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
            classes=list(classes or STATES),
            trained_on=trained_on,
        )


class ReaderModel(BaseModel):
    """The two fitted heads."""

    model_config = ConfigDict(frozen=True)

    relevance: StateModel
    """P(related) from classes ``unrelated``, ``related``."""
    degree: StateModel
    """P(supports | positive, related) from classes ``partly``, ``supports``."""
    trained_on: str = ""
    """Where the parameters came from."""

    def states(self, x: np.ndarray[Any, np.dtype[np.float64]], polarity: str) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Probabilities over :data:`STATES` for each row, given the clause's polarity."""
        related = self.relevance.predict(x)[:, 1]
        out = np.zeros((len(x), len(STATES)))
        out[:, 0] = 1.0 - related
        if polarity == "negative":
            out[:, 3] = related
        else:
            sup = self.degree.predict(x)[:, 1]
            out[:, 1] = related * sup
            out[:, 2] = related * (1.0 - sup)
        return out

    def save(self, path: Path = MODEL_PATH) -> None:
        """Write the parameters as JSON."""
        path.write_text(json.dumps(self.model_dump(), indent=1) + "\n", encoding="utf-8")


def load_state_model(path: Path = MODEL_PATH) -> ReaderModel | None:
    """The fitted model, or ``None`` when none has been fitted (the reader then uses its prior)."""
    if not path.is_file():
        return None
    try:
        model = ReaderModel.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return model if model.relevance.features == list(FEATURES) else None
