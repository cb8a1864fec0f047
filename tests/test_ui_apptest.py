"""The Streamlit app, headless with ``streamlit.testing.v1.AppTest``: every page, a whole short interview,
targets, dashboard numbers against the scorer, every download, bad uploads.

The app gets the test's services (shared index, fresh session store) through ``ui.services.use_services``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from assistant.assessment import Assessment, parse_assessment
from assistant.interview import Interview
from assistant.report import CSV_COLUMNS, XLSX_SHEETS
from assistant.scoring import STRATEGIES, score
from ui import services as ui_services
from ui import tables

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "ui" / "app.py"
EXAMPLE = ROOT / "eval" / "examples" / "bottling-line.json"
PAGES = ["interview", "targets", "dashboard", "team", "catalog", "settings"]
DESCRIPTION = (
    "We run a bottling plant with PLCs on three production lines. A vendor maintains the PLCs. "
    "We apply the vendor patches once a year during the summer shutdown."
)
# Plain answers a stakeholder might give; the guided engine proposes after at most three per practice.
ANSWERS = [
    "Our plant manager looks after it, on the side.",
    "No, nothing is written down.",
    "Not that I know of.",
    "No.",
]
TIMEOUT = 120


class _KeptFiles(MemoryMediaFileStorage):
    """AppTest's in-memory media storage, kept after the run so the test can read downloads."""

    def delete_file(self, file_id: str) -> None:
        """Keep every file: the test reads them after the script run that created them."""


@pytest.fixture
def media(monkeypatch: pytest.MonkeyPatch) -> _KeptFiles:
    """One media storage for every run of the test, instead of a fresh one per run."""
    storage = _KeptFiles("/mock/media")
    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", lambda endpoint: storage)
    return storage


def open_page(at: AppTest, name: str) -> AppTest:
    """Run the app (switch_page needs the pages registered by a first run) and switch to a page."""
    at.run()
    return at.switch_page(f"app_pages/{name}.py").run()


def no_exception(at: AppTest) -> None:
    """The page ran without an uncaught exception (a traceback on screen)."""
    assert not at.exception, [e.value for e in at.exception]


def errors(at: AppTest) -> list[str]:
    """Texts of the st.error boxes on the page."""
    return [e.value for e in at.error]


def button(at: AppTest, label: str) -> Any:
    """The only button with this label."""
    found = [b for b in at.button if b.label == label]
    assert len(found) == 1, (label, [b.label for b in at.button])
    return found[0]


def submit(at: AppTest, label: str) -> Any:
    """The only form submit button with this label."""
    found = [b for b in at.form_submit_button if b.label == label]
    assert len(found) == 1, (label, [b.label for b in at.form_submit_button])
    return found[0]


def widget(widgets: Any, prefix: str) -> Any:
    """The only widget whose key starts with ``prefix`` (proposal widgets are keyed by proposal ID)."""
    found = [w for w in widgets if (w.key or "").startswith(prefix)]
    assert len(found) == 1, (prefix, [w.key for w in widgets])
    return found[0]


def frame(at: AppTest, key: str) -> Any:
    """The data frame shown in the container with ``key`` (see ``ui.views.table``)."""

    def walk(node: Any) -> Any:
        if getattr(getattr(node, "proto", None), "id", "").endswith(f"-{key}"):
            return node
        for child in getattr(node, "children", {}).values():
            found = walk(child)
            if found is not None:
                return found
        return None

    block = walk(at.main)
    assert block is not None, f"no table {key!r} on the page"
    return block.dataframe[0].value


def progress_text(at: AppTest) -> str:
    """The text of the sidebar progress bar."""
    bars = at.sidebar.get("progress")
    assert bars, "no progress bar in the sidebar"
    return str(bars[0].proto.text)


def current_interview(services: Any, at: AppTest) -> Interview:
    """The interview the app has open, loaded from the store as another process would."""
    sid = at.session_state["smm_session_id"]
    return Interview.resume(sid, services.catalog, services.index, services.engine, services.store)


def answer_until_card(at: AppTest, services: Any, practice: str) -> None:
    """Answer the practice's questions until its proposal card with decision buttons is shown."""
    for answer in ANSWERS * 2:
        iv = current_interview(services, at)
        if iv.pending is not None and iv.pending.kind == "review":
            break
        assert iv.pending is not None and iv.pending.practice == practice, iv.pending
        at.chat_input[0].set_value(answer).run()
        no_exception(at)
    iv = current_interview(services, at)
    assert iv.pending is not None and iv.pending.kind == "review" and iv.pending.practice == practice
    assert [b for b in at.button if b.label == "Accept"], "the proposal card shows its decision buttons"


