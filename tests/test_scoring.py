"""The deterministic scorer: hand-computed cases, property tests, inheritance, roadmap and compare."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.assessment import (
    HARMS,
    Assessment,
    AssessmentMetadata,
    BusinessObjectives,
    CitedIndicator,
    CurrentRating,
    Provenance,
    Rating,
    Targets,
    TargetSetting,
    load_assessment,
    profile_default_reason,
)
from assistant.catalog import Catalog, load_catalog
from assistant.errors import InputError
from assistant.scoring import (
    CAVEAT,
    PROTECTS,
    SAFETY_PRACTICES,
    SCOPE_ORDER,
    STRATEGIES,
    compare,
    score,
    strategy_rule,
    strategy_title,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "eval" / "examples"
WHEN = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

# Loaded once at import: hypothesis tests must not depend on function-scoped fixtures.
CAT: Catalog = load_catalog()
PIDS = list(CAT.practices)
SCOPES = ("general", "industry", "system")

Spec = Any  # (level, scope) | "na" | ("proposed", level, scope) | ("proposed-na",)


def rating(spec: Any) -> Rating:
    if spec == "na":
        return Rating(not_applicable=True, reason="does not apply here")
    level, scope = spec
    return Rating(level=level, scope=scope)


def current_rating(spec: Spec) -> CurrentRating:
    status = "confirmed"
    if spec == ("proposed-na",):
        status, spec = "proposed", "na"
    elif isinstance(spec, tuple) and spec[0] == "proposed":
        status, spec = "proposed", spec[1:]
    value = rating(spec)
    prov = Provenance(
        proposed_by="engine",
        engine="guided",
        catalog_version=CAT.version,
        proposed=value,
        decision="not_applicable" if value.not_applicable else "accept",
        decision_reason="does not apply here" if value.not_applicable else None,
        reviewer="tester",
        decided_at=WHEN,
    )
    return CurrentRating(value=value, status=status, provenance=prov)


def make(
    current: dict[str, Spec] | None = None,
    practices: dict[str, Any] | None = None,
    subdomains: dict[str, Any] | None = None,
    domains: dict[str, Any] | None = None,
    profile: str | None = None,
    system: str = "Test system",
    objectives: BusinessObjectives | None = None,
    chosen: list[str] | None = None,
) -> Assessment:
    def ts(spec: Any) -> TargetSetting:
        return TargetSetting(value=rating(spec), reason="test target", set_by="tester", set_at=WHEN)

    return Assessment(
        id="test",
        metadata=AssessmentMetadata(
            system_name=system, catalog_version=CAT.version, created_at=WHEN, updated_at=WHEN, practices=chosen
        ),
        objectives=objectives,
        targets=Targets(
            profile=profile,
            practices={k: ts(v) for k, v in (practices or {}).items()},
            subdomains={k: ts(v) for k, v in (subdomains or {}).items()},
            domains={k: ts(v) for k, v in (domains or {}).items()},
        ),
        current={k: current_rating(v) for k, v in (current or {}).items()},
    )


# ------------------------------------------------------------------------------ hand-computed cases


def hand_case() -> Assessment:
    return make(
        domains={"G": (3, "system"), "E": (2, "industry")},
        current={
            "G1.1": (2, "system"),  # below, gap 1
            "G1.2": (3, "general"),  # at, scope shortfall of 2 steps
            "G2.1": (4, "system"),  # above, gap -1
            "G2.2": "na",  # not applicable (current)
            "G3.1": ("proposed", 1, "system"),  # awaiting review
            # G3.2 unrated
            "E1.1": (2, "industry"),  # at
            "E1.2": (0, "general"),  # below, gap 2, scope shortfall of 1 step
            "H1.1": (3, "system"),  # no target
            "H1.2": (1, "general"),  # no target
        },
    )


def test_practice_statuses_and_gaps_by_hand() -> None:
    r = score(hand_case(), CAT)
    got = {p.id: (p.status, p.gap, p.scope_shortfall, p.scope_steps) for p in r.practices}
    assert got["G1.1"] == ("below", 1, False, 0)
    assert got["G1.2"] == ("at", 0, True, 2)
    assert got["G2.1"] == ("above", -1, False, 0)
    assert got["G2.2"] == ("not_applicable", None, False, None)
    assert got["G3.1"] == ("awaiting_review", None, False, None)
    assert got["G3.2"] == ("unrated", None, False, None)
    assert got["E1.1"] == ("at", 0, False, 0)
    assert got["E1.2"] == ("below", 2, True, 1)
    assert got["H1.1"] == ("no_target", None, False, None)
    assert got["E3.2"] == ("unrated", None, False, None)
    assert r.practice("G2.2").not_applicable_reason == "does not apply here"
    assert r.practice("G1.1").target_source == "domain"


def test_counts_by_hand() -> None:
    c = score(hand_case(), CAT).overall.counts
    assert (c.practices, c.below, c.at, c.above, c.not_applicable, c.unrated, c.awaiting_review, c.no_target) == (
        18,
        2,
        2,
        1,
        1,
        9,
        1,
        2,
    )
    assert c.scope_shortfalls == 2


def test_min_rollup_by_hand() -> None:
    r = score(hand_case(), CAT, "min")
    g, e, h = (r.domains[i].aggregate for i in range(3))
    assert (g.value, g.current, g.target, g.gap) == (2, 2, 3, 1)
    assert (e.value, e.current, e.target, e.gap) == (0, 0, 2, 2)
    assert (h.value, h.target, h.gap) == (1, None, None)
    o = r.overall.aggregate
    assert (o.current, o.target, o.gap) == (0, 2, 2)


def test_mean_rollup_by_hand() -> None:
    r = score(hand_case(), CAT, "mean")
    g, e, h = (r.domains[i].aggregate for i in range(3))
    assert (g.current, g.target, g.gap) == (3.0, 3.0, 0.0)
    assert (e.current, e.target, e.gap) == (1.0, 2.0, 1.0)
    assert (h.current, h.target, h.gap) == (2.0, None, None)
    o = r.overall.aggregate
    assert o.current == round(15 / 7, 4)
    assert o.target == 2.6
    assert o.gap == 0.4


def test_share_rollup_by_hand() -> None:
    r = score(hand_case(), CAT, "share_at_target")
    g, e, h = (r.domains[i].aggregate for i in range(3))
    assert g.value == round(2 / 3, 4)
    assert e.value == 0.5
    assert h.value is None
    assert r.overall.aggregate.value == 0.6
    assert (r.overall.aggregate.current, r.overall.aggregate.gap) == (None, None)


def test_subdomain_rollups_by_hand() -> None:
    r = score(hand_case(), CAT, "min")
    subs = {s.id: s for s in r.subdomains}
    assert [s.id for s in r.subdomains] == ["G1", "G2", "G3", "E1", "E2", "E3", "H1", "H2", "H3"]
    assert subs["G1"].aggregate.current == 2 and subs["G1"].aggregate.gap == 1
    assert subs["G2"].aggregate.current == 4 and subs["G2"].counts.not_applicable == 1
    assert subs["G3"].aggregate.value is None
    assert (subs["G3"].counts.awaiting_review, subs["G3"].counts.unrated) == (1, 1)


def test_roadmap_by_hand() -> None:
    r = score(hand_case(), CAT)
    assert [(i.rank, i.practice, i.gap) for i in r.roadmap] == [(1, "E1.2", 2), (2, "G1.1", 1)]
    e12 = r.roadmap[0]
    assert e12.next_level == 1
    assert [i.id for i in e12.next_indicators] == [i.id for i in CAT.practices["E1.2"].level(1).indicators]
    assert [i.text for i in e12.next_indicators] == [i.text for i in CAT.practices["E1.2"].level(1).indicators]
    assert [s.level for s in e12.steps] == [1, 2]
    assert e12.steps[1].name == CAT.level_name(2)
    assert e12.scope_shortfall and (e12.current_scope, e12.target_scope) == ("general", "industry")
    assert [s.level for s in r.roadmap[1].steps] == [3]


def test_roadmap_without_objectives_is_ordered_by_effort() -> None:
    # Lowest current level first, then the smallest gap, then catalog order.
    a = make(
        practices={"H1.1": (4, "general"), "E1.1": (2, "general"), "G1.1": (4, "general"), "G2.1": (3, "general")},
        current={"H1.1": (3, "general"), "E1.1": (1, "general"), "G1.1": (3, "general"), "G2.1": (1, "general")},
    )
    roadmap = score(a, CAT).roadmap
    assert [i.practice for i in roadmap] == ["E1.1", "G2.1", "G1.1", "H1.1"]
    assert [i.quick_win for i in roadmap] == [True, False, False, False], "a quick win: one level, up to level 1 or 2"
    assert {i.priority for i in roadmap} == {"effort"}
    assert all("No business objectives are recorded" in i.reason for i in roadmap)
    assert roadmap[0].reason.endswith("Quick win: one level, up to level 2.")


def charger(objectives: BusinessObjectives | None) -> Assessment:
    """The EV charger startup of issue 14: the shared admin password (E1.2) sat below a 2 -> 4 data-protection step."""
    return make(
        practices={"E3.2": (4, "system"), "E1.2": (3, "general"), "G1.1": (2, "general"), "H2.2": (1, "general")},
        current={"E3.2": (2, "general"), "E1.2": (1, "general"), "G1.1": (0, "general"), "H2.2": (0, "general")},
        objectives=objectives,
    )


def test_roadmap_puts_safety_first_where_people_can_get_hurt() -> None:
    worried = BusinessObjectives(priorities=["safety", "privacy"], appetite="medium", obligations=["EU RED"])
    roadmap = score(charger(worried), CAT).roadmap
    # Safety (E1.2: who can command the chargers), then privacy (E3.2), then by effort (H2.2 one level, G1.1 two).
    assert [i.practice for i in roadmap] == ["E1.2", "E3.2", "H2.2", "G1.1"]
    assert [i.priority for i in roadmap] == ["safety", "objective", "effort", "effort"]
    assert roadmap[0].reason.startswith("Safety first: people can get hurt")
    assert "private data leaking" in roadmap[1].reason
    assert "None of the stated objectives depends on it most" in roadmap[2].reason and roadmap[2].quick_win
    assert all(i.reason.count(".") >= 2 and "\n" not in i.reason for i in roadmap), "one line: why, then the effort"
    # The same gaps without objectives: effort alone; the largest gap never jumps the queue.
    assert [i.practice for i in score(charger(None), CAT).roadmap] == ["H2.2", "G1.1", "E1.2", "E3.2"]


def test_roadmap_names_obligations_for_compliance() -> None:
    a = make(
        practices={"G1.2": (3, "industry"), "G1.1": (3, "general")},
        current={"G1.2": (1, "general"), "G1.1": (1, "general")},
        objectives=BusinessObjectives(obligations=["IEC 62443"]),
    )
    roadmap = score(a, CAT).roadmap
    assert [(i.practice, i.priority) for i in roadmap] == [("G1.2", "objective"), ("G1.1", "effort")]
    assert "laws or contracts" in roadmap[0].reason


def test_practices_not_chosen_are_out_of_scope_not_unrated() -> None:
    chosen = ["G1.1", "E1.1", "E1.2", "H1.1", "H1.2", "H2.1"]
    a = make(
        domains={"G": (2, "general"), "E": (2, "general"), "H": (2, "general")},
        current={"G1.1": (1, "general"), "E1.1": (2, "general"), "H1.2": ("proposed", 1, "general")},
        chosen=chosen,
    )
    r = score(a, CAT)
    c = r.overall.counts
    assert (c.practices, c.out_of_scope, c.unrated, c.below, c.at, c.awaiting_review) == (6, 12, 3, 1, 1, 1)
    assert r.practice("G2.1").status == "out_of_scope" and r.practice("E1.2").status == "unrated"
    assert all(r.practice(pid).status != "out_of_scope" for pid in chosen)
    g2 = next(s for s in r.subdomains if s.id == "G2")
    assert (g2.counts.practices, g2.counts.out_of_scope, g2.aggregate.value) == (0, 2, None)
    # A practice rated although it was not chosen is counted like any other.
    a.current["G2.1"] = current_rating((1, "general"))
    assert score(a, CAT).practice("G2.1").status == "below"


def test_target_not_applicable_wins_over_any_current_rating() -> None:
    a = make(
        practices={"G1.1": "na", "G1.2": "na", "G2.1": "na"},
        current={"G1.1": (3, "system"), "G1.2": ("proposed", 2, "general")},
    )
    r = score(a, CAT)
    assert [r.practice(p).status for p in ("G1.1", "G1.2", "G2.1")] == ["not_applicable"] * 3
    assert r.practice("G1.1").not_applicable_reason == "does not apply here"
    assert r.overall.aggregate.current is None  # a confirmed level under an n/a target is not counted


def test_proposed_not_applicable_is_awaiting_review() -> None:
    r = score(make(practices={"G1.1": (2, "general")}, current={"G1.1": ("proposed-na",)}), CAT)
    assert r.practice("G1.1").status == "awaiting_review"
    assert r.overall.counts.not_applicable == 0


def test_report_states_version_strategy_rule_and_caveat() -> None:
    for name in STRATEGIES:
        r = score(hand_case(), CAT, name)
        assert r.strategy == name
        assert r.strategy_rule == strategy_rule(name)
        assert r.catalog_version == CAT.version
        assert r.caveat == CAVEAT and "not always better" in r.caveat


JARGON = ("non-compensatory", "c2m2", "arithmetic", "numerator", "denominator", "headline", "aggregate", "in the spirit of")


def test_every_strategy_documents_its_rule_in_plain_words() -> None:
    for name, fn in STRATEGIES.items():
        assert fn.__doc__, name
        rule = strategy_rule(name)
        assert "left out and counted separately" in rule, name
        assert strategy_title(name) and "\n" not in strategy_title(name)
        assert not [w for w in JARGON if w in rule.lower()], (name, rule)


def test_unknown_strategy_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown strategy 'median'; choose one of min, mean, share_at_target"):
        score(hand_case(), CAT, "median")


def test_catalog_version_mismatch_and_unknown_citation_are_warned() -> None:
    a = hand_case()
    a.metadata.catalog_version = "0.9.0"
    a.current["G1.1"].provenance.indicators.append(CitedIndicator(id="G1.1-L3-99", text="no such indicator"))
    w = score(a, CAT).warnings
    assert any("made against catalog 0.9.0" in x for x in w)
    assert any("G1.1-L3-99" in x for x in w)


def test_score_is_pure_and_deterministic() -> None:
    a = load_assessment(EXAMPLES / "bottling-line.json", CAT)
    before = a.model_dump_json()
    r1, r2 = score(a, CAT), score(a, CAT)
    assert r1.model_dump_json() == r2.model_dump_json()
    assert a.model_dump_json() == before


# --------------------------------------------------------------------------------------- inheritance


def test_inheritance_practice_over_subdomain_over_domain_over_profile() -> None:
    prof = CAT.profiles["bottling-line"].targets
    layers: list[dict[str, Any]] = [
        {"profile": "bottling-line"},
        {"profile": "bottling-line", "domains": {"G": (1, "general")}},
        {"profile": "bottling-line", "domains": {"G": (1, "general")}, "subdomains": {"G1": (2, "industry")}},
        {
            "profile": "bottling-line",
            "domains": {"G": (1, "general")},
            "subdomains": {"G1": (2, "industry")},
            "practices": {"G1.1": (4, "system")},
        },
    ]
    expected = [("profile", prof["G1.1"].level), ("domain", 1), ("subdomain", 2), ("practice", 4)]
    for kw, (source, level) in zip(layers, expected, strict=True):
        p = score(make(**kw), CAT).practice("G1.1")
        assert (p.target_source, p.target.level if p.target else None) == (source, level), kw
    r = score(make(**layers[-1]), CAT)
    assert (r.practice("G1.2").target_source, r.practice("G2.1").target_source, r.practice("E1.1").target_source) == (
        "subdomain",
        "domain",
        "profile",
    )
    # A profile's reasons were written for its example system: the template's target says where it came from, as a default.
    e11 = r.practice("E1.1")
    assert e11.target_reason == profile_default_reason(CAT.profiles["bottling-line"].title)
    assert prof["E1.1"].reason not in (e11.target_reason or "") and e11.target_default
    assert not r.practice("G1.1").target_default


def test_no_target_anywhere() -> None:
    r = score(make(current={"G1.1": (2, "general")}), CAT)
    assert r.practice("G1.1").status == "no_target"
    assert r.practice("G1.1").target is None and r.practice("G1.1").target_source is None


# ------------------------------------------------------------------------------------------- compare


def test_compare_reports_what_moved_and_by_how_much() -> None:
    a = make(practices={"G1.1": (3, "system"), "H1.2": (2, "general")}, current={"G1.1": (1, "general"), "H1.2": (2, "general")})
    b = make(
        practices={"G1.1": (3, "system"), "H1.2": (3, "industry")},
        current={"G1.1": (3, "industry"), "H1.2": (1, "general"), "E1.1": ("proposed", 2, "general")},
        system="  test SYSTEM ",
    )
    c = compare(a, b, CAT)
    ch = {x.id: x for x in c.practices}
    g = ch["G1.1"]
    assert (g.current_level_delta, g.current_scope_delta, g.gap_delta, g.changed, g.status_changed) == (2, 1, -2, True, True)
    h = ch["H1.2"]
    assert (h.current_level_delta, h.target_level_delta, h.target_scope_delta, h.gap_delta) == (-1, 1, 1, 2)
    assert ch["E1.1"].changed and ch["E1.1"].current_level_delta is None
    assert not ch["G2.1"].changed
    assert (c.changed, c.raised, c.lowered) == (3, 1, 1)
    assert [d.id for d in c.domains] == ["G", "E", "H"]
    assert c.domains[0].before.current == 1 and c.domains[0].after.current == 3
    assert not c.forced


def test_compare_refuses_different_systems_unless_forced() -> None:
    a, b = make(system="Line 4"), make(system="Line 5")
    with pytest.raises(InputError, match=r"different systems.*--force"):
        compare(a, b, CAT)
    assert compare(a, b, CAT, force=True).forced


def test_compare_of_an_example_with_itself_has_no_changes() -> None:
    a = load_assessment(EXAMPLES / "residential-cameras.json", CAT)
    c = compare(a, a, CAT)
    assert c.changed == 0 and all(not x.changed for x in c.practices)


# ---------------------------------------------------------------------------------- property tests

rating_spec = st.one_of(st.just("na"), st.tuples(st.integers(0, 4), st.sampled_from(SCOPES)))
current_spec = st.one_of(
    rating_spec,
    st.tuples(st.just("proposed"), st.integers(0, 4), st.sampled_from(SCOPES)),
    st.just(("proposed-na",)),
)


@st.composite
def assessments(draw: st.DrawFn) -> Assessment:
    current = draw(st.dictionaries(st.sampled_from(PIDS), current_spec, max_size=18))
    practices = draw(st.dictionaries(st.sampled_from(PIDS), rating_spec, max_size=18))
    subdomains = draw(
        st.dictionaries(st.sampled_from(["G1", "G2", "G3", "E1", "E2", "E3", "H1", "H2", "H3"]), rating_spec, max_size=4)
    )
    domains = draw(st.dictionaries(st.sampled_from(["G", "E", "H"]), rating_spec, max_size=2))
    profile = draw(st.sampled_from([None, *sorted(CAT.profiles)]))
    objectives = draw(
        st.one_of(
            st.none(),
            st.builds(
                BusinessObjectives,
                priorities=st.lists(st.sampled_from(HARMS), unique=True, max_size=3),
                obligations=st.sampled_from([[], ["IEC 62443"]]),
            ),
        )
    )
    chosen = draw(st.one_of(st.none(), st.lists(st.sampled_from(PIDS), unique=True, min_size=1, max_size=18)))
    return make(
        current=current,
        practices=practices,
        subdomains=subdomains,
        domains=domains,
        profile=profile,
        objectives=objectives,
        chosen=chosen,
    )


def roadmap_key(r: Any, objectives: BusinessObjectives | None, pid: str) -> tuple[int, int, int, int]:
    """The documented roadmap rule, written out independently of the scorer."""
    p = r.practice(pid)
    if objectives is not None and "safety" in objectives.priorities and pid in SAFETY_PRACTICES:
        tier = 0
    elif objectives is not None and (
        any(pid in PROTECTS.get(h, ()) for h in objectives.priorities) or (objectives.obligations and pid == "G1.2")
    ):
        tier = 1
    else:
        tier = 2
    return (tier, p.current.level, p.gap, PIDS.index(pid))


PROPS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@PROPS
@given(assessments(), st.sampled_from(list(STRATEGIES)))
def test_gap_sign_matches_status(a: Assessment, strategy: str) -> None:
    for p in score(a, CAT, strategy).practices:
        if p.status == "below":
            assert p.gap is not None and p.gap > 0
        elif p.status == "at":
            assert p.gap == 0
        elif p.status == "above":
            assert p.gap is not None and p.gap < 0
        else:
            assert p.gap is None and p.scope_steps is None and not p.scope_shortfall
        if p.gap is not None:
            assert p.target and p.current and p.gap == p.target.level - p.current.level  # type: ignore[operator]
            assert p.scope_steps == SCOPE_ORDER[p.target.scope] - SCOPE_ORDER[p.current.scope]  # type: ignore[index]
            assert p.scope_shortfall == (p.scope_steps > 0)


@PROPS
@given(assessments())
def test_status_consistency(a: Assessment) -> None:
    r = score(a, CAT)
    for p in r.practices:
        cr = a.current.get(p.id)
        target_na = p.target is not None and p.target.not_applicable
        if p.status == "unrated":
            assert cr is None and not target_na
        if p.status == "awaiting_review":
            assert cr is not None and cr.status == "proposed" and not target_na
        if p.status == "not_applicable":
            assert target_na or (cr is not None and cr.status == "confirmed" and cr.value.not_applicable)
        if p.status == "no_target":
            assert p.target is None and cr is not None and cr.status == "confirmed"
        if p.status in ("below", "at", "above"):
            assert cr is not None and cr.status == "confirmed" and p.target is not None
    for group in [*r.domains, *r.subdomains, r.overall]:
        c = group.counts
        assert c.below + c.at + c.above + c.not_applicable + c.unrated + c.awaiting_review + c.no_target == c.practices
        assert c.practices + c.out_of_scope == len([p for p in r.practices if group.id in ("all", p.domain, p.subdomain)])
    for field in (
        "practices",
        "below",
        "at",
        "above",
        "not_applicable",
        "unrated",
        "awaiting_review",
        "no_target",
        "scope_shortfalls",
        "out_of_scope",
    ):
        assert sum(getattr(d.counts, field) for d in r.domains) == getattr(r.overall.counts, field)
        assert sum(getattr(s.counts, field) for s in r.subdomains) == getattr(r.overall.counts, field)
    assert [i.practice for i in r.roadmap] == sorted(
        (p.id for p in r.practices if p.status == "below"), key=lambda pid: roadmap_key(r, a.objectives, pid)
    )
    assert all(i.reason for i in r.roadmap) and [i.rank for i in r.roadmap] == list(range(1, len(r.roadmap) + 1))
    for p in r.practices:
        if p.status == "out_of_scope":
            assert a.metadata.practices is not None and p.id not in a.metadata.practices and p.id not in a.current


@PROPS
@given(assessments())
def test_rollup_bounds(a: Assessment) -> None:
    by = {name: score(a, CAT, name) for name in STRATEGIES}
    groups = ["overall", *(d.id for d in by["min"].domains), *(s.id for s in by["min"].subdomains)]

    def pick(name: str, gid: str) -> Any:
        r = by[name]
        return r.overall if gid == "overall" else next(g for g in [*r.domains, *r.subdomains] if g.id == gid)

    for gid in groups:
        members = [p for p in by["min"].practices if gid == "overall" or p.domain == gid or p.subdomain == gid]
        levels = [
            p.current.level
            for p in members
            if p.status in ("below", "at", "above", "no_target") and p.current and p.current.level is not None
        ]
        gaps = [p.gap for p in members if p.gap is not None]
        mn, me, sh = pick("min", gid).aggregate, pick("mean", gid).aggregate, pick("share_at_target", gid).aggregate
        if levels:
            assert mn.current == min(levels)
            assert mn.current is not None and me.current is not None
            assert mn.current <= me.current <= max(levels)
        else:
            assert mn.current is None and me.current is None
        if gaps:
            assert mn.gap == max(gaps)
            assert me.gap is not None and min(gaps) <= me.gap <= max(gaps)
            assert sh.value is not None and 0.0 <= sh.value <= 1.0
            assert sh.value == round(sum(1 for g in gaps if g <= 0) / len(gaps), 4)
        else:
            assert mn.gap is None and me.gap is None and sh.value is None


@PROPS
@given(assessments(), st.randoms(use_true_random=False))
def test_permutation_invariance(a: Assessment, rnd: random.Random) -> None:
    def shuffled(d: dict[str, Any]) -> dict[str, Any]:
        keys = list(d)
        rnd.shuffle(keys)
        return {k: d[k] for k in keys}

    b = a.model_copy(deep=True)
    b.current = shuffled(b.current)
    b.targets.practices = shuffled(b.targets.practices)
    b.targets.subdomains = shuffled(b.targets.subdomains)
    for name in STRATEGIES:
        assert score(a, CAT, name).model_dump_json() == score(b, CAT, name).model_dump_json()


@PROPS
@given(assessments(), st.sampled_from(PIDS))
def test_marking_not_applicable_changes_nothing_else_and_is_counted(a: Assessment, pid: str) -> None:
    before = score(a, CAT)
    b = a.model_copy(deep=True)
    b.current[pid] = current_rating("na")
    after = score(b, CAT)
    assert after.practice(pid).status == "not_applicable"
    for p_before, p_after in zip(before.practices, after.practices, strict=True):
        if p_before.id != pid:
            assert p_before == p_after
    added = 0 if before.practice(pid).status == "not_applicable" else 1
    assert after.overall.counts.not_applicable == before.overall.counts.not_applicable + added
    dom, sub = pid[0], pid.split(".")[0]
    for g_before, g_after in zip([*before.domains, *before.subdomains], [*after.domains, *after.subdomains], strict=True):
        if g_before.id not in (dom, sub):
            assert g_before == g_after


@PROPS
@given(assessments(), st.sampled_from(PIDS), st.integers(0, 4), st.sampled_from(SCOPES))
def test_unconfirmed_ratings_never_count(a: Assessment, pid: str, level: int, scope: str) -> None:
    b = a.model_copy(deep=True)
    b.current[pid] = current_rating(("proposed", level, scope))
    c = a.model_copy(deep=True)
    c.current.pop(pid, None)
    rb, rc = score(b, CAT), score(c, CAT)
    # A proposed rating weighs exactly as much as no rating at all: only the status label differs.
    for gb, gc in zip([rb.overall, *rb.domains, *rb.subdomains], [rc.overall, *rc.domains, *rc.subdomains], strict=True):
        assert gb.aggregate == gc.aggregate
        waiting_b = gb.counts.awaiting_review + gb.counts.unrated + gb.counts.out_of_scope
        assert waiting_b == gc.counts.awaiting_review + gc.counts.unrated + gc.counts.out_of_scope
    assert rb.roadmap == rc.roadmap
