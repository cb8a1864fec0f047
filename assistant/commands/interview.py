"""``smm interview``, ``smm demo``, ``smm sessions`` and ``smm export``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table

from assistant.commands._common import catalog, console, settings
from assistant.documents.model import Document
from assistant.errors import InputError
from assistant.proposals import Turn
from assistant.settings import Settings

KEYS = r"\[a]ccept  \[m]odify  \[r]eject  \[n]ot applicable  \[l]ater  \[w]hy  (or type more about the practice)"


def _show(turns: list[Turn]) -> None:
    for t in turns:
        if t.role != "assistant":
            continue
        if t.kind == "proposal":
            console.print(Panel(Markdown(t.text), title="proposal", border_style="cyan"))
        elif t.kind == "notice":
            console.print(Panel(t.text, title="notice", border_style="yellow"))
        elif t.kind == "question":
            console.print(Markdown(t.text))
        else:
            console.print(Markdown(t.text), style="dim" if t.kind == "info" else None)


def _services(engine: str | None = None):  # type: ignore[no-untyped-def]
    from assistant.services import build_services

    with console.status("loading the catalog index..."):
        return build_services(settings(), engine=engine, catalog=catalog())


def _score_table(assessment: object) -> None:
    from assistant.assessment import Assessment
    from assistant.scoring import score

    assert isinstance(assessment, Assessment)
    rep = score(assessment, catalog())
    table = Table(title="Confirmed ratings against targets")
    for col in ("practice", "current", "target", "gap", "status"):
        table.add_column(col)
    for p in rep.practices:
        if p.status == "out_of_scope":
            continue  # not chosen for this assessment
        table.add_row(
            f"{p.id} {p.name}",
            p.current.label() if p.current else "-",
            p.target.label() if p.target else "-",
            "" if p.gap is None else str(p.gap),
            p.status,
        )
    console.print(table)


def read_with_progress(path: Path) -> Document:
    """Read a document (a clear error for a bad one, before anything is stored)."""
    from assistant.documents import read_document

    with console.status(f"reading {path.name}..."):
        return read_document(path)


def add_with_progress(iv: object, document: Document) -> list[Turn]:
    """Add a read document to an interview, with a progress bar while its statements are read."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from assistant.interview import Interview

    assert isinstance(iv, Interview)
    with Progress(
        TextColumn(f"reading {document.name}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("read", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return iv.add_document(document, progress=progress)


def privacy_notices(settings: Settings, engine: str, *, documents: bool = False) -> list[str]:
    """A plain warning for each way interview text leaves this machine: the model, the embeddings; empty when it stays.

    With ``documents``, each warning says that the documents' text goes the same way."""
    import ipaddress
    import os
    from urllib.parse import urlsplit

    out: list[str] = []
    if engine == "llm":
        from assistant import llm

        notice = getattr(llm, "privacy_notice", None)
        text = notice(settings) if callable(notice) else None
        if text:
            out.append(text)
    provider = settings.embeddings.partition(":")[0].strip().lower()
    remote = provider == "openai"
    ollama_host = os.environ.get("OLLAMA_HOST", "")
    if provider == "ollama" and ollama_host:
        host = urlsplit(ollama_host if "//" in ollama_host else "//" + ollama_host).hostname
        try:
            remote = host != "localhost" and not ipaddress.ip_address(host or "").is_loopback
        except ValueError:
            remote = True
    if remote:
        out.append(
            f"Each answer is also sent off this machine to be turned into search vectors (SMM_EMBEDDINGS={settings.embeddings}). "
            "Do not type anything you may not share with that service; unset SMM_EMBEDDINGS to stay offline."
        )
    if documents and out:
        out.append("The text of the documents you add is read the same way: it leaves this machine as described above.")
    return out


def interview(
    resume: Annotated[str | None, typer.Option("--resume", help="Continue a saved session (ID or a unique prefix).")] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="Use a catalog profile (see `smm catalog show`); skips the industry question.")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Name of the system being assessed.")] = "Unnamed IoT system",
    practices: Annotated[
        str | None, typer.Option("--practices", help="Only these practices, comma-separated (e.g. H1.2,E1.1).")
    ] = None,
    objectives: Annotated[
        bool, typer.Option("--objectives/--no-objectives", help="Ask about business objectives to propose targets.")
    ] = True,
    reviewer: Annotated[str, typer.Option("--reviewer", help="Your name, recorded with every decision.")] = "assessor",
    engine: Annotated[str | None, typer.Option("--engine", help="guided or llm (default: llm when SMM_LLM is set).")] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Save the assessment JSON here when the interview ends.")
    ] = None,
    doc: Annotated[
        list[Path] | None,
        typer.Option(
            "--doc",
            help="A document to read as evidence (PDF, DOCX, XLSX, CSV, Markdown, text); repeat for several. "
            "Type `doc FILE` during the interview to add more.",
        ),
    ] = None,
) -> None:
    """Interview a stakeholder in the terminal, propose cited ratings and review them by keystroke."""
    from assistant.interview import Interview

    # Every document is read (and refused, if bad) before a session is created or changed.
    documents = [read_with_progress(path) for path in doc or []]
    sv = _services(engine)
    for text in privacy_notices(sv.settings, sv.engine.name, documents=bool(documents)):
        console.print(Panel(text, title="privacy", border_style="red"))
    if resume:
        iv = Interview.resume(resume, sv.catalog, sv.index, sv.engine, sv.store)
        console.print(f"resumed session {iv.session_id} ({iv.state.system_name})")
        last_q = [t for t in iv.transcript if t.role == "assistant"][-3:]
        _show(last_q)
        if iv.finished and iv.undecided():
            # A finished interview with practices left undecided picks them up again (issue 14, item 10).
            _show(iv.say("continue"))
    else:
        ids = [p.strip() for p in practices.split(",")] if practices else None
        iv = Interview.start(
            sv.catalog,
            sv.index,
            sv.engine,
            sv.store,
            system_name=name,
            profile=profile,
            ask_objectives=objectives,
            reviewer=reviewer,
            practices=ids,
        )
        console.print(
            f"session {iv.session_id}: saved after every answer; resume with `smm interview --resume {iv.session_id[:8]}`"
        )
        _show(iv.transcript)
    for d in documents:
        _show(add_with_progress(iv, d))
    if not converse(iv, reviewer, f"smm interview --resume {iv.session_id[:8]}"):
        return
    from assistant.session_export import session_assessment

    a = session_assessment(iv)
    _score_table(a)
    if output is not None:
        from assistant.assessment import save_assessment

        save_assessment(a, output)
        console.print(f"assessment saved to {output}; make a report with `smm report {output} --format html -o report.html`")
    else:
        console.print(f"export the assessment with `smm export {iv.session_id[:8]} -o assessment.json`")


