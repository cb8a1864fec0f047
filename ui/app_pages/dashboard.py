"""Dashboard page: target vs current per practice, domain roll-ups, gaps and roadmap, downloads, comparison."""

from __future__ import annotations

import streamlit as st

from assistant.assessment import Assessment, AssessmentFileError, check_against_catalog, parse_assessment
from assistant.errors import InputError
from assistant.report import objectives_text
from assistant.scoring import STRATEGIES, ScoreReport, compare, score, strategy_rule, strategy_title
from assistant.session_export import session_assessment
from ui import downloads, session, tables, views
from ui.services import get_services

sv = get_services()
cat = sv.catalog
MAX_UPLOAD_MB = 20


def read_upload(uploaded: object, label: str) -> Assessment | None:
    """An uploaded assessment file, or ``None`` after showing why it cannot be used."""
    name = str(getattr(uploaded, "name", "uploaded file"))
    try:
        raw: bytes = uploaded.getvalue()  # type: ignore[attr-defined]
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise AssessmentFileError(f"{name}: not a text file (expected assessment JSON in UTF-8)") from None
        a = parse_assessment(text, name)
        check_against_catalog(a, cat, name)
    except InputError as exc:
        st.error(views.web_wording(f"{label} cannot be used. {exc}"), icon=":material/error:")
        return None
    return a


def number(x: float | None, share: bool) -> str:
    """A roll-up figure as shown in the reports: a share as a percentage, whole levels without decimals."""
    if x is None:
        return "—"
    if share:
        return f"{x:.0%}"
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"


def headline(report: ScoreReport) -> None:
    """The overall counts and the strategy's overall figure."""
    o = report.overall
    share = report.strategy == "share_at_target"
    with st.container(horizontal=True, key="db-headline"):
        st.metric(o.aggregate.label.capitalize(), number(o.aggregate.value, share), border=True)
        st.metric("At target", o.counts.at, border=True)
        st.metric("Below target", o.counts.below, border=True)
        st.metric("Above target", o.counts.above, border=True, help="Possible over-investment: higher is not always better.")
        st.metric("Awaiting review", o.counts.awaiting_review, border=True, help="Proposed but not confirmed: not scored.")
        st.metric("Not applicable", o.counts.not_applicable, border=True)
        st.metric("Unrated", o.counts.unrated, border=True)


st.title("Dashboard")
session.show_messages()

iv = session.interview()
options = (["interview"] if iv is not None else []) + ["upload"]
source = st.radio(
    "Show",
    options,
    format_func=lambda o: f"This assessment ({iv.state.system_name})" if o == "interview" and iv else "An assessment file",
    horizontal=True,
    key="db-source",
)
assessment: Assessment | None = None
if source == "interview" and iv is not None:
    assessment = session_assessment(iv)
else:
    up = st.file_uploader(
        "Assessment JSON file",
        type=["json"],
        key="db-upload",
        max_upload_size=MAX_UPLOAD_MB,
        help='An assessment downloaded from this page (the "Assessment JSON" button), or shared by a colleague.',
    )
    if up is None:
        st.info(
            "Upload an assessment JSON file to see its scores, or open an assessment on the Interview page.",
            icon=":material/upload:",
        )
        st.stop()
    assessment = read_upload(up, "The uploaded file")
    if assessment is None:
        st.stop()

strategy = st.selectbox(
    "Roll-up strategy", list(STRATEGIES), format_func=lambda s: f"{s}: {strategy_title(s)}", key="db-strategy"
)
st.info(strategy_rule(strategy), icon=":material/functions:")
report = score(assessment, cat, strategy)
share = strategy == "share_at_target"

st.caption(report.caveat)
if report.overall.counts.out_of_scope:
    c = report.overall.counts
    st.caption(
        f"This assessment covers the {c.practices} practices chosen for it, of {c.practices + c.out_of_scope}; "
        'the others are marked "not in this assessment" and are not counted.'
    )
for warning in report.warnings:
    st.warning(warning, icon=":material/warning:")
headline(report)

targets_png, heat_png = downloads.charts(assessment, strategy)
chart_tab, heat_tab = st.tabs(["Target vs current", "Heat table"])
chart_tab.image(targets_png, caption="Target (grey) and current level per practice, grouped by domain")
heat_tab.image(heat_png, caption="Levels per practice: T marks the target, C the current level")

