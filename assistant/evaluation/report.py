"""Markdown report of an evaluation log: headline metrics against targets, confusion matrix, breakdowns."""

from __future__ import annotations

from assistant.evaluation.metrics import MetricSet
from assistant.evaluation.runner import EvalLog

# Targets from the evaluation issue, for the guided engine on the shipped scenarios.
TARGETS: dict[str, tuple[str, float]] = {
    # Issue 13's targets, for the frozen test split in stepwise mode.
    "within_one": (">=", 0.95),
    "exact": (">=", 0.70),
    "qwk": (">=", 0.80),
    "over_rating": ("<=", 0.05),
    "citation_validity": (">=", 1.0),
    "quote_faithfulness": (">=", 1.0),
    "turns_per_practice": ("<=", 2.5),
}


def _fmt(x: float | None, pct: bool = True) -> str:
    if x is None:
        return "n/a"
    return f"{x:.3f}" if not pct else f"{x:.1%}"


def _row(name: str, m: MetricSet) -> str:
    return (
        f"| {name} | {m.n} | {_fmt(m.exact)} | {_fmt(m.within_one)} | {_fmt(m.mae, False)} | {_fmt(m.qwk, False)} | "
        f"{_fmt(m.over_rating)} | {_fmt(m.scope_accuracy)} | {_fmt(m.abstention_rate)} | {_fmt(m.turns_per_practice, False)} |"
    )


