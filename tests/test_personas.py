"""Issue 14's two personas, each scripted end to end through the public :class:`Interview` API.

Sabine, COO of a 12-person startup making home EV wall chargers, and the person who looks after the
technical side of a hospital whose building management, nurse call and infusion pumps share one
vendor-run network. Their answers are written here as they would type them (plain, non-expert); each
scripted answer is given to the first question it fits, so the tests do not depend on how many questions
a practice takes. The assertions check, item by item of the issue, what the user sees: the replies, the
questions asked, the proposal cards and the reports.

Where the fix does not hold for these personas, a separate test replays the persona up to the point where
it goes wrong and is marked ``xfail(strict=True)`` with the bug described.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.assessment import Assessment, assessment_json_schema, load_assessment, save_assessment
from assistant.catalog import Catalog
from assistant.interview import Interview
from assistant.interview.planner import CONFIRM_PREFIX, opening_for, probe_indicators
from assistant.interview.state import PendingQuestion
from assistant.proposals import Proposal, Turn, validate_proposal
from assistant.reading.rule import THRESHOLDS
from assistant.report import render_html, render_markdown
from assistant.scoring import COMPARED, score
from assistant.session_export import session_assessment

# ----------------------------------------------------------------------------------- Sabine's answers

CHARGER_PRACTICES = ["G1.2", "E1.2", "H1.2", "E1.1"]
CHARGER_DESCRIPTION = (
    "I'm the COO of a 12-person startup and we make home EV wall chargers that people put in their garage. "
    "The charger talks to a phone app over Bluetooth and to the electricity meter over a cable; there is no cloud yet. "
    "We sell them in the EU. "
    "Our contractor filled in a checklist from a test lab and we keep the PDF. "
    "Our support staff all log in to the service console with one shared admin password."
)
CHARGER_CHECKLIST = "Our contractor filled in a checklist from a test lab and we keep the PDF"
CHARGER_PROFILE_REPLY = "Yes, we make the chargers."
CHARGER_OBJECTIVES = {
    "priorities": "A charger catching fire in someone's garage.",
    "appetite": "medium I guess, we're a startup and need to move fast but we can't have chargers burning houses",
    "obligations": "the EU radio equipment rules",
}
CHARGER_WORSE = "Anyone in support can do anything in the console, there are no separate roles."
PATCH_QUESTION = "What do you mean by a patch policy?"

CHARGER_ANSWERS: list[tuple[str, str]] = [
    # G1.2 Compliance Management
    (r"You said: .*test lab", "Yes, that's the PDF from the test lab."),
    (r"laws, standards or customer requirements", CHARGER_CHECKLIST + "."),
    (r"register of every security obligation", "No, we don't have anything like that."),
    (
        r"compliance audits|sometimes check whether you still do|before you launch in a big new market",
        "Just the test lab once, last year.",
    ),
    (r"written list of the main security rules", "No, just the checklist PDF."),
    # E1.1 Establishing and Maintaining Identities
    (
        r"get its own login or key",
        "Each charger has its own serial number, and the app pairs with it using a PIN printed inside the cover.",
    ),
    (r"different for every unit|shared factory password", "Yes, every charger gets its own PIN at the factory."),
    (r"personal account rather than a shared one", "No, support all use the same admin login."),
    # E1.2 Access Control (before the rejection; the worse answer comes after it)
    (
        r"who can change settings on your devices",
        "The owners change settings in the app, and our support staff can change things from the service console.",
    ),
    (
        r"have to log in first",
        "Yes, support staff log in to the console with the admin password, and owners have to pair the app with their charger.",
    ),
    # H1.2 Patch Management
    (
        r"how does the fix actually get onto",
        "When someone reports a problem we fix it, put the new firmware in the app, and the app installs it on the charger.",
    ),
    (r"patch policy", PATCH_QUESTION),
    (r"patch policy", "No, nothing is written down."),
    (r"updates over the network or through a simple step", "Yes, the owner just opens the app and it updates."),
]

# ------------------------------------------------------------------------------ the hospital's answers

HOSPITAL_PRACTICES = ["E1.2", "H2.1", "G3.2", "H1.2"]
HOSPITAL_DESCRIPTION = (
    "I look after the technical side of a regional hospital. "
    "Building management, nurse call and the infusion pumps are all on one network, the vendor runs it. "
    "We don't make any of these devices, we buy them and use them on the wards."
)
HOSPITAL_NETWORK = "Building management, nurse call and the infusion pumps are all on one network, the vendor runs it"
HOSPITAL_PROFILE_REPLY = "Yes, we just run them."
HOSPITAL_OBJECTIVES = {
    "priorities": "patients",
    "appetite": "low, we're a hospital",
    "obligations": "none that I know of, the vendor takes care of that",
}
HOSPITAL_BADGE = (
    "The nurses log in on the pumps with their badge, and the building management screens have one login the vendor set up."
)

HOSPITAL_ANSWERS: list[tuple[str, str]] = [
    # E1.2 Access Control
    (
        r"who can change settings",
        "The vendor's technicians and our biomed team can; the nurses can only set up a pump for a patient.",
    ),
    (r"have to log in first", HOSPITAL_BADGE),
    (r"separate ordinary users from administrators", "The vendor has the admin accounts, we just use the systems."),
    # G3.2 Services Third-Party Dependencies Management
    (
        r"which outside services does your system need",
        "The vendor runs the network and looks after the pumps and the building system; if they stopped, we'd be stuck.",
    ),
    (r"list, even from memory", "Yes, I could name them: the network vendor, the pump maker and the nurse call company."),
    (r"contracts with the most important providers", "The vendor contract is old and says nothing about security."),
    (
        r"which providers or contractors can get into your system",
        "The vendor can get in remotely whenever they want, and they hold the admin logins.",
    ),
    # H1.2 Patch Management
    (r"how does the fix actually get onto", "The vendor updates the pumps when their technician visits, about once a year."),
    (r"patch policy", PATCH_QUESTION),
    (r"patch policy", "No, we leave that to the vendor."),
    (r"updates over the network or through a simple step", "No, the vendor's technician has to come."),
    # H2.1 Monitoring Current State
    (r"behaving strangely tonight", "Honestly, probably only when a nurse notices a pump acting up."),
    (r"keep logs at all|logs from your most important components", "The vendor has some logs, I think, but we never see them."),
]

# ------------------------------------------------------------------------------------- the machinery


@dataclass
class Asked:
    """A practice question as the user saw it, and what they answered."""

    practice: str
    probe_id: str | None
    text: str
    answer: str


@dataclass
class Persona:
    """Someone answering as they would: each scripted answer is given once, to the first question it fits."""

    rules: list[tuple[str, str]]
    fallback: str = "Not that I know of."
    used: set[int] = field(default_factory=set)

    def answer(self, question: str) -> str:
        for k, (pattern, text) in enumerate(self.rules):
            if k not in self.used and re.search(pattern, question, re.I):
                self.used.add(k)
                return text
        return self.fallback


@dataclass
class Walk:
    """An interview driven by a persona, with what the user saw and said recorded."""

    iv: Interview
    persona: Persona
    said: list[str] = field(default_factory=list)
    asked: list[Asked] = field(default_factory=list)
    drafts: list[Proposal] = field(default_factory=list)

    def say(self, text: str) -> list[Turn]:
        self.said.append(text)
        return self.iv.say(text)

    def answer(self) -> list[Turn]:
        """Answer the pending practice question as the persona would."""
        q = pending(self.iv)
        assert q.kind == "practice" and q.practice is not None, transcript_text(self.iv)
        text = self.persona.answer(q.text)
        self.asked.append(Asked(q.practice, q.probe_id, q.text, text))
        return self.say(text)

    def answer_until_review(self, cap: int = 10) -> str:
        """Answer practice questions until a proposal awaits review; the practice it is for."""
        for _ in range(cap):
            q = pending(self.iv)
            if q.kind == "review":
                assert q.practice is not None
                self.drafts.append(proposal_of(self.iv, q.practice))
                return q.practice
            self.answer()
        raise AssertionError(f"no proposal after {cap} answers:\n{transcript_text(self.iv)}")

    def through_targets(self, profile_reply: str, objectives: dict[str, str]) -> dict[str, list[Turn]]:
        """After the description: confirm industry and role, answer the objectives, accept the drafted targets."""
        out: dict[str, list[Turn]] = {}
        assert pending_kind(self.iv) == "profile", transcript_text(self.iv)
        out["profile"] = self.say(profile_reply)
        for _ in range(6):
            q = pending(self.iv)
            if q.kind != "objective":
                break
            key = q.key
            assert key is not None and key in objectives, q
            out[key] = self.say(objectives[key])
        assert pending_kind(self.iv) == "targets", transcript_text(self.iv)
        shown = next(t for t in reversed(self.iv.transcript) if t.kind == "question")
        assert shown.text == pending(self.iv).text
        out["targets"] = [shown]
        out["accept"] = self.say("accept targets")
        return out


def start(services, system_name: str, practices: list[str]) -> Interview:
    return Interview.start(
        services.catalog,
        services.index,
        services.engine,
        services.store,
        system_name=system_name,
        practices=practices,
        ask_objectives=True,
    )


def charger_walk(services, practices: list[str], rules: list[tuple[str, str]] | None = None, description: str = "") -> Walk:
    """Sabine has described her chargers, confirmed industry and role, answered the objectives and accepted the targets."""
    walk = Walk(start(services, "Home EV wall charger", practices), Persona(rules or CHARGER_ANSWERS))
    walk.say(description or CHARGER_DESCRIPTION)
    walk.through_targets(CHARGER_PROFILE_REPLY, CHARGER_OBJECTIVES)
    return walk


def hospital_walk(services, practices: list[str]) -> Walk:
    """The hospital has described its network, confirmed industry and role, answered the objectives and accepted the targets."""
    walk = Walk(start(services, "Ward devices", practices), Persona(HOSPITAL_ANSWERS))
    walk.say(HOSPITAL_DESCRIPTION)
    walk.through_targets(HOSPITAL_PROFILE_REPLY, HOSPITAL_OBJECTIVES)
    return walk


# ------------------------------------------------- reading state afresh (mypy keeps narrowings otherwise)


def pending(iv: Interview) -> PendingQuestion:
    q = iv.pending
    assert q is not None, transcript_text(iv)
    return q


def pending_kind(iv: Interview) -> str | None:
    return iv.pending.kind if iv.pending is not None else None


def pending_practice(iv: Interview) -> str | None:
    return iv.pending.practice if iv.pending is not None else None


def role(iv: Interview) -> str | None:
    return iv.state.role


def finished(iv: Interview) -> bool:
    return iv.finished


def proposal_of(iv: Interview, pid: str) -> Proposal:
    p = iv.state.practices[pid].proposal
    assert p is not None, f"no proposal for {pid}"
    return p


def transcript_text(iv: Interview) -> str:
    return "\n".join(f"[{t.id} {t.role} {t.kind}{' ' + t.practice if t.practice else ''}] {t.text}" for t in iv.transcript)


def reply_text(turns: list[Turn]) -> str:
    return "\n".join(t.text for t in turns)


# ----------------------------------------------------------------------------------------- checks


def indicator_level(indicator: str) -> int:
    return int(indicator.split("-L", 1)[1][0])


def check_rests_on_the_persona(proposal: Proposal, walk: Walk, catalog: Catalog) -> None:
    """Item 3: the validator passes, and each cited indicator rests on a statement the persona made, verbatim."""
    iv = walk.iv
    assert validate_proposal(proposal, catalog, iv.transcript) == [], proposal
    turns = {t.id: t for t in iv.transcript}
    for s in proposal.support:
        turn = turns[s.turn_id]
        assert turn.role == "stakeholder" and turn.text in walk.said, s
        assert s.quote in turn.text and "What do you mean" not in s.quote
    for q in proposal.quotes:
        assert turns[q.turn_id].text in walk.said and "What do you mean" not in q.text, q
    if proposal.level is not None:
        own = {c.id for c in proposal.indicators if indicator_level(c.id) <= proposal.level}
        assert own <= {s.indicator for s in proposal.support}, "each cited indicator has the statement that meets it"
    card = iv.render_proposal(proposal)
    for s in proposal.support:
        assert f"[{s.indicator}]" in card and " ".join(s.quote.split()) in card


def supported(proposal: Proposal) -> set[str]:
    return {s.indicator for s in proposal.support}


def description_settled(walk: Walk, pid: str) -> set[str]:
    """Indicators the opening description already says something definite about, for one practice."""
    description_turn = next(t.id for t in walk.iv.transcript if t.role == "stakeholder")
    return {
        e.indicator
        for r in walk.iv.state.practices[pid].readings
        if r.turn_id == description_turn
        for e in r.evidence
        if e.state in ("supports", "contradicts") and e.score >= THRESHOLDS[e.state]
    }


def check_description_not_asked_again(walk: Walk, pid: str, catalog: Catalog) -> None:
    """Item 4: a practice the description spoke about does not open with its open question, and is never asked
    a question whose indicators the description settled (a closed question quoting the user's words is fine)."""
    settled = description_settled(walk, pid)
    assert settled, f"the description said something about {pid}"
    opening = opening_for(catalog.practices[pid], role(walk.iv))
    for a in (a for a in walk.asked if a.practice == pid):
        assert not a.text.endswith(opening), f"{pid} asked its opening question again: {a.text}"
        if a.probe_id and CONFIRM_PREFIX not in a.probe_id:
            about = set(probe_indicators(catalog.practices[pid], a.probe_id))
            assert not about <= settled, f"{a.probe_id} asks about {sorted(about)}, already told: {a.text}"


def practice_questions(iv: Interview) -> list[str]:
    return [t.text for t in iv.transcript if t.kind == "question" and t.practice]


def not_asked_marks(card: str) -> set[str]:
    """Indicators a card marks as "not asked about yet"."""
    return set(re.findall(r"^- \[([A-Z]\d\.\d-L\d-\d\d)\].*\*\(not asked about yet\)\*\s*$", card, re.M))


def check_question_is_answered_not_stored(walk: Walk, catalog: Catalog) -> None:
    """Item 13: "What do you mean by a patch policy?" gets an answer from the catalog, the same question is asked
    again, and it is never read as evidence."""
    iv = walk.iv
    said = [k for k, t in enumerate(iv.transcript) if t.role == "stakeholder" and t.text == PATCH_QUESTION]
    assert len(said) == 1, "the persona asked what a patch policy is"
    k = said[0]
    asked_before, reply, asked_again = iv.transcript[k - 1], iv.transcript[k + 1], iv.transcript[k + 2]
    assert reply.kind == "explain" and reply.text.startswith("That is a question for me, so I did not take it as an answer.")
    assert "H1.2-L3-01" in reply.text and "patch policy" in reply.text, "answered from the catalog, with citations"
    assert asked_again.kind == "question" and asked_again.text == asked_before.text, "the same question is asked again"
    for pp in iv.state.practices.values():
        assert not any(PATCH_QUESTION.rstrip("?") in r.quote for r in pp.readings), "a question is never evidence"
    for d in walk.drafts:
        assert not any("patch policy?" in q.text or "What do you mean" in q.text for q in d.quotes)


def check_assessment_validates(a: Assessment, catalog: Catalog, tmp_path: Path) -> None:
    import jsonschema

    path = tmp_path / "assessment.json"
    save_assessment(a, path)
    again = load_assessment(path, catalog)
    assert again.id == a.id and again.current.keys() == a.current.keys()
    jsonschema.validate(again.model_dump(mode="json"), assessment_json_schema())


# ------------------------------------------------------------------------------------------ the charger


def test_ev_charger_startup(services, tmp_path: Path) -> None:
    catalog = services.catalog
    iv = start(services, "Home EV wall charger", CHARGER_PRACTICES)
    walk = Walk(iv, Persona(CHARGER_ANSWERS))
    assert pending_kind(iv) == "context"

    # -- item 4: what the description says is noted for the practices it concerns
    replies = walk.say(CHARGER_DESCRIPTION)
    noted = replies[0].text
    m = re.fullmatch(
        r"Thank you\. I noted \d+ statement\(s\) as evidence for \d+ practice\(s\) \(([^)]*)\); "
        r"I will not ask again what you already told me\.",
        noted,
    )
    assert m is not None, noted
    assert {"G1.2", "E1.2"} <= set(m.group(1).split(", ")), noted
    g12_context = [r.quote for r in iv.state.practices["G1.2"].readings]
    assert g12_context == [CHARGER_CHECKLIST], "the test-lab checklist is evidence of compliance"
    assert all(r.quote in CHARGER_DESCRIPTION for r in iv.state.practices["E1.2"].readings)
    assert iv.state.practices["E1.2"].readings, "the shared admin password is about access control"

    # -- item 5: a home EV charger is not the automotive gateway; "no profile" is said plainly
    question = pending(iv)
    assert question.kind == "profile"
    guess = question.text.split(" Is that right?")[0]
    assert "automotive" not in guess and "'automotive-ota-gateway' (" not in question.text
    assert "none of our example profiles fits, which is fine: targets come from your answers" in guess
    assert "you make devices or software for others" in guess
    assert iv.state.suggested_profile is None and iv.state.suggested_industry != "automotive"

    steps = walk.through_targets(CHARGER_PROFILE_REPLY, CHARGER_OBJECTIVES)
    assert reply_text(steps["profile"]).startswith("Industry: consumer; profile: none.")
    assert iv.state.profile is None and iv.state.industry != "automotive" and role(iv) == "maker"
    meta = iv.assessment().metadata
    assert meta.profile is None and meta.industry != "automotive"

    # -- item 1: objectives read as said, confirmed before the targets, and the targets follow
    o = iv.state.objectives
    assert o.appetite == "medium" and "safety" in o.priorities and o.obligations == ["the EU radio equipment rules"]
    targets = steps["targets"][0].text
    assert targets.startswith(
        "I understood: medium risk appetite; worst harm: people getting hurt; rules: the EU radio equipment rules. "
        "If that is wrong, change a target below and say why"
    ), targets
    assert targets.index("I understood") < targets.index("Proposed targets")
    lines = {x.split()[1]: x for x in targets.splitlines() if re.match(r"- [GEH]\d\.\d ", x)}
    assert len(lines) == 18
    assert "high risk appetite" not in targets and "Default from the profile" not in targets
    assert all("Baseline for a medium risk appetite." in x for x in lines.values())
    g12 = lines["G1.2"]
    assert "level 3 (industry)" in g12 and "because the system must meet: the EU radio equipment rules" in g12
    raised = [pid for pid, x in lines.items() if "Raised because safety matters most to the business" in x]
    assert {"H3.1", "H3.2"} <= set(raised), "a charger that can catch fire raises the safety practices"
    assert reply_text(steps["accept"]).startswith("Targets recorded.")
    set_targets = iv.assessment().targets
    assert set_targets.profile is None and "EU radio equipment rules" in (set_targets.practices["G1.2"].reason or "")

    # -- G1.2 Compliance Management (items 3 and 4)
    assert walk.answer_until_review() == "G1.2"
    first_g12 = next(a for a in walk.asked if a.practice == "G1.2")
    assert first_g12.text.split("\n")[-1].startswith(f"You said: \u201c{CHARGER_CHECKLIST}\u201d. To be sure I read that right")
    check_description_not_asked_again(walk, "G1.2", catalog)
    g12p = proposal_of(iv, "G1.2")
    check_rests_on_the_persona(g12p, walk, catalog)
    assert g12p.level is not None and 1 <= g12p.level <= 2, "a test-lab checklist is not a managed compliance process"
    assert not any(indicator_level(c.id) >= 3 for c in g12p.indicators)
    assert "G1.2-L3-01" not in supported(g12p) and not any("register" in s.quote.lower() for s in g12p.support)
    assert not any("register" in c.text for c in g12p.indicators), "she never mentioned a compliance register"
    walk.say("accept")

    # -- E1.1 Establishing and Maintaining Identities
    assert walk.answer_until_review() == "E1.1"
    check_rests_on_the_persona(proposal_of(iv, "E1.1"), walk, catalog)
    walk.say("accept")

    # -- E1.2 Access Control: reject, then the worse answer (items 2, 3 and 4)
    assert walk.answer_until_review() == "E1.2"
    first = proposal_of(iv, "E1.2")
    check_rests_on_the_persona(first, walk, catalog)
    assert "E1.2-L1-04" not in supported(first), "one shared admin password is not 'admin rights held by a few'"
    assert not any(a.text.endswith(opening_for(catalog.practices["E1.2"], "maker")) for a in walk.asked)
    rejected = reply_text(walk.say("reject"))
    assert "Rejected. Let us look at Access Control again." in rejected
    assert pending_kind(iv) == "practice" and pending_practice(iv) == "E1.2"
    assert iv.state.practices["E1.2"].rejected == [first]
    q = pending(iv)
    walk.asked.append(Asked("E1.2", q.probe_id, q.text, CHARGER_WORSE))
    walk.say(CHARGER_WORSE)
    assert walk.answer_until_review() == "E1.2"
    again = proposal_of(iv, "E1.2")
    assert again.id != first.id
    check_rests_on_the_persona(again, walk, catalog)
    assert "E1.2-L1-04" not in supported(again)
    assert first.level is not None and again.level is not None and again.level <= first.level, "worse news never raises it"
    assert any(r.quote in CHARGER_WORSE for r in iv.state.practices["E1.2"].readings), "the worse answer was read"
    walk.say("accept")

    # -- H1.2 Patch Management: a question is not an answer (item 13); left for later (item 10)
    assert walk.answer_until_review() == "H1.2"
    check_question_is_answered_not_stored(walk, catalog)
    h12 = proposal_of(iv, "H1.2")
    check_rests_on_the_persona(h12, walk, catalog)
    later = reply_text(walk.say("later"))
    assert "H1.2 stays awaiting review; it is not scored until you decide." in later
    done = reply_text(walk.say("done"))
    assert finished(iv) and iv.undecided() == ["H1.2"]
    assert "not yet decided: H1.2 (type `continue` to take them up)" in done

    a = session_assessment(iv)
    assert a.current["H1.2"].status == "proposed"
    rep = score(a, catalog)
    assert next(p for p in rep.practices if p.id == "H1.2").status == "awaiting_review"
    md = render_markdown(rep, a, catalog)
    html = render_html(rep, a, catalog)
    for text in (md, html):
        assert "not yet decided" in text and "accept by pending review" not in text

    reopened = walk.say("continue")
    assert not finished(iv)
    assert reopened[0].text == "Not yet decided: H1.2 Patch Management. Let us take H1.2 now."
    assert any(t.kind == "proposal" and t.practice == "H1.2" for t in reopened)
    assert pending_kind(iv) == "review" and pending_practice(iv) == "H1.2"
    walk.say("accept")
    assert finished(iv) and iv.undecided() == []

    # -- the assessment the user exports
    final = session_assessment(iv)
    check_assessment_validates(final, catalog, tmp_path)
    assert final.id == iv.session_id
    assert final.metadata.practices == [p for p in catalog.practices if p in CHARGER_PRACTICES]
    assert final.objectives is not None and final.objectives.appetite == "medium" and "safety" in final.objectives.priorities
    assert {pid: r.status for pid, r in final.current.items()} == dict.fromkeys(CHARGER_PRACTICES, "confirmed")
    report = score(final, catalog)
    by_id = {p.id: p for p in report.practices}
    for pid in CHARGER_PRACTICES:
        assert by_id[pid].status in COMPARED and by_id[pid].gap is not None
    assert by_id["G1.2"].target is not None and by_id["G1.2"].target.level == 3 and (by_id["G1.2"].gap or 0) >= 1
    assert {p.status for pid, p in by_id.items() if pid not in CHARGER_PRACTICES} == {"out_of_scope"}
    assert "not yet decided" not in render_markdown(report, final, catalog)


# ----------------------------------------------------------------------------------------- the hospital


def test_hospital(services, tmp_path: Path) -> None:
    catalog = services.catalog
    iv = start(services, "Ward devices", HOSPITAL_PRACTICES)
    walk = Walk(iv, Persona(HOSPITAL_ANSWERS))

    # -- item 4: "all on one network, the vendor runs it" is evidence for access control
    noted = walk.say(HOSPITAL_DESCRIPTION)[0].text
    m = re.search(r"as evidence for \d+ practice\(s\) \(([^)]*)\); I will not ask again what you already told me\.$", noted)
    assert m is not None and "E1.2" in m.group(1).split(", "), noted
    assert [r.quote for r in iv.state.practices["E1.2"].readings] == [HOSPITAL_NETWORK]

    # -- item 11: the guess that it runs devices others make is said before it is used
    question = pending(iv)
    assert question.kind == "profile"
    guess = question.text.split(" Is that right?")[0]
    assert "It also sounds like you run devices that others make." in guess
    assert "It sounds like the medical industry" in guess and "none of our example profiles fits" in guess
    steps = walk.through_targets(HOSPITAL_PROFILE_REPLY, HOSPITAL_OBJECTIVES)
    assert role(iv) == "operator"
    assert "I will ask about the devices and systems you run" in reply_text(steps["profile"])

    # -- item 1: "patients" is read as people getting hurt
    o = iv.state.objectives
    assert o.priorities == ["safety"] and o.appetite == "low" and o.obligations == []
    targets = steps["targets"][0].text
    assert targets.startswith("I understood: low risk appetite; worst harm: people getting hurt; rules: none named.")
    assert targets.index("I understood") < targets.index("Proposed targets")
    h21 = next(x for x in targets.splitlines() if x.startswith("- H2.1 "))
    assert "level 4" in h21 and "Raised because safety matters most to the business" in h21
    assert not any(w in targets for w in ("privacy matters", "reputation matters", "availability matters"))

    # -- the practices, in catalog order: G3.2, E1.2, H1.2, H2.1 (left with `skip` and taken up again)
    assert walk.answer_until_review() == "G3.2"
    check_rests_on_the_persona(proposal_of(iv, "G3.2"), walk, catalog)
    walk.say("accept")

    assert walk.answer_until_review() == "E1.2"
    check_description_not_asked_again(walk, "E1.2", catalog)
    e12 = proposal_of(iv, "E1.2")
    check_rests_on_the_persona(e12, walk, catalog)
    if e12.level == 0:
        # She said the nurses log in with their badge: she corrects the draft, as the card invites her to.
        walk.say("modify 1 because the nurses have to log in on the pumps with their badge")
        assert iv.assessment().current["E1.2"].provenance.decision == "modify"
    else:
        walk.say("accept")

    assert walk.answer_until_review() == "H1.2"
    check_question_is_answered_not_stored(walk, catalog)
    check_rests_on_the_persona(proposal_of(iv, "H1.2"), walk, catalog)
    walk.say("accept")

    assert pending_kind(iv) == "practice" and pending_practice(iv) == "H2.1"
    skipped = reply_text(walk.say("skip"))
    assert "Skipped H2.1 Monitoring Current State; you can come back to it." in skipped
    assert finished(iv) and iv.undecided() == ["H2.1"]
    assert "not yet decided: H2.1 (type `continue` to take them up)" in skipped
    reopened = walk.say("continue")
    assert not finished(iv) and reopened[0].text.startswith("Not yet decided: H2.1 Monitoring Current State.")
    assert pending_kind(iv) == "practice" and pending_practice(iv) == "H2.1"
    assert walk.answer_until_review() == "H2.1"
    h21p = proposal_of(iv, "H2.1")
    if h21p.insufficient:
        walk.say("modify 0 because nobody at the hospital watches the logs")
    else:
        check_rests_on_the_persona(h21p, walk, catalog)
        walk.say("accept")
    assert finished(iv) and iv.undecided() == []

    # -- item 11: every question was put to someone who runs devices others make
    asked = practice_questions(iv)
    assert len(asked) >= len(HOSPITAL_PRACTICES)
    for text in asked:
        low = text.lower()
        assert "your product" not in low and "customer" not in low, text
    assert any("devices you run" in t or "your devices" in t for t in asked)

    # -- the assessment the user exports
    final = session_assessment(iv)
    check_assessment_validates(final, catalog, tmp_path)
    assert final.id == iv.session_id
    assert final.metadata.practices == [p for p in catalog.practices if p in HOSPITAL_PRACTICES]
    assert final.metadata.industry == "medical" and final.metadata.profile is None
    assert final.objectives is not None and final.objectives.priorities == ["safety"]
    report = score(final, catalog)
    by_id = {p.id: p for p in report.practices}
    for pid in HOSPITAL_PRACTICES:
        assert by_id[pid].status in COMPARED and by_id[pid].current_status == "confirmed"
    assert by_id["H2.1"].target is not None and by_id["H2.1"].target.level == 4


# ------------------------------------------------------------------------- where the fix does not hold


def test_ev_charger_a_rejected_draft_does_not_come_back_unchanged(services) -> None:
    walk = charger_walk(services, ["E1.2"])
    iv = walk.iv
    assert walk.answer_until_review() == "E1.2"
    first = proposal_of(iv, "E1.2")
    walk.say("reject")
    q = pending(iv)
    walk.asked.append(Asked("E1.2", q.probe_id, q.text, CHARGER_WORSE))
    walk.say(CHARGER_WORSE)
    assert walk.answer_until_review() == "E1.2"
    again = proposal_of(iv, "E1.2")
    card = iv.render_proposal(again)
    identical = (again.level, sorted(c.id for c in again.indicators)) == (first.level, sorted(c.id for c in first.indicators))
    says_what_changed = any(n.startswith("Changed since the draft you rejected") for n in again.notes)
    assert not identical or says_what_changed, card
    assert CHARGER_WORSE.rstrip(".")[:60] in card, "her answer is among the words the re-draft rests on"
    assert "E1.2-L2-01" not in not_asked_marks(card), "she has just said there are no separate roles"


def test_ev_charger_over_the_air_updates_said_twice_are_not_asked_again(services) -> None:
    description = CHARGER_DESCRIPTION + " We send firmware updates to the chargers over the air through the phone app."
    rules = [
        (r"how does the fix actually get onto", "We put the new firmware in the app and it goes over the air to the charger."),
        *CHARGER_ANSWERS,
    ]
    walk = charger_walk(services, ["H1.2"], rules, description)
    iv = walk.iv
    assert walk.answer_until_review() == "H1.2"
    noted = next(t.text for t in iv.transcript if t.kind == "info")
    assert "(H1.2)" in noted, noted
    ota = [a for a in walk.asked if a.probe_id == "H1.2-L2-Q1" or "updates over the network" in a.text]
    assert ota == [], ota
    # What she said in passing comes back as a closed question, quoting her, before anything else about H1.2.
    first = next(a for a in walk.asked if a.practice == "H1.2")
    assert first.probe_id is not None and CONFIRM_PREFIX in first.probe_id, first
    assert "over the air through the phone app" in first.text, first.text


def test_ev_charger_is_not_asked_whether_staff_log_in_after_saying_they_do(services) -> None:
    walk = charger_walk(services, ["E1.2"])
    assert walk.answer_until_review() == "E1.2"
    first = next(a for a in walk.asked if a.practice == "E1.2")
    assert first.probe_id != "E1.2-L1-Q1" and "have to log in first" not in first.text, first.text


def test_ev_charger_a_yes_is_not_quoted_as_a_no(services) -> None:
    yes = "Yes, through the app, nobody has to visit."
    rules = [(r"updates over the network or through a simple step", yes), *CHARGER_ANSWERS]
    walk = charger_walk(services, ["H1.2"], rules)
    iv = walk.iv
    assert walk.answer_until_review() == "H1.2"
    assert any(a.answer == yes for a in walk.asked), "she was asked about updates without a visit"
    card = iv.render_proposal(proposal_of(iv, "H1.2"))
    assert "is not reached: \u201cYes, through the app" not in card, card
    line = next((x for x in card.splitlines() if x.startswith("- [H1.2-L2-01]")), "")
    assert "you said this is not done" not in line, card


def test_hospital_is_not_asked_about_its_product_when_threats_are_discussed(services) -> None:
    walk = hospital_walk(services, ["G2.1"])
    iv = walk.iv
    assert role(iv) == "operator"
    walk.answer_until_review()
    for text in practice_questions(iv):
        low = text.lower()
        assert "your product" not in low and "customer" not in low, text


@pytest.mark.xfail(
    strict=True,
    reason=(
        "issue 13 (reading; issue 14 items 3 and 18 are met: nothing she said is called not done or not asked): in 'The "
        "nurses log in on the pumps with their badge, and the building management "
        "screens have one login the vendor set up' the exposure 'one login the vendor set up' now denies what a shared "
        "login lacks (personal accounts, E1.2-L3-04) and no longer 'any login at all' (E1.2-L1-01), but the part before "
        "it, 'the nurses log in on the pumps with their badge, and the building management screens', meets L1-01 at "
        "p=0.44 only (the bar is 0.55, and it reads nearest to L2-02 'partly'), so the draft is level 0 and her answer "
        "is not among the words shown"
    ),
)
def test_hospital_card_does_not_call_answered_questions_unasked(services) -> None:
    walk = hospital_walk(services, ["E1.2"])
    iv = walk.iv
    assert walk.answer_until_review() == "E1.2"
    assert any(a.answer == HOSPITAL_BADGE for a in walk.asked)
    practice = services.catalog.practices["E1.2"]
    answered = {
        i for a in walk.asked if a.probe_id and a.answer != PATCH_QUESTION for i in probe_indicators(practice, a.probe_id)
    }
    card = iv.render_proposal(proposal_of(iv, "E1.2"))
    assert not (not_asked_marks(card) & answered), card
    assert "nurses log in on the pumps with their badge" in card, "her answer about logging in is among her words"
    login = next((x for x in card.splitlines() if x.startswith("- [E1.2-L1-01]")), "")
    assert "you said this is not done" not in login, "she said the nurses log in with their badge"