def start_interview(at: AppTest, practices: list[str]) -> None:
    """Fill in the new-assessment form and send the system description."""
    open_page(at, "interview")
    at.text_input(key="new-name").set_value("Bottling line 3")
    at.text_input(key="new-reviewer").set_value("Dana")
    at.checkbox(key="new-objectives").set_value(False)
    at.multiselect(key="new-practices").set_value(practices)
    submit(at, "Start the assessment").click().run()
    no_exception(at)
    at.text_area(key="iv-description").set_value(DESCRIPTION)
    submit(at, "Send the description").click().run()
    no_exception(at)
    button(at, "Yes, that's right").click().run()
    no_exception(at)


def upload(at: AppTest, key: str, name: str, data: bytes) -> AppTest:
    """Upload a file into the file uploader with this key and rerun."""
    at.file_uploader(key=key).set_value((name, data, "application/json"))
    return at.run()


def show_upload(at: AppTest, data: bytes, name: str = "assessment.json") -> AppTest:
    """Open the dashboard, choose the file source and upload ``data``."""
    open_page(at, "dashboard")
    if at.radio(key="db-source").value != "upload":
        at.radio(key="db-source").set_value("upload").run()
    return upload(at, "db-upload", name, data)


def downloads(at: AppTest, media: _KeptFiles) -> dict[str, tuple[str, bytes]]:
    """File name and bytes behind each download button, by button key."""
    out: dict[str, tuple[str, bytes]] = {}
    for b in at.get("download_button"):
        url = b.proto.url
        assert url.startswith("/mock/media/"), url
        out[b.key or b.proto.label] = (b.proto.label, media.get_file(url.rsplit("/", 1)[-1]).content)
    return out


# ------------------------------------------------------------------------------------------ pages


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_an_assessment(app: AppTest, page: str) -> None:
    at = open_page(app, page)
    no_exception(at)
    assert at.title[0].value == page.capitalize()
    text = " ".join(m.value for m in at.markdown) + " ".join(i.value for i in at.info)
    expected = {
        "interview": "You decide",
        "targets": "Open an assessment first",
        "dashboard": "Upload an assessment JSON file",
        "team": "Hear several people about one system",
        "catalog": "Governance",
        "settings": "",
    }[page]
    assert expected in text or any(expected in t.label for t in at.tabs)
    assert "No assessment open" in " ".join(c.value for c in at.sidebar.caption)


def test_settings_are_shown_read_only(app: AppTest, services: Any) -> None:
    at = open_page(app, "settings")
    table = at.table[0].value
    values = dict(zip(table["Setting"], table["Value"], strict=True))
    assert values["Interview engine"] == "guided"
    assert values["Data directory"] == str(services.settings.data_dir)
    assert values["Interview text leaves this machine"] == "no"
    assert values["Usage statistics"].startswith("off")
    assert "stays on this machine" in at.success[0].value
    assert not at.text_input and not at.button, "settings are read-only"


def test_a_remote_model_shows_that_text_leaves_the_machine(services: Any) -> None:
    remote = services.settings.model_copy(update={"llm": "openai:gpt-4o-mini", "llm_base_url": "https://api.example.com/v1"})
    ui_services.use_services(dataclasses.replace(services, settings=remote))
    try:
        at = open_page(AppTest.from_file(APP, default_timeout=TIMEOUT), "interview")
        no_exception(at)
        warnings = [w.value for w in at.warning] + [w.value for w in at.sidebar.warning]
        assert any("sent off this machine" in w for w in warnings), warnings
        at.switch_page("app_pages/settings.py").run()
        values = dict(zip(at.table[0].value["Setting"], at.table[0].value["Value"], strict=True))
        assert values["Interview text leaves this machine"] == "yes"
    finally:
        ui_services.use_services(None)


@pytest.mark.parametrize(
    ("llm", "base_url", "embeddings", "leaves"),
    [
        (None, None, "minilm", False),
        ("openai:gpt-4o-mini", None, "minilm", True),
        ("openai:qwen", "http://127.0.0.1:8080/v1", "minilm", False),
        ("openai:qwen", "http://localhost:8080/v1", "minilm", False),
        ("openai:qwen", "http://[::1]:8080/v1", "minilm", False),
        ("openai:qwen", "http://gpu-box.lan:8080/v1", "minilm", True),
        ("ollama:llama3.2", None, "minilm", False),
        (None, None, "openai:text-embedding-3-small", True),
    ],
)
def test_privacy_notice_rules(services: Any, llm: str | None, base_url: str | None, embeddings: str, leaves: bool) -> None:
    s = services.settings.model_copy(update={"llm": llm, "llm_base_url": base_url, "embeddings": embeddings})
    assert bool(ui_services.privacy_notices(s)) is leaves


# -------------------------------------------------------------------------------------- interview


