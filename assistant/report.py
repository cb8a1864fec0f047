"""Reports of a scored assessment: Markdown, self-contained HTML, XLSX, CSV and JSON.

Every report states the catalog version, the roll-up strategy and its rule, the counts of
not-applicable, unrated and awaiting-review practices, and the SMM caveat that a higher level is not
always better. Charts are drawn with matplotlib's Agg renderer at a fixed size with no timestamps or
software tags in their metadata, so the same report gives the same bytes. HTML embeds everything
(inline CSS, charts as base64 PNG) and loads nothing from the network. Files are written atomically:
complete or absent.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from assistant.assessment import (
    HARM_WORDS,
    Assessment,
    CurrentRating,
    EvidenceDocument,
    Rating,
    TargetSetting,
    atomic_write_bytes,
)
from assistant.audit import audit_trail
from assistant.catalog import Catalog
from assistant.errors import InputError
from assistant.scoring import PracticeScore, RoadmapItem, RoadmapStep, RollUp, ScoreReport, StatusCounts, strategy_title

Format = Literal["md", "html", "xlsx", "csv", "json"]
FORMATS: tuple[Format, ...] = ("md", "html", "xlsx", "csv", "json")

STATUS_LABELS: dict[str, str] = {
    "below": "below target",
    "at": "at target",
    "above": "above target (possible over-investment)",
    "not_applicable": "not applicable",
    "unrated": "unrated",
    "awaiting_review": "awaiting review",
    "no_target": "no target",
    "out_of_scope": "not in this assessment",
}

XLSX_SHEETS: tuple[str, ...] = ("Summary", "Ratings", "Gaps and roadmap", "Provenance", "Audit trail", "Citations")

CSV_COLUMNS: tuple[str, ...] = (
    "practice_id",
    "practice",
    "domain",
    "subdomain",
    "target_level",
    "target_scope",
    "target_not_applicable",
    "target_source",
    "target_default",
    "current_level",
    "current_scope",
    "current_not_applicable",
    "current_review",
    "status",
    "gap",
    "scope_shortfall",
    "scope_steps",
    "roadmap_rank",
    "next_level",
    "not_applicable_reason",
    "catalog_version",
    "strategy",
    "evidence_documents",
)

# Colours chosen to stay distinguishable for the common forms of colour blindness (Okabe-Ito palette).
_COLOURS = {
    "target": "#bbbbbb",
    "below": "#e69f00",
    "at": "#009e73",
    "above": "#0072b2",
    "no_target": "#56b4e9",
    "awaiting_review": "#ffffff",
    "fill": "#cfe3f3",
    "na": "#eeeeee",
}


class Citation(BaseModel):
    """An indicator cited in the provenance of at least one rating."""

    model_config = ConfigDict(frozen=True)

    id: str
    """Indicator ID."""
    text: str
    """Indicator text from the catalog (or as cited, when the catalog no longer has it)."""
    cited_for: list[str]
    """Practices whose rating cites it."""
    in_catalog: bool
    """False when the scoring catalog does not have this indicator."""
    text_changed: bool
    """True when the text at citation differs from the catalog text."""


# ----------------------------------------------------------------------------------------- helpers


def citations(assessment: Assessment, catalog: Catalog) -> list[Citation]:
    """Every indicator cited in any current rating's provenance, in catalog order, unknown IDs last."""
    cited: dict[str, tuple[str, list[str]]] = {}
    for pid in _ordered_ids(assessment.current, catalog):
        for ind in assessment.current[pid].provenance.indicators:
            text, who = cited.setdefault(ind.id, (ind.text, []))
            if pid not in who:
                who.append(pid)
    order = {ind.id: i for i, (_, ind) in enumerate((lv, ind) for p in catalog.practices.values() for lv, ind in p.indicators())}
    out: list[Citation] = []
    for iid in sorted(cited, key=lambda x: (order.get(x, len(order)), x)):
        cited_text, who = cited[iid]
        try:
            text = catalog.indicator(iid).text
            known = True
        except KeyError:
            text, known = cited_text, False
        out.append(Citation(id=iid, text=text, cited_for=who, in_catalog=known, text_changed=known and text != cited_text))
    return out


def _ordered_ids(d: dict[str, Any], catalog: Catalog) -> list[str]:
    # Catalog order first, then anything the catalog does not know, so output never depends on dict order.
    known = [pid for pid in catalog.practices if pid in d]
    return known + sorted(set(d) - set(known))


def _rating(r: Rating | None) -> str:
    return "—" if r is None else r.label()


def format_number(x: float | None, share: bool = False) -> str:
    """A roll-up figure for display: a share as a percentage, a whole number without decimals, else two decimals."""
    if x is None:
        return "—"
    if share:
        return f"{x:.0%}"
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"


def _gap(g: int | None) -> str:
    return "—" if g is None else (f"+{g}" if g > 0 else str(g))


def _when(dt: datetime | None) -> str:
    if dt is None:
        return "—"
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _scope_text(p: PracticeScore) -> str:
    if p.scope_shortfall and p.current and p.target:
        return f"shortfall: {p.current.scope} → {p.target.scope}"
    return "—"


def _scope_words(c: StatusCounts) -> str:
    """``18 practices`` or ``6 practices in this assessment (12 others not chosen)``."""
    if not c.out_of_scope:
        return f"{c.practices} practices"
    return f"{c.practices} practices in this assessment ({c.out_of_scope} others not chosen)"


def _counts_sentence(r: RollUp) -> str:
    c = r.counts
    return (
        f"{_scope_words(c)}: {c.below} below target, {c.at} at target, {c.above} above target (possible over-investment), "
        f"{c.not_applicable} not applicable, {c.unrated} unrated, {c.awaiting_review} awaiting review, "
        f"{c.no_target} without a target; "
        f"{c.scope_shortfalls} scope shortfall(s)."
    )


