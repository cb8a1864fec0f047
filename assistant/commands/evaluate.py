"""``smm eval retrieval | pairs | run | calibrate | report``: measure the assistant."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from assistant.commands._common import catalog, console, settings
from assistant.errors import InputError

if TYPE_CHECKING:
    from assistant.evaluation.scenario import Scenario

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


@eval_group.command("pairs")
def eval_pairs(
    fit: Annotated[
        bool, typer.Option("--fit", help="Refit the reader's state model on the train split and save it with the package.")
    ] = False,
    pairs_dir: Annotated[Path | None, typer.Option("--pairs", help="Folder of pairs YAML (default: eval/pairs).")] = None,
    compare: Annotated[
        bool, typer.Option("--compare", help="Also measure the retrieval embeddings (MiniLM) on the pairs.")
    ] = False,
) -> None:
    """Measure the reader on labelled statement/indicator pairs: AUC and accuracy on the train and test splits."""
    import hashlib

    import numpy as np

    from assistant.engines.guided import shared_reader
    from assistant.evaluation.pairs import auc, fit_state_model, load_pairs, pair_metrics, pair_rows
    from assistant.reading.model import MODEL_PATH, load_state_model
    from assistant.reading.reader import RELATED_MIN

    cat = catalog()
    pairs = load_pairs(pairs_dir, cat)
    reader = shared_reader(cat, settings().data_dir / "reader")
    rows = pair_rows(pairs, reader)
    n_test = sum(1 for s in rows.split if s == "test")
    console.print(f"{len(pairs)} statements, {len(rows.labels)} pairs ({len(rows.labels) - n_test} train, {n_test} test)")
    if fit:
        digest = hashlib.sha256("".join(sorted(p.text for p in pairs)).encode()).hexdigest()[:12]
        model = fit_state_model(rows, trained_on=f"eval/pairs sha256:{digest}, {len(rows.labels) - n_test} train pairs")
        model.save(MODEL_PATH)
        console.print(f"state model fitted and saved to {MODEL_PATH}")
    else:
        loaded = load_state_model()
        if loaded is None:
            from assistant.errors import InputError

            raise InputError("no fitted state model; run `smm eval pairs --fit` first")
        model = loaded
    table = Table(title="reader on labelled pairs")
    for col in ("split", "pairs", "AUC related", "AUC supports", "AUC cosine (e5)", "accuracy (6 labels)"):
        table.add_column(col)
    for split in ("train", "test"):
        m = pair_metrics(model, rows, split, RELATED_MIN)
        table.add_row(
            split, str(m.pairs), f"{m.auc_related:.3f}", f"{m.auc_supports:.3f}", f"{m.auc_cosine:.3f}", f"{m.accuracy:.3f}"
        )
    console.print(table)
    m = pair_metrics(model, rows, "test", RELATED_MIN)
    console.print("test recall per label: " + ", ".join(f"{k} {v:.2f}" for k, v in m.accuracy_by_label.items()))
    if compare:
        from assistant.embeddings import default_embeddings

        emb = default_embeddings()
        texts = {i.id: i.text for p in cat.practices.values() for _, i in p.indicators()}
        sims, related = [], []
        for st in pairs:
            if st.split != "test":
                continue
            v = np.asarray(emb.embed_query(st.text))
            for ind, label in st.labels.items():
                w = np.asarray(emb.embed_query(texts[ind]))
                sims.append(float(v @ w))
                related.append(label != "unrelated")
        console.print(f"MiniLM (retrieval embeddings) cosine AUC related vs unrelated, test split: {auc(sims, related):.3f}")


@eval_group.command("stance")
def eval_stance(
    stance_dir: Annotated[Path | None, typer.Option("--dir", help="Folder of stance YAML (default: eval/stance).")] = None,
) -> None:
    """How often the reader reads a practice, a weakness said without "not", or a circumstance as showing a level."""
    from assistant.engines.guided import shared_reader
    from assistant.evaluation.stance import load_stance, stance_check

    cat = catalog()
    statements = load_stance(stance_dir, cat)
    rows = stance_check(statements, shared_reader(cat, settings().data_dir / "reader"), cat)
    table = Table(title="one statement alone, read as an answer about its practice")
    for col in ("stance", "statements", "shows level >= 1", "shows level >= 2", "rules a level out", "says nothing"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.stance, str(r.statements), f"{r.shows:.0%}", f"{r.above_one:.0%}", f"{r.rules_out:.0%}", f"{r.nothing:.0%}"
        )
    console.print(table)
    console.print("A reader that reads stance, not topic, shows a level for practices and rarely for the other two.")


@eval_group.command("calibrate")
def eval_calibrate(
    logs: Annotated[list[Path], typer.Argument(help="Evaluation logs (JSON) of runs on the dev split.")],
) -> None:
    """Fit what the confidence shown means (P(level right)) on dev-split logs; test-split logs are refused."""
    from assistant.errors import InputError
    from assistant.evaluation.runner import read_log
    from assistant.reading.confidence import PATH, fit_confidence, save_confidence

    rows: list[tuple[dict[str, float], bool]] = []
    for path in logs:
        log = read_log(path)
        if Path(log.spec.scenarios_dir).name == "test":
            raise InputError(f"{path}: a run on the frozen test split; calibrate on dev runs only (smm eval run --split dev)")
        for smp in log.samples:
            final = {p.practice: p for p in smp.proposals}
            for o in smp.outcomes:
                p = final.get(o.practice)
                if p is None or p.level is None or o.gold_level is None or not p.confidence_basis:
                    continue
                rows.append((p.confidence_basis, p.level == o.gold_level))
    if len(rows) < 30:
        raise InputError(f"only {len(rows)} rated proposals with a confidence basis in those logs; run more dev scenarios")
    data = fit_confidence(rows, source=", ".join(p.name for p in logs))
    save_confidence(data)
    typer.echo(f"fitted on {len(rows)} proposals (agreement {data['agreement']:.1%}); saved to {PATH}")


@eval_group.command("run")
def eval_run(
    scenarios: Annotated[
        Path | None, typer.Option("--scenarios", help="Folder of scenario YAML files (default: the shipped split).")
    ] = None,
    split: Annotated[
        str, typer.Option("--split", help="Shipped scenarios to run: test (frozen, the headline) or dev (tune on these).")
    ] = "test",
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="How the simulated stakeholder talks: stepwise (one fact per answer), tell-all (all facts of a "
            "practice in the first answer) or opening (half the facts in the opening description).",
        ),
    ] = "stepwise",
    engine: Annotated[str, typer.Option("--engine", help="guided or llm (llm uses SMM_LLM).")] = "guided",
    documents: Annotated[
        bool,
        typer.Option(
            "--documents/--no-documents",
            help="Hand each scenario's documents over at the start (scenarios without documents run as usual).",
        ),
    ] = False,
    epochs: Annotated[int, typer.Option("--epochs", min=1, max=20, help="Runs of each scenario.")] = 1,
    budget: Annotated[int, typer.Option("--budget", min=1, max=10, help="Stakeholder answers per practice.")] = 3,
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only these scenario IDs.")] = None,
    log_dir: Annotated[Path, typer.Option("--log-dir", help="Where to write the JSON log.")] = Path("eval/logs"),
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            help="Continue an interrupted run from its .partial.jsonl file; every other setting comes from that file.",
        ),
    ] = None,
) -> None:
    """Run every scenario with a simulated stakeholder, auto-accepting proposals; write a log and print a summary.

    Each finished scenario is saved at once to a .partial.jsonl file beside the log, so an interrupted
    run (a long one with a local model, say) loses at most one scenario: continue it with --resume.
    """
    from assistant.errors import InputError
    from assistant.evaluation.report import summary_rows
    from assistant.evaluation.runner import Checkpoint, Sample, eval_spec, resume_mismatches, run_eval, write_log

    # Check every input before the index is built or anything is written.
    from assistant.evaluation.scenario import SPLITS, load_scenarios
    from assistant.evaluation.simulator import MODES
    from assistant.services import build_services

    if split not in SPLITS:
        raise InputError(f"--split {split!r}: use one of {', '.join(SPLITS)}")
    if mode not in MODES:
        raise InputError(f"--mode {mode!r}: use one of {', '.join(MODES)}")
    if log_dir.exists() and not log_dir.is_dir():
        raise InputError(f"--log-dir {log_dir}: is a file; pass a folder")
    done: list[Sample] = []
    if resume is not None:
        checkpoint, saved, done = Checkpoint.load(resume, repair=True)
        done = [s for s in done if s.error is None]  # failed scenario runs are run again
        d, ids, engine, epochs, budget = Path(saved.scenarios_dir), saved.scenarios, saved.engine, saved.epochs, saved.budget
        mode = saved.mode
        documents = saved.documents
        loaded = _select(load_scenarios(d, catalog()), ids, d, "the checkpoint's scenarios")
    else:
        from assistant.evaluation.scenario import default_scenario_dir

        d = scenarios or default_scenario_dir(split)
        loaded = load_scenarios(d, catalog())
        if only:
            loaded = _select(loaded, only, d, "--only")
    sv = build_services(settings(), engine=engine, catalog=catalog())
    spec = eval_spec(sv, loaded, scenarios_dir=d, epochs=epochs, budget=budget, mode=mode, documents=documents)  # type: ignore[arg-type]
    if resume is not None:
        problems = resume_mismatches(saved, spec)
        if problems:
            raise InputError(f"--resume {resume}: cannot continue that run: {'; '.join(problems)}; start a new run instead")
        spec = saved
        typer.echo(f"resuming {resume}: {len(done)} of {len(loaded) * epochs} scenario runs already done")
    else:
        try:
            checkpoint = Checkpoint.create(log_dir, spec)
        except OSError as exc:
            raise InputError(f"--log-dir {log_dir}: cannot write there ({exc.strerror or exc})") from None
        # Plain echo: a path folded by rich cannot be copied back into a command.
        typer.echo(f"progress is saved to {checkpoint.path}; if the run stops, continue it with --resume {checkpoint.path}")

    def progress(sample: Sample) -> None:
        calls = f", {len(sample.model_call_ms)} model calls" if sample.model_call_ms else ""
        failed = f"  FAILED: {sample.error}" if sample.error else ""
        console.print(f"  ran {sample.scenario} (epoch {sample.epoch}) in {sample.seconds:.1f} s{calls}{failed}")

    log = run_eval(
        sv,
        loaded,
        scenarios_dir=d,
        epochs=epochs,
        budget=budget,
        mode=mode,  # type: ignore[arg-type]
        progress=progress,
        spec=spec,
        done=done,
        checkpoint=checkpoint,
    )
    try:
        path = write_log(log, log_dir)
    except OSError as exc:
        raise InputError(
            f"--log-dir {log_dir}: cannot write the log ({exc.strerror or exc}); the samples are kept in {checkpoint.path}"
        ) from None
    checkpoint.remove()
    table = Table(title=f"engine {log.spec.engine}" + (f" ({log.spec.model})" if log.spec.model else ""))
    for col in ("metric", "value", "target"):
        table.add_column(col)
    for row in summary_rows(log):
        table.add_row(*row)
    console.print(table)
    typer.echo(f"log written to {path}; render it with `smm eval report {path}`")


def _select(loaded: list[Scenario], ids: list[str], d: Path, what: str) -> list[Scenario]:
    """The scenarios named by ``ids``, in that order; an InputError naming any that are missing."""
    from assistant.errors import InputError

    by_id = {s.id: s for s in loaded}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise InputError(f"{what}: no scenario {', '.join(sorted(unknown))} in {d}")
    return [by_id[i] for i in dict.fromkeys(ids)]


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


@eval_group.command("team")
def eval_team(
    split: Annotated[str, typer.Option("--split", help="dev or test (eval/scenarios/teams/<split>).")] = "test",
    mode: Annotated[str, typer.Option("--mode", help="stepwise, tell-all or opening.")] = "stepwise",
    out: Annotated[Path | None, typer.Option("--out", help="Folder for team-<mode>.json and .md (default: only print).")] = None,
) -> None:
    """Run the team scenarios: each participant interviewed apart, evidence merged, disagreements checked against gold."""
    import json

    from assistant.assessment import atomic_write_bytes
    from assistant.commands.interview import _services
    from assistant.evaluation.team import load_team_scenario, results_markdown, run_team_scenario, team_root

    if split not in ("dev", "test"):
        raise InputError(f"--split must be dev or test, not {split!r}")
    if mode not in ("stepwise", "tell-all", "opening"):
        raise InputError(f"--mode must be stepwise, tell-all or opening, not {mode!r}")
    folder = team_root() / split
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise InputError(f"no team scenarios in {folder}")
    sv = _services()
    results = []
    for f in files:
        scenario = load_team_scenario(f, sv.catalog)
        with console.status(f"{scenario.id}: interviewing {len(scenario.participants)} participants..."):
            result, _ = run_team_scenario(sv, scenario, mode=mode)  # type: ignore[arg-type]  # checked above
        results.append(result)
        console.print(
            f"{result.scenario}: exact {result.exact:.1%}, over-rating {result.over:.1%}, disagreements surfaced "
            f"{result.contradictions_found} of {result.contradictions_gold}, false alarms: {', '.join(result.false_alarms) or 'none'}"
        )
    text = results_markdown(results, split)  # type: ignore[arg-type]  # checked above
    if out is None:
        typer.echo(text)
        return
    stem = f"team-{mode}"
    atomic_write_bytes(out / f"{stem}.md", text.encode())
    atomic_write_bytes(out / f"{stem}.json", json.dumps([r.model_dump() for r in results], indent=2).encode())
    console.print(f"wrote {out / (stem + '.md')} and {out / (stem + '.json')}")


def register(app: typer.Typer) -> None:
    """Add the evaluation commands to the root app."""
    app.add_typer(eval_group, name="eval")
