"""Business objectives and risk appetite, turned into proposed targets per practice.

The SMM sets targets from business objectives and risk appetite, and higher is not always better.
With a profile, its target template is the starting point; without one, the risk appetite gives a
baseline and the stated priorities raise the practices that protect what matters most.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.assessment import Rating, profile_default_reason
from assistant.catalog import Catalog, ScopeId

Priority = Literal["safety", "availability", "privacy", "financial", "reputation"]
Appetite = Literal["low", "medium", "high"]

OBJECTIVE_QUESTIONS: list[tuple[str, str]] = [
    (
        "priorities",
        "What would hurt the business most if this system were attacked or failed: people getting hurt, production or "
        "service stopping, private data leaking, money being lost, or your reputation? Name one or more.",
    ),
    (
        "appetite",
        "How much security risk is the business willing to live with: low (we must be very safe, even if it costs), "
        "medium, or high (we accept some risk to move fast and keep costs down)?",
    ),
    (
        "obligations",
        "Which laws, standards or customer contracts does the system have to meet, if any? (For example IEC 62443, "
        "UNECE R155, the EU Cyber Resilience Act, ETSI EN 303 645, FDA guidance, or 'none that I know of'.)",
    ),
]

_PRIORITY_WORDS: dict[Priority, re.Pattern[str]] = {
    "safety": re.compile(
        r"\b(safety|safe|hurt|injur\w*|harm|life|lives|people|death|accident|fires?|burn\w*|patients?|shock\w*|"
        r"electrocut\w*|explo\w*|poison\w*|crash\w*)\b",
        re.I,
    ),
    "availability": re.compile(r"\b(production|downtime|stop\w*|outage|availability|uptime|service|running|operations?)\b", re.I),
    "privacy": re.compile(r"\b(privacy|private|personal|data|video|leak\w*|gdpr|confidential\w*)\b", re.I),
    "financial": re.compile(r"\b(money|financial|cost\w*|revenue|fraud|fines?|lost sales)\b", re.I),
    "reputation": re.compile(r"\b(reputation|brand|press|trust|customers? (?:leave|lose))\b", re.I),
}
_RAISES: dict[Priority, list[str]] = {
    "safety": ["H3.1", "H3.2", "E2.2", "H2.1", "G2.1"],
    "availability": ["H3.2", "H3.1", "H2.1", "G3.2", "E2.1"],
    "privacy": ["E3.1", "E3.2", "E1.2", "E1.1"],
    "financial": ["G2.2", "G1.1", "G3.1"],
    "reputation": ["H1.1", "H1.2", "H2.2", "G1.2"],
}
_BASE: dict[Appetite, int] = {"low": 3, "medium": 2, "high": 2}


class Objectives(BaseModel):
    """What the business cares about, as understood from the stakeholder's answers."""

    model_config = ConfigDict(extra="forbid")

    priorities: list[Priority] = Field(default_factory=list)
    """What would hurt most."""
    appetite: Appetite | None = None
    """Risk appetite."""
    obligations: list[str] = Field(default_factory=list)
    """Laws, standards and contracts named."""
    answers: dict[str, str] = Field(default_factory=dict)
    """The answers as given, by question key."""


def read_objective(key: str, answer: str, objectives: Objectives) -> Objectives:
    """Fold one answer into the objectives."""
    answers = {**objectives.answers, key: answer}
    o = objectives.model_copy(update={"answers": answers})
    if key == "priorities":
        found = [p for p, rx in _PRIORITY_WORDS.items() if rx.search(answer)]
        o = o.model_copy(update={"priorities": found})
    elif key == "appetite":
        # The level the stakeholder names wins over how they describe the business ("medium I guess, we need to
        # move fast but we can't have chargers burning houses" is medium; issue 14, item 1).
        named = re.findall(r"\b(low|medium|moderate|middle|high)\b", answer, re.I)
        if named:
            word = named[0].lower()
            appetite: Appetite | None = "low" if word == "low" else "high" if word == "high" else "medium"
        else:
            low = re.search(r"\b(very safe|must be safe|little|minimal|zero|none|not much)\b", answer, re.I)
            high = re.search(r"\b(a lot|move fast|accept (?:some|a lot of|more) risk|cheap)\b", answer, re.I)
            med = re.search(r"\b(some|average|balanced)\b", answer, re.I)
            appetite = "low" if low and not high else "high" if high else "medium" if med else None
        o = o.model_copy(update={"appetite": appetite})
    elif key == "obligations":
        none = re.search(r"\b(none|no(?:thing)?|not that i know|don'?t know)\b", answer, re.I) and not re.search(r"\d", answer)
        items = [] if none else [s.strip() for s in re.split(r",|;|\band\b", answer) if s.strip()]
        o = o.model_copy(update={"obligations": items})
    return o


class ProposedTarget(BaseModel):
    """A proposed target for one practice, with its reason."""

    model_config = ConfigDict(frozen=True)

    practice: str
    """Practice ID."""
    value: Rating
    """Level and scope."""
    reason: str
    """Why."""


def propose_targets(catalog: Catalog, objectives: Objectives, profile_id: str | None) -> list[ProposedTarget]:
    """Targets for every practice from the profile template and/or the objectives, each with a reason."""
    profile = catalog.profiles.get(profile_id) if profile_id else None
    base = _BASE[objectives.appetite or "medium"]
    scope: ScopeId = "industry" if objectives.obligations else "general"
    out: list[ProposedTarget] = []
    for pid, practice in catalog.practices.items():
        if profile is not None and pid in profile.targets:
            t = profile.targets[pid]
            # The profile's own reason was written for its example system, not this one: say only where it came from.
            level, sc, reason = t.level, t.scope, profile_default_reason(profile.title)
        else:
            level, sc = base, scope
            reason = f"Baseline for a {objectives.appetite or 'medium'} risk appetite."
        raised_by = [p for p in objectives.priorities if pid in _RAISES[p]]
        if raised_by and profile is None:
            level = min(4, level + 1)
            reason = f"{reason} Raised because {', '.join(raised_by)} matters most to the business."
        if pid == "G1.2" and objectives.obligations:
            if level < 3:
                level, sc = 3, "industry"
                reason = f"{reason} Raised to 3 (industry) because the system must meet: {', '.join(objectives.obligations)}."
            else:
                sc = "industry"
                reason = f"{reason} Industry scope because the system must meet: {', '.join(objectives.obligations)}."
        if objectives.appetite == "high" and profile is None and not raised_by and pid not in ("G1.2",):
            reason = f"{reason} Kept modest: the business accepts some risk for {practice.name.lower()}."
        out.append(ProposedTarget(practice=pid, value=Rating(level=level, scope=sc), reason=reason))
    return out


_PRIORITY_NAMES: dict[str, str] = {
    "safety": "people getting hurt",
    "availability": "the system or production stopping",
    "privacy": "private data leaking",
    "financial": "money being lost",
    "reputation": "your reputation",
}


def understood(objectives: Objectives) -> str:
    """What was understood from the objectives answers, in the stakeholder's terms, to confirm or correct."""
    worst = ", ".join(_PRIORITY_NAMES[p] for p in objectives.priorities) or "not clear from your answer"
    rules = "; ".join(objectives.obligations) or "none named"
    return f"I understood: {objectives.appetite or 'no clear'} risk appetite; worst harm: {worst}; rules: {rules}."
