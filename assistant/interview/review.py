"""Reviewer decisions on proposals: how a typed decision is read and what makes one valid.

The interview's state machine (:mod:`assistant.interview.session`) records a decision once it is valid; this
module only reads and checks, so the chat, the app and the API share one parser and one set of rules.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.errors import InputError
from assistant.interview.state import InterviewState

DECISIONS = ("accept", "modify", "reject", "not_applicable", "defer")
"""What a reviewer can decide about a proposal."""


def parse_review(text: str, practice: str | None) -> dict[str, Any] | None:
    """A typed decision about ``practice``'s proposal ("accept", "modify 2 because ...", "n/a because ...",
    "reject", "later") as a review payload, or ``None`` when the text is not a decision (then it is an answer)."""
    t = text.strip()
    low = t.lower()
    base = {"practice": practice, "level": None, "scope": None, "reason": None, "reviewer": None}
    if re.fullmatch(r"(a|accept|accepted|ok|okay|agree|agreed|confirm|confirmed)[.!]?", low):
        return {**base, "decision": "accept"}
    if re.fullmatch(r"(r|reject|rejected|wrong|ask again)[.!]?", low):
        return {**base, "decision": "reject"}
    if re.fullmatch(r"(later|defer|d)[.!]?", low):
        return {**base, "decision": "defer"}
    m = re.match(r"^(?:n/?a|not applicable)\b[\s:,-]*(?:because\s+)?(.*)$", t, re.I)
    if m:
        return {**base, "decision": "not_applicable", "reason": m.group(1).strip() or None}
    m = re.match(
        r"^(?:m|modify|change|set)(?:\s+(?:it|level|to))*\s+([0-4])\s*(general|industry|system)?[\s,:-]*(?:because\s+)?(.*)$",
        t,
        re.I,
    )
    if m:
        return {
            **base,
            "decision": "modify",
            "level": int(m.group(1)),
            "scope": (m.group(2) or "").lower() or None,
            "reason": m.group(3).strip() or None,
        }
    return None


def check_review(state: InterviewState, payload: dict[str, Any]) -> None:
    """Raise :class:`InputError` naming what is wrong with a review payload (before anything is saved)."""
    pid = payload.get("practice")
    if pid not in state.practices:
        raise InputError(f"unknown practice {pid!r}")
    pp = state.practices[pid]
    d = payload["decision"]
    if d not in DECISIONS:
        raise InputError(f"unknown decision {d!r}; use accept, modify, reject, not_applicable or defer")
    if (pp.proposal is None or pp.status != "proposed") and d not in ("modify", "not_applicable"):
        # A reviewer may set a value without a proposal; every other decision is about one.
        raise InputError(f"{pid} has no proposal awaiting review")
    if d == "accept" and pp.proposal is not None and pp.proposal.insufficient:
        raise InputError(
            "there is no level to accept (insufficient evidence); answer the question, or `modify <level> because <reason>`"
        )
    if d == "modify":
        lvl = payload.get("level")
        if not isinstance(lvl, int) or not 0 <= lvl <= 4:
            raise InputError("modify needs a level from 0 to 4, for example `modify 2 because only the main lines are covered`")
        if not (payload.get("reason") or "").strip():
            raise InputError("modify needs a reason, for example `modify 2 because only the main lines are covered`")
        if payload.get("scope") not in (None, "general", "industry", "system"):
            raise InputError("scope must be general, industry or system")
    if d == "not_applicable" and not (payload.get("reason") or "").strip():
        raise InputError("not applicable needs a reason, for example `n/a because the devices are in customers' homes`")
