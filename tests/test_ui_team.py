"""The Team page, headless with ``AppTest``: create a team, add people, the merged review with a disagreement,
the lead's decisions with the reviewer's identity, sign-off, versions and their comparison."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from assistant.store.teams import TeamStore
from assistant.team.service import open_team
from tests.test_team import two_people
from tests.test_ui_apptest import button, errors, frame, no_exception, open_page, submit

TEAM_KEY = "smm_team_id"


def notes(at: AppTest) -> str:
    return " ".join(s.value for s in at.success)


def test_create_a_team_and_add_people(app: AppTest, services: Any) -> None:
    at = open_page(app, "team")
    at.text_input(key="team-system").set_value("Cold store")
    at.text_input(key="team-lead").set_value("lena")
    submit(at, "Create").click().run()
    no_exception(at)
    assert not errors(at), errors(at)
    [summary] = TeamStore(services.store).teams()
    assert (summary.system_name, summary.lead) == ("Cold store", "lena")
    assert at.session_state[TEAM_KEY] == summary.id
    # A person with the role's suggested practices.
    at.selectbox(key="team-role").set_value("operations").run()
    assert at.multiselect(key="team-practices-operations").value == ["E1.2", "E2.1", "E2.2", "H2.1", "H3.2"]
    at.text_input(key="team-name").set_value("ben")
    at.text_input(key="team-display").set_value("Ben Ode")
    button(at, "Add").click().run()
    no_exception(at)
    assert "Added ben" in notes(at)
    people = frame(at, "team-people")
    assert list(people["Name"]) == ["ben"] and people["Role"][0] == "Operations"
    # A bad short name is refused with a message, nothing added.
    at.text_input(key="team-name").set_value("Ben Ode")
    button(at, "Add").click().run()
    assert any("not a usable short name" in e for e in errors(at))
    assert len(open_team(services, summary.id).state.participants) == 1
    # Opening a participant's interview makes it the current session.
    button(at, "Interview ben").click().run()
    no_exception(at)
    assert at.session_state["smm_session_id"] == f"{summary.id}-ben"


def test_lead_settles_a_disagreement_signs_and_compares(app: AppTest, services: Any) -> None:
    team = two_people(services)
    app.session_state[TEAM_KEY] = team.id
    at = open_page(app, "team")
    no_exception(at)
    expanders = [e.label for e in at.expander]
    assert any(lbl.startswith("⚠️ E1.2") and "disagree" in lbl for lbl in expanders), expanders
    page = " ".join(m.value for m in at.markdown)
    assert "Disagreement on" in page and "modem" in page and "ana" in page and "ben" in page

    at.text_input(key="team-me").set_value("lena")
    # Settling the disagreement without a reason is refused.
    submit_e12 = [b for b in at.form_submit_button if b.label == "Decide" and "E1.2" in (b.form_id or "")]
    assert len(submit_e12) == 1
    submit_e12[0].click().run()
    assert any("settle it with a reason" in e for e in errors(at)), errors(at)
    at.radio(key="team-decision-E1.2").set_value("modify")
    at.selectbox(key="team-level-E1.2").set_value(0)
    at.text_input(key="team-reason-E1.2").set_value("ben works on the line every day")
    next(b for b in at.form_submit_button if b.label == "Decide" and "E1.2" in (b.form_id or "")).click().run()
    no_exception(at)
    assert "E1.2: modify 0 (general), recorded for lena" in notes(at)
    next(b for b in at.form_submit_button if b.label == "Decide" and "H1.2" in (b.form_id or "")).click().run()
    assert open_team(services, team.id).state.settlements["H1.2"].reviewer == "lena"

    # Only the lead signs.
    at.text_input(key="team-me").set_value("ana")
    submit(at, "Sign off as the lead (lena)").click().run()
    assert any("only the lead" in e for e in errors(at))
    at.text_input(key="team-me").set_value("lena")
    at.text_input(key="team-note").set_value("first review")
    submit(at, "Sign off as the lead (lena)").click().run()
    no_exception(at)
    assert "Signed version 1" in notes(at)
    versions = frame(at, "team-versions")
    assert list(versions["Version"]) == [1] and versions["Signed by"][0] == "lena"
    # A later decision shows up in the comparison of version 1 with the draft.
    open_team(services, team.id).settle("H1.2", "modify", level=2, reason="log shown", reviewer="lena")
    at.run()
    at.selectbox(key="team-cmp-a").set_value("1")
    at.selectbox(key="team-cmp-b").set_value("draft").run()
    no_exception(at)
    assert "**1** practice(s) changed" in " ".join(m.value for m in at.markdown)
    assert "H1.2" in list(frame(at, "team-comparison")["ID"])
