"""``smm team ...`` (several participants, one assessment, the lead's review and sign-off) and ``smm audit``."""

from __future__ import annotations

import getpass
import os
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

from assistant.assessment import Assessment, load_assessment, save_assessment
from assistant.commands._common import catalog, console
from assistant.errors import InputError

team_app = typer.Typer(
    name="team",
    help="Assess one system with several people: each is interviewed on what they know; the lead settles and signs off.",
    no_args_is_help=True,
)

REF = re.compile(r"^(?P<team>[A-Za-z0-9_-]+)@(?P<version>\d+|draft)$")


def me() -> str:
    """Who runs the command: ``SMM_USER``, else the login name (lowercased, as short names are)."""
    raw = os.environ.get("SMM_USER") or ""
    if not raw:
        try:
            raw = getpass.getuser()
        except (KeyError, OSError):  # a container user with no passwd entry and no LOGNAME
            raw = ""
    return re.sub(r"[^a-z0-9-]+", "-", raw.strip().lower()).strip("-")[:32] or "assessor"


As = Annotated[
    str | None, typer.Option("--as", help="Your short name, recorded with the action (default: SMM_USER or your login).")
]


def _services() -> Any:
    from assistant.commands.interview import _services as build

    return build()


def _team(team_id: str) -> Any:
    from assistant.team.service import open_team

    return open_team(_services(), team_id)


def load_source(ref: str) -> tuple[Assessment, str]:
    """An assessment from a JSON file or a team reference (``TEAM@3`` a signed version, ``TEAM@draft`` the draft)."""
    path = Path(ref)
    m = REF.match(ref)
    if m is not None and not path.exists():
        team = _team(m["team"])
        if m["version"] == "draft":
            return team.assessment(), f"{team.id} (draft)"
        return team.version(int(m["version"])), f"{team.id} version {m['version']}"
    return load_assessment(path, catalog()), path.name


@team_app.command("create")
def create(
    system: Annotated[str, typer.Argument(help="Name of the system to assess.")],
    lead: Annotated[
        str | None, typer.Option("--lead", help="Short name of the lead who settles and signs off (default: you).")
    ] = None,
    industry: Annotated[str | None, typer.Option("--industry", help="Industry sector.")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="A catalog profile, if one fits.")] = None,
) -> None:
    """Create a team assessment."""
    from assistant.team.service import new_team

    team = new_team(_services(), system_name=system, lead=lead or me(), industry=industry, profile=profile)
    console.print(f"team assessment {team.id} for {escape(team.state.system_name)}, led by {team.state.lead}")
    console.print(f"next: add people with `smm team add {team.id} NAME --role ROLE` (roles: `smm team roles`)")


@team_app.command("list")
def list_cmd() -> None:
    """List team assessments."""
    from assistant.commands._common import settings
    from assistant.store import SessionStore
    from assistant.store.teams import TeamStore

    rows = TeamStore(SessionStore.from_settings(settings())).teams()
    if not rows:
        console.print("no team assessments yet; start one with `smm team create SYSTEM --lead NAME`")
        return
    table = Table()
    for col in ("id", "system", "lead", "participants", "signed", "updated (UTC)"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.id, escape(r.system_name), r.lead, str(r.participants), str(r.signed or "—"), r.updated_at[:19])
    console.print(table)


@team_app.command("roles")
def roles() -> None:
    """List the roles and the practices each is suggested."""
    from assistant.team.roles import load_roles

    cat = catalog()
    table = Table()
    for col in ("role", "who", "practices"):
        table.add_column(col)
    for r in load_roles(cat).roles:
        table.add_row(r.id + (" (objectives)" if r.owns_objectives else ""), escape(r.description), ", ".join(r.practices))
    console.print(table)


@team_app.command("add")
def add(
    team_id: Annotated[str, typer.Argument(help="Team assessment ID or unique prefix.", metavar="TEAM")],
    name: Annotated[str, typer.Argument(help="The participant's short name (lowercase, e.g. ana).")],
    role: Annotated[str, typer.Option("--role", help="Their role (see `smm team roles`).")],
    practices: Annotated[
        str | None, typer.Option("--practices", help="Practices to ask them about, comma-separated (default: the role's).")
    ] = None,
    display: Annotated[str | None, typer.Option("--display", help="Their full name, for reports.")] = None,
    objectives: Annotated[
        bool | None, typer.Option("--objectives/--no-objectives", help="Whether they answer the business objectives.")
    ] = None,
    actor: As = None,
) -> None:
    """Add a participant; their practices are suggested from the role unless given."""
    team = _team(team_id)
    ids = [p.strip().upper() for p in practices.split(",") if p.strip()] if practices else None
    p = team.add_participant(name, role, actor=actor or me(), practices=ids, display=display, owns_objectives=objectives)
    owns = " They also answer the business objectives and targets." if p.owns_objectives else ""
    console.print(f"added {p.name} ({p.role}): asked about {', '.join(p.practices)}.{owns}")
    console.print(f"interview them with `smm team interview {team.id} {p.name}`")