def converse(iv: object, reviewer: str, resume_command: str) -> bool:
    """Read the user's lines until the interview is finished (True) or input ends (False; all is saved)."""
    from assistant.interview import Interview

    assert isinstance(iv, Interview)
    while not iv.finished:
        pending = iv.pending
        if pending is not None and pending.kind == "review":
            console.print(f"[bold]{KEYS}[/bold]")
        try:
            line = console.input("[bold green]you>[/bold green] ")
        except (EOFError, OSError):  # end of input, or no readable stdin: everything so far is saved
            console.print(f"\nsaved. Resume with `{resume_command}`")
            return False
        try:
            replies = _handle(iv, line, reviewer)
        except InputError as exc:
            console.print(f"[red]{exc}[/red]")
            continue
        _show(replies)
    return True


def _handle(iv: object, line: str, reviewer: str) -> list[Turn]:
    from assistant.interview import Interview

    assert isinstance(iv, Interview)
    key = line.strip().lower()
    if key.startswith("doc ") and line.strip()[4:].strip():
        return add_with_progress(iv, read_with_progress(Path(line.strip()[4:].strip().strip("'\""))))
    if iv.pending is not None and iv.pending.kind == "review":
        if key == "a":
            return iv.review("accept", reviewer=reviewer)
        if key == "r":
            return iv.review("reject", reviewer=reviewer)
        if key == "l":
            return iv.review("defer", reviewer=reviewer)
        if key == "w":
            return iv.say("why")
        if key == "n":
            reason = console.input("why does it not apply? ")
            return iv.review("not_applicable", reason=reason, reviewer=reviewer)
        if key == "m":
            level_text = console.input("level (0-4)? ").strip()
            if level_text not in ("0", "1", "2", "3", "4"):
                raise InputError("the level must be a number from 0 to 4")
            scope = console.input("scope (general/industry/system, Enter to keep)? ").strip().lower() or None
            reason = console.input("reason? ")
            return iv.review("modify", level=int(level_text), scope=scope, reason=reason, reviewer=reviewer)
    return iv.say(line)


NOTHING_DONE = (
    "the stakeholder knows of nothing done for this practice, so it is recorded as level 0 (not done) "
    "until someone shows otherwise"
)
"""The demo reviewer's reason for level 0 where the scripted stakeholder could say nothing about a practice."""


