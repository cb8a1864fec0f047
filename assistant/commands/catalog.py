"""``smm catalog ...`` and ``smm explain``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown
from rich.table import Table

from assistant import schemas
from assistant.catalog import load_catalog
from assistant.commands._common import catalog, console
from assistant.errors import InputError
from assistant.explain import explain_level, explain_practice, parse_level_question

group = typer.Typer(help="Validate, list, show and describe the SMM practice catalog.", no_args_is_help=True)


@group.command("validate")
def validate(
    directory: Annotated[
        Path | None, typer.Argument(help="Catalog folder (holds model.yaml); default: the shipped catalog.")
    ] = None,
) -> None:
    """Check a catalog tree and list every problem with its file and path."""
    cat = load_catalog(directory)
    n_ind = sum(1 for p in cat.practices.values() for _ in p.indicators())
    console.print(
        f"catalog OK: {len(cat.practices)} practices, {n_ind} indicators, {len(cat.profiles)} profiles, "
        f"version {cat.version}, content hash {cat.content_hash[:12]}"
    )


@group.command("list")
def list_practices() -> None:
    """List the practices, grouped by domain and subdomain."""
    cat = catalog()
    table = Table(title=f"IoT SMM practices (catalog {cat.version})", show_lines=False)
    table.add_column("ID", no_wrap=True)
    table.add_column("Practice")
    table.add_column("Subdomain")
    table.add_column("Slug", overflow="fold")  # no_wrap here squeezed the names to "Practi…" at 80 columns
    for d in cat.model.domains:
        table.add_section()
        table.add_row(f"[bold]{d.id}[/bold]", f"[bold]{d.name}[/bold]", "", "")
        for s in d.subdomains:
            for p in s.practices:
                table.add_row(p.id, p.name, s.name, p.slug)
    console.print(table)


@group.command("show")
def show(practice: Annotated[str, typer.Argument(help="Practice ID, slug or name.")]) -> None:
    """Show a practice: objective, explanation, and each level's indicators."""
    cat = catalog()
    from assistant.explain import resolve_practice

    p = resolve_practice(cat, practice)
    md = [explain_practice(cat, p.id)]
    for lv in p.levels:
        md.append(f"\n### Level {lv.level} ({cat.level_name(lv.level)})\n\n{lv.summary}\n")
        md += [f"- [{i.id}] {i.text}" for i in lv.indicators]
    md.append(f"\n**Related:** {', '.join(p.related) or 'none'}  ")
    m = p.mappings
    md.append(
        f"**Indicative mappings** (not official): NIST CSF 2.0 {', '.join(m.nist_csf_2)}; IEC 62443 {', '.join(m.iec_62443)}; ISO/IEC 27001 {', '.join(m.iso_27001)}"
    )
    console.print(Markdown("\n".join(md)))


@group.command("schema")
def schema(
    kind: Annotated[
        str, typer.Argument(help="Which schema to print: model, practice, profile, assessment or scenario.")
    ] = "practice",
    write: Annotated[bool, typer.Option("--write", help="Regenerate every committed schema file instead of printing.")] = False,
) -> None:
    """Print a JSON Schema generated from the models, or regenerate the committed files."""
    builders = schemas.schema_builders()
    if write:
        for path in schemas.write_all():
            console.print(f"wrote {path}")
        return
    if kind not in builders:
        raise InputError(f"unknown schema {kind!r}; choose one of {', '.join(builders)}")
    typer.echo(json.dumps(builders[kind][1](), indent=2, sort_keys=True))


def explain(
    query: Annotated[
        list[str],
        typer.Argument(help="A practice (ID, slug or name), or a question such as 'what does level 3 of patching require'."),
    ],
    level: Annotated[int | None, typer.Option("--level", "-l", min=1, max=4, help="The level to explain (1-4).")] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print raw Markdown.")] = False,
) -> None:
    """Explain in plain words what a level of a practice requires, with the catalog indicators cited."""
    cat = catalog()
    text = " ".join(query)
    name, asked = parse_level_question(text)
    lvl = level if level is not None else asked
    body = explain_practice(cat, name or text) if lvl is None else explain_level(cat, name or text, lvl).to_markdown()
    if markdown:
        typer.echo(body)
    else:
        console.print(Markdown(body))


def register(app: typer.Typer) -> None:
    """Add the catalog commands to the root app."""
    app.add_typer(group, name="catalog")
    app.command("explain")(explain)
