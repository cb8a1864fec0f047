"""What the interview shows: help, proposal cards (Markdown, stored in the transcript)."""

from __future__ import annotations

from assistant.catalog import Catalog
from assistant.proposals import Proposal

HELP = (
    "You can answer in your own words at any time. Commands:\n"
    "- `explain` (this practice), `explain H1.2 level 3`, or 'what does level 3 of patch management require?'\n"
    "- `why`: the reasons for the last proposal\n"
    "- `skip`: leave this practice for now; `back`: return to the previous practice\n"
    "- `status`: progress so far; `done`: finish and score what is confirmed\n"
    "- when a proposal is shown: `accept`, `modify <level> [scope] because <reason>`, `reject`, "
    "`n/a because <reason>`, or `later`"
)


def render_proposal(catalog: Catalog, p: Proposal) -> str:
    """A proposal as a Markdown card: level, scope, rationale, citations, quotes, what the next level needs."""
    practice = catalog.practices[p.practice]
    if p.not_applicable:
        head = f"### {p.practice} {practice.name}: not applicable?"
    elif p.level is None:
        head = f"### {p.practice} {practice.name}: insufficient evidence"
    else:
        head = f"### {p.practice} {practice.name}: level {p.level} ({catalog.level_name(p.level)}), scope {p.scope}"
    lines = [
        head,
        "",
        f"Confidence {p.confidence:.0%} · engine {p.engine}" + (f" ({p.model})" if p.model else ""),
        "",
        p.rationale,
    ]
    if p.fallback:
        lines += ["", f"*The model's draft could not be used ({p.fallback}); this proposal is the guided engine's.*"]
    if p.quotes:
        lines += ["", "**Your words:**"]
        lines += [f"- \u201c{q.text}\u201d ({q.turn_id})" for q in p.quotes]
    if p.indicators:
        lines += ["", "**Catalog indicators relied on:**"]
        lines += [f"- [{c.id}] {c.text}" for c in p.indicators]
    if p.next_level_needs:
        lines += ["", f"**What level {(p.level or 0) + 1} would add:**"]
        lines += [f"- [{c.id}] {c.text}" for c in p.next_level_needs]
    if p.follow_up:
        lines += ["", f"**Question that would settle it:** {p.follow_up}"]
    if p.notes:
        lines += ["", "**Notes:**"]
        lines += [f"- {n}" for n in p.notes]
    return "\n".join(lines)
