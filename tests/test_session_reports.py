"""What a report says about an assessment that came from an interview session, through the CLI a user runs:
``smm export`` then ``smm report`` (issue 14: one ID, the practices chosen, defaults marked as defaults,
the roadmap ordered by the stated objectives).

The session is driven in this process through the Interview API, as ``smm interview`` does; the export and
the report are the real commands, run in-process on the same data directory.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from assistant.interview import Interview
from tests.helpers.support import copy_index, run_cli

CHOSEN = ["G2.1", "E1.1", "E1.2", "E3.2", "H1.2", "H3.2"]
DESCRIPTION = (
    "We are a 12-person startup making wall chargers for electric cars in homes. The chargers talk to our cloud "
    "and a phone app. Everyone in support shares one admin password for the console."
)
OBJECTIVES = [
    "A charger catching fire and people getting hurt, and private data of our customers leaking.",
    "Medium.",
    "The EU radio equipment rules.",
]


@pytest.fixture
def data_dir(isolated_env: Path, built_index: Any) -> Path:
    """The test's data directory (``SMM_DATA_DIR``) holding a copy of the built index, as the CLI expects."""
    return copy_index(built_index, isolated_env)


def interview_to_the_end(services: Any, data_dir: Path) -> Interview:
    """A short assessment of six chosen practices, with objectives asked and the drafted targets accepted."""
    from assistant.store import SessionStore

    store = SessionStore.in_data_dir(data_dir)
    iv = Interview.start(
        services.catalog,
        services.index,
        services.engine,
        store,
        system_name="Home EV wall charger",
        practices=CHOSEN,
        reviewer="Ana",
    )
    objectives = iter(OBJECTIVES)
    for _ in range(200):
        q = iv.pending
        if q is None or iv.finished:
            break
        if q.kind == "context":
            iv.say(DESCRIPTION)
        elif q.kind == "profile":
            iv.say("no")
        elif q.kind == "objective":
            iv.say(next(objectives, "skip"))
        elif q.kind == "targets":
            iv.say("accept targets")
        elif q.kind == "review":
            p = iv.state.practices[q.practice or ""].proposal
            if p is not None and not p.insufficient:
                iv.review("accept", reviewer="Ana")
            else:
                iv.review("modify", level=0, scope="general", reason="nothing is done for it yet", reviewer="Ana")
        elif q.kind == "practice":
            iv.say("No, nothing like that.")
        else:
            iv.say("skip")
    assert iv.finished, iv.pending
    return iv


def test_export_and_report_of_a_short_session(
    services: Any, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iv = interview_to_the_end(services, data_dir)
    sid = iv.session_id
    exported = tmp_path / "charger.json"
    res = run_cli(["export", sid[:8], "-o", str(exported)], capsys)
    assert res.code == 0, res.err
    data = json.loads(exported.read_text())

    # One ID: the assessment is named by the session ID shown by `smm sessions` and the app.
    assert data["id"] == sid
    # The practices chosen, not the whole catalog.
    assert data["metadata"]["practices"] == CHOSEN
    # The objectives as understood, kept for the roadmap.
    assert "safety" in data["objectives"]["priorities"] and data["objectives"]["obligations"]
    # The drafted targets accepted in one step are defaults.
    origins = {pid: t["origin"] for pid, t in data["targets"]["practices"].items()}
    assert origins and set(origins.values()) == {"proposal"}, origins

    report = tmp_path / "charger.md"
    res = run_cli(["report", str(exported), "--format", "md", "-o", str(report)], capsys)
    assert res.code == 0, res.err
    md = report.read_text(encoding="utf-8")
    assert f"| Assessment ID | {sid} |" in md
    assert iv.assessment().id not in md, "the session ID is the only assessment ID"
    assert "| Practices assessed | 6 of 18, chosen for this assessment: G2.1, E1.1, E1.2, E3.2, H1.2, H3.2 |" in md
    summary = md.split("## Summary", 1)[1].split("###", 1)[0]
    assert "6 practices in this assessment (12 others not chosen):" in summary and " 0 unrated," in summary
    assert "18 practices" not in summary
    assert "| Business objectives | worst harm: people getting hurt" in md
    table = md.split("## Practices", 1)[1].split("##", 1)[0]
    practice_rows = [line for line in table.splitlines() if re.match(r"^\| (G2\.1|E1\.1|E1\.2|E3\.2|H1\.2|H3\.2) \|", line)]
    assert practice_rows and all("| practice (default) |" in line for line in practice_rows), practice_rows
    assert "(default: drafted targets accepted in one step)" in md
    # Scope shortfalls only ever concern the practices chosen.
    shortfalls = md.split("## Scope shortfalls", 1)[1].split("##", 1)[0]
    assert not re.findall(r"^\| (?!G2\.1|E1\.1|E1\.2|E3\.2|H1\.2|H3\.2|ID|---)", shortfalls, re.M)

    # The roadmap puts the practices that keep people safe first, each with its reason.
    roadmap = md.split("## Roadmap", 1)[1].split("## Scope shortfalls", 1)[0]
    whys = re.findall(r"^\*\*Why here:\*\* (.+)$", roadmap, re.M)
    titles = re.findall(r"^### \d+\. (\S+) ", roadmap, re.M)
    assert len(whys) == len(titles)
    safety = [t for t, w in zip(titles, whys, strict=True) if w.startswith("Safety first")]
    assert safety and safety == titles[: len(safety)], "safety steps come before all others"
    assert set(safety) <= {"E1.1", "E1.2", "H1.2", "H3.2", "E2.2", "G2.1"}
