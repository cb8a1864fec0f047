"""Maker or operator: does the organisation build devices or software, run devices others make, or both?

Questions are phrased for the answer (a hospital is not asked about "your product"; issue 14, item 11).
The description's own words give a first guess, which the user confirms or corrects.
"""

from __future__ import annotations

import re
from typing import Literal

from assistant.reading.cues import read_cues, split_clauses

Role = Literal["maker", "operator", "both"]

_MAKER = re.compile(
    r"\b(we|our (?:company|team|startup|firm))\s+(?:also\s+|just\s+|only\s+|mainly\s+)?(?:make|makes|build|builds|design|designs|develop|develops|manufacture|manufactures|"
    r"produce|produces|sell|sells|ship|ships)\b|\bour (?:products?|devices? we sell|customers?|firmware)\b|\bwe are (?:a|an) "
    r"(?:manufacturer|maker|vendor|supplier|startup)\b",
    re.I,
)
_OPERATOR = re.compile(
    r"\b(we|our (?:company|team|hospital|plant|utility|city|site))\s+(?:also\s+|just\s+|only\s+|mainly\s+)?(?:run|runs|operate|operates|use|uses|manage|manages|"
    r"bought|buy|buys|rely|relies)\b|\b(?:hospital|utility|municipality|our (?:plant|site|building|wards?|stations?|fleet))\b|"
    r"\bvendor (?:runs|maintains|manages)\b",
    re.I,
)


def guess_role(description: str) -> Role | None:
    """The role the description's words suggest, if they suggest one."""
    maker = bool(_MAKER.search(description))
    operator = bool(_OPERATOR.search(description))
    if maker and operator:
        return "both"
    return "maker" if maker else "operator" if operator else None


ROLE_WORDS: dict[str, str] = {
    "maker": "you make devices or software for others",
    "operator": "you run devices that others make",
    "both": "you both make devices or software and run them",
}


def role_sentence(role: Role | None) -> str:
    """How the questions will be put, in words, with how to change it."""
    if role is None:
        return (
            "I could not tell whether you make the devices or run devices others make; I will ask as to a maker "
            "(say `role operator` or `role both` if that is wrong)."
        )
    return f"It sounds like {ROLE_WORDS[role]}, so I will ask accordingly (say `role maker`, `role operator` or `role both` to change that)."


def read_role(text: str, description: str) -> Role | None:
    """The role a reply gives (``yes`` accepts the guess from the description); ``None`` when it gives none."""
    low = text.strip().lower()
    if re.match(r"^(y|yes|yeah|yep|correct|right|sure|ok|okay)\b", low) and description:
        return guess_role(description)
    # Only what the reply affirms counts: "we don't make anything, we just run them" is an operator.
    parts = [p for c in split_clauses(text) for p in re.split(r",", c) if p.strip()]
    affirmed = " ".join(p for p in parts if read_cues(p).polarity == "positive").lower()
    both = re.search(r"\bboth\b", affirmed)
    maker = re.search(r"\b(maker|make|makes|build|builds|manufactur\w*|develop\w*|vendor)\b", affirmed)
    operator = re.search(r"\b(operator|operate|operates|run|runs|user|owner)\b", affirmed)
    if both or (maker and operator):
        return "both"
    if maker:
        return "maker"
    if operator:
        return "operator"
    return None


def role_ack(role: str | None) -> str:
    """What the assistant understood."""
    if role is None:
        return "I will ask as to a maker of devices or software."
    return {
        "maker": "Understood: you make devices or software; I will ask about your products.",
        "operator": "Understood: you run devices that others make; I will ask about the devices and systems you run.",
        "both": "Understood: you make devices or software and run them too.",
    }[role]
