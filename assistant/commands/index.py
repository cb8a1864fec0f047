"""``smm index ...``, ``smm search`` and ``smm eval retrieval``."""

from __future__ import annotations

import re
from typing import Annotated

import typer
from pydantic import BaseModel, ConfigDict
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.commands._common import catalog, console, settings
from assistant.explain import parse_level_question
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


class SearchAnswer(BaseModel):
    """The short answer ``smm search`` prints before the catalog snippets: one practice and level, with citations."""

    model_config = ConfigDict(frozen=True)

    practice: str
    """Practice ID."""
    name: str
    """Practice name."""
    level: int
    """Level 1-4."""
    level_name: str
    """Official level name."""
    summary: str
    """What an organisation at this level does for this practice (cited as ``<practice>-L<level>``)."""
    indicators: list[str]
    """Indicator IDs of that level: what must be true to reach it."""

    def text(self) -> str:
        """The answer in one paragraph, with its citations."""
        return (
            f"{self.practice} {self.name}, level {self.level} ({self.level_name}) [{self.practice}-L{self.level}]: "
            f"{self.summary} Indicators: {', '.join(self.indicators)}."
        )


def search_answer(
    index: CatalogIndex, query: str, *, practice: str | None = None, level: int | None = None
) -> SearchAnswer | None:
    """The practice and level that best answer ``query``: the practice asked about (by ID, or the closest by
    meaning), at the level asked about (a ``--level`` or "level 3" in the question), else the level whose
    catalog text is closest to the question."""
    cat = index.catalog
    asked = parse_level_question(query)[1]
    named = re.search(r"\b([GEH][1-3]\.[12])\b", query, re.I)
    pid = practice or (named.group(1).upper() if named and named.group(1).upper() in cat.practices else None)
    if pid is None:
        ranked = index.rank_practices(query)
        if not ranked:
            return None
        pid = ranked[0].practice
    lvl = level if level in (1, 2, 3, 4) else asked if asked in (1, 2, 3, 4) else None
    if lvl is None:
        hits = index.search(query, k=3, practice=pid, level=[1, 2, 3, 4])
        lvl = hits[0].level if hits else 1
    p = cat.practices[pid]
    lv = p.level(lvl)
    return SearchAnswer(
        practice=pid,
        name=p.name,
        level=lvl,
        level_name=cat.level_name(lvl),
        summary=" ".join(lv.summary.split()),
        indicators=[i.id for i in lv.indicators],
    )


def search(
    text: Annotated[list[str], typer.Argument(help="What to look for, in any words.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many hits.")] = 5,
    practice: Annotated[str | None, typer.Option(help="Only this practice (ID).")] = None,
    level: Annotated[int | None, typer.Option(min=0, max=4, help="Only this level (0 = practice-wide text).")] = None,
    kind: Annotated[str | None, typer.Option(help=f"Only this kind: {', '.join(KINDS)}.")] = None,
) -> None:
    """Answer a question from the catalog (the best-matching practice and level, cited), then list the matching text."""
    from assistant.errors import InputError

    if kind is not None and kind not in KINDS:
        raise InputError(f"--kind {kind!r} is not one of {', '.join(KINDS)}")
    cat = catalog()
    if practice is not None and practice not in cat.practices:
        raise InputError(f"--practice {practice!r} is not a practice ID; see `smm catalog list`")
    index = open_index()
    query = " ".join(text)
    answer = search_answer(index, query, practice=practice, level=level)
    if answer is not None:
        console.print(f"[bold]Answer:[/bold] {escape(answer.text())}")
        console.print()
    hits = index.search(query, k=k, practice=practice, level=level, kind=kind)
    table = Table(title="Catalog text that matches, closest first")
    for col in ("score", "cite", "practice", "lvl", "kind", "text"):
        table.add_column(col)
    for h in hits:
        table.add_row(f"{h.score:.3f}", h.id, cat.practices[h.practice].name, str(h.level), h.kind, h.text)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the index commands to the root app."""
    app.add_typer(index_group, name="index")
    app.command("search")(search)
