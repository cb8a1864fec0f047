"""Team assessments (issue 16): participants, merged evidence, disagreements, the lead's review, sign-off and versions.

The flow runs for real on both backends (a SQLite file and a fresh database on the test PostgreSQL server): the
guided engine reads each participant's answers, the merge pools them and finds where two people contradict each
other, the lead settles, signs, and a signed version stays frozen (and is refused if altered in the database).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from assistant.assessment import load_assessment
from assistant.audit import audit_trail, write_audit
from assistant.errors import InputError
from assistant.evidence import IndicatorEvidence, Reading
from assistant.interview import Interview
from assistant.services import Services
from assistant.store import SessionStore
from assistant.store.teams import TeamStore
from assistant.team.merge import LEVEL_GAP, find_conflicts
from assistant.team.roles import load_roles
from assistant.team.service import Team, new_team, open_team
from tests.helpers.support import run_cli

YES_E12 = "All remote access by our support staff and the machine builder goes through our one VPN, and we grant it when needed."
NO_E12 = "The machine builder has his own always-on modem in the cabinet and connects whenever he likes, without going through our VPN."
YES_H12 = "We install vendor patches on the HMIs every quarter after testing them on a spare."
ALSO_H12 = "The patches for the HMIs come from the vendor's portal and I keep the downloads in a folder."


@pytest.fixture(params=["sqlite", "postgresql"])
def team_services(request: pytest.FixtureRequest, services: Services, tmp_path: Path) -> Iterator[Services]:
    """The test services on a SQLite file or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db' / 'sessions.sqlite3'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    store = SessionStore.from_url(url)
    yield Services(
        settings=services.settings, catalog=services.catalog, index=services.index, engine=services.engine, store=store
    )
    store.close()


def drive(iv: Interview, answers: dict[str, list[str]]) -> None:
    """Answer an interview: the scripted answers per practice, "not that I know of" otherwise; accept each proposal."""
    left = {pid: list(a) for pid, a in answers.items()}
    for _ in range(60):
        q = iv.pending
        if q is None or iv.finished:
            return
        if q.kind == "review":
            pp = iv.state.practices[q.practice or ""]
            iv.say("skip" if pp.proposal is None or pp.proposal.insufficient else "accept")
        elif q.kind == "practice" and q.practice in left and left[q.practice]:
            iv.say(left[q.practice].pop(0))
        elif q.kind == "context":
            iv.say("We run a packing line with touch panels and a small server.")
        else:
            iv.say("not that I know of")
    raise AssertionError("the interview did not finish")


def two_people(sv: Services, *, disagree: bool = True) -> Team:
    team = new_team(sv, system_name="Packing line 3", lead="lena", industry="manufacturing")
    team.add_participant("ana", "it-cloud", actor="lena", practices=["E1.2", "H1.2"], display="Ana Ruiz")
    team.add_participant("ben", "operations", actor="lena", practices=["E1.2", "H1.2"])
    drive(team.interview("ana"), {"E1.2": [YES_E12], "H1.2": [YES_H12]})
    drive(team.interview("ben"), {"E1.2": [NO_E12 if disagree else YES_E12], "H1.2": [ALSO_H12]})
    return open_team(sv, team.id)


# ------------------------------------------------------------------------------------------- roles


def test_roles_cover_every_practice_and_one_owns_objectives(catalog: Any) -> None:
    book = load_roles(catalog)
    covered = {p for r in book.roles for p in r.practices}
    assert covered == set(catalog.practices)
    assert [r.id for r in book.roles if r.owns_objectives] == ["management"]
    assert book.guess("Head of firmware").id == "engineering"  # type: ignore[union-attr]
    assert book.guess("Plant manager").id == "management"  # type: ignore[union-attr]
    assert book.guess("astronaut") is None
    with pytest.raises(InputError, match="unknown role 'pilot'; roles: management"):
        book.get("pilot")


# ----------------------------------------------------------------------------- disagreement rules


def reading(ref: str, quote: str, polarity: str, states: list[tuple[str, str, float]], supports: int | None = None) -> Reading:
    return Reading(
        turn_id=ref,
        quote=quote,
        practice="E1.2",
        source="answer",
        polarity=polarity,  # type: ignore[arg-type]
        supports=supports,
        refutes=None if supports is not None else 1,
        evidence=[IndicatorEvidence(indicator=i, level=int(i.split("-L")[1][0]), state=s, score=x) for i, s, x in states],  # type: ignore[arg-type]
    )


