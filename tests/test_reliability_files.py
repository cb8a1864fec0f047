"""Guarantee "bad files": every malformed, mistyped, oversized, non-UTF-8, alias-bombed, duplicate-keyed,
deeply nested or out-of-range catalog, profile, assessment and scenario is refused through the CLI with
one clear message (file, where in it, what to do), exit code 2 and nothing written.

The corpus is ``tests/data/bad/`` (see its README); files over 20 MB are made here in ``tmp_path``.
A catalog is a directory: each case copies the shipped catalog and puts the bad file in it.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.catalog import default_catalog_dir
from assistant.cli import main
from assistant.errors import InputError
from assistant.evaluation.scenario import default_scenario_dir
from assistant.interview import Interview
from tests.helpers.support import BAD, CliResult, run_cli, snapshot, spawn_cli

BIG = 21 * 2**20  # over the 20 MB limit

# ------------------------------------------------------------------------------------- the corpus

# YAML-level faults: each file is used as a practice file and as a profile of a catalog, and as a scenario.
YAML_CASES: dict[str, list[str]] = {
    "not-yaml": ["invalid YAML", "line 3, column 7", "fix the syntax"],
    "wrong-type": ["valid dictionary"],
    "empty": ["the file is empty", "write its content or remove it"],
    "not-utf8": ["not UTF-8 text", "save the file as UTF-8"],
    "alias-bomb": ["anchors and aliases", "line 3", "write the value out"],
    "duplicate-key": ["duplicate key 'id'", "line 3", "keep only one"],
    "deep-nesting": ["nested too deeply", "flatten"],
    "huge-number": ["too many digits", "line 2", "shorten it"],
    "unhashable-key": ["key must be plain text or a number", "line 2"],
    "python-tag": ["python/object/apply", "tags (!!...) are not allowed"],
    "too-large": ["over the 20 MB limit", "split or trim"],
}

# Catalog trees: the shipped catalog plus the files under tests/data/bad/catalog/<case>/ (file, path, message).
CATALOG_CASES: dict[str, tuple[str, str, list[str]]] = {
    "unknown-indicator": (
        "practices/H1.2-patch-management.yaml",
        "levels.2.probes.2.indicators.0",
        ["H1.2-L3-09 is not an indicator of level 3"],
    ),
    "level-out-of-range": ("profiles/level-out-of-range.yaml", "targets.H1.2.level", ["less than or equal to 4"]),
    "unknown-practice": ("profiles/unknown-practice.yaml", "considerations.0.practice", ["should match pattern"]),
    "wrong-field-type": ("profiles/wrong-field-type.yaml", "targets", ["valid dictionary"]),
    "missing-field": ("profiles/missing-field.yaml", "targets", ["target template misses H3.2"]),
}

ASSESSMENT_CASES: dict[str, list[str]] = {
    "not-json": ["not valid JSON", "line 2, column 1"],
    "wrong-type": ["an assessment is a JSON object, found list"],
    "empty": ["the file is empty", "smm export"],
    "not-utf8": ["not UTF-8 text", "save the file as UTF-8"],
    "duplicate-key": ["duplicate key 'current'", "keep only one"],
    "deep-nesting": ["nested too deeply", "flatten"],
    "huge-number": ["too many digits", "shorten it"],
    "nan": ["NaN is not a JSON number", "write a number or null"],
    "unknown-practice": ["field current.H4.1", "not a known ID", "smm catalog list"],
    "unknown-profile": ["field targets.profile", "unknown profile 'brewery'", "known: "],
    "level-out-of-range": ["field current.H1.2.value.level", "less than or equal to 4"],
    "negative-level": ["field targets.practices.H1.2.value.level", "greater than or equal to 0"],
    "schema-too-new": ["schema_version 2.0.0 is newer", "upgrade"],
    "unknown-field": ["field rating_override", "remove it or check its spelling"],
    "missing-field": ["field metadata.system_name", "add it"],
    "wrong-field-type": ["field current.H1.2.value.level", "valid integer"],
    "too-large": ["over the 20 MB limit", "split or trim"],
}

SCENARIO_CASES: dict[str, list[str]] = {
    "unknown-practice": ["field practices.H4.1", "unknown practice", "use an ID"],
    "level-out-of-range": ["field practices.H1.2.expected.level", "less than or equal to 4"],
    "unknown-profile": ["field profile", "unknown profile 'brewery'"],
    "both-gold-labels": ["field practices.H1.2", "exactly one of expected or not_applicable"],
    "wrong-field-type": ["field practices", "valid dictionary"],
    "unknown-field": ["field grade_override", "remove it or check its spelling"],
    "id-mismatch": ["field id", "should equal the file name 'id-mismatch'"],
    "practice-twice": ["field practices.patch-management", "practice H1.2 is given twice"],
}
for _kind, _expected in YAML_CASES.items():
    SCENARIO_CASES.setdefault(f"yaml-{_kind}", _expected)

CONTROL_ASSESSMENT = BAD / "assessments" / "control-ok.json"


def _big_file(path: Path, head: bytes = b"", fill: bytes = b"#") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.write(head)
        chunk = fill * 2**20
        for _ in range(BIG // len(chunk) + 1):
            fh.write(chunk)
    return path


def _yaml_source(kind: str, tmp_path: Path) -> Path:
    if kind == "too-large":
        return _big_file(tmp_path / "big-source" / "too-large.yaml", b"id: H1.2\n", b"# padding padding padding\n")
    return BAD / "yaml" / f"{kind}.yaml"


def _assessment(kind: str, tmp_path: Path) -> Path:
    if kind == "too-large":
        return _big_file(tmp_path / "too-large.json", b'{"pad": "', b"x")
    src = BAD / "assessments" / f"{kind}.json"
    dst = tmp_path / src.name
    shutil.copyfile(src, dst)  # a copy, so the message names a file of this test
    return dst


def _catalog_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "catalog"
    shutil.copytree(default_catalog_dir(), tree, ignore=shutil.ignore_patterns("*.md", "schema"))
    return tree


def _assert_refused(result, path_text: str, expected: list[str], *, lines: int | None = 1) -> None:
    assert result.code == 2, (result.code, result.out, result.err)
    assert result.err.startswith("smm: error: "), result.err
    assert path_text in result.err, result.err
    for fragment in expected:
        assert fragment in result.err, (fragment, result.err)
    assert "Traceback" not in result.err + result.out
    if lines is not None:
        assert len(result.err.strip().splitlines()) == lines, result.err


# --------------------------------------------------------------------------------------- the corpus itself


def test_every_corpus_file_has_a_test_case() -> None:
    on_disk = {p.stem for p in (BAD / "yaml").glob("*.yaml")}
    assert on_disk == set(YAML_CASES) - {"too-large"}
    assert {p.stem for p in (BAD / "assessments").glob("*.json")} == (set(ASSESSMENT_CASES) - {"too-large"}) | {"control-ok"}
    assert {p.stem for p in (BAD / "scenarios").glob("*.yaml")} == {k for k in SCENARIO_CASES if not k.startswith("yaml-")}
    assert {p.name for p in (BAD / "catalog").iterdir() if p.is_dir()} == set(CATALOG_CASES)
    assert len(YAML_CASES) + len(CATALOG_CASES) + len(ASSESSMENT_CASES) + len(SCENARIO_CASES) >= 40


def test_the_control_files_are_accepted(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The harness tells good from bad: the control assessment scores and reports."""
    assert run_cli(["score", str(CONTROL_ASSESSMENT)], capsys).code == 0
    out = tmp_path / "out.html"
    assert run_cli(["report", str(CONTROL_ASSESSMENT), "-o", str(out)], capsys).code == 0
    assert out.read_text(encoding="utf-8").rstrip().endswith("</html>")


