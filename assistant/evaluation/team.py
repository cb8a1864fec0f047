"""Team scenarios: one system, several people interviewed separately, gold for the merged assessment and the
gold list of practices where two of them contradict each other (``eval/scenarios/teams/{dev,test}/*.yaml``, beside
the one-person splits, which read only the files directly in ``dev/`` and ``test/``).

Each participant is played by the simulated stakeholder of :mod:`assistant.evaluation.simulator`, knowing only
their own facts, in their own interview (auto-accepting their own drafts as a participant would); the team's
evidence is then merged. Measured: agreement of the merged proposals with the gold, and whether the gold
disagreements are surfaced between the right two people (recall) without false alarms elsewhere.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.catalog import Catalog, Sector
from assistant.errors import InputError
from assistant.evaluation.scenario import Expected, Scenario, ScenarioPractice
from assistant.evaluation.simulator import Mode, SimulatedStakeholder
from assistant.resources import data_path
from assistant.services import Services
from assistant.store import SessionStore
from assistant.team.merge import TeamMerge
from assistant.team.model import NAME_PATTERN
from assistant.team.service import Team, new_team
from assistant.yamlio import YamlLoadError, load_yaml_file

MAX_STEPS = 400


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParticipantFacts(_Strict):
    """What one participant knows about one practice."""

    facts: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    """One plain statement per item, in their words."""


class ScenarioParticipant(_Strict):
    """One person of the team scenario."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    """Short name."""
    display: str | None = None
    """Full name."""
    role: str
    """Role ID (``catalog/roles.yaml``)."""
    practices: dict[str, ParticipantFacts]
    """The practices they speak about, with their facts."""


class GoldPractice(_Strict):
    """Gold for the merged assessment of one practice."""

    expected: Expected | None = None
    """Gold rating; exclusive with ``not_applicable``."""
    not_applicable: str | None = None
    """Gold "does not apply"."""
    note: str | None = None
    """Why."""

    @model_validator(mode="after")
    def _one(self) -> GoldPractice:
        if (self.expected is None) == (self.not_applicable is None):
            raise ValueError("give exactly one of expected or not_applicable")
        return self


class GoldContradiction(_Strict):
    """Two participants contradict each other about a practice."""

    practice: str
    """Practice ID."""
    between: Annotated[list[str], Field(min_length=2, max_length=2)]
    """The two participants."""
    note: str | None = None
    """What each says."""


class TeamScenario(_Strict):
    """A system assessed by several people."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    """Equal to the file name."""
    title: str
    """Human title."""
    industry: Sector
    """Industry sector."""
    opening: str
    """What each participant says first about the system."""
    participants: Annotated[list[ScenarioParticipant], Field(min_length=2)]
    """The people."""
    practices: dict[str, GoldPractice]
    """Gold for the merged assessment."""
    contradictions: list[GoldContradiction] = Field(default_factory=list)
    """Gold disagreements."""

    def as_single(self, p: ScenarioParticipant) -> Scenario:
        """One participant's knowledge as an ordinary scenario (their facts, the team's gold) for the simulator."""
        practices: dict[str, ScenarioPractice] = {}
        for pid, facts in p.practices.items():
            gold = self.practices[pid]
            practices[pid] = ScenarioPractice(facts=facts.facts, expected=gold.expected, not_applicable=gold.not_applicable)
        return Scenario(
            id=f"{self.id}-{p.name}", title=self.title, industry=self.industry, opening=self.opening, practices=practices
        )


def team_root() -> Path:
    """The folder holding the shipped team scenarios (``dev/`` and ``test/``)."""
    return data_path("eval") / "scenarios" / "teams"


def load_team_scenario(path: Path, catalog: Catalog) -> TeamScenario:
    """Load one team scenario, checked against the catalog."""
    try:
        s = TeamScenario.model_validate(load_yaml_file(path))
    except YamlLoadError as exc:
        raise InputError(str(exc)) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"{path}: field {'.'.join(str(x) for x in first['loc'])}: {first['msg']}") from None
    names = {p.name for p in s.participants}
    problems = [f"practice {pid} is not in the catalog" for pid in s.practices if pid not in catalog.practices]
    for p in s.participants:
        problems += [f"{p.name} speaks about {pid}, which has no gold" for pid in p.practices if pid not in s.practices]
    for c in s.contradictions:
        problems += [f"contradiction on {c.practice} names {n}, who is not a participant" for n in c.between if n not in names]
    if s.id != path.stem:
        problems.append(f"id {s.id!r} differs from the file name")
    if problems:
        raise InputError(f"{path}: {'; '.join(problems)}")
    return s


class TeamPracticeResult(BaseModel):
    """One practice of a team scenario."""

    practice: str
    """Practice ID."""
    speakers: list[str]
    """Who spoke about it."""
    gold_level: int | None
    """Gold level (None for not applicable)."""
    proposed_level: int | None
    """Merged proposal's level (None: not applicable or insufficient)."""
    status: str
    """Merge status."""
    conflicts: list[str]
    """Disagreements found, as ``first>second`` pairs."""
    gold_conflict: list[str] | None = None
    """The gold disagreement's two people, if any."""