st.subheader("Target vs current per practice")
if all(p.target is None for p in report.practices):
    st.info("No targets are set yet, so there are no gaps to show. Set them on the Targets page.", icon=":material/flag:")
# "plain" shows 2 as 2 and 1.5 as 1.5, as the reports do; a share reads best as a percentage.
rollup_column = st.column_config.NumberColumn(report.overall.aggregate.label, format="percent" if share else "plain")
practice_columns = {
    "ID": st.column_config.TextColumn(width=50),
    "Practice": st.column_config.TextColumn(width=270),
    "Current": st.column_config.TextColumn(width=95),
    "Review": st.column_config.TextColumn(width=85),
    "Status": st.column_config.TextColumn(width=160),
    "Gap": st.column_config.NumberColumn(format="plain", width=50, help="Target level minus current level"),
}
for dom in report.domains:
    st.markdown(f"**{dom.id} {dom.name}** — {dom.aggregate.label}: **{number(dom.aggregate.value, share)}**")
    views.table(f"db-practices-{dom.id}", tables.practice_frame(report, dom.id), column_config=practice_columns)

st.subheader("Domains")
views.table(
    "db-domains",
    tables.rollup_frame([*report.domains, report.overall]),
    column_config={"Roll-up": rollup_column, "Target": st.column_config.NumberColumn(format="plain")},
)
with st.expander("Subdomains"):
    views.table(
        "db-subdomains",
        tables.rollup_frame(report.subdomains),
        column_config={"Roll-up": rollup_column, "Target": st.column_config.NumberColumn(format="plain")},
        height="content",
    )

st.subheader("Gaps and roadmap")
if not report.roadmap:
    st.caption("No practice with a confirmed rating is below its target.")
else:
    goals = objectives_text(assessment)
    st.caption(
        "In the order to tackle them: safety first where people can get hurt, then what protects the other harms the "
        "business named, then the rest; within each, the least effort first."
        + (f" Objectives: {goals}." if goals else " No business objectives are recorded, so the order is by effort.")
    )
for item in report.roadmap:
    scope = f"; scope {item.current_scope} → {item.target_scope}" if item.scope_shortfall else ""
    quick = " · quick win" if item.quick_win else ""
    label = f"{item.rank}. {item.practice} {item.name}: level {item.current_level} → {item.target_level}{scope}{quick}"
    with st.expander(label):
        st.markdown(f"**Why here:** {item.reason}")
        st.markdown(f"**Next: level {item.next_level}.** What it needs:")
        st.markdown("\n".join(f"- `{i.id}` {i.text}" for i in item.next_indicators))
        for step in item.steps:
            st.markdown(f"*Level {step.level} ({step.name}):* {step.summary}")

st.subheader("Download")
if report.overall.counts.awaiting_review:
    st.caption(
        f"{report.overall.counts.awaiting_review} proposal(s) await review: they appear in the files as proposed, not scored."
    )
with st.container(horizontal=True, key="db-downloads"):
    for d in downloads.report_downloads(assessment, strategy):
        st.download_button(
            d.label, d.data, file_name=d.file_name, mime=d.mime, key=f"dl-{d.key}", on_click="ignore", icon=":material/download:"
        )

st.subheader("Compare with another assessment")
other_up = st.file_uploader(
    "Another assessment JSON of the same system", type=["json"], key="db-compare", max_upload_size=MAX_UPLOAD_MB
)
if other_up is not None:
    other = read_upload(other_up, "The file to compare")
    if other is not None:
        earlier = st.radio(
            "Which one is earlier?",
            ["other", "shown"],
            format_func=lambda o: "The file to compare" if o == "other" else "The assessment shown above",
            horizontal=True,
            key="db-compare-order",
        )
        force = st.checkbox("Compare even if the system names differ", key="db-compare-force")
        before, after = (other, assessment) if earlier == "other" else (assessment, other)
        try:
            comparison = compare(before, after, cat, force=force, strategy=strategy)
        except InputError as exc:
            st.error(views.web_wording(str(exc).replace("pass --force", "tick the box above")), icon=":material/error:")
        else:
            st.markdown(
                f"**{comparison.changed}** practice(s) changed: **{comparison.raised}** raised, **{comparison.lowered}** lowered "
                "(counting only ratings confirmed in both)."
            )
            everything = st.toggle("Show unchanged practices too", key="db-compare-all")
            views.table("db-comparison", tables.comparison_frame(comparison, changed_only=not everything), height="content")