# ------------------------------------------------------------------------------------------ catalogs, profiles


@dataclass
class CatalogRun:
    tree: Path
    result: CliResult
    files: dict[str, tuple[str, str]]
    """Case -> the practice file and the profile file that hold it."""
    unchanged: bool
    data_dir_created: bool


@pytest.fixture(scope="module")
def catalog_run(tmp_path_factory: pytest.TempPathFactory) -> CatalogRun:
    """One copy of the shipped catalog holding every bad case at once, validated once (loading a catalog takes seconds).

    YAML case ``i`` replaces the ``i``-th practice file (H1.2 excepted) and adds ``profiles/bad-<case>.yaml``; the
    catalog cases add their files (the unknown-indicator case replaces H1.2). Each case is then checked on its own.
    """
    tmp = tmp_path_factory.mktemp("bad-catalog")
    tree = _catalog_tree(tmp)
    practice_files = sorted(p.name for p in (tree / "practices").glob("*.yaml") if not p.name.startswith("H1.2-"))
    files: dict[str, tuple[str, str]] = {}
    for i, kind in enumerate(sorted(YAML_CASES)):
        src = _yaml_source(kind, tmp)
        practice, profile = f"practices/{practice_files[i]}", f"profiles/bad-{kind}.yaml"
        shutil.copyfile(src, tree / practice)
        shutil.copyfile(src, tree / profile)
        files[kind] = (practice, profile)
    for kind in CATALOG_CASES:
        shutil.copytree(BAD / "catalog" / kind, tree, dirs_exist_ok=True)
    before = snapshot(tree)
    data_dir = tmp / "smm-data"
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        mp.setenv("SMM_DATA_DIR", str(data_dir))
        mp.setenv("HOME", str(tmp / "home"))
        try:
            main(["catalog", "validate", str(tree)])
        except SystemExit as exc:
            code = int(exc.code or 0)
    return CatalogRun(tree, CliResult(code, out.getvalue(), err.getvalue()), files, snapshot(tree) == before, data_dir.exists())