def test_conflict_on_an_indicator_one_meets_and_the_other_denies() -> None:
    yes = reading("ana/t3", "Remote access goes through our VPN.", "yes", [("E1.2-L2-03", "supports", 0.9)], supports=2)
    no = reading("ben/t4", "The vendor logs in with TeamViewer whenever he likes.", "no", [("E1.2-L2-03", "contradicts", 0.8)])
    found = find_conflicts("E1.2", {"ana": [yes], "ben": [no]})
    assert [(c.kind, c.indicator, c.first, c.second) for c in found] == [("indicator", "E1.2-L2-03", "ana", "ben")]
    assert found[0].first_quote == yes.quote and found[0].second_turn == "ben/t4"


def test_agreeing_and_complementary_accounts_are_no_conflict() -> None:
    a = reading("ana/t3", "Remote access goes through our VPN.", "yes", [("E1.2-L2-03", "supports", 0.9)], supports=2)
    b = reading("ben/t4", "Operators and admins have separate roles.", "yes", [("E1.2-L2-01", "supports", 0.9)], supports=2)
    gap = reading("ben/t5", "Nobody reviews who has which rights.", "no", [("E1.2-L2-05", "contradicts", 0.9)])
    assert find_conflicts("E1.2", {"ana": [a], "ben": [b, gap]}) == []


def test_conflict_on_the_level_when_own_words_are_far_apart() -> None:
    hi = reading(
        "ana/t3", "A written standard defines roles for every product.", "yes", [("E1.2-L3-01", "supports", 0.95)], supports=3
    )
    lo = reading("ben/t4", "Nothing here needs a login.", "no", [("E1.2-L1-01", "contradicts", 0.95)])
    found = find_conflicts("E1.2", {"ana": [hi], "ben": [lo]})
    assert [(c.kind, c.first, c.first_level, c.second, c.second_level) for c in found] == [
        ("level", "ana", 2, "ben", 0)
    ]  # one level-3 indicator shows 2 (rule)
    assert LEVEL_GAP == 2


# ------------------------------------------------------------------------------------ whole flow


