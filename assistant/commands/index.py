"""``smm index ...``, ``smm search`` and ``smm eval retrieval``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.commands._common import catalog, console, settings
from assistant.index import KINDS, CatalogIndex

index_group = typer.Typer(help="Build and inspect the semantic index of the catalog (Chroma).", no_args_is_help=True)


def open_index() -> CatalogIndex:
    """The configured index for the configured catalog."""
    return CatalogIndex.open(catalog(), settings())


@index_group.command("build")
def build(force: Annotated[bool, typer.Option("--force", help="Rebuild even when the index is current.")] = False) -> None:
    """Build the index (only when the catalog or embedding model changed, unless --force)."""
    index = open_index()
    with Progress(
        TextColumn("embedding catalog"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("build", total=len(index.documents))

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = index.build(force=force, progress=progress)
    what = "rebuilt" if result.rebuilt else "already current"
    console.print(f"index {what}: {result.documents} documents in {result.seconds:.2f} s at {index.location}")


@index_group.command("status")
def status() -> None:
    """Show where the index is and whether it matches the catalog and embedding model."""
    st = open_index().status()
    table = Table(show_header=False)
    for key, value in st.model_dump().items():
        table.add_row(key.replace("_", " "), str(value))
    console.print(table)
    if not st.up_to_date:
        console.print("the index is missing or stale; it is rebuilt on first use, or now with `smm index build`")


def search(
    text: Annotated[list[str], typer.Argument(help="What to look for, in any words.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many hits.")] = 5,
    practice: Annotated[str | None, typer.Option(help="Only this practice (ID).")] = None,
    level: Annotated[int | None, typer.Option(min=0, max=4, help="Only this level (0 = practice-wide text).")] = None,
    kind: Annotated[str | None, typer.Option(help=f"Only this kind: {', '.join(KINDS)}.")] = None,
) -> None:
    """Search the catalog and print cited hits."""
    from assistant.errors import InputError

    if kind is not None and kind not in KINDS:
        raise InputError(f"--kind {kind!r} is not one of {', '.join(KINDS)}")
    cat = catalog()
    if practice is not None and practice not in cat.practices:
        raise InputError(f"--practice {practice!r} is not a practice ID; see `smm catalog list`")
    hits = open_index().search(" ".join(text), k=k, practice=practice, level=level, kind=kind)
    table = Table()
    for col in ("score", "cite", "practice", "lvl", "kind", "text"):
        table.add_column(col)
    for h in hits:
        table.add_row(f"{h.score:.3f}", h.id, cat.practices[h.practice].name, str(h.level), h.kind, h.text)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the index commands to the root app."""
    app.add_typer(index_group, name="index")
    app.command("search")(search)
