"""A simulated stakeholder that answers from a scenario's facts.

Three modes, as people differ in how much they say at once:

- ``stepwise``: for a question about a practice it answers with the fact of that practice that best
  matches the question and has not been told yet; when none is left it says "Not that I know of.";
- ``tell-all``: the first answer about a practice tells all its facts at once, later ones "Not that I
  know of.";
- ``opening``: about half of the facts of every practice (the first, third, ...) are told inside the
  opening description; questions are then answered stepwise from the rest.

It never sees or reveals the gold label. For a practice whose gold is "not applicable" it says why it
does not apply, as a real stakeholder would.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.evaluation.scenario import Scenario

NOTHING = "Not that I know of."
Mode = Literal["stepwise", "tell-all", "opening"]
MODES: tuple[Mode, ...] = ("stepwise", "tell-all", "opening")


class SimulatedStakeholder:
    """Answers questions from the facts of the practice under discussion."""

    def __init__(self, scenario: Scenario, embeddings: Embeddings, mode: Mode = "stepwise") -> None:
        self.scenario = scenario
        self.embeddings = embeddings
        self.mode = mode
        self._told: dict[str, set[int]] = {}
        self._opening_facts: list[str] = []
        if mode == "opening":
            for pid, sp in scenario.practices.items():
                if sp.expected is not None:
                    told = set(range(0, len(sp.facts), 2))
                    self._told[pid] = told
                    self._opening_facts += [sp.facts[i] for i in sorted(told)]
        self._vectors: dict[str, np.ndarray[Any, np.dtype[np.float32]]] = {}
        for pid, sp in scenario.practices.items():
            if sp.facts:
                self._vectors[pid] = np.asarray(embeddings.embed_documents(list(sp.facts)), dtype=np.float32)

    @property
    def opening(self) -> str:
        """What the stakeholder says first (in ``opening`` mode, with half of all facts woven in)."""
        if not self._opening_facts:
            return self.scenario.opening
        return self.scenario.opening.rstrip() + "\n\n" + " ".join(_sentence(f) for f in self._opening_facts)

    def answer(self, practice: str | None, question: str) -> str:
        """The best-matching untold fact of ``practice`` for ``question``, or "Not that I know of."."""
        if practice is None:
            return NOTHING
        sp = self.scenario.practices.get(practice)
        if sp is None:
            return NOTHING
        if sp.not_applicable is not None:
            told = self._told.setdefault(practice, set())
            if 0 in told:
                return NOTHING
            told.add(0)
            return f"That does not apply to us: {sp.not_applicable}"
        told = self._told.setdefault(practice, set())
        left = [i for i in range(len(sp.facts)) if i not in told]
        if not left:
            return NOTHING
        if self.mode == "tell-all":
            told.update(left)
            return " ".join(_sentence(sp.facts[i]) for i in left)
        q = np.asarray(self.embeddings.embed_query(question), dtype=np.float32)
        sims = self._vectors[practice][left] @ q
        best = left[int(np.argmax(sims))]
        told.add(best)
        return sp.facts[best]

    def told(self, practice: str) -> int:
        """How many facts of a practice were told."""
        return len(self._told.get(practice, set()))


def _sentence(fact: str) -> str:
    """A fact as a sentence of its own, so that facts told together stay separate statements."""
    f = fact.strip()
    return f if f[-1:] in ".!?" else f + "."