class TeamResult(BaseModel):
    """One team scenario's outcome."""

    scenario: str
    """Scenario ID."""
    mode: str
    """Simulator mode."""
    practices: list[TeamPracticeResult]
    """Per practice."""
    exact: float
    """Share of gold-levelled practices whose merged level equals the gold."""
    within_one: float
    """Share within one level."""
    over: float
    """Share rated above the gold."""
    contradictions_found: int
    """Gold disagreements surfaced between the right two people."""
    contradictions_gold: int
    """Gold disagreements."""
    false_alarms: list[str]
    """Practices with a disagreement found where the gold has none."""
    turns: int
    """Stakeholder answers given in all interviews."""


def _drive(team: Team, p: ScenarioParticipant, scenario: TeamScenario, services: Services, mode: Mode) -> int:
    sim = SimulatedStakeholder(scenario.as_single(p), services.index.embeddings, mode)
    iv = team.interview(p.name)
    iv.say(sim.opening)
    answers = 0
    for _ in range(MAX_STEPS):
        q = iv.pending
        if q is None or iv.finished:
            return answers
        if q.kind == "review":
            pp = iv.state.practices[q.practice or ""]
            if pp.proposal is None or pp.proposal.insufficient:
                iv.say("skip")
            else:
                iv.review("accept", reviewer=p.name)
        elif q.kind == "practice":
            answers += 1
            iv.say(sim.answer(q.practice, q.text))
        else:
            iv.say("skip")
    raise InputError(f"team scenario {scenario.id}: {p.name}'s interview did not finish within {MAX_STEPS} steps")


def run_team_scenario(services: Services, scenario: TeamScenario, *, mode: Mode = "stepwise") -> tuple[TeamResult, TeamMerge]:
    """Interview every participant, merge, and score the merged proposals and the disagreements found."""
    with tempfile.TemporaryDirectory(prefix="smm-team-eval-") as tmp:
        store = SessionStore.in_data_dir(Path(tmp))
        try:
            sv = Services(
                settings=services.settings, catalog=services.catalog, index=services.index, engine=services.engine, store=store
            )
            team = new_team(sv, system_name=scenario.title, lead="eval-lead", industry=scenario.industry)
            for p in scenario.participants:
                team.add_participant(p.name, p.role, actor="eval-lead", practices=list(p.practices), display=p.display)
            turns = sum(_drive(team, p, scenario, sv, mode) for p in scenario.participants)
            merged = team.merge()
        finally:
            store.close()
    return score_team(scenario, merged, mode, turns), merged


def score_team(scenario: TeamScenario, merged: TeamMerge, mode: str, turns: int) -> TeamResult:
    """Compare a merge with the scenario's gold."""
    gold_conflicts = {c.practice: sorted(c.between) for c in scenario.contradictions}
    rows: list[TeamPracticeResult] = []
    for pid, gold in scenario.practices.items():
        m = merged.practices.get(pid)
        prop = m.proposal if m is not None else None
        rows.append(
            TeamPracticeResult(
                practice=pid,
                speakers=[p.name for p in scenario.participants if pid in p.practices],
                gold_level=gold.expected.level if gold.expected else None,
                proposed_level=prop.level if prop is not None else None,
                status=m.status if m is not None else "not assigned",
                conflicts=sorted({f"{c.first}>{c.second}" for c in (m.conflicts if m is not None else [])}),
                gold_conflict=gold_conflicts.get(pid),
            )
        )
    levelled = [r for r in rows if r.gold_level is not None]
    n = max(1, len(levelled))
    found = 0
    for pid, pair in gold_conflicts.items():
        m = merged.practices.get(pid)
        if m is not None and any(sorted([c.first, c.second]) == pair for c in m.conflicts):
            found += 1
    return TeamResult(
        scenario=scenario.id,
        mode=mode,
        practices=rows,
        exact=sum(r.proposed_level == r.gold_level for r in levelled) / n,
        within_one=sum(r.proposed_level is not None and abs(r.proposed_level - (r.gold_level or 0)) <= 1 for r in levelled) / n,
        over=sum(r.proposed_level is not None and r.proposed_level > (r.gold_level or 0) for r in levelled) / n,
        contradictions_found=found,
        contradictions_gold=len(gold_conflicts),
        false_alarms=[r.practice for r in rows if r.conflicts and r.practice not in gold_conflicts],
        turns=turns,
    )


def results_markdown(results: list[TeamResult], split: Literal["dev", "test"]) -> str:
    """A Markdown summary of team results."""
    lines = [
        f"# Team scenarios ({split})",
        "",
        "| scenario | mode | exact | within one | over-rating | disagreements surfaced | false alarms | answers |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.scenario} | {r.mode} | {r.exact:.1%} | {r.within_one:.1%} | {r.over:.1%} | "
            f"{r.contradictions_found} of {r.contradictions_gold} | {', '.join(r.false_alarms) or 'none'} | {r.turns} |"
        )
    for r in results:
        lines += [
            "",
            f"## {r.scenario}",
            "",
            "| practice | speakers | gold | merged | status | disagreements found | gold |",
            "|---|---|---:|---:|---|---|---|",
        ]
        for p in r.practices:
            gold = "n/a" if p.gold_level is None else str(p.gold_level)
            got = "—" if p.proposed_level is None else str(p.proposed_level)
            lines.append(
                f"| {p.practice} | {', '.join(p.speakers)} | {gold} | {got} | {p.status} | {', '.join(p.conflicts) or '—'} | "
                f"{' & '.join(p.gold_conflict) if p.gold_conflict else '—'} |"
            )
    return "\n".join(lines) + "\n"
