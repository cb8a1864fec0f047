"""The evaluation harness: metrics on hand-computed cases, the simulator, scenarios, logs, an end-to-end run."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.cli import main
from assistant.errors import InputError
from assistant.evaluation.metrics import confusion_matrix, metric_set, quadratic_weighted_kappa
from assistant.evaluation.runner import PracticeOutcome, read_log, run_eval, run_scenario, write_log
from assistant.evaluation.scenario import Scenario, ScenarioError, default_scenario_dir, load_scenario, load_scenarios
from assistant.evaluation.simulator import NOTHING, SimulatedStakeholder


def outcome(gold: int | None, pred: int | None, **kw) -> PracticeOutcome:
    base = dict(
        scenario="s",
        epoch=1,
        practice="H1.2",
        gold_level=gold,
        gold_scope="general",
        gold_not_applicable=gold is None,
        proposed_level=pred,
        proposed_scope="general",
        proposed_not_applicable=False,
        abstained=pred is None,
        citation_valid=True,
        quotes_faithful=True,
        turns=2,
    )
    base.update(kw)
    return PracticeOutcome(**base)


# ------------------------------------------------------------------------------------------ metrics


def test_kappa_hand_computed():
    assert quadratic_weighted_kappa([0, 1, 2, 3, 4], [0, 1, 2, 3, 4]) == pytest.approx(1.0)
    # Two classes, each confused once with the other: observed disagreement equals chance.
    assert quadratic_weighted_kappa([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(0.0)
    # Every rating one level high: 1 - (3/16) / (21/48) = 1 - 9/21.
    assert quadratic_weighted_kappa([0, 1, 2], [1, 2, 3]) == pytest.approx(1 - 9 / 21)
    assert quadratic_weighted_kappa([], []) is None
    with pytest.raises(ValueError):
        quadratic_weighted_kappa([1], [1, 2])


def test_metric_set_hand_computed():
    outs = [
        outcome(2, 2),
        outcome(2, 3, proposed_scope="industry"),  # over by one, scope wrong
        outcome(3, 1),  # under by two
        outcome(1, None),  # abstained
        outcome(None, None, proposed_not_applicable=True, abstained=False),  # n/a agreed
        outcome(0, 0, citation_valid=False),
    ]
    m = metric_set(outs)
    assert m.n == 6 and m.n_level == 4
    assert m.exact == pytest.approx(2 / 4)
    assert m.within_one == pytest.approx(3 / 4)
    assert m.mae == pytest.approx((0 + 1 + 2 + 0) / 4)
    assert m.over_rating == pytest.approx(1 / 4)
    assert m.under_rating == pytest.approx(1 / 4)
    assert m.scope_accuracy == pytest.approx(2 / 3)  # gold levels >= 1: (2,2) ok, (2,3) wrong, (3,1) ok
    assert m.abstention_rate == pytest.approx(1 / 5)
    assert m.na_agreement == pytest.approx(1.0)
    assert m.citation_validity == pytest.approx(4 / 5)
    assert confusion_matrix([2, 2, 3, 0], [2, 3, 1, 0])[2] == [0, 0, 1, 1, 0]


# ---------------------------------------------------------------------------------------- scenarios


def test_every_shipped_scenario_loads_and_follows_the_schema(catalog):
    import jsonschema

    schema_path = default_scenario_dir() / "scenario.schema.json"
    import json

    schema = json.loads(schema_path.read_text())
    scenarios = load_scenarios(None, catalog)
    assert len(scenarios) >= 10
    coverage: dict[str, int] = {}
    levels: set[int] = set()
    for f in sorted(default_scenario_dir().glob("*.yaml")):
        assert f.read_text().startswith("# yaml-language-server: $schema=scenario.schema.json")
        jsonschema.validate(yaml.safe_load(f.read_text()), schema)
    for sc in scenarios:
        for pid, sp in sc.practices.items():
            coverage[pid] = coverage.get(pid, 0) + 1
            if sp.expected:
                levels.add(sp.expected.level)
    assert set(coverage) == set(catalog.practices)
    assert min(coverage.values()) >= 5
    assert levels == {0, 1, 2, 3, 4}
    tags = {t for sc in scenarios for t in sc.tags}
    assert {"aspiration", "vague", "contradiction", "jargon-free", "manipulation"} <= tags


def test_scenario_errors_name_file_and_field(tmp_path, catalog):
    bad = tmp_path / "bad-one.yaml"
    bad.write_text(
        "id: bad-one\ntitle: x\nindustry: consumer\nopening: hi\npractices:\n  H9.9:\n    facts: [a]\n    expected: {level: 1}\n"
    )
    with pytest.raises(ScenarioError, match=r"bad-one.yaml: field practices.H9.9: unknown practice"):
        load_scenario(bad, catalog)
    bad.write_text(
        "id: bad-one\ntitle: x\nindustry: consumer\nopening: hi\npractices:\n  H1.2:\n    facts: [a]\n    expected: {level: 1}\n    not_applicable: nothing here\n"
    )
    with pytest.raises(ScenarioError, match="exactly one of expected or not_applicable"):
        load_scenario(bad, catalog)
    bad.write_text("id: other\ntitle: x\nindustry: consumer\nopening: hi\npractices: {}\n")
    with pytest.raises(ScenarioError, match="file name"):
        load_scenario(bad, catalog)


# ---------------------------------------------------------------------------------------- simulator


def test_simulator_answers_best_fact_once_then_nothing(built_index):
    sc = Scenario.model_validate(
        {
            "id": "t",
            "title": "t",
            "industry": "consumer",
            "opening": "We make cameras.",
            "practices": {
                "H1.2": {
                    "facts": ["We send firmware updates over the air when customers complain.", "Our office has a red sofa."],
                    "expected": {"level": 1},
                },
                "E2.2": {"not_applicable": "the cameras are in customers' homes"},
            },
        }
    )
    sim = SimulatedStakeholder(sc, built_index.embeddings)
    first = sim.answer("H1.2", "How do firmware fixes get onto cameras in the field?")
    assert first == "We send firmware updates over the air when customers complain."
    assert sim.answer("H1.2", "How do firmware fixes get onto cameras?") == "Our office has a red sofa."
    assert sim.answer("H1.2", "Anything else?") == NOTHING
    assert sim.answer("G1.1", "Who owns security?") == NOTHING
    assert "does not apply" in sim.answer("E2.2", "Are the devices locked away?")
    assert sim.answer("E2.2", "again?") == NOTHING
    for ans in (first,):
        assert "level" not in ans.lower()


# --------------------------------------------------------------------------------------- end to end


def test_small_end_to_end_run_and_log_round_trip(services, tmp_path, catalog):
    scenarios = [load_scenario(default_scenario_dir() / "residential-cameras.yaml", catalog)]
    sample = run_scenario(services, scenarios[0])
    assert {o.practice for o in sample.outcomes} == set(scenarios[0].practices)
    assert all(o.citation_valid and o.quotes_faithful for o in sample.outcomes if not o.abstained)
    assert all(o.turns <= 3 for o in sample.outcomes)
    log = run_eval(services, scenarios, scenarios_dir=default_scenario_dir(), epochs=1)
    m = log.metrics.overall
    assert m.n == len(scenarios[0].practices)
    assert m.within_one is not None and m.within_one >= 0.7
    assert log.spec.catalog_version == catalog.version and log.spec.engine == "guided"
    path = write_log(log, tmp_path)
    again = read_log(path)
    assert again == log
    with pytest.raises(InputError):
        read_log(tmp_path / "missing.json")
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_log(tmp_path / "junk.json")


def test_eval_cli_run_and_report(tmp_path, capsys, built_index, monkeypatch):
    monkeypatch.setattr("assistant.services.CatalogIndex.open", lambda catalog, settings: built_index)
    log_dir = tmp_path / "logs"
    main(["eval", "run", "--only", "bottling-line", "--log-dir", str(log_dir)])
    out = capsys.readouterr().out
    assert "within one" in out and "log written" in out
    log = next(log_dir.glob("*_guided.json"))
    report = tmp_path / "r.md"
    main(["eval", "report", str(log), "-o", str(report)])
    text = report.read_text()
    assert "Confusion matrix" in text and "By practice" in text
    assert "| bottling-line |" in text and "untagged" in text
    with pytest.raises(SystemExit) as exc:
        main(["eval", "run", "--only", "no-such-scenario", "--log-dir", str(log_dir)])
    assert exc.value.code == 2
    assert "no-such-scenario" in capsys.readouterr().err


def test_scenarios_dir_must_exist(catalog):
    with pytest.raises(ScenarioError):
        load_scenarios(Path("/nonexistent/dir"), catalog)