def _group_name(r: RollUp) -> str:
    return f"{r.id} {r.name}" if r.kind != "overall" else r.name


def _rollup_counts(r: RollUp, chosen: bool) -> list[int]:
    c = r.counts
    return [
        c.practices,
        *([c.out_of_scope] if chosen else []),
        c.below,
        c.at,
        c.above,
        c.not_applicable,
        c.unrated,
        c.awaiting_review,
    ]


def _rollup_values(r: RollUp, chosen: bool) -> list[str | int | float | None]:
    """A roll-up row as numbers (counts as integers, figures as numbers or empty), for spreadsheets."""
    a = r.aggregate
    return [_group_name(r), *_rollup_counts(r, chosen), a.value, a.target, a.gap]


def _rollup_cells(r: RollUp, share: bool, chosen: bool = False) -> list[str]:
    a = r.aggregate
    counts = [str(n) for n in _rollup_counts(r, chosen)]
    return [_group_name(r), *counts, format_number(a.value, share), format_number(a.target), format_number(a.gap)]


def _chosen(report: ScoreReport) -> bool:
    """True when the assessment covers only some practices: tables then show how many were not chosen."""
    return report.overall.counts.out_of_scope > 0


def _rollup_header(report: ScoreReport) -> list[str]:
    label = report.overall.aggregate.label
    return [
        "Group",
        "Practices" if not _chosen(report) else "Practices in this assessment",
        *(["Not chosen"] if _chosen(report) else []),
        "Below",
        "At",
        "Above",
        "N/A",
        "Unrated",
        "Awaiting review",
        label.capitalize(),
        "Target",
        "Gap",
    ]


def _is_share(report: ScoreReport) -> bool:
    return report.strategy == "share_at_target"


def _provenance_lines(pid: str, cr: CurrentRating) -> list[str]:
    pv = cr.provenance
    who = f"engine `{pv.engine}`" if pv.proposed_by == "engine" and pv.engine else pv.proposed_by
    if pv.model:
        who += f", model `{pv.model}`"
    if pv.fallback:
        who += f" (the model's draft could not be used, so the guided engine proposed: {pv.fallback})"
    lines = [
        f"- Value: {cr.value.label()} ({cr.status}); proposed by {who}; proposal: {_rating(pv.proposed)}"
        + (f", confidence {pv.confidence:.2f}" if pv.confidence is not None else "")
        + f"; catalog {pv.catalog_version}",
        (
            f"- Decision: not yet decided (proposed {_when(pv.proposed_at or pv.decided_at)}; not counted until a reviewer decides)"
            + (f"; note: {pv.decision_reason}" if pv.decision_reason else "")
            if cr.status == "proposed"
            else f"- Decision: {pv.decision} by {pv.reviewer} on {_when(pv.decided_at)}"
            + (f" (proposed {_when(pv.proposed_at)})" if pv.proposed_at else "")
            + (f"; reason: {pv.decision_reason}" if pv.decision_reason else "")
        ),
    ]
    if cr.value.not_applicable and cr.value.reason:
        lines.append(f"- Not applicable because: {cr.value.reason}")
    if pv.rationale:
        lines.append(f"- Rationale: {pv.rationale}")
    if pv.indicators:
        lines.append("- Cited indicators: " + ", ".join(i.id for i in pv.indicators))
    for q in pv.quotes:
        lines.append(f'- Quote ({q.where()}): "{q.text}"')
    return lines


# ----------------------------------------------------------------------------------------- charts