def test_team_flow_merge_settle_sign_versions(team_services: Services, tmp_path: Path) -> None:
    sv = team_services
    team = two_people(sv)
    # A participant's interview ends by pointing to the lead's review, not to a one-person report.
    done = [t for t in team.interview("ana").transcript if t.kind == "done"]
    assert done and f"smm team review {team.id}" in done[-1].text
    merged = team.merge()
    e12, h12 = merged.practices["E1.2"], merged.practices["H1.2"]
    # The contradiction is surfaced with both people's words; the complementary accounts of patching are not.
    assert e12.status == "conflict"
    assert {(c.first, c.second) for c in e12.conflicts} == {("ana", "ben")}
    c = e12.conflicts[0]
    assert c.first_quote in YES_E12 and c.second_quote in NO_E12
    assert e12.proposal is not None and "Participants disagree" in e12.proposal.notes[0]
    assert {q.speaker for q in e12.proposal.quotes} <= {"ana", "ben"}
    assert not e12.problems and not h12.problems
    assert h12.status == "to-review" and not h12.conflicts
    assert [v.name for v in e12.views] == ["ana", "ben"]
    assert set(merged.unassigned) == set(sv.catalog.practices) - {"E1.2", "H1.2"}

    # Settling a disagreement needs a reason; only the lead signs, and not while a disagreement is open.
    with pytest.raises(InputError, match="participants disagree"):
        team.settle("E1.2", "accept", reviewer="lena")
    team.settle("H1.2", "accept", reviewer="ana")
    with pytest.raises(InputError, match=r"settle E1\.2 first"):
        team.sign_off("lena")
    team.settle("E1.2", "modify", level=0, reason="the modem in the cabinet is what happens on the line", reviewer="lena")
    with pytest.raises(InputError, match=r"only the lead \(lena\) signs off"):
        team.sign_off("ana")
    v1 = team.sign_off("lena", "first review")
    assert (v1.version, v1.signed_by, v1.rated) == (1, "lena", 2)
    with pytest.raises(InputError, match="nothing changed since version 1"):
        team.sign_off("lena")

    frozen = team.version(1)
    assert frozen.metadata.signoff is not None and frozen.metadata.signoff.version == 1
    assert frozen.metadata.lead == "lena"
    assert [p.name for p in frozen.metadata.participants or []] == ["ana", "ben"]
    e12_rating = frozen.current["E1.2"]
    assert e12_rating.value.level == 0 and e12_rating.provenance.reviewer == "lena"
    assert e12_rating.provenance.decision == "modify" and e12_rating.provenance.proposed is not None
    assert frozen.current["H1.2"].provenance.reviewer == "ana"
    kinds = [e.kind for e in frozen.events]
    assert "assessment.signed" in kinds and "participant.added" in kinds and "interview.started" in kinds

    # A later change starts version 2; version 1 stays as signed.
    team.settle("H1.2", "modify", level=2, reason="the patch log was shown", reviewer="lena")
    assert team.state.changed_since_signed
    team.sign_off("lena", "second")
    assert [v.version for v in team.versions()] == [1, 2]
    assert team.version(1).current["H1.2"].value.label() == frozen.current["H1.2"].value.label()
    assert team.version(2).current["H1.2"].value.level == 2

    # New evidence after a decision (here a third person's) reopens the practice and blocks sign-off until settled.
    team.add_participant("cal", "engineering", actor="lena", practices=["H1.2"])
    drive(team.interview("cal"), {"H1.2": ["We check the vendor's portal every Monday for new HMI patches."]})
    team = open_team(sv, team.id)
    assert team.merge().practices["H1.2"].status == "reopened"
    with pytest.raises(InputError, match=r"settle H1\.2 first"):
        team.sign_off("lena")

    # Signed versions are tamper-evident.
    with sv.store.write() as db:
        db.execute(text("UPDATE team_versions SET assessment = replace(assessment, 'second', 'Second') WHERE version = 2"))
    with pytest.raises(InputError, match="does not match its recorded SHA-256"):
        team.version(2)

    # The audit trail exports every decision with who, what and why.
    trail = audit_trail(team.version(1))
    path = write_audit(trail, tmp_path / "audit.json")
    data = json.loads(path.read_text())
    settled = [e for e in data["events"] if e["action"] == "practice.settled"]
    assert any(e["actor"] == "lena" and "modem in the cabinet" in e["summary"] for e in settled)
    assert {r["practice"]: r["reviewer"] for r in data["ratings"]} == {"E1.2": "lena", "H1.2": "ana"}
    assert next(r for r in data["ratings"] if r["practice"] == "E1.2")["changed_by_reviewer"] is True


def test_participants_and_assignments_are_checked(services: Services) -> None:
    team = new_team(services, system_name="Lockers", lead="lena")
    p = team.add_participant("mia", "management", actor="lena")
    assert p.owns_objectives and p.practices == ["G1.1", "G1.2", "G2.2", "G3.2"]
    q = team.add_participant("max", "management", actor="lena")
    assert not q.owns_objectives  # one participant owns the objectives
    with pytest.raises(InputError, match="already answers the business objectives"):
        team.add_participant("moe", "engineering", actor="lena", owns_objectives=True)
    with pytest.raises(InputError, match="already takes part"):
        team.add_participant("mia", "engineering", actor="lena")
    with pytest.raises(InputError, match="not a usable short name"):
        team.add_participant("Ana Ruiz", "engineering", actor="lena")
    with pytest.raises(InputError, match="unknown practice"):
        team.add_participant("zoe", "engineering", actor="lena", practices=["X9.9"])
    with pytest.raises(InputError, match="no participant 'nobody'"):
        team.assign("nobody", ["H1.2"], actor="lena")
    assert team.assign("max", ["H1.2", "E1.2"], actor="lena").practices == ["E1.2", "H1.2"]
    # The objectives owner's interview asks the objectives; others go straight to their practices.
    iv = team.interview("max")
    assert iv.state.order == ["E1.2", "H1.2"] and not iv.state.ask_objectives and iv.state.reviewer == "max"
    assert team.interview("mia").state.ask_objectives
    with pytest.raises(InputError, match="interview has started"):
        team.assign("max", ["G1.1"], actor="lena")
    with pytest.raises(InputError, match="nothing is decided yet"):
        team.sign_off("lena")