def test_a_whole_interview_with_every_review_decision(app: AppTest, services: Any) -> None:
    start_interview(app, ["G1.1", "E2.2", "H1.2"])
    at = app
    assert progress_text(at) == "Confirmed 0 of 3 practices"
    messages = [m.markdown[0].value for m in at.chat_message if m.markdown]
    assert DESCRIPTION in messages, "the description is in the transcript"

    # G1.1: reject the first proposal (the assistant asks again), then accept the next one.
    answer_until_card(at, services, "G1.1")
    card = " ".join(m.value for m in at.markdown)
    assert "Your words" in card and "What the catalog says" in card
    assert "G1.1-L" in card, "cited indicator IDs are shown"
    button(at, "Reject").click().run()
    no_exception(at)
    assert "Rejected; the assistant will ask again: G1.1." in [s.value for s in at.success]
    answer_until_card(at, services, "G1.1")
    proposed = current_interview(services, at).state.practices["G1.1"].proposal
    assert proposed is not None and proposed.level is not None
    button(at, "Accept").click().run()
    no_exception(at)
    assert progress_text(at) == "Confirmed 1 of 3 practices"

    # E2.2: not applicable needs a reason; without one the page says so, with no traceback.
    answer_until_card(at, services, "E2.2")
    submit(at, "Mark not applicable").click().run()
    no_exception(at)
    assert any("needs a reason" in e for e in errors(at)), errors(at)
    widget(at.text_area, "na-reason-").set_value("The PLC cabinets are inside the locked plant; physical access is out of scope.")
    submit(at, "Mark not applicable").click().run()
    no_exception(at)
    assert not errors(at)
    assert progress_text(at) == "Confirmed 2 of 3 practices"

    # H1.2: change needs a reason too; then level 3, system scope.
    answer_until_card(at, services, "H1.2")
    widget(at.selectbox, "mod-level-").set_value(3)
    widget(at.selectbox, "mod-scope-").set_value("system")
    submit(at, "Save the change").click().run()
    assert any("modify needs a reason" in e for e in errors(at)), errors(at)
    widget(at.text_area, "mod-reason-").set_value("The vendor also patches the line controllers on a fixed schedule.")
    submit(at, "Save the change").click().run()
    no_exception(at)
    assert progress_text(at) == "Confirmed 3 of 3 practices"
    assert any("interview is finished" in s.value for s in at.success)

    # Everything went through the Interview API and is in the session store.
    iv = current_interview(services, at)
    a = iv.assessment()
    assert a.current["G1.1"].value == proposed.as_rating()
    assert a.current["G1.1"].provenance.decision == "accept" and a.current["G1.1"].provenance.reviewer == "Dana"
    assert a.current["E2.2"].value.not_applicable and "locked plant" in (a.current["E2.2"].value.reason or "")
    assert (a.current["H1.2"].value.level, a.current["H1.2"].value.scope) == (3, "system")
    assert a.current["H1.2"].provenance.decision == "modify"
    assert "proposal.rejected" in [e.kind for e in a.events]
    reviewer_turns = [m for m in at.chat_message if m.name == "reviewer"]
    assert len(reviewer_turns) == 4, "accept, reject, not applicable and change are shown in the transcript"


def test_sessions_are_listed_and_resumed(app: AppTest, services: Any) -> None:
    iv = Interview.start(
        services.catalog, services.index, services.engine, services.store, system_name="Camera fleet", ask_objectives=False
    )
    iv.say("We sell Wi-Fi cameras for homes with a phone app.")
    at = open_page(app, "interview")
    assert any("Camera fleet" in m.value for m in at.markdown)
    button(at, "Resume").click().run()
    no_exception(at)
    assert at.session_state["smm_session_id"] == iv.session_id
    texts = [m.markdown[0].value for m in at.chat_message if m.markdown]
    assert "We sell Wi-Fi cameras for homes with a phone app." in texts
    assert texts[-1] == iv.transcript[-1].text, "the last reply is shown after resuming"
    button(at, "New or other assessment").click().run()
    assert "smm_session_id" not in at.session_state
    assert [b.label for b in at.form_submit_button] == ["Start the assessment"]


def test_chat_commands_work_in_the_app(app: AppTest, services: Any) -> None:
    start_interview(app, ["H1.2"])
    app.chat_input[0].set_value("what does level 3 of patch management require?").run()
    no_exception(app)
    assert "H1.2-L3-" in app.chat_message[-1].markdown[0].value
    button(app, "Skip this practice").click().run()
    assert current_interview(services, app).finished


def test_objectives_lead_to_proposed_targets_accepted_with_one_click(app: AppTest, services: Any) -> None:
    open_page(app, "interview")
    app.text_input(key="new-name").set_value("Bottling line 3")
    app.multiselect(key="new-practices").set_value(["H1.2"])
    submit(app, "Start the assessment").click().run()
    app.text_area(key="iv-description").set_value(DESCRIPTION)
    submit(app, "Send the description").click().run()
    button(app, "No").click().run()
    for answer in ["Production stopping, and people getting hurt.", "Low.", "IEC 62443."]:
        assert current_interview(services, app).pending.kind == "objective"  # type: ignore[union-attr]
        app.chat_input[0].set_value(answer).run()
        no_exception(app)
    assert "Proposed targets" in app.chat_message[-1].markdown[0].value
    button(app, "Accept these targets").click().run()
    no_exception(app)
    iv = current_interview(services, app)
    assert iv.pending is not None and iv.pending.kind == "practice"
    assert len(iv.assessment().targets.practices) == len(services.catalog.practices)
    at = app.switch_page("app_pages/targets.py").run()
    eff = frame(at, "tg-effective")
    assert "not set" not in set(eff["Set on"])


