"""Stance statements: does the reader tell a practice from a weakness or a circumstance on the same topic?

``eval/stance/*.yaml`` hold statements labelled with what they say about their practice, not against indicators:

- ``practice``: something protective is done ("only the foreman has the key for the parameter switch");
- ``weakness``: an exposure, said without a negation word ("the gateway keeps its private key as a plain file
  on the memory card");
- ``circumstance``: the setting, news or hearsay, on the practice's topic but saying neither ("there's an ISAC
  for the energy sector in our country").

Each statement is read alone, as an answer about its practice, and put through the level rule. A reader that
follows topic alone shows a level for all three; one that reads stance shows a level for practices only. The
set is a measurement of the over-rating class "a weakness or a circumstance read as practice" and nothing is
fitted or tuned on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.catalog import Catalog
from assistant.errors import InputError
from assistant.reading.reader import IndicatorReader
from assistant.reading.rule import estimate
from assistant.resources import data_path
from assistant.yamlio import load_yaml_model

Stance = Literal["practice", "weakness", "circumstance"]
STANCES: tuple[Stance, ...] = ("practice", "weakness", "circumstance")


class StanceStatement(BaseModel):
    """One statement and what it says about its practice."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    """The statement, as a stakeholder would say it."""
    practice: str
    """The practice it is about."""
    stance: Stance
    """``practice`` (something is done), ``weakness`` (an exposure) or ``circumstance`` (neither)."""


class _StanceFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    statements: list[StanceStatement]


class StanceRow(BaseModel):
    """How the reader reads the statements of one stance."""

    stance: Stance
    """The stance."""
    statements: int
    """How many statements."""
    shows: float
    """Share read as showing level 1 or more."""
    rules_out: float
    """Share read as ruling a level out (and showing none)."""
    nothing: float
    """Share read as saying nothing about the level."""
    above_one: float
    """Share read as showing level 2 or more."""


def default_stance_dir() -> Path:
    """The shipped stance statements."""
    return data_path("eval") / "stance"


def load_stance(directory: Path | None, catalog: Catalog) -> list[StanceStatement]:
    """Every statement of every ``*.yaml`` file in ``directory``, checked against the catalog."""
    d = directory or default_stance_dir()
    files = sorted(d.glob("*.yaml")) if d.is_dir() else []
    if not files:
        raise InputError(f"{d}: holds no *.yaml stance file")
    out: list[StanceStatement] = []
    for f in files:
        data = load_yaml_model(f, _StanceFile)
        for k, st in enumerate(data.statements):
            if st.practice not in catalog.practices:
                raise InputError(f"{f}: field statements.{k}.practice: unknown practice {st.practice!r}; use an ID such as H1.2")
        out.extend(data.statements)
    return out


def stance_check(statements: list[StanceStatement], reader: IndicatorReader, catalog: Catalog) -> list[StanceRow]:
    """Per stance, how often one statement alone shows a level, rules one out, or says nothing."""
    counts: dict[str, list[int]] = {s: [0, 0, 0, 0] for s in STANCES}
    for st in statements:
        est = estimate(reader.read(st.text, "stance", catalog.practices[st.practice], source="answer", question_level=None))
        c = counts[st.stance]
        c[0 if est.lower >= 1 else 1 if est.refuted else 2] += 1
        c[3] += est.lower >= 2
    rows = []
    for s in STANCES:
        shows, ruled, nothing, above = counts[s]
        n = shows + ruled + nothing
        if n:
            rows.append(
                StanceRow(stance=s, statements=n, shows=shows / n, rules_out=ruled / n, nothing=nothing / n, above_one=above / n)
            )
    return rows