def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the assessment and reports.")] = Path("smm-demo-output"),
    scenario: Annotated[str, typer.Option("--scenario", help="Scenario ID from eval/scenarios/dev or test.")] = "bottling-line",
    quiet: Annotated[bool, typer.Option("--quiet", help="Do not print the conversation.")] = False,
) -> None:
    """A scripted stakeholder (the bottling-line example) is interviewed; every practice is decided; a report is written.

    Every proposal with a level is accepted as is. A proposal that lacks evidence gets the stakeholder's answer
    to its follow-up question while the scenario has facts left for that practice; when the stakeholder knows
    of nothing more, the demo's reviewer records level 0 and says why, as an assessor would. So the demo ends
    with every practice decided, and the report shows which ratings the reviewer set.
    """
    from assistant.assessment import save_assessment
    from assistant.evaluation.scenario import find_scenario, load_scenario, scenario_root
    from assistant.evaluation.simulator import NOTHING, SimulatedStakeholder
    from assistant.interview import Interview
    from assistant.report import write_report
    from assistant.scoring import score
    from assistant.session_export import session_assessment

    sv = _services("guided")
    path = find_scenario(scenario)
    if path is None:
        raise InputError(f"no scenario {scenario!r} in {scenario_root()}/dev or /test")
    sc = load_scenario(path, sv.catalog)
    sim = SimulatedStakeholder(sc, sv.index.embeddings)
    iv = Interview.start(
        sv.catalog,
        sv.index,
        sv.engine,
        sv.store,
        system_name=sc.title,
        profile=sc.profile,
        industry=sc.industry,
        ask_objectives=False,
        reviewer="demo",
    )
    console.print(
        Panel(
            f"Demo: {sc.title}. A scripted stakeholder answers; every proposal is accepted as is, and where the "
            "stakeholder knows of nothing for a practice the reviewer records level 0.",
            border_style="green",
        )
    )

    def show(replies: list[Turn]) -> None:
        if not quiet:
            _show(replies)

    def say(text: str) -> None:
        if not quiet:
            console.print(f"[bold green]stakeholder>[/bold green] {text}")
        show(iv.say(text))

    def nothing_done(pid: str) -> None:
        if not quiet:
            console.print(f"[bold green]reviewer>[/bold green] modify 0 because {NOTHING_DONE}")
        show(iv.review("modify", practice=pid, level=0, scope="general", reason=NOTHING_DONE, reviewer="demo"))

    show(iv.transcript)
    say(sim.opening)
    # Each round either decides a practice or tells one more fact, so the loop ends; the bound is a safety net.
    rounds = 0
    limit = 20 * len(sv.catalog.practices)
    while not iv.finished and rounds < limit:
        rounds += 1
        q = iv.pending
        if q is None:
            break
        if q.kind == "review":
            pid = q.practice or ""
            p = iv.state.practices[pid].proposal
            if p is not None and not p.insufficient:
                show(iv.review("accept", reviewer="demo"))
                continue
            answer = sim.answer(pid, (p.follow_up if p is not None else None) or q.text)
            if answer != NOTHING:
                say(answer)  # more evidence: the practice is proposed again
            else:
                nothing_done(pid)
        elif q.kind == "practice":
            say(sim.answer(q.practice, q.text) if q.practice in sc.practices else NOTHING)
        else:
            say("skip")
    # Practices skipped along the way (none with this script) are decided the same way, so none stays open.
    for pid in iv.state.order:
        if pid not in iv.state.assessment.current:
            nothing_done(pid)
    a = session_assessment(iv)
    out.mkdir(parents=True, exist_ok=True)
    save_assessment(a, out / "assessment.json")
    rep = score(a, sv.catalog)
    for fmt in ("html", "md"):
        write_report(rep, fmt, out / f"report.{fmt}", a, sv.catalog)
    _score_table(a)
    console.print(f"wrote {out / 'assessment.json'}, {out / 'report.html'} and {out / 'report.md'} (session {iv.session_id})")


def sessions() -> None:
    """List saved interview sessions, most recent first."""
    from assistant.store import SessionStore

    rows = SessionStore.from_settings(settings()).sessions()
    if not rows:
        console.print("no sessions yet; start one with `smm interview`")
        return
    table = Table()
    for col in ("id", "system", "phase", "turns", "updated (UTC)"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.id, r.system_name, r.phase, str(r.turns), r.updated_at[:19])
    console.print(table)


def export(
    session: Annotated[str, typer.Argument(help="Session ID or unique prefix.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the assessment JSON.")],
) -> None:
    """Export a session's assessment (confirmed ratings, targets, proposals awaiting review, history) as JSON."""
    from assistant.assessment import save_assessment
    from assistant.interview import Interview
    from assistant.session_export import session_assessment

    sv = _services()
    iv = Interview.resume(session, sv.catalog, sv.index, sv.engine, sv.store)
    save_assessment(session_assessment(iv), output)
    console.print(f"wrote {output}")


def register(app: typer.Typer) -> None:
    """Add the interview commands to the root app."""
    app.command("interview")(interview)
    app.command("demo")(demo)
    app.command("sessions")(sessions)
    app.command("export")(export)
