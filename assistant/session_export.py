"""The assessment of an interview session, as every surface hands it on (CLI export, demo, the app).

:meth:`Interview.assessment` holds the targets and ratings; this adds what a report needs to describe
the assessment honestly and that only the session knows:

- the assessment's ID is the session's ID, so a report names the assessment with the ID shown
  everywhere else (``smm sessions``, the app's Interview page);
- the practices chosen for the interview (``metadata.practices``), so a 6-practice assessment is
  reported as 6 practices, not as 18 with 12 unrated;
- the business objectives confirmed in the interview (worst harms, risk appetite, obligations),
  which order the roadmap;
- where each practice target came from (``origin``): drafted targets accepted in one step and targets
  copied from a profile are defaults, and reports mark them so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.assessment import HARMS, Assessment, BusinessObjectives, EvidenceDocument, Rating, profile_default_reason

if TYPE_CHECKING:
    from assistant.interview import Interview


def _objectives(raw: Any) -> BusinessObjectives | None:
    if raw is None:
        return None
    priorities = [p for p in getattr(raw, "priorities", []) or [] if p in HARMS]
    appetite = getattr(raw, "appetite", None)
    obligations = [str(o) for o in getattr(raw, "obligations", []) or [] if str(o).strip()]
    if not (priorities or appetite or obligations):
        return None
    return BusinessObjectives(
        priorities=list(dict.fromkeys(priorities)),
        appetite=appetite if appetite in ("low", "medium", "high") else None,
        obligations=obligations,
    )


def _proposed(raw: Any) -> dict[str, tuple[Rating, str | None]]:
    out: dict[str, tuple[Rating, str | None]] = {}
    for item in raw or []:
        try:
            out[str(item["practice"])] = (Rating.model_validate(item["value"]), item.get("reason"))
        except (KeyError, TypeError, ValueError):
            continue
    return out


def session_assessment(iv: Interview) -> Assessment:
    """The session's assessment with its ID, chosen practices, objectives and target origins filled in."""
    a = iv.assessment()
    catalog = iv.catalog
    state = iv.state
    a.id = iv.session_id
    chosen = set(state.order)
    if chosen != set(catalog.practices):
        a.metadata.practices = [pid for pid in catalog.practices if pid in chosen]
    a.objectives = _objectives(getattr(state, "objectives", None))
    if state.documents:
        a.metadata.documents = [
            EvidenceDocument(name=d.name, kind=d.kind, sha256=d.sha256, pages=d.pages, statements=dict(d.statements))
            for d in state.documents
        ]
    proposed = _proposed(getattr(state, "proposed_targets", None))
    profile_reasons = {profile_default_reason(p.title) for p in catalog.profiles.values()}
    for pid, setting in a.targets.practices.items():
        if setting.origin is not None:
            continue
        drafted = proposed.get(pid)
        if drafted is not None and drafted == (setting.value, setting.reason):
            setting.origin = "proposal"
        elif setting.reason in profile_reasons:
            setting.origin = "profile"
        else:
            setting.origin = "person"
    for group in (a.targets.subdomains, a.targets.domains):
        for setting in group.values():
            if setting.origin is None:
                setting.origin = "person"
    return a