def _png(fig: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    # No Software tag and no timestamps: identical input gives identical bytes, so golden tests hold.
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


def _level_ticks(catalog: Catalog) -> list[str]:
    return [f"{n} {catalog.level_name(n)}" for n in range(5)]


LEVEL_ZERO_STUB = 0.12
"""Height of the bar drawn for level 0, so that "level 0" is visible and never looks like "not rated"."""


def _level_bar(ax: Any, x: float, level: int, width: float, colour: str, edge: str, hatch: str | None) -> None:
    """One level bar; level 0 is a short stub labelled 0 rather than a bar of no height."""
    height = level if level > 0 else LEVEL_ZERO_STUB
    ax.bar(x, height, width, color=colour, edgecolor=edge, linewidth=0.6, hatch=hatch)
    if level == 0:
        ax.text(x, height + 0.03, "0", ha="center", va="bottom", fontsize=7, fontweight="bold", color="#333333")


def chart_target_vs_current(report: ScoreReport, catalog: Catalog) -> bytes:
    """Paired bars per practice, grouped by domain: target level (grey) beside current level (by status). PNG bytes."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    fig = Figure(figsize=(12, 5))
    ax = fig.add_subplot(1, 1, 1)
    xs: list[float] = []
    x = 0.0
    domain_spans: list[tuple[str, float, float]] = []
    for d in catalog.model.domains:
        start = x
        for p in report.practices:
            if p.domain != d.id:
                continue
            xs.append(x)
            x += 1.0
        domain_spans.append((d.name, start, x - 1.0))
        x += 0.8
    w = 0.38
    for xi, p in zip(xs, report.practices, strict=True):
        if p.status == "out_of_scope":
            ax.text(xi, 0.08, "–", ha="center", va="bottom", fontsize=9, color="#999999")
            continue
        if p.target is not None and p.target.level is not None:
            _level_bar(ax, xi - w / 2, p.target.level, w, _COLOURS["target"], "#555555", None)
        if p.status == "not_applicable":
            ax.text(xi, 0.08, "n/a", ha="center", va="bottom", fontsize=8, color="#555555")
        elif p.status == "unrated":
            ax.text(xi + w / 2, 0.08, "?", ha="center", va="bottom", fontsize=9, color="#555555")
        elif p.current is not None and p.current.level is not None:
            pending = p.status == "awaiting_review"
            _level_bar(ax, xi + w / 2, p.current.level, w, _COLOURS[p.status], "#333333", "//" if pending else None)
    ax.set_xticks(xs)
    ax.set_xticklabels([p.id for p in report.practices], fontsize=8)
    ax.set_ylim(0, 4.4)
    ax.set_yticks(range(5))
    ax.set_yticklabels(_level_ticks(catalog), fontsize=8)
    ax.set_xlim(-0.8, x - 0.6)
    for name, a, b in domain_spans:
        ax.text((a + b) / 2, -0.55, name, ha="center", va="top", fontsize=9, fontweight="bold", transform=ax.transData)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_title("Target vs current comprehensiveness level per practice", fontsize=11)
    handles = [
        Patch(facecolor=_COLOURS["target"], edgecolor="#555555", label="target"),
        Patch(facecolor=_COLOURS["below"], edgecolor="#333333", label="current, below target"),
        Patch(facecolor=_COLOURS["at"], edgecolor="#333333", label="current, at target"),
        Patch(facecolor=_COLOURS["above"], edgecolor="#333333", label="current, above target"),
        Patch(facecolor=_COLOURS["awaiting_review"], edgecolor="#333333", hatch="//", label="proposed, awaiting review"),
    ]
    ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=5, frameon=False)
    fig.text(
        0.5,
        0.015,
        "A short bar marked 0 is level 0 (not done at all); ? = not rated yet; n/a = not applicable; – = not in this assessment",
        ha="center",
        fontsize=7,
        color="#555555",
    )
    fig.subplots_adjust(left=0.09, right=0.99, top=0.92, bottom=0.25)
    return _png(fig)


def chart_heat_table(report: ScoreReport, catalog: Catalog) -> bytes:
    """Domain-by-level heat table as PNG bytes.

    One row per practice grouped by domain, columns levels 0-4; T marks the target, C the current level.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    rows: list[tuple[str, PracticeScore | None]] = []
    for d in catalog.model.domains:
        rows.append((d.name, None))
        rows += [(f"{p.id} {p.name}", p) for p in report.practices if p.domain == d.id]
    fig = Figure(figsize=(10, 0.3 * len(rows) + 1.3))
    ax = fig.add_subplot(1, 1, 1)
    for i, (label, p) in enumerate(rows):
        if p is None:
            ax.text(-0.1, i + 0.5, label, ha="right", va="center", fontsize=9, fontweight="bold")
            continue
        ax.text(-0.1, i + 0.5, label if len(label) <= 56 else label[:54] + "…", ha="right", va="center", fontsize=8)
        if p.status in ("not_applicable", "out_of_scope"):
            ax.add_patch(Rectangle((0, i), 5, 1, facecolor=_COLOURS["na"], edgecolor="#ffffff"))
            ax.text(2.5, i + 0.5, STATUS_LABELS[p.status], ha="center", va="center", fontsize=8, color="#555555")
            continue
        cur = p.current.level if p.current is not None else None
        confirmed = p.current_status == "confirmed"
        for lvl in range(5):
            filled = cur is not None and confirmed and lvl <= cur
            ax.add_patch(
                Rectangle(
                    (lvl, i),
                    1,
                    1,
                    facecolor=_COLOURS["fill"] if filled else "#ffffff",
                    edgecolor="#dddddd",
                    hatch="//" if (not confirmed and cur is not None and lvl <= cur) else None,
                )
            )
        tgt = p.target.level if p.target is not None else None
        marks: dict[int, list[str]] = {}
        if tgt is not None:
            marks.setdefault(tgt, []).append("T")
        if cur is not None:
            marks.setdefault(cur, []).append("C" if confirmed else "C?")
        for lvl, ms in marks.items():
            colour = _COLOURS[p.status] if p.status in ("below", "at", "above") else "#555555"
            ax.add_patch(
                Rectangle((lvl + 0.04, i + 0.08), 0.92, 0.84, fill=False, edgecolor=colour, linewidth=1.8 if "T" in ms else 0)
            )
            ax.text(lvl + 0.5, i + 0.5, " ".join(ms), ha="center", va="center", fontsize=8, fontweight="bold")
        if p.status == "unrated":
            ax.text(5.1, i + 0.5, "unrated", ha="left", va="center", fontsize=7, color="#555555")
        elif p.status == "awaiting_review":
            ax.text(5.1, i + 0.5, "awaiting review", ha="left", va="center", fontsize=7, color="#555555")
        elif p.gap is not None:
            note = f"gap {_gap(p.gap)}" + (", scope shortfall" if p.scope_shortfall else "")
            ax.text(5.1, i + 0.5, note, ha="left", va="center", fontsize=7, color="#333333")
    ax.set_xlim(0, 5)
    ax.set_ylim(len(rows), 0)
    ax.set_xticks([n + 0.5 for n in range(5)])
    ax.set_xticklabels(_level_ticks(catalog), fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.tick_params(length=0)
    ax.set_title("Levels per practice: T = target, C = current (C? = proposed, not counted)", fontsize=10, pad=22)
    fig.subplots_adjust(left=0.40, right=0.84, top=1 - 0.75 / (0.3 * len(rows) + 1.3), bottom=0.02)
    return _png(fig)


# --------------------------------------------------------------------------------------- markdown


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return out


def _practices_assessed(report: ScoreReport) -> str:
    """How many practices the assessment covers: all, or the ones chosen."""
    c = report.overall.counts
    if not c.out_of_scope:
        return f"all {c.practices}"
    chosen = [p.id for p in report.practices if p.status != "out_of_scope"]
    return f"{c.practices} of {c.practices + c.out_of_scope}, chosen for this assessment: {', '.join(chosen)}"


def objectives_text(assessment: Assessment) -> str | None:
    """The business objectives in one line, or None when none were recorded."""
    o = assessment.objectives
    if o is None or not (o.priorities or o.appetite or o.obligations):
        return None
    parts = []
    if o.priorities:
        parts.append("worst harm: " + ", ".join(HARM_WORDS.get(h, h) for h in o.priorities))
    if o.appetite:
        parts.append(f"risk appetite: {o.appetite}")
    if o.obligations:
        parts.append("must meet: " + ", ".join(o.obligations))
    return "; ".join(parts)


def _header_rows(report: ScoreReport, assessment: Assessment) -> list[list[str]]:
    m = assessment.metadata
    rows = [
        ["System", m.system_name],
        ["Industry", m.industry or "—"],
        ["Profile", report.profile or "—"],
        ["Assessors", ", ".join(m.assessors) or "—"],
        ["Assessment ID", report.assessment_id],
        ["Practices assessed", _practices_assessed(report)],
    ]
    rows += team_rows(assessment)
    objectives = objectives_text(assessment)
    if objectives:
        rows.append(["Business objectives", objectives])
    rows.append(["Started / last updated", f"{_when(m.created_at)} / {_when(m.updated_at)}"])
    rows.append(["Catalog version", f"{report.catalog_version} (assessment made against {report.assessment_catalog_version})"])
    rows.append(["Roll-up strategy", f"{report.strategy}: {strategy_title(report.strategy)}"])
    return rows


def team_rows(assessment: Assessment) -> list[list[str]]:
    """Header rows of a team assessment: lead, participants with their roles, and the sign-off of a signed version."""
    m = assessment.metadata
    rows: list[list[str]] = []
    if m.lead:
        rows.append(["Lead", m.lead])
    if m.participants:
        rows.append(
            [
                "Participants",
                "; ".join(
                    f"{p.display or p.name} ({p.name}, {p.role}{', objectives' if p.owns_objectives else ''}): {', '.join(p.practices)}"
                    for p in m.participants
                ),
            ]
        )
    if m.signoff:
        so = m.signoff
        rows.append(
            [
                "Signed version",
                f"version {so.version}, signed by {so.signed_by} on {_when(so.signed_at)}" + (f": {so.note}" if so.note else ""),
            ]
        )
    elif m.participants:
        rows.append(["Signed version", "draft, not signed"])
    return rows


def audit_rows(assessment: Assessment) -> list[list[str]]:
    """The audit trail as table rows: when, who, what (in plain words)."""
    return [[_when(e.at), e.actor, e.practice or "", e.summary] for e in audit_trail(assessment).events]


def target_source_text(p: PracticeScore) -> str:
    """Where a target comes from, with defaults marked as such: ``profile (default)``."""
    if p.target_source is None:
        return "—"
    return f"{p.target_source} (default)" if p.target_default else p.target_source


def _practice_row(p: PracticeScore) -> list[str]:
    return [
        p.id,
        p.name,
        _rating(p.target),
        target_source_text(p),
        _rating(p.current),
        p.current_status or "—",
        STATUS_LABELS[p.status],
        _gap(p.gap),
        _scope_text(p),
    ]


PRACTICE_HEADER = ["ID", "Practice", "Target", "Target from", "Current", "Review", "Status", "Gap", "Scope"]


def _document_rows(documents: Sequence[EvidenceDocument]) -> list[list[str]]:
    """One row per document: what it is and which practices it gave evidence for (statements counted)."""
    return [
        [
            d.name,
            d.kind,
            "" if d.pages is None else str(d.pages),
            ", ".join(f"{pid} ({n})" for pid, n in d.statements.items()) or "nothing",
            d.sha256[:16],
        ]
        for d in documents
    ]


def render_markdown(report: ScoreReport, assessment: Assessment, catalog: Catalog, charts: tuple[str, str] | None = None) -> str:
    """The report as Markdown; ``charts`` are the relative file names of the two chart PNGs to link, if any."""
    m = assessment.metadata
    share = _is_share(report)
    L: list[str] = [f"# IoT SMM assessment report: {m.system_name}", ""]
    L += _md_table(["", ""], _header_rows(report, assessment))
    L += ["", f"> **SMM caveat:** {report.caveat}", ""]
    if m.system_description:
        L += ["## System", "", m.system_description, ""]
    if m.documents:
        L += ["## Documents read as evidence", ""]
        L += _md_table(["Document", "Kind", "Pages", "Evidence for", "SHA-256"], _document_rows(m.documents))
        L += [""]
    if report.warnings:
        L += ["## Warnings", ""] + [f"- {w}" for w in report.warnings] + [""]
    L += ["## Summary", "", _counts_sentence(report.overall), ""]
    L += [f"### Roll-up strategy `{report.strategy}`", ""] + [
        f"> {line}" if line else ">" for line in report.strategy_rule.split("\n")
    ]
    L += ["", "### Domains", ""]
    L += _md_table(_rollup_header(report), [_rollup_cells(r, share, _chosen(report)) for r in [*report.domains, report.overall]])
    L += ["", "### Subdomains", ""]
    L += _md_table(_rollup_header(report), [_rollup_cells(r, share, _chosen(report)) for r in report.subdomains])
    L += ["", "## Practices", ""]
    L += _md_table(PRACTICE_HEADER, [_practice_row(p) for p in report.practices])
    if charts is not None:
        L += ["", "## Charts", "", f"![Target vs current level per practice, grouped by domain]({charts[0]})", ""]
        L += [f"![Levels per practice: T = target, C = current]({charts[1]})"]
    L += ["", "## Roadmap", ""]
    if not report.roadmap:
        L += ["No practice is below its target.", ""]
    if report.roadmap:
        L += [ROADMAP_RULE, ""]
    for item in report.roadmap:
        L += [f"### {_roadmap_title(item)}", ""]
        L += [f"**Why here:** {item.reason}", ""]
        scope = f"Scope: current {item.current_scope}, target {item.target_scope}"
        L += [scope + (" (scope shortfall)." if item.scope_shortfall else "."), ""]
        L += [f"Indicators needed for level {item.next_level} ({catalog.level_name(item.next_level)}):", ""]
        L += [f"- **{i.id}** {i.text}" for i in item.next_indicators]
        L += ["", "Steps to the target:", ""]
        L += [f"{n}. Level {s.level} ({s.name}): {s.summary} {_step_indicators(s)}" for n, s in enumerate(item.steps, 1)]
        L += [""]
    shortfalls = [p for p in report.practices if p.scope_shortfall]
    L += ["## Scope shortfalls", ""]
    if shortfalls:
        L += _md_table(
            ["ID", "Practice", "Current scope", "Target scope", "Level status"],
            [
                [
                    p.id,
                    p.name,
                    p.current.scope or "—" if p.current else "—",
                    p.target.scope or "—" if p.target else "—",
                    STATUS_LABELS[p.status],
                ]
                for p in shortfalls
            ],
        )
    else:
        L += ["None."]
    above = [p for p in report.practices if p.status == "above"]
    L += ["", "## Above target (possible over-investment)", ""]
    L += [f"- {p.id} {p.name}: current {_rating(p.current)}, target {_rating(p.target)}." for p in above] or ["None."]
    L += ["", "## Not applicable", ""]
    L += [
        f"- {p.id} {p.name}: {p.not_applicable_reason or 'no reason recorded'}"
        for p in report.practices
        if p.status == "not_applicable"
    ] or ["None."]
    L += ["", "## Unrated and awaiting review", ""]
    pending = [p for p in report.practices if p.status in ("unrated", "awaiting_review")]
    L += [
        f"- {p.id} {p.name}: "
        + (
            "no current rating."
            if p.status == "unrated"
            else f"proposed {_rating(p.current)}, not counted until a reviewer confirms it."
        )
        for p in pending
    ] or ["None."]
    left_out = [p.id for p in report.practices if p.status == "out_of_scope"]
    if left_out:
        L += ["", f"Not part of this assessment (not chosen, so neither rated nor counted): {', '.join(left_out)}."]
    L += ["", "## Targets set in this assessment", ""]
    L += _target_lines(assessment, catalog)
    L += ["", "## Provenance", ""]
    for pid in _ordered_ids(assessment.current, catalog):
        name = catalog.practices[pid].name if pid in catalog.practices else pid
        L += [f"### {pid} {name}", "", *_provenance_lines(pid, assessment.current[pid]), ""]
    if not assessment.current:
        L += ["No current ratings.", ""]
    L += ["## Audit trail", ""]
    trail = audit_rows(assessment)
    L += _md_table(["When", "Who", "Practice", "What"], trail) if trail else ["Nothing recorded."]
    L += ["", "## Appendix: cited indicators", ""]
    cites = citations(assessment, catalog)
    if cites:
        L += _md_table(["ID", "Indicator", "Cited for"], [[c.id, _citation_text(c), ", ".join(c.cited_for)] for c in cites])
    else:
        L += ["No indicator is cited."]
    L += ["", f"_{_footer(report)}_", ""]
    return "\n".join(L)


def _citation_text(c: Citation) -> str:
    if not c.in_catalog:
        return f"{c.text} (not in this catalog; text as cited)"
    if c.text_changed:
        return f"{c.text} (text changed since it was cited)"
    return c.text


def _target_lines(assessment: Assessment, catalog: Catalog) -> list[str]:
    t = assessment.targets
    out = [f"- Profile template: {t.profile}" if t.profile else "- No profile template."]
    order = {pid: i for i, pid in enumerate(catalog.practices)}
    groups: list[tuple[str, dict[str, TargetSetting]]] = [
        ("domain", {str(k): v for k, v in t.domains.items()}),
        ("subdomain", dict(t.subdomains)),
        ("practice", t.practices),
    ]
    for kind, settings in groups:
        for key in sorted(settings, key=lambda k: (order.get(k, -1), k)):
            s = settings[key]
            default = {"proposal": " (default: drafted targets accepted in one step)", "profile": " (default: from a profile)"}
            out.append(
                f"- {kind} {key}: {s.value.label()} set by {s.set_by} on {_when(s.set_at)}"
                + default.get(s.origin or "", "")
                + (f"; reason: {s.reason}" if s.reason else "")
            )
    return out


# ------------------------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:70rem;
padding:0 1rem;color:#1d1d1d;line-height:1.45}
h1{font-size:1.6rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2rem}h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}
.caveat{border-left:4px solid #e69f00;background:#fff7e6;padding:.5rem 1rem}
.rule{border-left:4px solid #0072b2;background:#eef5fb;padding:.5rem 1rem;white-space:pre-wrap}
.warn{border-left:4px solid #d55e00;background:#fdeee6;padding:.5rem 1rem}
.s-below{background:#fbe9c8}.s-at{background:#d4efe5}.s-above{background:#d6e6f4}
.s-not_applicable,.s-unrated,.s-awaiting_review,.s-no_target{background:#f1f1f1;color:#555}
img{max-width:100%;height:auto;border:1px solid #eee}
code{background:#f3f3f3;padding:0 .2rem}.muted{color:#666;font-size:.85rem}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_table(header: Sequence[str], rows: Iterable[Sequence[str]], row_classes: Sequence[str] | None = None) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{_e(row_classes[i])}"' if row_classes else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def render_html(report: ScoreReport, assessment: Assessment, catalog: Catalog) -> str:
    """The report as one self-contained HTML page: inline CSS, charts as base64 PNG, no external resources."""
    m = assessment.metadata
    share = _is_share(report)
    H: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>IoT SMM assessment report: {_e(m.system_name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>IoT SMM assessment report: {_e(m.system_name)}</h1>",
    ]
    H.append(_html_table(["", ""], _header_rows(report, assessment)))
    H.append(f'<p class="caveat"><strong>SMM caveat:</strong> {_e(report.caveat)}</p>')
    if m.system_description:
        H += ["<h2>System</h2>", f"<p>{_e(m.system_description)}</p>"]
    if m.documents:
        H += ["<h2>Documents read as evidence</h2>"]
        H.append(_html_table(["Document", "Kind", "Pages", "Evidence for", "SHA-256"], _document_rows(m.documents)))
    if report.warnings:
        H += ["<h2>Warnings</h2>", '<div class="warn"><ul>', *[f"<li>{_e(w)}</li>" for w in report.warnings], "</ul></div>"]
    H += ["<h2>Summary</h2>", f"<p>{_e(_counts_sentence(report.overall))}</p>"]
    H += [f"<h3>Roll-up strategy <code>{_e(report.strategy)}</code></h3>", f'<div class="rule">{_e(report.strategy_rule)}</div>']
    H += [
        "<h3>Domains</h3>",
        _html_table(
            _rollup_header(report), [_rollup_cells(r, share, _chosen(report)) for r in [*report.domains, report.overall]]
        ),
    ]
    H += [
        "<h3>Subdomains</h3>",
        _html_table(_rollup_header(report), [_rollup_cells(r, share, _chosen(report)) for r in report.subdomains]),
    ]
    H += [
        "<h2>Practices</h2>",
        _html_table(PRACTICE_HEADER, [_practice_row(p) for p in report.practices], [f"s-{p.status}" for p in report.practices]),
    ]
    H += [
        "<h2>Charts</h2>",
        f"<figure>{_img(chart_target_vs_current(report, catalog), 'Target vs current level per practice, grouped by domain')}"
        "<figcaption>Target (grey) and current level per practice, grouped by domain.</figcaption></figure>",
        f"<figure>{_img(chart_heat_table(report, catalog), 'Levels per practice: T = target, C = current')}"
        "<figcaption>Heat table: filled cells up to the confirmed current level; T marks the target.</figcaption></figure>",
    ]
    H.append("<h2>Roadmap</h2>")
    if not report.roadmap:
        H.append("<p>No practice is below its target.</p>")
    if report.roadmap:
        H.append(f"<p>{_e(ROADMAP_RULE)}</p>")
    for item in report.roadmap:
        H.append(f"<h3>{_e(_roadmap_title(item))}</h3>")
        H.append(f"<p><strong>Why here:</strong> {_e(item.reason)}</p>")
        sc = f"Scope: current {item.current_scope}, target {item.target_scope}" + (
            " (scope shortfall)." if item.scope_shortfall else "."
        )
        H.append(f"<p>{_e(sc)}</p>")
        H.append(f"<p>Indicators needed for level {item.next_level} ({_e(catalog.level_name(item.next_level))}):</p><ul>")
        H += [f"<li><strong>{_e(i.id)}</strong> {_e(i.text)}</li>" for i in item.next_indicators]
        H.append("</ul><p>Steps to the target:</p><ol>")
        H += [
            f"<li>Level {s.level} ({_e(s.name)}): {_e(s.summary)} <span class='muted'>{_e(_step_indicators(s))}</span></li>"
            for s in item.steps
        ]
        H.append("</ol>")
    shortfalls = [p for p in report.practices if p.scope_shortfall]
    H.append("<h2>Scope shortfalls</h2>")
    H.append(
        _html_table(
            ["ID", "Practice", "Current scope", "Target scope", "Level status"],
            [
                [
                    p.id,
                    p.name,
                    p.current.scope or "—" if p.current else "—",
                    p.target.scope or "—" if p.target else "—",
                    STATUS_LABELS[p.status],
                ]
                for p in shortfalls
            ],
        )
        if shortfalls
        else "<p>None.</p>"
    )
    H.append("<h2>Above target (possible over-investment)</h2>")
    H.append(
        _html_list(
            [
                f"{p.id} {p.name}: current {_rating(p.current)}, target {_rating(p.target)}."
                for p in report.practices
                if p.status == "above"
            ]
        )
    )
    H.append("<h2>Not applicable</h2>")
    H.append(
        _html_list(
            [
                f"{p.id} {p.name}: {p.not_applicable_reason or 'no reason recorded'}"
                for p in report.practices
                if p.status == "not_applicable"
            ]
        )
    )
    H.append("<h2>Unrated and awaiting review</h2>")
    H.append(
        _html_list(
            [
                f"{p.id} {p.name}: "
                + (
                    "no current rating."
                    if p.status == "unrated"
                    else f"proposed {_rating(p.current)}, not counted until a reviewer confirms it."
                )
                for p in report.practices
                if p.status in ("unrated", "awaiting_review")
            ]
        )
    )
    left_out = [p.id for p in report.practices if p.status == "out_of_scope"]
    if left_out:
        H.append(f"<p>Not part of this assessment (not chosen, so neither rated nor counted): {_e(', '.join(left_out))}.</p>")
    H += [
        "<h2>Targets set in this assessment</h2>",
        "<ul>",
        *[f"<li>{_e(t[2:])}</li>" for t in _target_lines(assessment, catalog)],
        "</ul>",
    ]
    H.append("<h2>Provenance</h2>")
    for pid in _ordered_ids(assessment.current, catalog):
        name = catalog.practices[pid].name if pid in catalog.practices else pid
        H.append(f"<h3>{_e(pid)} {_e(name)}</h3><ul>")
        H += [f"<li>{_e(line[2:].replace('`', ''))}</li>" for line in _provenance_lines(pid, assessment.current[pid])]
        H.append("</ul>")
    H.append("<h2>Audit trail</h2>")
    trail = audit_rows(assessment)
    H.append(_html_table(["When", "Who", "Practice", "What"], trail) if trail else "<p>Nothing recorded.</p>")
    H.append("<h2>Appendix: cited indicators</h2>")
    cites = citations(assessment, catalog)
    H.append(
        _html_table(["ID", "Indicator", "Cited for"], [[c.id, _citation_text(c), ", ".join(c.cited_for)] for c in cites])
        if cites
        else "<p>No indicator is cited.</p>"
    )
    H.append(f'<p class="muted">{_e(_footer(report))}</p>')
    H.append("</body></html>")
    return "\n".join(H) + "\n"


ROADMAP_RULE = (
    "Order: safety first where people can get hurt, then what protects the other harms the business named, "
    "then the rest; within each, the least effort first (lowest level, then smallest gap). A quick win is one "
    "level to climb, up to level 1 or 2."
)


def _roadmap_title(item: RoadmapItem) -> str:
    quick = " · quick win" if item.quick_win else ""
    return f"{item.rank}. {item.practice} {item.name}: level {item.current_level} → {item.target_level} (gap {item.gap}){quick}"


def _step_indicators(step: RoadmapStep) -> str:
    return f"Indicators: {', '.join(step.indicator_ids)}."


def _footer(report: ScoreReport) -> str:
    return f"Catalog {report.catalog_version}, content hash {report.catalog_hash[:12]}; report format {report.report_version}."


def _html_list(items: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>" if items else "<p>None.</p>"


# -------------------------------------------------------------------------------------- CSV, JSON


def _safe_cell(value: object) -> object:
    # Spreadsheet programs run text that starts with = + - @ as a formula; quoted answers must stay text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_rows(report: ScoreReport, documents: Sequence[EvidenceDocument] = ()) -> list[dict[str, object]]:
    """One row per practice, keyed by :data:`CSV_COLUMNS`; ``evidence_documents`` names the documents that gave
    evidence for the practice, with how many of their statements counted."""
    rank = {item.practice: item for item in report.roadmap}
    rows: list[dict[str, object]] = []
    for p in report.practices:
        t, c = p.target, p.current
        item = rank.get(p.id)
        rows.append(
            {
                "practice_id": p.id,
                "practice": p.name,
                "domain": p.domain,
                "subdomain": p.subdomain,
                "target_level": "" if t is None or t.level is None else t.level,
                "target_scope": "" if t is None or t.scope is None else t.scope,
                "target_not_applicable": bool(t and t.not_applicable),
                "target_source": p.target_source or "",
                "target_default": p.target_default,
                "current_level": "" if c is None or c.level is None else c.level,
                "current_scope": "" if c is None or c.scope is None else c.scope,
                "current_not_applicable": bool(c and c.not_applicable),
                "current_review": p.current_status or "",
                "status": p.status,
                "gap": "" if p.gap is None else p.gap,
                "scope_shortfall": p.scope_shortfall,
                "scope_steps": "" if p.scope_steps is None else p.scope_steps,
                "roadmap_rank": item.rank if item else "",
                "next_level": item.next_level if item else "",
                "not_applicable_reason": p.not_applicable_reason or "",
                "catalog_version": report.catalog_version,
                "strategy": report.strategy,
                "evidence_documents": "; ".join(
                    f"{d.name} ({d.statements[p.id]} statement{'s' if d.statements[p.id] != 1 else ''})"
                    for d in documents
                    if d.statements.get(p.id)
                ),
            }
        )
    return rows


def render_csv(report: ScoreReport, documents: Sequence[EvidenceDocument] = ()) -> str:
    """One row per practice; the catalog version and strategy repeat on every row so each row stands alone."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in csv_rows(report, documents):
        writer.writerow({k: _safe_cell(v) for k, v in row.items()})
    return buf.getvalue()


def render_json(report: ScoreReport) -> str:
    """The ScoreReport as indented JSON."""
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------------------- XLSX


def _sheet(wb: Any, title: str, header: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[int]) -> Any:
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(title)
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([None if v is None else v for v in row])
        if not row:
            continue
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                # openpyxl stores a string starting with "=" as a formula; force text so quotes stay quotes.
                cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = w
    ws.freeze_panes = "A2"
    return ws


def render_xlsx(report: ScoreReport, assessment: Assessment, catalog: Catalog) -> bytes:
    """The report as an Excel workbook: Summary, Ratings, Gaps and roadmap, Provenance, Citations (and Documents)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    m = assessment.metadata
    wb.properties.title = f"IoT SMM assessment report: {m.system_name}"
    wb.properties.creator = "iot-smm-assistant"
    wb.properties.created = m.updated_at.astimezone(UTC).replace(tzinfo=None)
    c = report.overall.counts
    share = _is_share(report)
    summary: list[Sequence[object]] = [
        ["System", m.system_name],
        ["Assessment ID", report.assessment_id],
        ["Practices assessed", _practices_assessed(report)],
        ["Business objectives", objectives_text(assessment) or ""],
        ["Profile", report.profile or ""],
        *team_rows(assessment),
        ["Catalog version", report.catalog_version],
        ["Assessment made against catalog", report.assessment_catalog_version],
        ["Roll-up strategy", report.strategy],
        ["Strategy rule", report.strategy_rule],
        ["Caveat", report.caveat],
        ["Practices", c.practices],
        *([["Not chosen for this assessment", c.out_of_scope]] if c.out_of_scope else []),
        ["Below target", c.below],
        ["At target", c.at],
        ["Above target (possible over-investment)", c.above],
        ["Not applicable", c.not_applicable],
        ["Unrated", c.unrated],
        ["Awaiting review", c.awaiting_review],
        ["No target", c.no_target],
        ["Scope shortfalls", c.scope_shortfalls],
        *[["Warning", w] for w in report.warnings],
        [],
        _rollup_header(report),
        *[_rollup_values(r, _chosen(report)) for r in [*report.domains, report.overall, *report.subdomains]],
    ]
    ws = _sheet(wb, "Summary", ["Item", "Value"], summary, [36, 90])
    # Roll-up figures are numbers, so a spreadsheet can sort and chart them: a share shows as a percentage,
    # a level with at most two decimals (whole levels without any).
    figures = len(_rollup_header(report)) - 3
    for row in ws.iter_rows(min_row=ws.max_row - len(report.domains) - len(report.subdomains)):
        for cell in row[figures:]:
            if isinstance(cell.value, int | float):
                cell.number_format = "0%" if share and cell.column == figures + 1 else "0.##"
    _sheet(
        wb,
        "Ratings",
        [col.replace("_", " ") for col in CSV_COLUMNS],
        [[v if v != "" else None for v in row.values()] for row in csv_rows(report, m.documents or ())],
        [10, 36, 8, 10, 8, 10, 10, 10, 10, 8, 10, 10, 10, 16, 6, 10, 8, 8, 8, 40, 10, 14, 40],
    )
    _sheet(
        wb,
        "Gaps and roadmap",
        [
            "Rank",
            "Practice",
            "Name",
            "Current level",
            "Target level",
            "Gap",
            "Current scope",
            "Target scope",
            "Scope shortfall",
            "Next level",
            "Quick win",
            "Why here",
            "Indicators for the next level",
            "Steps to the target",
        ],
        [
            [
                i.rank,
                i.practice,
                i.name,
                i.current_level,
                i.target_level,
                i.gap,
                i.current_scope,
                i.target_scope,
                i.scope_shortfall,
                i.next_level,
                i.quick_win,
                i.reason,
                "\n".join(f"{x.id}: {x.text}" for x in i.next_indicators),
                "\n".join(f"Level {s.level} ({s.name}): {', '.join(s.indicator_ids)}" for s in i.steps),
            ]
            for i in report.roadmap
        ],
        [6, 9, 32, 8, 8, 6, 10, 10, 9, 8, 8, 60, 80, 50],
    )
    prov_rows: list[list[object]] = []
    for pid in _ordered_ids(assessment.current, catalog):
        cr = assessment.current[pid]
        pv = cr.provenance
        prov_rows.append(
            [
                pid,
                cr.status,
                cr.value.label(),
                _rating(pv.proposed) if pv.proposed else None,
                pv.proposed_by,
                pv.engine,
                pv.model,
                pv.catalog_version,
                pv.confidence,
                pv.rationale,
                ", ".join(i.id for i in pv.indicators),
                "\n".join(f"{q.where()}: {q.text}" for q in pv.quotes),
                pv.reviewer,
                pv.decision,
                pv.decision_reason,
                _when(pv.proposed_at) if pv.proposed_at else None,
                _when(pv.decided_at),
                pv.session_id,
            ]
        )
    _sheet(
        wb,
        "Provenance",
        [
            "Practice",
            "Review status",
            "Human value",
            "Proposal",
            "Proposed by",
            "Engine",
            "Model",
            "Catalog version",
            "Confidence",
            "Rationale",
            "Cited indicators",
            "Quotes",
            "Reviewer",
            "Decision",
            "Decision reason",
            "Proposed at",
            "Decided at",
            "Session",
        ],
        prov_rows,
        [9, 10, 12, 12, 10, 9, 14, 9, 9, 40, 30, 60, 18, 10, 40, 18, 18, 14],
    )
    _sheet(wb, "Audit trail", ["When", "Who", "Practice", "What"], audit_rows(assessment), [18, 16, 9, 100])
    _sheet(
        wb,
        "Citations",
        ["Indicator", "Text", "Cited for", "In catalog", "Text changed since cited"],
        [[ci.id, ci.text, ", ".join(ci.cited_for), ci.in_catalog, ci.text_changed] for ci in citations(assessment, catalog)],
        [14, 90, 16, 10, 12],
    )
    if m.documents:
        _sheet(
            wb,
            "Documents",
            ["Document", "Kind", "Pages", "Evidence for", "SHA-256"],
            _document_rows(m.documents),
            [36, 10, 8, 60, 20],
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------ write


def chart_paths(path: Path) -> tuple[Path, Path]:
    """Where the Markdown report's two chart PNGs go: beside ``path``, named after it."""
    return path.with_name(f"{path.stem}-targets.png"), path.with_name(f"{path.stem}-levels.png")


def check_format(fmt: str) -> Format:
    """Validate a format name; :class:`InputError` listing the choices otherwise."""
    if fmt not in FORMATS:
        raise InputError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def render_files(report: ScoreReport, fmt: str, path: Path, assessment: Assessment, catalog: Catalog) -> list[tuple[Path, bytes]]:
    """The files a report consists of, in the order they must be written (charts before the Markdown that links them)."""
    fmt = check_format(fmt)
    path = Path(path)
    if fmt == "md":
        targets_png, levels_png = chart_paths(path)
        md = render_markdown(report, assessment, catalog, charts=(targets_png.name, levels_png.name))
        return [
            (targets_png, chart_target_vs_current(report, catalog)),
            (levels_png, chart_heat_table(report, catalog)),
            (path, md.encode("utf-8")),
        ]
    if fmt == "html":
        return [(path, render_html(report, assessment, catalog).encode("utf-8"))]
    if fmt == "xlsx":
        return [(path, render_xlsx(report, assessment, catalog))]
    if fmt == "csv":
        return [(path, render_csv(report, assessment.metadata.documents or ()).encode("utf-8"))]
    return [(path, render_json(report).encode("utf-8"))]


def write_report(report: ScoreReport, fmt: str, path: Path, assessment: Assessment, catalog: Catalog) -> list[Path]:
    """Render and write a report atomically; return the files written, the main file last.

    Everything is rendered in memory first, so a rendering error writes nothing; each file is then
    written with a temp file and a rename, so none is ever left truncated.
    """
    files = render_files(report, fmt, path, assessment, catalog)
    for p, data in files:
        atomic_write_bytes(p, data)
    return [p for p, _ in files]