@team_app.command("assign")
def assign(
    team_id: Annotated[str, typer.Argument(metavar="TEAM", help="Team assessment ID or unique prefix.")],
    name: Annotated[str, typer.Argument(help="The participant's short name.")],
    practices: Annotated[str, typer.Argument(help="Practices, comma-separated (e.g. E1.2,H1.2).")],
    actor: As = None,
) -> None:
    """Change the practices a participant is asked about (before their interview starts)."""
    team = _team(team_id)
    p = team.assign(name, [x.strip().upper() for x in practices.split(",") if x.strip()], actor=actor or me())
    console.print(f"{p.name} is asked about {', '.join(p.practices)}")


@team_app.command("interview")
def interview(
    team_id: Annotated[str, typer.Argument(metavar="TEAM", help="Team assessment ID or unique prefix.")],
    name: Annotated[str, typer.Argument(help="The participant being interviewed.")],
) -> None:
    """Interview one participant about their practices (started the first time, resumed afterwards)."""
    from assistant.commands.interview import _show, converse

    team = _team(team_id)
    resuming = team.state.participant(name).session_id is not None
    iv = team.interview(name)
    console.print(
        f"{'resumed' if resuming else 'started'} {name}'s interview (session {iv.session_id}); saved after every answer"
    )
    _show(iv.transcript[-3:] if resuming else iv.transcript)
    if resuming and iv.finished and iv.undecided():
        _show(iv.say("continue"))
    if converse(iv, name, f"smm team interview {team.id} {name}"):
        console.print(f"{name}'s interview is done. The lead reviews the merged evidence with `smm team review {team.id}`")


@team_app.command("status")
def status(team_id: Annotated[str, typer.Argument(metavar="TEAM", help="Team assessment ID or unique prefix.")]) -> None:
    """Who is asked about what, and where each practice stands across the team."""
    from assistant.team.render import STATUS_WORDS

    team = _team(team_id)
    s = team.state
    console.print(f"[bold]{escape(s.system_name)}[/bold] ({s.id}), lead {s.lead}; " + _signed_text(s))
    for p in s.participants:
        started = f"session {p.session_id}" if p.session_id else "not interviewed yet"
        console.print(f"- {p.name} ({p.role}{', objectives' if p.owns_objectives else ''}): {', '.join(p.practices)}; {started}")
    merged = team.merge()
    table = Table()
    for col in ("practice", "asked", "merged proposal", "status"):
        table.add_column(col)
    for m in merged.practices.values():
        prop = m.proposal
        text = "—" if prop is None else ("insufficient" if prop.insufficient else prop.as_rating().label())
        status_text = STATUS_WORDS[m.status] + (
            f": {m.settlement.value.label()}" if m.settlement and m.status == "settled" else ""
        )
        table.add_row(m.practice, ", ".join(m.assigned), text, status_text)
    console.print(table)
    if merged.unassigned:
        console.print(f"nobody is asked about {', '.join(merged.unassigned)} (assign them, or leave them out of this assessment)")


def _signed_text(s: Any) -> str:
    if not s.signed:
        return "not signed yet"
    return f"version {s.signed} signed" + ("; changed since (the draft of the next version)" if s.changed_since_signed else "")


@team_app.command("review")
def review(
    team_id: Annotated[str, typer.Argument(metavar="TEAM", help="Team assessment ID or unique prefix.")],
    practice: Annotated[str | None, typer.Argument(help="One practice; default: every practice not settled.")] = None,
) -> None:
    """Show the merged proposals with who said what and where participants disagree."""
    from assistant.team.render import merged_markdown

    team = _team(team_id)
    merged = team.merge()
    items = (
        [merged.practices[practice.upper()]]
        if practice and practice.upper() in merged.practices
        else [m for m in merged.practices.values() if m.status != "settled"]
    )
    if practice and practice.upper() not in merged.practices:
        raise InputError(f"{practice!r} is not a practice anyone in {team.id} is asked about")
    for m in items:
        console.print(Markdown(merged_markdown(m, team.catalog)))
        console.print()
    if not items:
        console.print(f"every practice is settled; sign off with `smm team signoff {team.id} --as {team.state.lead}`")
    else:
        console.print(f"decide with `smm team settle {team.id} PRACTICE accept|modify|na [--level N] --reason ...`")


