"""Explain what a level of a practice requires, from the catalog, with citations.

Used by ``smm explain``, the interview's "explain" command and the UI's catalog page. Accepts a
practice ID, a slug, or a fuzzy name ("patch management", "patching", "threat model").
"""

from __future__ import annotations

import difflib
import re

from pydantic import BaseModel, ConfigDict

from assistant.assessment import CitedIndicator
from assistant.catalog import Catalog, Practice, normalise
from assistant.errors import InputError


class LevelExplanation(BaseModel):
    """Everything a non-expert needs to understand one level of one practice, with citations."""

    model_config = ConfigDict(frozen=True)

    practice_id: str
    """Practice ID."""
    practice_name: str
    """Official practice name."""
    objective: str
    """The practice's objective."""
    what: str
    """What the practice is, in plain words."""
    level: int
    """The level explained (1-4)."""
    level_name: str
    """Official level name."""
    level_meaning: str
    """What the level means for any practice."""
    summary: str
    """What an organisation at this level does for this practice."""
    requires: list[CitedIndicator]
    """Indicators new at this level: what distinguishes it from the level below."""
    below: list[CitedIndicator]
    """Indicators of the lower levels, which this level also requires (levels are cumulative)."""
    previous_summary: str | None
    """Summary of the level below, for contrast."""
    evidence: list[str]
    """Typical evidence for this level."""
    questions: list[str]
    """Questions an assessor would ask to check this level."""

    def to_markdown(self) -> str:
        """Render as Markdown with indicator IDs as citations."""
        lines = [
            f"## {self.practice_id} {self.practice_name}: level {self.level} ({self.level_name})",
            "",
            f"**The practice.** {self.what}",
            "",
            f"**Level {self.level} in general.** {self.level_meaning}",
            "",
            f"**Level {self.level} for this practice.** {self.summary}",
            "",
            f"**What level {self.level} adds to level {self.level - 1}** (each must be true):",
        ]
        lines += [f"- [{c.id}] {c.text}" for c in self.requires]
        if self.previous_summary:
            lines += ["", f"**Level {self.level - 1}, for contrast.** {self.previous_summary}"]
        if self.below:
            lines += ["", f"**Also required, from levels 1 to {self.level - 1}** (levels are cumulative):"]
            lines += [f"- [{c.id}] {c.text}" for c in self.below]
        lines += ["", "**Typical evidence:**"]
        lines += [f"- {e}" for e in self.evidence]
        lines += ["", "**Questions an assessor would ask:**"]
        lines += [f"- {q}" for q in self.questions]
        return "\n".join(lines) + "\n"


def resolve_practice(catalog: Catalog, query: str) -> Practice:
    """Find a practice by ID, slug, official name or a fuzzy name; raise ``InputError`` if none fits."""
    q = query.strip()
    if not q:
        raise InputError(
            "name a practice: an ID such as H1.2, a slug such as patch-management, or words such as 'patch management'"
        )
    try:
        return catalog.practice(q)
    except KeyError:
        pass
    nq = normalise(q)
    names = {normalise(p.name): p for p in catalog.practices.values()}
    names.update({normalise(p.slug): p for p in catalog.practices.values()})
    if nq in names:
        return names[nq]
    for key, p in names.items():
        if nq and (nq in key.split(" ") or (len(nq) >= 4 and nq in key)):
            return p
    stems = {w[:5] for w in nq.split() if len(w) >= 4}
    best: tuple[float, Practice] | None = None
    for key, p in names.items():
        key_stems = {w[:5] for w in key.split() if len(w) >= 4}
        overlap = len(stems & key_stems) / max(1, len(stems))
        ratio = difflib.SequenceMatcher(None, nq, key).ratio()
        score = max(overlap, ratio)
        if best is None or score > best[0]:
            best = (score, p)
    if best is not None and best[0] >= 0.6:
        return best[1]
    close = difflib.get_close_matches(nq, list(names), n=3, cutoff=0.3)
    hint = f" Did you mean: {', '.join(names[c].name for c in close)}?" if close else ""
    raise InputError(f"no practice matches {query!r}; see `smm catalog list` for IDs and names.{hint}")


def parse_level_question(text: str) -> tuple[str, int | None]:
    """Split "what does level 3 of patch management require?" into ("patch management", 3)."""
    m = re.search(r"\b(?:level|lvl|l)\s*([0-4])\b", text, flags=re.IGNORECASE)
    level = int(m.group(1)) if m else None
    rest = text if m is None else text[: m.start()] + " " + text[m.end() :]
    rest = re.sub(
        r"\b(what|does|do|is|are|require[sd]?|requirements?|mean[s]?|needed|need[s]?|explain|of|for|in|the|at|a|an|about|tell|me)\b",
        " ",
        rest,
        flags=re.IGNORECASE,
    )
    rest = re.sub(r"[?!,:;\"']|\.(?!\d)", " ", rest)  # keep the dot of a practice ID such as H1.2
    return " ".join(rest.split()), level


def explain_level(catalog: Catalog, query: str, level: int) -> LevelExplanation:
    """Explain what ``level`` (1-4) of the practice named by ``query`` requires."""
    if level not in (1, 2, 3, 4):
        raise InputError(
            f"level {level} has no requirements to explain; choose a level from 1 to 4 (0 means the practice is not done)"
        )
    p = resolve_practice(catalog, query)
    lv = p.level(level)
    below = [CitedIndicator(id=i.id, text=i.text) for n, i in p.indicators() if n < level]
    meaning = next(x.meaning for x in catalog.model.levels if x.level == level)
    return LevelExplanation(
        practice_id=p.id,
        practice_name=p.name,
        objective=p.objective,
        what=p.explanation.what,
        level=level,
        level_name=catalog.level_name(level),
        level_meaning=meaning,
        summary=lv.summary,
        requires=[CitedIndicator(id=i.id, text=i.text) for i in lv.indicators],
        below=below,
        previous_summary=p.level(level - 1).summary if level > 1 else None,
        evidence=list(lv.evidence),
        questions=[q.text for q in lv.probes],
    )


def explain_practice(catalog: Catalog, query: str) -> str:
    """A Markdown overview of a practice: objective, explanation and the four levels in brief."""
    p = resolve_practice(catalog, query)
    e = p.explanation
    lines = [
        f"## {p.id} {p.name}",
        "",
        f"**Objective.** {p.objective}",
        "",
        f"**What it is.** {e.what}",
        "",
        f"**Why it matters for IoT.** {e.why_iot}",
        "",
        f"**Example.** {e.example}",
        "",
    ]
    for lv in p.levels:
        lines.append(f"- **Level {lv.level} ({catalog.level_name(lv.level)})** [{p.id}-L{lv.level}]: {lv.summary}")
    return "\n".join(lines) + "\n"
