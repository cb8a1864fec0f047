"""``smm evidence add|list|remove``: documents as evidence in a saved interview session."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assistant.commands._common import console
from assistant.commands.interview import _services, _show, add_with_progress, privacy_notices, read_with_progress
from assistant.errors import InputError

evidence_group = typer.Typer(help="Documents as evidence in a saved interview session: add, list, remove.", no_args_is_help=True)


@evidence_group.command("add")
def evidence_add(
    session: Annotated[str, typer.Argument(help="Session ID or unique prefix (see `smm sessions`).")],
    files: Annotated[list[Path], typer.Argument(help="Documents: PDF, DOCX, XLSX, CSV, Markdown or text.")],
) -> None:
    """Read documents into a session: say what each told the assistant per practice."""
    from rich.panel import Panel

    from assistant.interview import Interview

    documents = [read_with_progress(f) for f in files]  # all checked before the session changes
    sv = _services()
    for text in privacy_notices(sv.settings, sv.engine.name, documents=True):
        console.print(Panel(text, title="privacy", border_style="red"))
    iv = Interview.resume(session, sv.catalog, sv.index, sv.engine, sv.store)
    seen: set[str] = set()
    for d in documents:
        iv.check_new_document(d)
        if d.id in seen:
            raise InputError(f"{d.name}: given twice (the same content as another file in this command)")
        seen.add(d.id)
    for d in documents:
        _show([t for t in add_with_progress(iv, d) if t.kind != "question"])


@evidence_group.command("list")
def evidence_list(session: Annotated[str, typer.Argument(help="Session ID or unique prefix.")]) -> None:
    """The session's documents and what each supported."""
    from assistant.interview import Interview

    sv = _services()
    iv = Interview.resume(session, sv.catalog, sv.index, sv.engine, sv.store)
    if not iv.state.documents:
        console.print(f"session {iv.session_id[:8]} has no documents; add one with `smm evidence add {iv.session_id[:8]} FILE`")
        return
    table = Table(title=f"documents of session {iv.session_id[:8]}")
    for col in ("id", "file", "kind", "size", "evidence for"):
        table.add_column(col)
    for d in iv.state.documents:
        size = f"{d.pages} pages" if d.pages else f"{d.passages} passages"
        found = ", ".join(f"{p} ({n})" for p, n in d.statements.items()) or "nothing"
        table.add_row(d.id, d.name, d.kind, size, found)
    console.print(table)


@evidence_group.command("remove")
def evidence_remove(
    session: Annotated[str, typer.Argument(help="Session ID or unique prefix.")],
    document: Annotated[
        str, typer.Argument(help="Document ID (or a unique start of it) or file name, from `smm evidence list`.")
    ],
) -> None:
    """Forget a document everywhere: its text, what was read from it, and proposals drafted with it are re-drafted."""
    from assistant.interview import Interview

    sv = _services()
    iv = Interview.resume(session, sv.catalog, sv.index, sv.engine, sv.store)
    _show([t for t in iv.remove_document(document) if t.kind != "question"])


@evidence_group.command("search")
def evidence_search(
    session: Annotated[str, typer.Argument(help="Session ID or unique prefix.")],
    query: Annotated[str, typer.Argument(help="What to look for, in plain words.")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many passages.")] = 5,
) -> None:
    """The passages of the session's documents closest to a query (from the session's Chroma collection)."""
    from assistant.interview import Interview

    sv = _services()
    iv = Interview.resume(session, sv.catalog, sv.index, sv.engine, sv.store)
    if not iv.documents:
        console.print(f"session {iv.session_id[:8]} has no documents")
        return
    for hit in iv.search_documents(query, k):
        console.print(f"[bold]{hit.document}, {hit.location}[/bold] ({hit.score:.2f})")
        console.print(" ".join(hit.text.split())[:400])


def register(app: typer.Typer) -> None:
    """Add ``smm evidence`` to the root app."""
    app.add_typer(evidence_group, name="evidence")
