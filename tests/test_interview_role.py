"""Maker or operator (issue 14, item 11): a hospital that only runs devices is not asked about "your product"."""

from __future__ import annotations

import pytest

from assistant.interview import Interview
from assistant.interview.role import guess_role, read_role

HOSPITAL = (
    "We are a 400-bed hospital. Building management, nurse call and the infusion pumps share one network, "
    "and the vendor runs it for us. We buy the pumps from a manufacturer and our biomedical team looks after them."
)
CHARGERS = "We are a 12-person startup; we make home EV wall chargers and sell them through electricians."


@pytest.mark.parametrize(
    ("text", "role"),
    [
        (HOSPITAL, "operator"),
        (CHARGERS, "maker"),
        ("We build PLC gateways and we also run them in our own plant.", "both"),
        ("A network of sensors in the fields.", None),
    ],
)
def test_the_description_suggests_maker_or_operator(text: str, role: str | None) -> None:
    assert guess_role(text) == role


@pytest.mark.parametrize(
    ("reply", "role"),
    [
        ("operator", "operator"),
        ("we don't make anything, we just run them", "operator"),
        ("medical; we run the devices", "operator"),
        ("both", "both"),
        ("we make them", "maker"),
        ("medical", None),
        ("no", None),
    ],
)
def test_a_reply_names_the_role_it_affirms(reply: str, role: str | None) -> None:
    assert read_role(reply, "") == role


def _start(services, **kw) -> Interview:
    kw.setdefault("practices", ["H1.2", "G3.1"])
    return Interview.start(
        services.catalog, services.index, services.engine, services.store, system_name="Ward", ask_objectives=False, **kw
    )


def _role(iv: Interview) -> str | None:
    """Read afresh (mypy would keep the type narrowed by an earlier assert across a state change)."""
    return iv.state.role


def _pending_kind(iv: Interview) -> str | None:
    return iv.pending.kind if iv.pending is not None else None


def _operator_probes(services) -> set[str]:
    return {q.operator for p in services.catalog.practices.values() for lv in p.levels for q in lv.probes if q.operator}


def test_a_hospital_is_asked_about_the_devices_it_runs_not_about_its_product(services) -> None:
    iv = _start(services)
    iv.say(HOSPITAL)
    assert iv.pending is not None and iv.pending.kind == "profile"
    assert "run devices that others make" in iv.pending.text, "the guess is said before it is used"
    replies = iv.say("yes")
    assert iv.state.role == "operator"
    assert any("devices and systems you run" in t.text for t in replies)
    asked = [t.text for t in iv.transcript if t.kind == "question" and t.practice]
    assert asked, "a practice question follows"
    operator_texts = _operator_probes(services) | {
        p.opening_operator for p in services.catalog.practices.values() if p.opening_operator
    }
    for _ in range(4):
        if _pending_kind(iv) != "practice":
            break
        iv.say("Not that I know of.")
    asked = [t.text for t in iv.transcript if t.kind == "question" and t.practice]
    assert not any("customer" in q.lower() or "your product" in q.lower() for q in asked), asked
    assert any(any(o in q for o in operator_texts) for q in asked), "operator wording from the catalog is used"


def test_a_maker_keeps_the_product_wording_and_role_can_be_changed_at_any_time(services) -> None:
    iv = _start(services, profile=None, practices=["H1.2"])
    iv.say(CHARGERS)
    iv.say("yes")
    assert _role(iv) == "maker"
    first = [t.text for t in iv.transcript if t.kind == "question" and t.practice]
    h12 = services.catalog.practices["H1.2"]
    assert first and first[-1].endswith(h12.opening_question)
    pending = iv.pending
    replies = iv.say("role operator")
    assert _role(iv) == "operator" and "devices and systems you run" in replies[0].text
    assert iv.pending == pending, "the pending question is asked again, nothing else moves"
    assert not iv.evidence("H1.2"), "a command is never evidence"


def test_with_a_profile_given_the_guess_is_stated_and_used(services) -> None:
    iv = _start(services, profile="residential-cameras")
    replies = iv.say(HOSPITAL)
    assert iv.state.role == "operator"
    assert any("run devices that others make" in t.text and "role maker" in t.text for t in replies)


def test_the_role_survives_a_resume(services) -> None:
    iv = _start(services)
    iv.say(HOSPITAL)
    iv.say("yes")
    again = Interview.resume(iv.session_id, services.catalog, services.index, services.engine, services.store)
    assert again.state.role == "operator"
