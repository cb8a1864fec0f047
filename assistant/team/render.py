"""A merged practice in words (Markdown), shared by the terminal and the app: the proposal, who said what, where
participants disagree, and the lead's decision."""

from __future__ import annotations

from assistant.catalog import Catalog
from assistant.team.merge import MergedPractice, speaker_of

STATUS_WORDS: dict[str, str] = {
    "waiting": "waiting for evidence",
    "to-review": "ready for the lead's review",
    "conflict": "participants disagree: the lead must settle it",
    "settled": "settled",
    "reopened": "settled earlier, but new evidence arrived: review again",
}


def merged_markdown(m: MergedPractice, catalog: Catalog) -> str:
    """One practice across the team, for the lead."""
    practice = catalog.practices[m.practice]
    lines = [f"### {m.practice} {practice.name}", "", f"**Status:** {STATUS_WORDS[m.status]}"]
    views = []
    for v in m.views:
        own = f"their words show level {v.own_level}" if v.own_level is not None else "nothing informative yet"
        decided = f"; they confirmed {v.decided}" if v.decided else ""
        views.append(f"- **{v.name}** ({v.status}, {v.statements} statement(s)): {own}{decided}")
    lines += ["", "**Participants asked:**", *views]
    p = m.proposal
    if p is not None:
        if p.insufficient:
            lines += ["", f"**Merged proposal:** insufficient evidence. {p.rationale}"]
        elif p.not_applicable:
            lines += ["", f"**Merged proposal:** not applicable ({p.confidence:.0%} confidence). {p.rationale}"]
        else:
            name = catalog.level_name(p.level or 0)
            lines += [
                "",
                f"**Merged proposal:** level {p.level} ({name}), {p.scope}, {p.confidence:.0%} confidence. {p.rationale}",
            ]
        for s in p.support:
            who = speaker_of(s.turn_id) or "?"
            lines.append(f"- {s.indicator} ({s.state}): {who} said \u201c{s.quote}\u201d ({s.where()})")
        if p.next_level_needs and p.level is not None and p.level < 4:
            lines.append(f"- Missing for level {p.level + 1}: " + "; ".join(c.id for c in p.next_level_needs[:4]))
    for c in m.conflicts:
        if c.kind == "indicator":
            ind = next((i.text for _, i in practice.indicators() if i.id == c.indicator), "")
            lines += [
                "",
                f"**Disagreement on {c.indicator}** ({ind})",
                f"- {c.first}: \u201c{c.first_quote}\u201d ({c.first_turn})",
                f"- {c.second}: \u201c{c.second_quote}\u201d ({c.second_turn})",
            ]
        else:
            lines += [
                "",
                f"**Disagreement on the level** ({c.first}: {c.first_level}, {c.second}: {c.second_level})",
                f"- {c.first}: \u201c{c.first_quote}\u201d ({c.first_turn})",
                f"- {c.second}: \u201c{c.second_quote}\u201d ({c.second_turn})",
            ]
    done = m.settlement
    if done is not None:
        why = f", because {done.reason}" if done.reason else ""
        when = f"{done.decided_at:%Y-%m-%d %H:%M} UTC"
        lines += ["", f"**Decision:** {done.decision} {done.value.label()} by {done.reviewer} on {when}{why}"]
    return "\n".join(lines)