def test_a_catalog_with_bad_files_is_refused_with_a_list_of_problems(catalog_run: CatalogRun) -> None:
    r = catalog_run.result
    _assert_refused(r, f"catalog {catalog_run.tree} has ", [], lines=None)
    n = int(r.err.split(" has ", 1)[1].split(" ", 1)[0])
    problems = [x for x in r.err.splitlines() if x.startswith("  - ")]
    assert n == len(problems) >= 2 * len(YAML_CASES) + len(CATALOG_CASES)
    assert catalog_run.unchanged, "validation changed no file"
    assert not catalog_run.data_dir_created, "validation wrote nothing to the data directory"


@pytest.mark.parametrize("kind", sorted(YAML_CASES))
def test_bad_yaml_as_a_practice_file_and_as_a_profile_is_reported(kind: str, catalog_run: CatalogRun) -> None:
    lines = catalog_run.result.err.splitlines()
    for rel in catalog_run.files[kind]:
        mine = [x for x in lines if x.startswith(f"  - {rel}:")]
        assert len(mine) == 1, (rel, catalog_run.result.err)
        for fragment in YAML_CASES[kind]:
            assert fragment in mine[0], (fragment, mine[0])


@pytest.mark.parametrize("kind", sorted(CATALOG_CASES))
def test_bad_catalog_content_is_reported_with_file_and_path(kind: str, catalog_run: CatalogRun) -> None:
    file, where, expected = CATALOG_CASES[kind]
    mine = [x for x in catalog_run.result.err.splitlines() if x.startswith(f"  - {file}:{where}: ")]
    assert mine, (file, where, catalog_run.result.err)
    for fragment in expected:
        assert any(fragment in x for x in mine), (fragment, mine)


def test_a_bad_catalog_in_smm_catalog_stops_every_command_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    tree = _catalog_tree(tmp_path)
    shutil.copyfile(BAD / "yaml" / "alias-bomb.yaml", tree / "profiles" / "bad-profile.yaml")
    monkeypatch.setenv("SMM_CATALOG", str(tree))
    out = tmp_path / "reports" / "out.html"
    for argv in (["report", str(CONTROL_ASSESSMENT), "-o", str(out)], ["eval", "run", "--log-dir", str(tmp_path / "logs")]):
        result = run_cli(argv, capsys)
        _assert_refused(result, "profiles/bad-profile.yaml", ["anchors and aliases"], lines=None)
    assert not out.parent.exists() and not (tmp_path / "logs").exists()
    assert not isolated_env.exists()


def test_an_unknown_profile_is_refused_when_an_interview_starts(services) -> None:
    with pytest.raises(InputError, match="unknown profile 'brewery'; known: "):
        Interview.start(services.catalog, services.index, services.engine, services.store, profile="brewery")
    assert services.store.sessions() == []


# ------------------------------------------------------------------------------------------------ assessments


@pytest.mark.parametrize("kind", sorted(ASSESSMENT_CASES))
def test_bad_assessment_is_refused_by_score_report_and_compare(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated_env: Path
) -> None:
    path = _assessment(kind, tmp_path)
    expected = ASSESSMENT_CASES[kind]
    _assert_refused(run_cli(["score", str(path)], capsys), f"smm: error: {path}: ", expected)
    out = tmp_path / "reports" / "out.html"
    for fmt_out in (out, out.with_suffix(".xlsx"), out.with_suffix(".md")):
        _assert_refused(run_cli(["report", str(path), "-o", str(fmt_out)], capsys), f"smm: error: {path}: ", expected)
    assert not out.parent.exists(), "no report, no folder for it"
    _assert_refused(run_cli(["compare", str(path), str(CONTROL_ASSESSMENT)], capsys), f"smm: error: {path}: ", expected)
    _assert_refused(run_cli(["compare", str(CONTROL_ASSESSMENT), str(path)], capsys), f"smm: error: {path}: ", expected)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != isolated_env.name) == [path.name]
    assert not isolated_env.exists()