# ---------------------------------------------------------------------------------------- targets


def test_targets_are_set_and_shown(app: AppTest, services: Any) -> None:
    iv = Interview.start(
        services.catalog, services.index, services.engine, services.store, system_name="Line 4", ask_objectives=False
    )
    app.session_state["smm_session_id"] = iv.session_id
    at = open_page(app, "targets")
    no_exception(at)

    def set_target(target: str, level: int, scope: str, reason: str, na: bool = False) -> None:
        at.selectbox(key="tg-target").set_value(target)
        at.select_slider(key="tg-level").set_value(level)
        at.radio(key="tg-scope").set_value(scope)
        at.checkbox(key="tg-na").set_value(na)
        at.text_area(key="tg-reason").set_value(reason)
        submit(at, "Save the target").click().run()
        no_exception(at)

    set_target("H", 2, "industry", "Downtime is costly but the line is isolated")
    set_target("H1.2", 4, "system", "Unpatched controllers stop the line")
    set_target("E2", 0, "general", "", na=True)
    assert any("not-applicable" in e and "reason" in e for e in errors(at)), errors(at)
    set_target("G1", 3, "general", "The group's security policy applies")

    eff = frame(at, "tg-effective").set_index("ID")
    assert (eff.loc["H1.2", "Target"], eff.loc["H1.2", "Set on"]) == ("4 (system)", "practice")
    assert (eff.loc["H2.1", "Target"], eff.loc["H2.1", "Set on"]) == ("2 (industry)", "domain")
    assert (eff.loc["G1.2", "Target"], eff.loc["G1.2", "Set on"]) == ("3 (general)", "subdomain")
    assert eff.loc["E2.1", "Set on"] == "not set"
    assert eff.loc["H1.2", "Why"] == "Unpatched controllers stop the line"

    # The profile as a live template: it fills what nothing else sets, below every hand-set target.
    at.selectbox(key="tg-profile").set_value("residential-cameras")
    button(at, "Use as the template").click().run()
    no_exception(at)
    eff = frame(at, "tg-effective").set_index("ID")
    cams = services.catalog.profiles["residential-cameras"].targets
    assert (eff.loc["E3.1", "Set on"], eff.loc["E3.1", "Target"]) == ("profile", f"{cams['E3.1'].level} ({cams['E3.1'].scope})")
    assert eff.loc["H2.1", "Set on"] == "domain"
    # The template's targets are defaults, and say where they come from rather than the cameras' own reasons.
    assert (eff.loc["E3.1", "Default"], eff.loc["H2.1", "Default"], eff.loc["H1.2", "Default"]) == ("default", "", "")
    assert cams["E3.1"].reason not in eff.loc["E3.1", "Why"] and "Default from the profile" in eff.loc["E3.1", "Why"]
    assert current_interview(services, at).assessment().targets.profile == "residential-cameras"
    button(at, "Stop using it").click().run()
    no_exception(at)
    assert current_interview(services, at).assessment().targets.profile is None

    # A profile's template, copied only where nothing is set yet.
    at.selectbox(key="tg-profile").set_value("bottling-line")
    button(at, "Copy these targets").click().run()
    no_exception(at)
    eff = frame(at, "tg-effective").set_index("ID")
    template = services.catalog.profiles["bottling-line"].targets
    assert eff.loc["H1.2", "Target"] == "4 (system)", "an existing target is kept"
    e21 = template["E2.1"]
    assert eff.loc["E2.1", "Target"] == f"{e21.level} ({e21.scope})" and eff.loc["E2.1", "Set on"] == "practice"
    assert eff.loc["E2.1", "Default"] == "default" and e21.reason not in eff.loc["E2.1", "Why"]
    saved = current_interview(services, at).assessment().targets
    assert saved.domains["H"].reason == "Downtime is costly but the line is isolated"
    assert "E2" not in saved.subdomains


# -------------------------------------------------------------------------------------- dashboard


def session_assessment(iv: Interview) -> Assessment:
    """The assessment of a session as the app shows and exports it (its ID, chosen practices, objectives, defaults)."""
    from assistant.session_export import session_assessment as export

    return export(iv)


