"""Labelled (statement, indicator, label) pairs: load, split, fit the reader's state model, measure it.

``eval/pairs/*.yaml`` hold statements as non-experts say them, each labelled against 2-4 indicators
(``supports``, ``partly``, ``contradicts``, ``plan``, ``hedge``, ``unrelated``). They were written apart from
the evaluation scenarios. The split is by statement (a stable hash puts one in five into ``test``), so no
statement is both fitted and measured. :func:`fit_state_model` fits :class:`~assistant.reading.model.StateModel`
on ``train``; :func:`pair_metrics` reports AUC and accuracy on either split.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from assistant.catalog import Catalog
from assistant.errors import InputError
from assistant.reading.cues import read_cues, split_clauses
from assistant.reading.model import STATES, ReaderModel, StateModel, features
from assistant.reading.reader import IndicatorReader
from assistant.resources import data_path
from assistant.yamlio import load_yaml_model

Label = Literal["supports", "partly", "contradicts", "plan", "hedge", "unrelated"]
LABELS: tuple[Label, ...] = ("supports", "partly", "contradicts", "plan", "hedge", "unrelated")
# What each label trains the 4-class model towards: a plan means "not in place" (the rule treats it as a
# ceiling), a hedge carries no information about the level.
TRAIN_CLASS = {"supports": 1, "partly": 2, "contradicts": 3, "plan": 3, "hedge": 0, "unrelated": 0}


class PairStatement(BaseModel):
    """One statement and its labels against indicators."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    """The statement, as a stakeholder would say it."""
    practice: str
    """The practice it was written for."""
    labels: dict[str, Label]
    """Indicator ID -> label."""

    @property
    def split(self) -> Literal["train", "test"]:
        """``test`` for one statement in five, by a stable hash of its text."""
        return "test" if int(hashlib.sha256(self.text.encode()).hexdigest()[:8], 16) % 5 == 0 else "train"


class _PairFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    statements: list[PairStatement]


def default_pairs_dir() -> Path:
    """The shipped pairs."""
    return data_path("eval") / "pairs"


def load_pairs(directory: Path | None, catalog: Catalog) -> list[PairStatement]:
    """Every statement of every ``*.yaml`` file, checked against the catalog."""
    d = directory or default_pairs_dir()
    files = sorted(d.glob("*.yaml")) if d.is_dir() else []
    if not files:
        raise InputError(f"{d}: holds no *.yaml pairs file")
    ids = {ind.id for p in catalog.practices.values() for _, ind in p.indicators()}
    out: list[PairStatement] = []
    seen: set[str] = set()
    for f in files:
        data = load_yaml_model(f, _PairFile)
        for k, st in enumerate(data.statements):
            bad = [i for i in st.labels if i not in ids]
            if st.practice not in catalog.practices or bad:
                what = f"unknown indicator(s) {', '.join(bad)}" if bad else f"unknown practice {st.practice!r}"
                raise InputError(f"{f}: field statements.{k}: {what}; use catalog IDs such as H1.2-L3-02")
            if st.text in seen:
                continue
            seen.add(st.text)
            out.append(st)
    return out


class PairRows(BaseModel):
    """Feature rows of every labelled pair, with what is needed to score them."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    x: Any
    """Feature matrix (one row per pair)."""
    labels: list[Label]
    """Gold label per row."""
    polarity: list[str]
    """Cue polarity of the clause chosen for the row."""
    sims: list[float]
    """Cosine similarity of that clause to the indicator."""
    split: list[str]
    """``train`` or ``test`` per row."""


def pair_rows(pairs: list[PairStatement], reader: IndicatorReader) -> PairRows:
    """One feature row per (statement, indicator): the statement's clause most similar to the indicator."""
    rows, labels, pol, sims, split = [], [], [], [], []
    for st in pairs:
        clauses = split_clauses(st.text)
        for ind, label in st.labels.items():
            practice = ind.split("-", 1)[0]
            best: tuple[float, Any, str] | None = None
            for clause in clauses:
                cues = read_cues(clause)
                ids, levels, s = reader.similarities(practice, clause)
                j = ids.index(ind)
                if best is None or float(s[j]) > best[0]:
                    best = (float(s[j]), features(s, levels, cues, reader.overlaps(practice, clause))[j], cues.polarity)
            assert best is not None
            rows.append(best[1])
            labels.append(label)
            pol.append(best[2])
            sims.append(best[0])
            split.append(st.split)
    return PairRows(x=np.asarray(rows), labels=labels, polarity=pol, sims=sims, split=split)