# -------------------------------------------------------------------------------------------------- scenarios


@pytest.mark.parametrize("kind", sorted(SCENARIO_CASES))
def test_bad_scenario_is_refused_by_eval_run_before_anything_is_written(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated_env: Path
) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    # A good scenario beside the bad one: the bad one still stops the run before it starts.
    shutil.copyfile(default_scenario_dir() / "bottling-line.yaml", folder / "bottling-line.yaml")
    if kind.startswith("yaml-"):
        src = _yaml_source(kind.removeprefix("yaml-"), tmp_path)
        name = f"{kind}.yaml"
    else:
        src, name = BAD / "scenarios" / f"{kind}.yaml", f"{kind}.yaml"
    shutil.copyfile(src, folder / name)
    logs = tmp_path / "logs"
    result = run_cli(["eval", "run", "--scenarios", str(folder), "--log-dir", str(logs)], capsys)
    _assert_refused(result, f"smm: error: {folder / name}:", SCENARIO_CASES[kind])
    assert not logs.exists(), "no evaluation log"
    assert not isolated_env.exists(), "the index is not built for a run that cannot start"


def test_eval_run_refuses_a_log_dir_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs = tmp_path / "logs"
    logs.write_text("not a folder", encoding="utf-8")
    result = run_cli(["eval", "run", "--only", "bottling-line", "--log-dir", str(logs)], capsys)
    _assert_refused(result, f"--log-dir {logs}: is a file", ["pass a folder"])
    assert logs.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_file_that_never_ends_is_refused_without_reading_it_all(capsys: pytest.CaptureFixture[str]) -> None:
    """A device or pipe reports size 0 and may never end: reading stops one byte past the limit."""
    result = run_cli(["score", "/dev/zero"], capsys)
    _assert_refused(result, "smm: error: /dev/zero: ", ["over the 20 MB limit", "split or trim"])


# ------------------------------------------------------------------------------------ real processes, no traceback


def test_real_processes_refuse_bad_files_without_a_traceback(tmp_path: Path, isolated_env: Path) -> None:
    """The console script in separate processes (no pytest around it): exit 2, one message, no traceback, no output."""
    tree = _catalog_tree(tmp_path)
    shutil.copyfile(BAD / "yaml" / "alias-bomb.yaml", tree / "practices" / "H1.2-patch-management.yaml")
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    shutil.copyfile(BAD / "yaml" / "huge-number.yaml", scenarios / "huge-number.yaml")
    big = _assessment("too-large", tmp_path)
    out = tmp_path / "out" / "report.html"
    logs = tmp_path / "logs"
    runs = {
        "score": (["score", str(BAD / "assessments" / "deep-nesting.json")], "nested too deeply"),
        "report": (["report", str(big), "-o", str(out)], "over the 20 MB limit"),
        "catalog": (["catalog", "validate", str(tree)], "anchors and aliases"),
        "eval": (["eval", "run", "--scenarios", str(scenarios), "--log-dir", str(logs)], "too many digits"),
    }
    procs = {name: spawn_cli(argv) for name, (argv, _) in runs.items()}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 2, (name, stdout, stderr)
        assert stderr.startswith("smm: error: "), (name, stderr)
        assert runs[name][1] in stderr, (name, stderr)
        assert "Traceback" not in stderr + stdout, (name, stderr)
        if name != "catalog":
            assert len(stderr.strip().splitlines()) == 1, (name, stderr)
    assert not out.parent.exists() and not logs.exists()
    assert not isolated_env.exists()


def test_corpus_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """The figures quoted in RELIABILITY.md."""
    counts = {
        "yaml kinds (x practice file, profile, scenario)": len(YAML_CASES),
        "catalog trees": len(CATALOG_CASES),
        "assessment kinds (x score, 3 report formats, compare both ways)": len(ASSESSMENT_CASES),
        "scenario kinds": len(SCENARIO_CASES),
    }
    refusals = len(YAML_CASES) * 2 + len(CATALOG_CASES) + len(ASSESSMENT_CASES) * 6 + len(SCENARIO_CASES)
    with capsys.disabled():
        print(f"\nbad-file corpus: {json.dumps(counts)}; CLI refusals checked: {refusals}")
    assert refusals >= 100