def check_dashboard_matches(at: AppTest, a: Assessment, catalog: Any, strategy: str) -> None:
    """Every number on the dashboard equals the scorer's for the same assessment and strategy."""
    report = score(a, catalog, strategy)
    for dom in report.domains:
        shown = frame(at, f"db-practices-{dom.id}")
        expected = tables.practice_frame(report, dom.id)
        assert list(shown["ID"]) == list(expected["ID"])
        assert list(shown["Status"]) == list(expected["Status"])
        assert [None if pd.isna(v) else int(v) for v in shown["Gap"]] == [p.gap for p in report.practices if p.domain == dom.id]
        assert list(shown["Current"]) == list(expected["Current"])
        assert list(shown["Target"]) == list(expected["Target"])
    domains = frame(at, "db-domains")
    for row, r in zip(domains.itertuples(index=False), [*report.domains, report.overall], strict=True):
        assert row.Practices == r.counts.practices and row.Below == r.counts.below and row.At == r.counts.at
        value = row[domains.columns.get_loc("Roll-up")]
        assert pd.isna(value) if r.aggregate.value is None else value == pytest.approx(r.aggregate.value)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["At target"] == str(report.overall.counts.at)
    assert metrics["Below target"] == str(report.overall.counts.below)
    assert metrics["Awaiting review"] == str(report.overall.counts.awaiting_review)
    roadmap = [e.label for e in at.expander if e.label[:1].isdigit()]
    assert [r.split(".")[0] for r in roadmap] == [str(i.rank) for i in report.roadmap]
    assert report.strategy_rule in [i.value for i in at.info]


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_dashboard_numbers_equal_the_scorer_for_an_upload(app: AppTest, catalog: Any, strategy: str) -> None:
    data = EXAMPLE.read_bytes()
    at = show_upload(app, data)
    no_exception(at)
    at.selectbox(key="db-strategy").set_value(strategy).run()
    no_exception(at)
    check_dashboard_matches(at, parse_assessment(data.decode()), catalog, strategy)


def test_dashboard_of_the_current_interview(app: AppTest, services: Any) -> None:
    iv = Interview.start(
        services.catalog,
        services.index,
        services.engine,
        services.store,
        system_name="Line 5",
        ask_objectives=False,
        practices=["H1.2", "E1.1"],
        profile="bottling-line",
    )
    iv.say(DESCRIPTION)
    while iv.pending is not None and iv.pending.kind != "review":
        iv.say("No.")
    assert iv.pending is not None and iv.pending.practice == "E1.1", "catalog order: E1.1 before H1.2"
    iv.review("modify", level=1, scope="general", reason="Only the operators' accounts are personal")
    while iv.pending is not None and iv.pending.kind != "review":
        iv.say("No.")
    # H1.2's proposal stays awaiting review: shown as such, not scored.
    app.session_state["smm_session_id"] = iv.session_id
    at = open_page(app, "dashboard")
    no_exception(at)
    assert at.radio(key="db-source").value == "interview"
    check_dashboard_matches(at, session_assessment(iv), services.catalog, "min")
    e = frame(at, "db-practices-E").set_index("ID")
    assert e.loc["E1.1", "Current"] == "1 (general)" and e.loc["E1.1", "Review"] == "confirmed"
    proposal = iv.state.practices["H1.2"].proposal
    if proposal is not None and not proposal.insufficient:
        h = frame(at, "db-practices-H").set_index("ID")
        assert (h.loc["H1.2", "Status"], h.loc["H1.2", "Review"]) == ("awaiting review", "proposed")


def test_every_download_is_a_valid_file(app: AppTest, media: _KeptFiles, catalog: Any) -> None:
    data = EXAMPLE.read_bytes()
    at = show_upload(app, data)
    no_exception(at)
    files = downloads(at, media)
    assert set(files) == {"dl-md", "dl-html", "dl-xlsx", "dl-csv", "dl-json", "dl-assessment"}
    original = parse_assessment(data.decode())

    kept = parse_assessment(files["dl-assessment"][1].decode())
    assert kept.id == original.id and kept.current == original.current

    report_json = json.loads(files["dl-json"][1])
    expected = score(original, catalog, "min")
    assert report_json["strategy"] == "min"
    assert [p["gap"] for p in report_json["practices"]] == [p.gap for p in expected.practices]

    rows = list(csv.DictReader(io.StringIO(files["dl-csv"][1].decode())))
    assert list(rows[0]) == list(CSV_COLUMNS) and len(rows) == len(catalog.practices)

    wb = load_workbook(io.BytesIO(files["dl-xlsx"][1]), read_only=True)
    assert tuple(wb.sheetnames) == XLSX_SHEETS

    html = files["dl-html"][1].decode()
    assert html.count("data:image/png;base64,") >= 2, "the HTML report embeds both charts"
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html

    with zipfile.ZipFile(io.BytesIO(files["dl-md"][1])) as zf:
        names = zf.namelist()
        md = next(n for n in names if n.endswith(".md"))
        pngs = [n for n in names if n.endswith(".png")]
        assert len(pngs) == 2 and all(zf.read(p).startswith(b"\x89PNG") for p in pngs)
        text = zf.read(md).decode()
        assert all(p in text for p in pngs), "the Markdown links the charts in the zip"
    assert [i for i in at.image], "the charts are shown on the page"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "an assessment is a JSON object"),
        (b'{"metadata": {"catalog_version": "1.0.0"}}', "field metadata.system_name"),
        (b"\xff\xfe\x00garbage", "not a text file"),
    ],
)
def test_a_bad_upload_gives_a_clear_message(app: AppTest, data: bytes, message: str) -> None:
    at = show_upload(app, data, "broken.json")
    no_exception(at)
    assert any(message in e and "broken.json" in e for e in errors(at)), errors(at)
    assert not at.get("download_button"), "nothing is scored from a bad file"


