"""Dashboard tables: a :class:`~assistant.scoring.ScoreReport` laid out as data frames, numbers unchanged.

The scorer computes everything; these functions only pick columns and give them plain names, so
what the dashboard shows is exactly what ``smm score`` and the reports show.
"""

from __future__ import annotations

import pandas as pd

from assistant.assessment import Rating
from assistant.report import STATUS_LABELS, target_source_text
from assistant.scoring import Comparison, RollUp, ScoreReport

PRACTICE_COLUMNS = ["ID", "Practice", "Target", "Target from", "Current", "Review", "Status", "Gap", "Scope shortfall"]
ROLLUP_COLUMNS = [
    "Group",
    "Practices",
    "Below",
    "At",
    "Above",
    "Not applicable",
    "Unrated",
    "Awaiting review",
    "Roll-up",
    "Target",
    "Gap",
    "Scope shortfalls",
]


def _label(r: Rating | None) -> str:
    return "—" if r is None else r.label()


def practice_frame(report: ScoreReport, domain: str | None = None) -> pd.DataFrame:
    """One row per practice (optionally of one domain): target, current, review state, status and gap."""
    rows = [
        {
            "ID": p.id,
            "Practice": p.name,
            "Target": _label(p.target),
            "Target from": target_source_text(p),
            "Current": _label(p.current),
            "Review": p.current_status or "—",
            "Status": STATUS_LABELS.get(p.status, p.status),
            "Gap": p.gap,
            "Scope shortfall": p.scope_shortfall,
        }
        for p in report.practices
        if domain is None or p.domain == domain
    ]
    frame = pd.DataFrame(rows, columns=PRACTICE_COLUMNS)
    # A nullable integer column keeps "no gap" empty instead of turning every gap into a float.
    frame["Gap"] = frame["Gap"].astype("Int64")
    return frame


def rollup_frame(rollups: list[RollUp]) -> pd.DataFrame:
    """One row per group (domain, subdomain or overall): counts per status and the strategy's figures."""
    rows = [
        {
            "Group": r.name if r.kind == "overall" else f"{r.id} {r.name}",
            "Practices": r.counts.practices,
            "Below": r.counts.below,
            "At": r.counts.at,
            "Above": r.counts.above,
            "Not applicable": r.counts.not_applicable,
            "Unrated": r.counts.unrated,
            "Awaiting review": r.counts.awaiting_review,
            "Roll-up": r.aggregate.value,
            "Target": r.aggregate.target,
            "Gap": r.aggregate.gap,
            "Scope shortfalls": r.counts.scope_shortfalls,
        }
        for r in rollups
    ]
    return pd.DataFrame(rows, columns=ROLLUP_COLUMNS)


def comparison_frame(comparison: Comparison, changed_only: bool = True) -> pd.DataFrame:
    """One row per practice that changed between two assessments (or every practice)."""
    rows = [
        {
            "ID": c.id,
            "Practice": c.name,
            "Before": _label(c.before.current),
            "After": _label(c.after.current),
            "Level change": c.current_level_delta,
            "Target before": _label(c.before.target),
            "Target after": _label(c.after.target),
            "Gap change": c.gap_delta,
            "Status before": STATUS_LABELS.get(c.before.status, c.before.status),
            "Status after": STATUS_LABELS.get(c.after.status, c.after.status),
        }
        for c in comparison.practices
        if c.changed or not changed_only
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "ID",
            "Practice",
            "Before",
            "After",
            "Level change",
            "Target before",
            "Target after",
            "Gap change",
            "Status before",
            "Status after",
        ],
    )
    for col in ("Level change", "Gap change"):
        frame[col] = frame[col].astype("Int64")
    return frame