def test_concurrent_settlements_are_all_kept(services: Services) -> None:
    team = two_people(services, disagree=False)
    errors: list[BaseException] = []

    def settle(pid: str, who: str) -> None:
        try:
            open_team(services, team.id).settle(pid, "modify", level=1, reason=f"{who} checked", reviewer=who)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=settle, args=(pid, who)) for pid, who in (("E1.2", "lena"), ("H1.2", "ana"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    saved = TeamStore(services.store).load(team.id)
    assert {pid: s.reviewer for pid, s in saved.settlements.items()} == {"E1.2": "lena", "H1.2": "ana"}


def test_cli_team_commands(
    services: Services, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMM_USER", "lena")
    team = two_people(services)
    r = run_cli(["team", "status", team.id], capsys)
    assert r.code == 0 and "participants disagree" in r.out and "ana, ben" in r.out
    r = run_cli(["team", "review", team.id, "E1.2"], capsys)
    assert r.code == 0 and "Disagreement" in r.out and "modem" in r.out
    r = run_cli(["team", "settle", team.id, "E1.2", "accept"], capsys)
    assert r.code == 2 and "settle it with a reason" in r.err
    assert (
        run_cli(
            ["team", "settle", team.id, "E1.2", "modify", "--level", "0", "--reason", "ben sees the modem every day"], capsys
        ).code
        == 0
    )
    assert run_cli(["team", "settle", team.id, "H1.2", "accept", "--as", "ana"], capsys).code == 0
    r = run_cli(["team", "signoff", team.id, "--as", "ana"], capsys)
    assert r.code == 2 and "only the lead" in r.err
    assert run_cli(["team", "signoff", team.id, "--note", "v1"], capsys).code == 0
    assert run_cli(["team", "settle", team.id, "H1.2", "modify", "--level", "2", "--reason", "log shown"], capsys).code == 0
    r = run_cli(["compare", f"{team.id}@1", f"{team.id}@draft"], capsys)
    assert r.code == 0 and "H1.2" in r.out and "1 practice(s) changed" in r.out
    out = tmp_path / "v1.json"
    assert run_cli(["team", "export", team.id, "--version", "1", "-o", str(out)], capsys).code == 0
    assert load_assessment(out, services.catalog).metadata.signoff is not None
    r = run_cli(["audit", str(out), "-o", str(tmp_path / "audit.json")], capsys)
    assert r.code == 0 and json.loads((tmp_path / "audit.json").read_text())["lead"] == "lena"
    r = run_cli(["compare", f"{team.id}@7", str(out)], capsys)
    assert r.code == 2 and "has no version 7; versions: 1" in r.err


# ------------------------------------------------------------------------------------ evaluation


def test_team_scenario_runs_and_scores(services: Services) -> None:
    from assistant.evaluation.team import load_team_scenario, results_markdown, run_team_scenario

    scenario = load_team_scenario(Path(__file__).parent / "data" / "teams" / "mini-team.yaml", services.catalog)
    result, merged = run_team_scenario(services, scenario)
    assert result.contradictions_gold == 1 and result.contradictions_found == 1
    assert result.false_alarms == []
    assert set(merged.practices) == {"E1.2", "H1.2", "E2.2"}
    assert result.turns >= 4
    e12 = next(p for p in result.practices if p.practice == "E1.2")
    assert e12.speakers == ["ana", "ben"] and e12.conflicts == ["ana>ben"] and e12.gold_conflict == ["ana", "ben"]
    text = results_markdown([result], "dev")
    assert "| mini-team | stepwise |" in text and "1 of 1" in text


def test_team_scenario_errors_name_the_problem(services: Services, tmp_path: Path) -> None:
    from assistant.evaluation.team import load_team_scenario

    src = (Path(__file__).parent / "data" / "teams" / "mini-team.yaml").read_text()
    bad = tmp_path / "mini-team.yaml"
    bad.write_text(src.replace("between: [ana, ben]", "between: [ana, zed]"))
    with pytest.raises(InputError, match="names zed, who is not a participant"):
        load_team_scenario(bad, services.catalog)
    bad.write_text(src.replace("  E2.2:\n    expected", "  E9.9:\n    expected"))
    with pytest.raises(InputError, match=r"E9\.9 is not in the catalog"):
        load_team_scenario(bad, services.catalog)