def test_an_upload_with_an_unknown_practice_is_refused(app: AppTest) -> None:
    raw = json.loads(EXAMPLE.read_text())
    raw["current"]["Z9.9"] = raw["current"]["G1.1"]
    at = show_upload(app, json.dumps(raw).encode(), "odd.json")
    no_exception(at)
    assert any("Z9.9" in e for e in errors(at)), errors(at)


def test_two_uploaded_assessments_are_compared(app: AppTest) -> None:
    before = json.loads(EXAMPLE.read_text())
    after = json.loads(EXAMPLE.read_text())
    after["id"] = "later"
    pid = next(p for p, c in after["current"].items() if not c["value"].get("not_applicable") and c["value"]["level"] < 4)
    after["current"][pid]["value"]["level"] += 1
    at = show_upload(app, json.dumps(after).encode(), "after.json")
    upload(at, "db-compare", "before.json", json.dumps(before).encode())
    no_exception(at)
    changes = frame(at, "db-comparison")
    assert list(changes["ID"]) == [pid]
    assert int(changes["Level change"][0]) == 1
    assert any("1** raised" in m.value for m in at.markdown)

    other = dict(before, metadata=dict(before["metadata"], system_name="Another plant"))
    upload(at, "db-compare", "other.json", json.dumps(other).encode())
    assert any("different systems" in e and "tick the box" in e for e in errors(at)), errors(at)
    at.checkbox(key="db-compare-force").check().run()
    no_exception(at)
    assert not errors(at)


# ---------------------------------------------------------------------------------------- catalog


def test_the_catalog_answers_what_a_level_requires(app: AppTest) -> None:
    at = open_page(app, "catalog")
    at.text_input(key="cat-question").set_value("What does level 3 of patch management require?").run()
    no_exception(at)
    answer = next(m.value for m in at.markdown if m.value.startswith("## H1.2"))
    assert "level 3" in answer and "H1.2-L3-01" in answer
    at.text_input(key="cat-question").set_value("level 2 of underwater basket weaving").run()
    no_exception(at)
    assert any("no practice matches" in e for e in errors(at)), errors(at)
    labels = [e.label for e in at.expander]
    assert "H1.2 Patch Management" in labels and len([x for x in labels if x[:1] in "GEH" and x[1:2].isdigit()]) == 18


BAD_FILES = sorted(
    p for p in (ROOT / "tests" / "data" / "bad" / "assessments").glob("*.json") if not p.name.startswith("control")
)


@pytest.mark.parametrize("path", BAD_FILES, ids=lambda p: p.stem)
def test_every_bad_assessment_file_gives_a_message_not_a_traceback(app: AppTest, path: Path) -> None:
    at = show_upload(app, path.read_bytes(), path.name)
    no_exception(at)
    assert any(path.name in e for e in errors(at)), errors(at)
    assert not at.get("download_button")


# ------------------------------------------------------------------------------ issue 14: the app's words


def all_text(at: AppTest) -> list[str]:
    """Every text the page shows: Markdown (chat messages included), captions, alerts, in the main area and sidebar."""
    out: list[str] = []
    for area in (at.main, at.sidebar):
        for kind in ("markdown", "caption", "info", "success", "warning", "error"):
            out += [str(getattr(e, "value", "")) for e in area.get(kind)]
    return out


COMMAND_HINT = re.compile(r"`smm\b|\bsmm\s+[a-z]")


@pytest.mark.parametrize(
    ("terminal", "app"),
    [
        (
            "Interview finished. 2 practice(s) have a confirmed rating. Export the assessment and a report with "
            "`smm report`, or open the dashboard.",
            "Interview finished. 2 practice(s) have a confirmed rating. Open the Dashboard page to see the results and "
            "download the assessment and every report.",
        ),
        (
            "The interview is finished. Use `smm report` or the dashboard to see the results.",
            "The interview is finished. See the results and download every report on the Dashboard page.",
        ),
        (
            "no practice matches 'x'; see `smm catalog list` for IDs and names.",
            "no practice matches 'x'; see the Catalog page for IDs and names.",
        ),
        ("unknown practice(s) X9.9; use IDs from `smm catalog list`", "unknown practice(s) X9.9; use IDs from the Catalog page"),
        (
            "no interview session 'x'; list them with `smm sessions`",
            "no interview session 'x'; see the saved assessments on the Interview page",
        ),
        ("resume with `smm interview --resume ab12cd34`", "resume with the Resume button on the Interview page"),
        (
            "a.json: the file is empty; export an assessment with `smm export` or the app",
            "a.json: the file is empty; download one from the Dashboard page",
        ),
        ("see `smm strategies`", "see the roll-up strategy box on the Dashboard page"),
        ("try `smm eval run --engine llm`", "try the app's pages"),
        ("the file smm-bottling-line.md and `explain H1.2 level 3`", "the file smm-bottling-line.md and `explain H1.2 level 3`"),
    ],
)
def test_web_wording_names_pages_and_buttons_instead_of_commands(terminal: str, app: str) -> None:
    from ui.views import web_wording

    assert web_wording(terminal) == app
    assert not COMMAND_HINT.search(web_wording(terminal))


