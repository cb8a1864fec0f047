"""Targets during the interview: the drafted targets as text, the `target ...` command, and what setting one changes.

The targets themselves are drafted from the business objectives by :mod:`assistant.targets`; this module is the
interview's side of it (reading and checking a reviewer's change, recording it in the assessment), so the state
machine in :mod:`assistant.interview.session` only routes turns here.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.assessment import Rating, TargetSetting
from assistant.catalog import Catalog
from assistant.errors import InputError
from assistant.interview.state import InterviewState
from assistant.targets import understood

TARGETS_HELP = "Please reply `accept targets`, `target <ID> <level> [scope] because <reason>`, or `skip`."
"""What to say when a reply to the drafted targets is none of the replies it can be."""


def targets_text(catalog: Catalog, state: InterviewState) -> str:
    """The proposed targets, with any target set by hand shown in its place (issue 14, item 6)."""
    lines = [
        understood(state.objectives) + " If that is wrong, change a target below and say why, or `skip` to set targets later.",
        "",
        "Proposed targets (higher is not always better: each should fit what the business needs):",
        "",
    ]
    by_hand = state.assessment.targets.practices
    for raw in state.proposed_targets:
        pid = raw["practice"]
        name = catalog.practices[pid].name
        if pid in by_hand:
            t = by_hand[pid]
            why = f" {t.reason}" if t.reason else ""
            lines.append(f"- {pid} {name}: {target_label(t.value)}, set by you.{why}")
        else:
            lines.append(f"- {pid} {name}: {target_label(Rating.model_validate(raw['value']))}. {raw['reason']}")
    lines += [
        "",
        "Reply `accept targets`, change one with `target H1.2 3 system because <reason>`, or `skip` to set targets later.",
    ]
    return "\n".join(lines)


def parse_target_command(text: str, reviewer: str) -> dict[str, Any] | None:
    """``target H1.2 3 system because <reason>`` (or ``n/a``) as a target payload, or ``None``."""
    m = re.match(
        r"^target\s+([GEH](?:[1-3](?:\.[12])?)?)\s+([0-4]|n/?a)\s*(general|industry|system)?\s*(?:because\s+(.+))?$",
        text.strip(),
        re.I,
    )
    if not m:
        return None
    na = m.group(2).lower().startswith("n")
    return {
        "target": m.group(1).upper(),
        "level": None if na else int(m.group(2)),
        "scope": (m.group(3) or "general").lower(),
        "reason": m.group(4),
        "not_applicable": na,
        "reviewer": reviewer,
    }


def check_target(catalog: Catalog, payload: dict[str, Any]) -> None:
    """Raise :class:`InputError` naming what is wrong with a target payload (before anything is saved)."""
    target = str(payload["target"])
    subdomains = {s.id for d in catalog.model.domains for s in d.subdomains}
    if target not in catalog.practices and target not in subdomains and target not in ("G", "E", "H"):
        raise InputError(f"{target!r} is not a practice (H1.2), subdomain (H1) or domain (H)")
    try:
        if payload.get("not_applicable"):
            Rating(not_applicable=True, reason=payload.get("reason"))
        else:
            Rating(level=payload.get("level"), scope=payload.get("scope"))
    except Exception as exc:
        raise InputError(f"target for {target}: {first_error(exc)}") from None


def apply_target(catalog: Catalog, state: InterviewState, payload: dict[str, Any]) -> str:
    """Record a checked target for a practice, subdomain or domain; the reply that says so."""
    target = str(payload["target"])
    na = bool(payload.get("not_applicable"))
    value = (
        Rating(not_applicable=True, reason=payload.get("reason"))
        if na
        else Rating(level=payload["level"], scope=payload["scope"])
    )
    actor = payload.get("reviewer") or state.reviewer
    setting = TargetSetting(value=value, reason=payload.get("reason"), set_by=actor)
    t = state.assessment.targets
    if target in catalog.practices:
        t.practices[target] = setting
    elif len(target) == 1:
        t.domains[target] = setting  # type: ignore[index]
    else:
        t.subdomains[target] = setting
    state.assessment.log("target.set", actor=actor, target=target, value=value.label(), reason=payload.get("reason"))
    return f"Target for {target} set to {value.label()}."


def apply_profile(catalog: Catalog, state: InterviewState, payload: dict[str, Any]) -> str:
    """Make a profile template (or none) the source of targets not set by hand; the reply that says so."""
    profile = payload.get("profile")
    actor = payload.get("reviewer") or state.reviewer
    state.assessment.targets.profile = profile
    state.profile = profile
    meta = state.assessment.metadata
    meta.profile = profile
    if profile is not None and state.industry is None:
        state.industry = meta.industry = catalog.profiles[profile].industry
    state.assessment.log("targets.profile", actor=actor, profile=profile)
    if profile is None:
        return "No profile template now: only targets set by hand apply."
    title = catalog.profiles[profile].title
    return f"Targets now come from the profile '{title}' for every practice without a target of its own."


def accept_drafted_targets(state: InterviewState, actor: str) -> None:
    """Record every drafted target not set by hand, in ``actor``'s name."""
    for raw in state.proposed_targets:
        pid = raw["practice"]
        if pid in state.assessment.targets.practices:
            continue
        state.assessment.targets.practices[pid] = TargetSetting(
            value=Rating.model_validate(raw["value"]), reason=raw["reason"], set_by=actor
        )
    state.assessment.log("targets.accepted", actor=actor, count=len(state.proposed_targets))


def target_label(value: Rating) -> str:
    """A target as the drafted-targets text shows it."""
    return "not applicable" if value.not_applicable else f"level {value.label()}"


def first_error(exc: Exception) -> str:
    """The first message of a validation error (pydantic's), or the exception's text."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        errs = errors()
        if errs:
            return str(errs[0].get("msg", exc))
    return str(exc)
