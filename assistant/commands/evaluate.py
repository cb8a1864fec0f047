"""``smm eval retrieval | run | report``: measure the assistant."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assistant.commands._common import catalog, console, settings

eval_group = typer.Typer(
    help="Measure the assistant: retrieval benchmark and interview accuracy on scenarios.", no_args_is_help=True
)


@eval_group.command("retrieval")
def eval_retrieval(
    show_misses: Annotated[bool, typer.Option("--misses", help="List statements whose practice missed the top 3.")] = False,
) -> None:
    """Run the retrieval benchmark: recall@1/@3, MRR, level agreement, build time, query latency."""
    from assistant.evaluation.retrieval import load_statements, run_retrieval_benchmark

    rep = run_retrieval_benchmark(catalog(), settings(), load_statements())
    console.print(f"statements: {rep.statements}   documents: {rep.documents}   embeddings: {rep.embeddings}")
    console.print(
        f"index build: {rep.build_seconds:.2f} s   query latency p50 {rep.query_p50_ms:.1f} ms, p95 {rep.query_p95_ms:.1f} ms"
    )
    table = Table()
    for col in ("method", "recall@1", "recall@3", "MRR", "level agreement", "level within one", "n (level)"):
        table.add_column(col)
    for m in rep.methods:
        table.add_row(
            m.method,
            f"{m.recall_at_1:.3f}",
            f"{m.recall_at_3:.3f}",
            f"{m.mrr:.3f}",
            f"{m.level_agreement:.3f}",
            f"{m.level_within_one:.3f}",
            str(m.level_n),
        )
    console.print(table)
    if show_misses:
        for line in rep.misses:
            console.print(f"  miss: {line}")


@eval_group.command("run")
def eval_run(
    scenarios: Annotated[
        Path | None, typer.Option("--scenarios", help="Folder of scenario YAML files (default: the shipped ones).")
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help="guided or llm (llm uses SMM_LLM).")] = "guided",
    epochs: Annotated[int, typer.Option("--epochs", min=1, max=20, help="Runs of each scenario.")] = 1,
    budget: Annotated[int, typer.Option("--budget", min=1, max=10, help="Stakeholder answers per practice.")] = 3,
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only these scenario IDs.")] = None,
    log_dir: Annotated[Path, typer.Option("--log-dir", help="Where to write the JSON log.")] = Path("eval/logs"),
) -> None:
    """Run every scenario with a simulated stakeholder, auto-accepting proposals; write a log and print a summary."""
    from assistant.errors import InputError
    from assistant.evaluation.report import summary_rows
    from assistant.evaluation.runner import run_eval, write_log
    from assistant.evaluation.scenario import default_scenario_dir, load_scenarios
    from assistant.services import build_services

    # Check every input before the index is built or anything is written.
    if log_dir.exists() and not log_dir.is_dir():
        raise InputError(f"--log-dir {log_dir}: is a file; pass a folder")
    d = scenarios or default_scenario_dir()
    loaded = load_scenarios(d, catalog())
    if only:
        unknown = set(only) - {s.id for s in loaded}
        if unknown:
            raise InputError(f"--only: no scenario {', '.join(sorted(unknown))} in {d}")
        loaded = [s for s in loaded if s.id in only]
    sv = build_services(settings(), engine=engine, catalog=catalog())

    def progress(sid: str, epoch: int) -> None:
        console.print(f"  ran {sid} (epoch {epoch})")

    log = run_eval(sv, loaded, scenarios_dir=d, epochs=epochs, budget=budget, progress=progress)
    try:
        path = write_log(log, log_dir)
    except OSError as exc:
        raise InputError(f"--log-dir {log_dir}: cannot write the log ({exc.strerror or exc})") from None
    table = Table(title=f"engine {log.spec.engine}" + (f" ({log.spec.model})" if log.spec.model else ""))
    for col in ("metric", "value", "target"):
        table.add_column(col)
    for row in summary_rows(log):
        table.add_row(*row)
    console.print(table)
    console.print(f"log written to {path}; render it with `smm eval report {path}`")


@eval_group.command("report")
def eval_report(
    log_file: Annotated[Path, typer.Argument(help="A log written by `smm eval run`.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the Markdown here instead of printing it.")] = None,
) -> None:
    """Render an evaluation log as Markdown: metrics, confusion matrix, per-practice and per-scenario tables."""
    from assistant.assessment import atomic_write_bytes
    from assistant.evaluation.report import render_markdown
    from assistant.evaluation.runner import read_log

    text = render_markdown(read_log(log_file))
    if output is None:
        typer.echo(text)
    else:
        atomic_write_bytes(output, text.encode())
        console.print(f"wrote {output}")


def register(app: typer.Typer) -> None:
    """Add the evaluation commands to the root app."""
    app.add_typer(eval_group, name="eval")