HEADER = (
    "| | n | exact | within one | MAE | QWK | over-rating | scope | abstained | turns/practice |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def summary_rows(log: EvalLog) -> list[tuple[str, str, str]]:
    """(metric, value, target verdict) rows for the headline table."""
    m = log.metrics.overall
    rows = []
    for key, value in (
        ("exact", m.exact),
        ("within_one", m.within_one),
        ("mae", m.mae),
        ("qwk", m.qwk),
        ("over_rating", m.over_rating),
        ("scope_accuracy", m.scope_accuracy),
        ("na_agreement", m.na_agreement),
        ("citation_validity", m.citation_validity),
        ("quote_faithfulness", m.quote_faithfulness),
        ("abstention_rate", m.abstention_rate),
        ("turns_per_practice", m.turns_per_practice),
        ("fallback_rate", m.fallback_rate),
    ):
        verdict = ""
        if key in TARGETS and value is not None:
            op, t = TARGETS[key]
            ok = value >= t if op == ">=" else value <= t
            verdict = f"{op} {t:g}: {'met' if ok else 'MISSED'}"
        shown = _fmt(value, pct=key not in ("mae", "qwk", "turns_per_practice"))
        rows.append((key.replace("_", " "), shown, verdict))
    failed = [smp for smp in log.samples if smp.error]
    if failed:
        rows.append(("scenario runs that failed", f"{len(failed)} of {len(log.samples)}", "see the report"))
    rows.append(("interview turns (mean)", _fmt(log.metrics.total_turns_mean, False), ""))
    rows.append(
        (
            "latency per turn p50 / p95 (ms)",
            f"{_fmt(log.metrics.latency_p50_ms, False)} / {_fmt(log.metrics.latency_p95_ms, False)}",
            "",
        )
    )
    calls = sorted(x for smp in log.samples for x in smp.model_call_ms)
    if calls:
        rows.append(("model calls", str(len(calls)), ""))
        rows.append(("model call p50 / p95 (s)", f"{_quantile(calls, 0.5) / 1000:.1f} / {_quantile(calls, 0.95) / 1000:.1f}", ""))
    return rows


def _quantile(sorted_xs: list[float], q: float) -> float:
    """Nearest-rank quantile of an already sorted, non-empty list."""
    return sorted_xs[min(len(sorted_xs) - 1, max(0, round(q * len(sorted_xs) + 0.5) - 1))]


STEPS = ("phrase", "interpret", "propose", "explain")


def step_rows(log: EvalLog) -> list[tuple[str, int, int, int, dict[str, int]]]:
    """Per model step: (step, first answer usable, usable after the re-ask, fell back, fallbacks by reason)."""
    totals: dict[str, int] = {}
    for smp in log.samples:
        for k, v in smp.engine_stats.items():
            totals[k] = totals.get(k, 0) + v
    rows = []
    for step in STEPS:
        ok, reask_ok, fallback = totals.get(f"{step}.ok", 0), totals.get(f"{step}.reask_ok", 0), totals.get(f"{step}.fallback", 0)
        if ok + fallback == 0:
            continue
        reasons = {k.rsplit(".", 1)[1]: v for k, v in totals.items() if k.startswith(f"{step}.fallback.")}
        rows.append((step, ok - reask_ok, reask_ok, fallback, reasons))
    return rows


def render_markdown(log: EvalLog) -> str:
    """The whole report."""
    s = log.spec
    lines = [
        f"# Evaluation: engine `{s.engine}`" + (f", model `{s.model}`" if s.model else ""),
        "",
        f"- run {s.created.isoformat(timespec='seconds')}, {len(s.scenarios)} scenarios x {s.epochs} epoch(s), budget {s.budget} answers per practice, {log.seconds:.1f} s",
        f"- catalog {s.catalog_version} ({s.catalog_hash[:12]}), revision {s.revision or 'unknown'}, Python {s.python}",
        f"- prompts: {', '.join(f'{k} {v}' for k, v in sorted(s.prompt_hashes.items())) or 'none (guided engine)'}",
        "",
    ]
    if log.missing:
        lines += [
            f"**Partial run**: {len(log.samples)} of {len(log.samples) + len(log.missing)} scenario runs finished; "
            f"the figures cover only those. Not run yet: {', '.join(log.missing)}.",
            "",
        ]
    lines += [
        "## Headline",
        "",
        "| metric | value | target |",
        "|---|---:|---|",
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in summary_rows(log)]
    from assistant.evaluation.metrics import expected_calibration_error

    ece = expected_calibration_error(log.metrics.reliability)
    lines += [
        "",
        "## Confidence reliability (does a proposal shown at 80 % agree with gold 80 % of the time?)",
        "",
        "| confidence shown | proposals | mean confidence | agreed with gold |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {b.low:.0%}-{b.high:.0%} | {b.n} | {_fmt(b.mean_confidence)} | {_fmt(b.exact)} |" for b in log.metrics.reliability
    ]
    lines += ["", f"Expected calibration error: {_fmt(ece)}."]
    lines += [
        "",
        "## Confusion matrix (rows: gold level, columns: proposed level)",
        "",
        "| gold \\ proposed | 0 | 1 | 2 | 3 | 4 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for g, row in enumerate(log.metrics.confusion):
        lines.append(f"| **{g}** | " + " | ".join(str(x) for x in row) + " |")
    steps = step_rows(log)
    if steps:
        lines += [
            "",
            "## Model steps (LLM engine)",
            "",
            "Each step is checked; a failed check is re-asked once, then the guided engine does that step.",
            "",
            "| step | usable at once | usable after re-ask | fell back | fallbacks by reason |",
            "|---|---:|---:|---:|---|",
        ]
        for step, first, second, fb, reasons in steps:
            total = first + second + fb
            why = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "-"
            lines.append(
                f"| {step} | {first} ({first / total:.0%}) | {second} ({second / total:.0%}) | {fb} ({fb / total:.0%}) | {why} |"
            )
    failed = [smp for smp in log.samples if smp.error]
    if failed:
        lines += ["", "## Scenario runs that failed (not in the metrics)", ""]
        lines += [f"- {smp.scenario} (epoch {smp.epoch}): {smp.error}" for smp in failed]
    lines += ["", "## By hard case (manipulation reported separately)", "", HEADER]
    lines += [_row(tag, m) for tag, m in log.metrics.per_tag.items()]
    lines += ["", "## By practice", "", HEADER]
    lines += [_row(p, m) for p, m in log.metrics.per_practice.items()]
    lines += ["", "## By scenario", "", HEADER]
    lines += [_row(sc, m) for sc, m in log.metrics.per_scenario.items()]
    misses = [o for smp in log.samples for o in smp.outcomes if o.gold_level is not None and o.proposed_level != o.gold_level]
    if misses:
        lines += ["", "## Disagreements", "", "| scenario | practice | gold | proposed | turns |", "|---|---|---:|---:|---:|"]
        for o in misses:
            prop = "abstained" if o.abstained else ("n/a" if o.proposed_not_applicable else str(o.proposed_level))
            lines.append(f"| {o.scenario} | {o.practice} | {o.gold_level} ({o.gold_scope}) | {prop} | {o.turns} |")
    return "\n".join(lines) + "\n"