def test_the_app_never_tells_the_user_to_run_a_command(app: AppTest, services: Any) -> None:
    start_interview(app, ["H1.2"])
    seen: list[str] = []
    button(app, "Finish now").click().run()
    no_exception(app)
    assert current_interview(services, app).finished
    seen += all_text(app)
    app.chat_input[0].set_value("what now?").run()
    no_exception(app)
    seen += all_text(app)
    finished = list(seen)
    at = app.switch_page("app_pages/catalog.py").run()
    at.text_input(key="cat-question").set_value("level 2 of underwater basket weaving").run()
    assert any("no practice matches" in e for e in errors(at))
    seen += all_text(at)
    at = show_upload(at, b"   ", "empty.json")
    assert any("empty.json" in e for e in errors(at))
    seen += all_text(at)
    hints = [t for t in seen if COMMAND_HINT.search(t)]
    assert not hints, hints
    assert any("Dashboard page" in t for t in finished), "the finished interview points to the Dashboard page"


def test_dashboard_of_a_short_assessment(app: AppTest, services: Any, media: _KeptFiles) -> None:
    iv = Interview.start(
        services.catalog,
        services.index,
        services.engine,
        services.store,
        system_name="Line 6",
        ask_objectives=False,
        practices=["E1.1", "H1.2"],
        profile="bottling-line",
    )
    iv.say(DESCRIPTION)
    for _ in range(20):
        q = iv.pending
        if q is None or iv.finished:
            break
        if q.kind == "review":
            iv.review("modify", level=0, scope="general", reason="nothing is in place yet")
        else:
            iv.say("No.")
    assert iv.finished
    app.session_state["smm_session_id"] = iv.session_id
    at = open_page(app, "dashboard")
    no_exception(at)
    check_dashboard_matches(at, session_assessment(iv), services.catalog, "min")
    # Two practices were chosen: two are counted, none of the other 16 is "unrated".
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Unrated"], metrics["Below target"]) == ("0", "2")
    assert any("covers the 2 practices chosen for it, of 18" in c.value for c in at.caption)
    domains = frame(at, "db-domains").set_index("Group")
    assert domains.loc["All practices", "Practices"] == 2 and domains.loc["All practices", "Unrated"] == 0
    e = frame(at, "db-practices-E").set_index("ID")
    assert e.loc["E1.1", "Target from"] == "profile (default)" and e.loc["E2.1", "Status"] == "not in this assessment"
    # The roadmap says why each step is where it is.
    roadmap = [x for x in at.expander if x.label[:1].isdigit()]
    assert len(roadmap) == 2 and all("Why here:" in x.markdown[0].value for x in roadmap)
    # One ID: the reports name the assessment with the session ID shown on the Interview page.
    files = downloads(at, media)
    assert f"<td>Assessment ID</td><td>{iv.session_id}</td>" in files["dl-html"][1].decode()
    assert json.loads(files["dl-assessment"][1])["id"] == iv.session_id
    assert json.loads(files["dl-json"][1])["assessment_id"] == iv.session_id


# -------------------------------------------------------------------------------------- documents

