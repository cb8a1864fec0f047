"""``smm score``, ``smm report``, ``smm compare`` and ``smm strategies``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from assistant.assessment import Assessment, Rating, load_assessment
from assistant.catalog import Catalog
from assistant.commands._common import catalog, console
from assistant.errors import InputError
from assistant.report import FORMATS, check_format, format_number, write_report
from assistant.scoring import (
    DEFAULT_STRATEGY,
    STRATEGIES,
    Aggregate,
    PracticeChange,
    RollUp,
    ScoreReport,
    compare,
    score,
    strategy_function,
    strategy_rule,
)

_STRATEGY_HELP = f"Roll-up strategy: {', '.join(STRATEGIES)} (see `smm strategies`)."
_STATUS_STYLE = {"below": "yellow", "at": "green", "above": "cyan", "awaiting_review": "magenta"}


def _load(path: Path) -> tuple[Assessment, Catalog]:
    cat = catalog()
    return load_assessment(path, cat), cat


def _aggregate_text(a: Aggregate, share: bool) -> str:
    parts = [f"{a.label} {format_number(a.value, share)}"]
    if a.target is not None:
        parts.append(f"target {format_number(a.target)}")
    if a.gap is not None:
        parts.append(f"gap {format_number(a.gap)}")
    return ", ".join(parts)


def _counts_text(r: RollUp) -> str:
    c = r.counts
    return (
        f"{c.below} below, {c.at} at, {c.above} above, {c.not_applicable} n/a, {c.unrated} unrated, "
        f"{c.awaiting_review} awaiting review, {c.scope_shortfalls} scope shortfall(s)"
        + (f"; {c.out_of_scope} not in this assessment" if c.out_of_scope else "")
    )


_SHORT_SCOPE = {"general": "gen", "industry": "ind", "system": "sys"}
_SHORT_STATUS = {
    "below": "below",
    "at": "at",
    "above": "above!",
    "not_applicable": "n/a",
    "unrated": "unrated",
    "awaiting_review": "review",
    "no_target": "no target",
    "out_of_scope": "not chosen",
}


def _short(r: Rating | None) -> str:
    if r is None:
        return "—"
    return "n/a" if r.not_applicable else f"{r.level} {_SHORT_SCOPE.get(r.scope or '', r.scope)}"


def _print_score(report: ScoreReport) -> None:
    share = report.strategy == "share_at_target"
    # Short cells keep the table readable in an 80-column terminal; the reports carry the long forms.
    table = Table(
        title=f"{escape(report.system_name)}\nstrategy {report.strategy!r}, catalog {report.catalog_version}",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
    )
    table.add_column("ID", no_wrap=True)
    table.add_column("Practice", ratio=1)
    for col in ("Target", "Current", "Status", "Gap", "Scope"):
        table.add_column(col, no_wrap=True)
    for roll in report.domains:
        table.add_section()
        table.add_row(
            f"[bold]{roll.id}[/bold]", f"[bold]{escape(roll.name)}: {escape(_aggregate_text(roll.aggregate, share))}[/bold]"
        )
        for p in report.practices:
            if p.domain != roll.id:
                continue
            style = _STATUS_STYLE.get(p.status, "dim")
            target = _short(p.target) + ("*" if p.target_source not in (None, "profile") else "")
            current = _short(p.current) + ("?" if p.current_status == "proposed" else "")
            shortfall = ""
            if p.scope_shortfall and p.current and p.target:
                shortfall = f"{_SHORT_SCOPE[p.current.scope or 'general']}→{_SHORT_SCOPE[p.target.scope or 'general']}"
            table.add_row(
                p.id,
                escape(p.name),
                target,
                current,
                f"[{style}]{_SHORT_STATUS[p.status]}[/{style}]",
                "—" if p.gap is None else (f"{p.gap:+d}" if p.gap else "0"),
                shortfall,
            )
    console.print(table)
    console.print(
        "[dim]* target set in the assessment (else from the profile); ? proposed, not counted; "
        "above! = above target, possible over-investment; Scope = scope shortfall[/dim]"
    )
    console.print(
        f"\n[bold]Overall[/bold]: {escape(_aggregate_text(report.overall.aggregate, share))}; {_counts_text(report.overall)}"
    )
    for r in report.domains:
        console.print(f"  {r.id} {escape(r.name)}: {_counts_text(r)}")
    console.print(f"\n[bold]Strategy {report.strategy!r}[/bold]\n{escape(report.strategy_rule)}")
    console.print(f"\n[bold]Caveat:[/bold] {escape(report.caveat)}")
    if report.roadmap:
        console.print(f"\n[bold]Roadmap[/bold] ({len(report.roadmap)} practice(s) below target), first:")
        for i in report.roadmap[:5]:
            quick = ", quick win" if i.quick_win else ""
            console.print(
                f"  {i.rank}. {i.practice} {escape(i.name)} ({i.current_level} → {i.target_level}{quick}): {escape(i.reason)}"
            )
    for w in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(w)}")


def score_cmd(
    assessment: Annotated[Path, typer.Argument(help="Assessment JSON file.", metavar="ASSESSMENT.json")],
    strategy: Annotated[str, typer.Option("--strategy", "-s", help=_STRATEGY_HELP)] = DEFAULT_STRATEGY,
) -> None:
    """Score an assessment: gap and status per practice, domain roll-ups, and the strategy's rule."""
    strategy_function(strategy)
    a, cat = _load(assessment)
    _print_score(score(a, cat, strategy))


