"""What the interview shows: help, proposal cards (Markdown, stored in the transcript)."""

from __future__ import annotations

from assistant.catalog import Catalog
from assistant.evidence import IndicatorEvidence, Reading
from assistant.proposals import Proposal
from assistant.reading.rule import THRESHOLDS, people_over_papers

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
        lines += ["", "**Your words" + (" and your documents'" if any(q.document for q in p.quotes) else "") + ":**"]
        lines += [f"- \u201c{' '.join(q.text.split())}\u201d ({q.where()})" for q in p.quotes]
    if p.indicators:
        lines += ["", "**Catalog indicators relied on, and what you said that meets them:**"]
        lines += [f"- {line}" for line in indicator_lines(p, "[{id}]")]
    if p.next_level_needs:
        lines += ["", f"**What level {(p.level or 0) + 1} would add:**"]
        lines += [f"- {line}" for line in next_level_lines(p, "[{id}]")]
    if p.follow_up:
        lines += ["", f"**Question that would settle it:** {p.follow_up}"]
    if p.notes:
        lines += ["", "**Notes:**"]
        lines += [f"- {n}" for n in p.notes]
    return "\n".join(lines)


def indicator_lines(p: Proposal, id_format: str = "[{id}]") -> list[str]:
    """Each cited indicator with the stakeholder's statement that meets it (when the engine recorded one)."""
    out = []
    for c in p.indicators:
        said = next((x for x in p.support if x.indicator == c.id), None)
        line = f"{id_format.format(id=c.id)} {c.text}"
        if said is not None:
            part = " (in part)" if said.state == "partly" else ""
            who = "your document says" if said.document else "you said"
            line += f" \u2014 {who}{part}: \u201c{' '.join(said.quote.split())}\u201d ({said.where()})"
        out.append(line)
    return out


def next_level_lines(p: Proposal, id_format: str = "[{id}]") -> list[str]:
    """What the next level needs, each marked as not heard about yet, asked but not known, or said not to be done."""
    unknown = {c.id for c in p.unknown}
    unsure = set(p.unsure)
    unanswered = set(p.unanswered)
    known = bool(p.support or p.unknown)
    out = []
    for c in p.next_level_needs:
        mark = ""
        if c.id in unsure:
            mark = " *(asked; you did not know)*"
        elif c.id in unanswered:
            mark = " *(asked; your answers did not say)*"
        elif known:
            mark = " *(not asked about yet)*" if c.id in unknown else " *(you said this is not done)*"
        out.append(f"{id_format.format(id=c.id)} {c.text}{mark}")
    return out


def _said(r: Reading) -> str:
    """A reading's quote, with the document and place when it comes from one."""
    quote = f"\u201c{' '.join(r.quote.split())}\u201d"
    return f"{quote} ({r.document}, {r.location})" if r.source == "document" and r.document else quote


def explain_proposal(catalog: Catalog, p: Proposal, readings: list[Reading]) -> str:
    """The reasoning behind a proposal (for ``why``): what moved the level up, what held it down, what is
    missing, and what the confidence rests on; not the card again."""
    practice = catalog.practices[p.practice]
    if p.level is None:
        return render_proposal(catalog, p)
    lines = [f"Why level {p.level} for {p.practice} {practice.name}:", ""]
    # What the rule weighed, not every reading: rule 5 sets aside document statements where people spoke
    # (a policy a person denied never "moved it up"), and states below their threshold count as not heard.
    weighed = people_over_papers(readings)
    papers_aside = sum(1 for r in readings if r.source == "document" and r.evidence) - sum(
        1 for r in weighed if r.source == "document" and r.evidence
    )

    def counted(r: Reading, states: tuple[str, ...]) -> IndicatorEvidence | None:
        return next((e for e in r.evidence if e.state in states and e.score >= THRESHOLDS.get(e.state, 1.1)), None)

    ups = [(r, e) for r in weighed if (e := counted(r, ("supports", "partly"))) is not None]
    downs = [(r, e) for r in weighed if (e := counted(r, ("contradicts", "plan"))) is not None]
    set_aside = [r for r in readings if r.polarity in ("claim", "unknown")]
    if ups:
        lines.append("What moved it up:")
        for r, e in ups[:6]:
            how = "meets" if e.state == "supports" else "partly meets"
            lines.append(f"- {_said(r)} {how} {e.indicator} (level {e.level}, {e.score:.0%} sure)")
    if downs:
        lines.append("What held it down:")
        for r, e in downs[:6]:
            how = "says this is not done" if e.state == "contradicts" else "is only a plan"
            lines.append(f"- {_said(r)} {how}: {e.indicator} (level {e.level})")
    if set_aside:
        lines.append(f"Set aside: {len(set_aside)} statement(s) that were unsure or were claims about the rating.")
    if papers_aside:
        lines.append(
            f"Set aside from documents: {papers_aside} passage(s) about something people described otherwise, or above "
            "what people described (a document shows what is written, people say what is done)."
        )
    if p.unknown:
        lines.append(f"Not asked about yet for level {p.level + 1}: " + "; ".join(c.id for c in p.unknown[:5]) + ".")
    b = p.confidence_basis
    if b:
        reasons = [f"{b.get('met_share', 0.0):.0%} of level {p.level}'s indicators were described as met"]
        reasons.append(
            f"level {p.level + 1} was ruled out by what you said"
            if b.get("next_ruled_out")
            else f"nobody said level {p.level + 1} is out of reach"
        )
        if b.get("conflict"):
            reasons.append("some statements disagree")
        if b.get("budget_spent_unsettled"):
            reasons.append("the questions ran out before the level was settled")
        lines.append(f"Confidence {p.confidence:.0%}: " + "; ".join(reasons) + ".")
    return "\n".join(lines)