def fit_state_model(rows: PairRows, *, trained_on: str) -> ReaderModel:
    """Fit both heads on the ``train`` rows, unweighted so that their probabilities stay calibrated.

    Relevance learns from every pair (a hedge or a plan is about the indicator too); degree learns from
    the positive clauses labelled ``supports`` or ``partly``.
    """
    train = [i for i, s in enumerate(rows.split) if s == "train"]
    y_rel = np.asarray([0 if rows.labels[i] == "unrelated" else 1 for i in train])
    relevance = StateModel.fit(rows.x[train], y_rel, l2=2.0, classes=["unrelated", "related"])
    deg = [i for i in train if rows.labels[i] in ("supports", "partly") and rows.polarity[i] == "positive"]
    y_deg = np.asarray([1 if rows.labels[i] == "supports" else 0 for i in deg])
    degree = StateModel.fit(rows.x[deg], y_deg, l2=2.0, classes=["partly", "supports"])
    return ReaderModel(relevance=relevance, degree=degree, trained_on=trained_on)


class PairMetrics(BaseModel):
    """How well the reader reads pairs of one split."""

    split: str
    """``train`` or ``test``."""
    pairs: int
    """Number of pairs."""
    auc_related: float
    """AUC of P(related) for any label but ``unrelated`` versus ``unrelated``."""
    auc_supports: float
    """AUC of P(supports) for ``supports`` versus ``unrelated``."""
    auc_cosine: float
    """AUC of the raw cosine for related versus unrelated (the embedding model alone)."""
    accuracy: float
    """Share of pairs whose predicted state (6 labels) equals the gold label."""
    accuracy_by_label: dict[str, float]
    """Recall per gold label."""
    confusion: dict[str, dict[str, int]]
    """Gold label -> predicted label -> count."""


def auc(scores: list[float], positive: list[bool]) -> float:
    """Area under the ROC curve (Mann-Whitney), ties counted half."""
    s = np.asarray(scores)
    pos = s[np.asarray(positive)]
    neg = s[~np.asarray(positive)]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    allv = np.concatenate([pos, neg])[order]
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1] == allv[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def predict_labels(model: ReaderModel, rows: PairRows, related_min: float) -> tuple[list[Label], Any]:
    """The reader's state for each row (cue overrides for plans and hedges, as in the reader) and its probabilities."""
    probs = np.vstack([model.states(rows.x[i : i + 1], rows.polarity[i]) for i in range(len(rows.labels))])
    out: list[Label] = []
    for p, pol in zip(probs, rows.polarity, strict=True):
        related = 1.0 - p[0]
        if related < related_min or pol in ("claim", "not_applicable"):
            out.append("unrelated")
        elif pol in ("plan", "hedge"):
            out.append(pol)  # type: ignore[arg-type]
        else:
            out.append(STATES[1 + int(np.argmax(p[1:]))])  # type: ignore[arg-type]
    return out, probs


def pair_metrics(model: ReaderModel, rows: PairRows, split: str, related_min: float) -> PairMetrics:
    """Metrics of the reader on one split."""
    idx = [i for i, s in enumerate(rows.split) if s == split]
    sub = PairRows(
        x=rows.x[idx],
        labels=[rows.labels[i] for i in idx],
        polarity=[rows.polarity[i] for i in idx],
        sims=[rows.sims[i] for i in idx],
        split=[split] * len(idx),
    )
    pred, probs = predict_labels(model, sub, related_min)
    related = [lab != "unrelated" for lab in sub.labels]
    confusion: dict[str, dict[str, int]] = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    for g, p in zip(sub.labels, pred, strict=True):
        confusion[g][p] += 1
    by_label = {g: (confusion[g][g] / n if (n := sum(confusion[g].values())) else float("nan")) for g in LABELS}
    return PairMetrics(
        split=split,
        pairs=len(idx),
        auc_related=auc([1.0 - float(p[0]) for p in probs], related),
        auc_supports=auc(
            [float(p[1]) for p, lab in zip(probs, sub.labels, strict=True) if lab in ("supports", "unrelated")],
            [lab == "supports" for lab in sub.labels if lab in ("supports", "unrelated")],
        ),
        auc_cosine=auc(sub.sims, related),
        accuracy=sum(1 for g, p in zip(sub.labels, pred, strict=True) if g == p) / max(1, len(idx)),
        accuracy_by_label=by_label,
        confusion=confusion,
    )