@team_app.command("settle")
def settle(
    team_id: Annotated[str, typer.Argument(metavar="TEAM", help="Team assessment ID or unique prefix.")],
    practice: Annotated[str, typer.Argument(help="Practice ID.")],
    decision: Annotated[str, typer.Argument(help="accept, modify or na (not applicable).")],
    level: Annotated[int | None, typer.Option("--level", min=0, max=4, help="The level, for modify.")] = None,
    scope: Annotated[
        str | None, typer.Option("--scope", help="general, industry or system (modify; default: the proposal's).")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (needed to modify, for n/a, and where participants disagree).")
    ] = None,
    actor: As = None,
) -> None:
    """Decide a practice for the team."""
    team = _team(team_id)
    chosen = {"na": "not_applicable", "n/a": "not_applicable"}.get(decision.lower(), decision.lower())
    s = team.settle(practice, chosen, level=level, scope=scope, reason=reason, reviewer=actor or me())
    console.print(f"{s.practice}: {s.decision} {s.value.label()} by {s.reviewer}")


@team_app.command("signoff")
def signoff(
    team_id: Annotated[str, typer.Argument(metavar="TEAM", help="Team assessment ID or unique prefix.")],
    note: Annotated[str, typer.Option("--note", help="What you sign for (kept with the version).")] = "",
    actor: As = None,
) -> None:
    """Sign off the assessment as the lead: it is frozen as the next numbered version."""
    team = _team(team_id)
    info = team.sign_off(actor or me(), note)
    undecided = [m.practice for m in team.undecided()]
    console.print(f"signed version {info.version} of {team.id} ({info.rated} practice(s) rated; SHA-256 {info.sha256[:16]}...)")
    if undecided:
        console.print(f"not yet decided in this version: {', '.join(undecided)}")
    console.print(f"export it with `smm team export {team.id} --version {info.version} -o assessment.json`")


@team_app.command("versions")
def versions(team_id: Annotated[str, typer.Argument(metavar="TEAM", help="Team assessment ID or unique prefix.")]) -> None:
    """List the signed versions."""
    team = _team(team_id)
    rows = team.versions()
    if not rows:
        console.print(f"no signed version yet; the lead signs with `smm team signoff {team.id}`")
        return
    table = Table()
    for col in ("version", "signed by", "signed at (UTC)", "rated", "note"):
        table.add_column(col)
    for v in rows:
        table.add_row(str(v.version), v.signed_by, f"{v.signed_at:%Y-%m-%d %H:%M}", str(v.rated), escape(v.note))
    console.print(table)
    console.print(f"compare two with `smm compare {team.id}@1 {team.id}@2` (or `{team.id}@draft`)")


@team_app.command("export")
def export(
    team_id: Annotated[str, typer.Argument(metavar="TEAM", help="Team assessment ID or unique prefix.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the assessment JSON.")],
    version: Annotated[int | None, typer.Option("--version", help="A signed version (default: the current draft).")] = None,
) -> None:
    """Export the team's assessment (a signed version, or the draft) as JSON, for reports and comparison."""
    team = _team(team_id)
    a = team.version(version) if version is not None else team.assessment()
    save_assessment(a, output)
    what = f"version {version}" if version is not None else "the draft"
    console.print(f"wrote {what} to {output}; make a report with `smm report {output} --format html -o report.html`")


def audit_cmd(
    source: Annotated[
        str, typer.Argument(help="An assessment JSON file, TEAM@N (a signed version) or TEAM@draft.", metavar="SOURCE")
    ],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the trail as JSON here.")] = None,
) -> None:
    """The audit trail: who proposed each rating, who decided what and why, with which model and catalog."""
    from assistant.audit import audit_trail, write_audit

    assessment, label = load_source(source)
    trail = audit_trail(assessment)
    if output is not None:
        write_audit(trail, output)
        console.print(
            f"wrote the audit trail of {escape(label)} ({len(trail.events)} event(s), {len(trail.ratings)} rating(s)) to {output}"
        )
        return
    for e in trail.events:
        console.print(f"{e.at:%Y-%m-%d %H:%M} {escape(e.summary)}")


def register(app: typer.Typer) -> None:
    """Add ``smm team`` and ``smm audit`` to the root app."""
    app.add_typer(team_app)
    app.command("audit")(audit_cmd)