def _infer_format(output: Path, fmt: str | None) -> str:
    if fmt is not None:
        return check_format(fmt)
    suffix = output.suffix.lower().lstrip(".")
    guess = {"markdown": "md", "htm": "html"}.get(suffix, suffix)
    if guess in FORMATS:
        return guess
    raise InputError(f"cannot tell the report format from {output.name!r}; pass --format with one of {', '.join(FORMATS)}")


def report_cmd(
    assessment: Annotated[Path, typer.Argument(help="Assessment JSON file.", metavar="ASSESSMENT.json")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write; Markdown also writes two chart PNGs beside it.")],
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help=f"One of {', '.join(FORMATS)}; default: from the file extension.")
    ] = None,
    strategy: Annotated[str, typer.Option("--strategy", "-s", help=_STRATEGY_HELP)] = DEFAULT_STRATEGY,
) -> None:
    """Write a report (Markdown, HTML, XLSX, CSV or JSON) of a scored assessment."""
    kind = _infer_format(output, fmt)
    strategy_function(strategy)
    if output.is_dir():
        raise InputError(f"{output}: is a directory; pass a file name such as {output / ('report.' + kind)}")
    a, cat = _load(assessment)
    report = score(a, cat, strategy)
    try:
        written = write_report(report, kind, output, a, cat)
    except OSError as exc:
        raise InputError(f"{output}: cannot write ({exc.strerror or exc})") from None
    for path in written:
        console.print(f"wrote {escape(str(path))}")


def _move(before: object, after: object, delta: int | None) -> str:
    if before == after:
        return str(before)
    return f"{before} → {after}" + (f" ({delta:+d})" if delta else "")


def _change_row(c: PracticeChange) -> list[str]:
    b, a = c.before, c.after
    cur_b = _short(b.current) + ("?" if b.current_status == "proposed" else "")
    cur_a = _short(a.current) + ("?" if a.current_status == "proposed" else "")
    return [
        c.id,
        escape(c.name),
        escape(_move(cur_b, cur_a, c.current_level_delta)),
        escape(_move(_short(b.target), _short(a.target), c.target_level_delta)),
        _move(_SHORT_STATUS[b.status], _SHORT_STATUS[a.status], None),
        "—" if c.gap_delta is None else (f"{c.gap_delta:+d}" if c.gap_delta else "0"),
    ]


def compare_cmd(
    before: Annotated[
        str, typer.Argument(help="The earlier assessment: a JSON file, or TEAM@N (a signed version).", metavar="A")
    ],
    after: Annotated[str, typer.Argument(help="The later assessment: a JSON file, TEAM@N or TEAM@draft.", metavar="B")],
    force: Annotated[bool, typer.Option("--force", help="Compare even when the system names differ.")] = False,
    show_all: Annotated[bool, typer.Option("--all", help="List unchanged practices too.")] = False,
    strategy: Annotated[str, typer.Option("--strategy", "-s", help=_STRATEGY_HELP)] = DEFAULT_STRATEGY,
) -> None:
    """Compare two assessments of the same system: what moved per practice, and by how much."""
    strategy_function(strategy)
    from assistant.commands.team import load_source

    cat = catalog()
    a, before_name = load_source(before)
    b, after_name = load_source(after)
    cmp = compare(a, b, cat, force=force, strategy=strategy)
    if cmp.forced:
        names = f"{cmp.before_system!r} and {cmp.after_system!r}"
        console.print(f"[yellow]note:[/yellow] the system names differ ({escape(names)}); compared as one system (--force)")
    table = Table(title=f"{escape(cmp.before_system)}\n{escape(before_name)} → {escape(after_name)}", box=box.SIMPLE_HEAD)
    table.add_column("ID", no_wrap=True)
    table.add_column("Practice", ratio=1, min_width=14)
    # Scope moves show in the Current and Target cells (e.g. "1 gen → 1 ind").
    for col in ("Current", "Target", "Status", "Gap Δ"):
        table.add_column(col, no_wrap=col == "Gap Δ")
    rows = [c for c in cmp.practices if c.changed or show_all]
    for c in rows:
        table.add_row(*_change_row(c))
    if rows:
        console.print(table)
    share = strategy == "share_at_target"
    for d in cmp.domains:
        before_text, after_text = _aggregate_text(d.before, share), _aggregate_text(d.after, share)
        moved = f"{before_text} → {after_text}" if before_text != after_text else f"{before_text} (unchanged)"
        console.print(f"{d.id} {escape(d.name)}: {escape(moved)}")
    console.print(
        f"{cmp.changed} practice(s) changed; current level raised for {cmp.raised}, lowered for {cmp.lowered} "
        "(confirmed ratings; ? marks a proposed rating)."
    )


def strategies_cmd() -> None:
    """List the roll-up strategies and the rule each applies."""
    for name in STRATEGIES:
        marker = " (default)" if name == DEFAULT_STRATEGY else ""
        console.print(f"[bold]{name}[/bold]{marker}\n{escape(strategy_rule(name))}\n")


def register(app: typer.Typer) -> None:
    """Add the scoring and reporting commands to the root app."""
    app.command("score")(score_cmd)
    app.command("report")(report_cmd)
    app.command("compare")(compare_cmd)
    app.command("strategies")(strategies_cmd)
