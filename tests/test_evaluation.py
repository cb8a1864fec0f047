"""The evaluation harness: metrics on hand-computed cases, the simulator, scenarios, logs, an end-to-end run."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.cli import main
from assistant.errors import InputError
from assistant.evaluation.metrics import confusion_matrix, metric_set, quadratic_weighted_kappa
from assistant.evaluation.report import render_markdown
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

    from assistant.evaluation.scenario import scenario_root

    schema_path = scenario_root() / "scenario.schema.json"
    import json

    schema = json.loads(schema_path.read_text())
    scenarios = load_scenarios(None, catalog)
    assert len(scenarios) >= 10
    coverage: dict[str, int] = {}
    levels: set[int] = set()
    for split in ("dev", "test"):
        for f in sorted(default_scenario_dir(split).glob("*.yaml")):
            assert f.read_text().startswith("# yaml-language-server: $schema=../scenario.schema.json")
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


def test_the_frozen_test_split_is_what_the_issue_asks_for(catalog):
    test = load_scenarios(default_scenario_dir("test"), catalog)
    assert len(test) >= 12
    assert len({s.industry for s in test}) >= 8
    assert not {s.id for s in test} & {s.id for s in load_scenarios(default_scenario_dir("dev"), catalog)}
    for sc in test:
        assert set(sc.practices) == set(catalog.practices), sc.id
        for pid, sp in sc.practices.items():
            assert sp.note, (sc.id, pid)
            assert sp.not_applicable or 3 <= len(sp.facts) <= 5, (sc.id, pid)
    tags = {t for sc in test for t in sc.tags}
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
    main(["eval", "run", "--split", "dev", "--only", "bottling-line", "--log-dir", str(log_dir)])
    out = capsys.readouterr().out
    assert "within one" in out and "log written" in out
    log = next(log_dir.glob("*_guided.json"))
    report = tmp_path / "r.md"
    main(["eval", "report", str(log), "-o", str(report)])
    text = report.read_text()
    assert "Confusion matrix" in text and "By practice" in text
    assert "| bottling-line |" in text and "untagged" in text
    with pytest.raises(SystemExit) as exc:
        main(["eval", "run", "--split", "dev", "--only", "no-such-scenario", "--log-dir", str(log_dir)])
    assert exc.value.code == 2
    assert "no-such-scenario" in capsys.readouterr().err


def test_scenarios_dir_must_exist(catalog):
    with pytest.raises(ScenarioError):
        load_scenarios(Path("/nonexistent/dir"), catalog)


# ------------------------------------------------------------------------------- checkpoint and resume


def _two_scenario_run(monkeypatch, built_index, log_dir: Path, fail_on: str | None, error: type[BaseException]) -> None:
    """``smm eval run`` over two scenarios, with ``run_scenario`` raising ``error`` on ``fail_on``."""
    import assistant.evaluation.runner as runner

    def flaky(services, scenario, **kw):
        if scenario.id == fail_on:
            raise error("the machine was switched off")
        return run_scenario(services, scenario, **kw)

    monkeypatch.setattr("assistant.services.CatalogIndex.open", lambda catalog, settings: built_index)
    monkeypatch.setattr(runner, "run_scenario", flaky)
    main(["eval", "run", "--split", "dev", "--only", "residential-cameras", "--only", "bottling-line", "--log-dir", str(log_dir)])


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path, capsys, built_index, monkeypatch):
    log_dir = tmp_path / "logs"
    with pytest.raises(SystemExit) as exc:  # Ctrl-C during the second scenario
        _two_scenario_run(monkeypatch, built_index, log_dir, "bottling-line", KeyboardInterrupt)
    assert exc.value.code == 130
    partial = next(log_dir.glob("*_guided.partial.jsonl"))
    assert "--resume " + str(partial) in " ".join(capsys.readouterr().out.split())
    lines = partial.read_text().splitlines()
    assert len(lines) == 2  # the spec, then the one finished scenario
    assert not list(log_dir.glob("*_guided.json"))
    # The run so far can be read while it goes on (or after it stopped).
    main(["eval", "report", str(partial)])
    so_far = capsys.readouterr().out
    assert "**Partial run**: 1 of 2 scenario runs finished" in so_far and "Not run yet: bottling-line (epoch 1)." in so_far
    assert "| residential-cameras |" in so_far

    # A run killed while writing leaves a torn last line: it is ignored, and cut off when the run resumes.
    with partial.open("a") as f:
        f.write('{"scenario": "bottling-line", "epo')
    from assistant.evaluation.runner import Checkpoint

    assert len(Checkpoint.load(partial)[2]) == 1 and partial.read_text().endswith('"epo'), "reading changes nothing"
    cp, _spec, done = Checkpoint.load(partial, repair=True)
    assert partial.read_text().endswith("}\n")
    cp.append(done[0])
    assert len(Checkpoint.load(partial)[2]) == 2, "the next sample starts on a line of its own"
    partial.write_text("\n".join(partial.read_text().splitlines()[:2]) + "\n" + '{"scenario": "bottl')
    ran: list[str] = []
    import assistant.evaluation.runner as runner

    def counting(services, scenario, **kw):
        ran.append(scenario.id)
        return run_scenario(services, scenario, **kw)

    monkeypatch.setattr(runner, "run_scenario", counting)
    main(["eval", "run", "--resume", str(partial), "--log-dir", str(log_dir)])
    out = capsys.readouterr().out
    assert "1 of 2 scenario runs already done" in out
    assert ran == ["bottling-line"], "only the missing scenario runs again"
    assert not partial.exists(), "the checkpoint is removed once the log is written"
    log = read_log(next(log_dir.glob("*_guided.json")))
    assert [s.scenario for s in log.samples] == ["residential-cameras", "bottling-line"]
    assert log.spec.scenarios == ["residential-cameras", "bottling-line"]

    # The same two scenarios in one go give the same outcomes (the guided engine is deterministic).
    straight = tmp_path / "straight"
    main(
        ["eval", "run", "--split", "dev", "--only", "residential-cameras", "--only", "bottling-line", "--log-dir", str(straight)]
    )
    again = read_log(next(straight.glob("*_guided.json")))
    assert again.metrics.overall == log.metrics.overall
    assert [o for s in again.samples for o in s.outcomes] == [o for s in log.samples for o in s.outcomes]


def test_resume_refuses_a_changed_setup_or_a_damaged_file(tmp_path, capsys, built_index, monkeypatch):
    log_dir = tmp_path / "logs"
    with pytest.raises(SystemExit):
        _two_scenario_run(monkeypatch, built_index, log_dir, "bottling-line", KeyboardInterrupt)
    partial = next(log_dir.glob("*.partial.jsonl"))
    spec_line, sample_line = partial.read_text().splitlines()
    capsys.readouterr()

    def resume_fails(text: str) -> str:
        partial.write_text(text)
        with pytest.raises(SystemExit) as exc:
            main(["eval", "run", "--resume", str(partial), "--log-dir", str(log_dir)])
        assert exc.value.code == 2
        return str(capsys.readouterr().err)

    import json

    spec = json.loads(spec_line)
    real_hash = spec["catalog_hash"]
    spec["catalog_hash"] = "f" * 64
    assert f"catalog_hash was '{'f' * 64}', is now '{real_hash}'" in " ".join(
        resume_fails(json.dumps(spec) + "\n" + sample_line + "\n").split()
    )
    spec["catalog_hash"], spec["prompt_hashes"] = real_hash, {"propose": "0123456789ab"}
    assert "prompt_hashes was" in resume_fails(json.dumps(spec) + "\n" + sample_line + "\n")
    err = resume_fails(spec_line + "\n" + "{broken\n" + sample_line + "\n")
    assert "line 2 is not a finished sample" in err
    assert "line 1 is not the spec" in resume_fails("[]\n")
    assert "no such file" in resume_fails_missing(tmp_path, log_dir, capsys)
    assert partial.exists(), "a refused resume keeps the checkpoint"


def resume_fails_missing(tmp_path: Path, log_dir: Path, capsys) -> str:
    with pytest.raises(SystemExit):
        main(["eval", "run", "--resume", str(tmp_path / "nope.partial.jsonl"), "--log-dir", str(log_dir)])
    return str(capsys.readouterr().err)


def test_a_scenario_that_fails_is_recorded_and_the_run_goes_on(tmp_path, capsys, built_index, monkeypatch):
    log_dir = tmp_path / "logs"
    _two_scenario_run(monkeypatch, built_index, log_dir, "residential-cameras", RuntimeError)
    out = " ".join(capsys.readouterr().out.split())
    assert "FAILED: RuntimeError: the machine was switched off" in out
    assert "scenario runs that failed" in out
    log = read_log(next(log_dir.glob("*_guided.json")))
    failed, ok = log.samples
    assert failed.error and not failed.outcomes and ok.error is None and ok.outcomes
    assert log.metrics.overall.n == len(ok.outcomes)
    text = render_markdown(log)
    assert "## Scenario runs that failed (not in the metrics)" in text and "residential-cameras (epoch 1)" in text


def test_report_shows_model_steps_and_call_latency(services, catalog):
    scenarios = [load_scenario(default_scenario_dir() / "residential-cameras.yaml", catalog)]
    log = run_eval(services, scenarios, scenarios_dir=default_scenario_dir())
    assert "Model steps" not in render_markdown(log), "the guided engine has no model steps"
    log.samples[0].engine_stats = {
        "interpret.ok": 6,
        "interpret.reask_ok": 2,
        "interpret.fallback": 4,
        "interpret.fallback.invalid": 3,
        "interpret.fallback.timeout": 1,
        "propose.ok": 2,
    }
    log.samples[0].model_call_ms = [1000.0, 2000.0, 3000.0, 4000.0, 20000.0]
    text = render_markdown(log)
    assert "| interpret | 4 (40%) | 2 (20%) | 4 (40%) | invalid 3, timeout 1 |" in text
    assert "| propose | 2 (100%) | 0 (0%) | 0 (0%) | - |" in text
    assert "| model calls | 5 |" in text and "| model call p50 / p95 (s) | 3.0 / 20.0 |" in text


def test_a_checkpoint_keeps_samples_with_any_unicode_line_separator(tmp_path):
    from datetime import UTC, datetime

    from assistant.evaluation.runner import Checkpoint, EvalSpec, Sample
    from assistant.proposals import Turn

    spec = EvalSpec(
        created=datetime(2026, 11, 29, tzinfo=UTC),
        engine="llm",
        model="local:x",
        prompt_hashes={},
        catalog_version="1.0.0",
        catalog_hash="0" * 64,
        scenarios_dir="eval/scenarios",
        scenarios=["a"],
        epochs=1,
        budget=3,
        revision=None,
        packages={},
        python="3.11",
    )
    cp = Checkpoint.create(tmp_path, spec)
    text = "line one\u2028line two\x85three\x0cfour\r\nfive"
    turn = Turn(id="t1", role="stakeholder", text=text, kind="answer")
    sample = Sample(scenario="a", epoch=1, transcript=[turn], proposals=[], outcomes=[], turn_latencies_ms=[], total_turns=1)
    cp.append(sample)
    _cp, loaded_spec, samples = Checkpoint.load(cp.path)
    assert loaded_spec == spec and samples == [sample] and samples[0].transcript[0].text == text
    with pytest.raises(FileExistsError):
        Checkpoint.create(tmp_path, spec)  # never overwrites a run's checkpoint


def test_a_dead_model_server_stops_the_run_and_resume_runs_that_scenario_again(tmp_path, capsys, built_index, monkeypatch):
    import assistant.evaluation.runner as runner

    def unreachable(services, scenario, **kw):
        sample = run_scenario(services, scenario, **kw)
        if scenario.id == "bottling-line":
            sample.engine_stats = {"interpret.ok": 1, "interpret.fallback.transport": 1, "propose.fallback.unavailable": 3}
        return sample

    monkeypatch.setattr("assistant.services.CatalogIndex.open", lambda catalog, settings: built_index)
    monkeypatch.setattr(runner, "run_scenario", unreachable)
    log_dir = tmp_path / "logs"
    args = [
        "eval",
        "run",
        "--split",
        "dev",
        "--only",
        "bottling-line",
        "--only",
        "residential-cameras",
        "--log-dir",
        str(log_dir),
    ]
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    partial = next(log_dir.glob("*.partial.jsonl"))
    assert "scenario bottling-line: the model server stopped answering (the model could not be reached for 4 step(s))" in err
    assert f"--resume {partial}" in err
    so_far = read_log(partial)
    assert [s.error for s in so_far.samples] == ["the model could not be reached for 4 step(s)"]
    assert so_far.metrics.overall.n == 0, "a run on a dead server is not scored"
    assert so_far.missing == ["residential-cameras (epoch 1)"]

    monkeypatch.setattr(runner, "run_scenario", run_scenario)
    main(["eval", "run", "--resume", str(partial), "--log-dir", str(log_dir)])
    assert "0 of 2 scenario runs already done" in capsys.readouterr().out
    log = read_log(next(log_dir.glob("*_guided.json")))
    assert [(s.scenario, s.error) for s in log.samples] == [("bottling-line", None), ("residential-cameras", None)]