POLICY = (
    b"# Patch procedure\n\n"
    b"The vendor installs the security patches on every PLC each month.\n"
    b"Every patch is tested on a spare PLC before it is rolled out to the lines.\n\n"
    b"# Accounts\n\n"
    b"Every operator has a personal account with a password. Shared accounts are not allowed.\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def add_files(at: AppTest, *files: tuple[str, bytes, str]) -> AppTest:
    """Choose files in the Documents uploader and press Add."""
    at.file_uploader[0].set_value(list(files)).run()
    no_exception(at)
    button(at, "Add").click().run()
    no_exception(at)
    return at


def successes(at: AppTest) -> list[str]:
    """Texts of the st.success boxes on the page."""
    return [s.value for s in at.success]


def test_a_document_is_added_shown_refused_when_bad_and_removed(app: AppTest, services: Any) -> None:
    start_interview(app, ["E1.1", "H1.2"])
    at = app
    assert [e.label for e in at.expander if e.label.startswith("Documents")] == ["Documents"]
    assert any("read on this machine" in c.value and "forget it everywhere" in c.value for c in at.caption)
    uploader = at.file_uploader[0]
    assert uploader.accept_multiple_files
    assert {t.lstrip(".") for t in uploader.allowed_type} == {"pdf", "docx", "xlsx", "csv", "md", "txt"}
    assert button(at, "Add").disabled, "nothing to add before a file is chosen"
    turns = len(current_interview(services, at).transcript)

    # A Markdown policy: read, added, and what it told the assistant is shown per practice.
    add_files(at, ("patch-policy.md", POLICY, "text/markdown"))
    assert not errors(at), errors(at)
    assert any(s.startswith("Added patch-policy.md. It speaks about") and "H1.2 Patch Management" in s for s in successes(at))
    iv = current_interview(services, at)
    [info] = iv.state.documents
    assert info.name == "patch-policy.md" and "H1.2" in info.statements
    assert any(r.turn_id.startswith(f"doc:{info.id}:") for r in iv.state.practices["H1.2"].readings)
    entry = " ".join(m.value for m in at.markdown if m.value.startswith("**patch-policy.md**"))
    assert "Evidence for" in entry and "**H1.2** Patch Management" in entry, entry
    assert any(c.value.startswith("Markdown · ") and f"{len(POLICY)} bytes" in c.value for c in at.caption)
    assert [e.label for e in at.expander if e.label.startswith("Documents")] == ["Documents (1)"]
    assert any("I read **patch-policy.md**" in (m.markdown[0].value if m.markdown else "") for m in at.chat_message)
    assert not at.file_uploader[0].value, "the uploader is emptied once its files are added"
    turns = len(iv.transcript)

    # A PNG renamed .pdf, and the same policy again: each refused with a message naming the file; nothing changes.
    add_files(at, ("policy.pdf", PNG, "application/pdf"), ("copy.md", POLICY, "text/markdown"))
    assert any(e.startswith("policy.pdf: this is not a PDF (a PNG image)") for e in errors(at)), errors(at)
    assert any(e.startswith("copy.md: this document is already part of the session") for e in errors(at)), errors(at)
    assert not successes(at)
    iv = current_interview(services, at)
    assert [d.name for d in iv.state.documents] == ["patch-policy.md"] and len(iv.transcript) == turns

    # Remove forgets it everywhere.
    button(at, "Remove").click().run()
    no_exception(at)
    assert "Removed patch-policy.md: everything read from it is forgotten." in successes(at)
    iv = current_interview(services, at)
    assert not iv.state.documents and not iv.documents
    assert not any(r.turn_id.startswith("doc:") for pp in iv.state.practices.values() for r in pp.readings)
    assert not [b for b in at.button if b.label == "Remove"]
    assert any(c.value == "No documents yet." for c in at.caption)
    hints = [t for t in all_text(at) if COMMAND_HINT.search(t)]
    assert not hints, hints


def test_uploaded_bytes_are_read_under_their_own_name(tmp_path: Path) -> None:
    from assistant.documents import DocumentError, DocumentLimits
    from ui.documents import plain, read_upload

    doc = read_upload("Patch policy 2024.md", POLICY)
    assert (doc.name, doc.kind, doc.size) == ("Patch policy 2024.md", "markdown", len(POLICY))
    assert doc.where(0) == "Patch policy 2024.md, Patch procedure"
    # A name the file system refuses (over 255 bytes) still works and is kept; folders in a name are dropped.
    long = "a" * 300 + ".md"
    assert read_upload(long, POLICY).name == long
    assert read_upload("C:\\Users\\dana\\policy.txt", POLICY).name == "policy.txt"
    with pytest.raises(DocumentError, match=r"^logo\.pdf: this is not a PDF \(a PNG image\)"):
        read_upload("logo.pdf", PNG)
    # A zip that is no Word document: the message names the user's file, not the temporary copy.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(DocumentError, match=r"^plan\.docx: this zip package is not a Word document"):
        read_upload("plan.docx", buf.getvalue())
    with pytest.raises(DocumentError, match=r"^big\.txt: .* limit"):
        read_upload("big.txt", b"x" * 2048, DocumentLimits(max_bytes=1024))
    assert plain("*draft*_v2.md") == r"\*draft\*\_v2.md", "a file name is shown as typed, not as Markdown"


def test_the_upload_limit_is_the_document_limit_within_streamlits(monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    from assistant.documents import DocumentLimits
    from ui.documents import upload_limit_mb

    monkeypatch.setattr(st, "get_option", lambda name: {"server.maxUploadSize": 200}[name])
    assert upload_limit_mb(DocumentLimits()) == 25
    assert upload_limit_mb(DocumentLimits(max_bytes=1024)) == 1
    monkeypatch.setattr(st, "get_option", lambda name: {"server.maxUploadSize": 10}[name])
    assert upload_limit_mb(DocumentLimits()) == 10


def test_a_document_limit_message_points_to_whoever_runs_the_app() -> None:
    from ui.views import web_wording

    assert web_wording("big.pdf: 30 MB is more than the 25 MB limit; split it or raise SMM_DOC_MAX_MB") == (
        "big.pdf: 30 MB is more than the 25 MB limit; split it or ask whoever runs this app to raise the limit (SMM_DOC_MAX_MB)"
    )
