"""A simulated stakeholder that answers from a scenario's facts.

For a question about a practice it answers with the fact of that practice that best matches the
question and has not been told yet; when none is left it says "Not that I know of." It never sees
or reveals the gold label. For a practice whose gold is "not applicable" it says why it does not
apply, as a real stakeholder would.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.evaluation.scenario import Scenario

NOTHING = "Not that I know of."


class SimulatedStakeholder:
    """Answers questions from the facts of the practice under discussion."""

    def __init__(self, scenario: Scenario, embeddings: Embeddings) -> None:
        self.scenario = scenario
        self.embeddings = embeddings
        self._told: dict[str, set[int]] = {}
        self._vectors: dict[str, np.ndarray[Any, np.dtype[np.float32]]] = {}
        for pid, sp in scenario.practices.items():
            if sp.facts:
                self._vectors[pid] = np.asarray(embeddings.embed_documents(list(sp.facts)), dtype=np.float32)

    @property
    def opening(self) -> str:
        """What the stakeholder says first."""
        return self.scenario.opening

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
        q = np.asarray(self.embeddings.embed_query(question), dtype=np.float32)
        sims = self._vectors[practice][left] @ q
        best = left[int(np.argmax(sims))]
        told.add(best)
        return sp.facts[best]

    def told(self, practice: str) -> int:
        """How many facts of a practice were told."""
        return len(self._told.get(practice, set()))
