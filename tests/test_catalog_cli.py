"""The catalog commands through the CLI entry point: ``smm catalog validate|list|show|schema``, ``smm explain``,
``smm --help`` and ``smm --version``; usage and input errors exit 2 with a short message and no traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant import __version__, schemas
from assistant.catalog import Catalog, default_catalog_dir
from assistant.cli import main
from assistant.explain import explain_level, explain_practice

CATALOG = default_catalog_dir()


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``smm`` in-process; return exit code, stdout and stderr."""
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_input_error(code: int, out: str, err: str, *fragments: str) -> None:
    """Exit 2, one ``smm: error:`` line on stderr, no traceback."""
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    assert err.startswith("smm: error: "), err
    assert err.count("\n") == 1, err
    for f in fragments:
        assert f in err, (f, err)


def assert_usage_error(code: int, out: str, err: str, fragment: str) -> None:
    """Exit 2 with click's usage text and one ``Error:`` line, no traceback."""
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    assert err.startswith("Usage: smm"), err
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and fragment in errors[0], err


def copy_catalog(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    shutil.copytree(CATALOG, root)
    return root


# ------------------------------------------------------------------------------------------ validate


def test_validate_the_shipped_catalog(capsys: pytest.CaptureFixture[str], catalog: Catalog) -> None:
    code, out, err = run(["catalog", "validate"], capsys)
    n_ind = sum(1 for p in catalog.practices.values() for _ in p.indicators())
    assert code == 0 and err == ""
    assert " ".join(out.split()) == (
        f"catalog OK: 18 practices, {n_ind} indicators, 3 profiles, version {catalog.version}, "
        f"content hash {catalog.content_hash[:12]}"
    )


def test_validate_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_catalog(tmp_path)
    code, out, _ = run(["catalog", "validate", str(root)], capsys)
    assert code == 0 and " ".join(out.split()).startswith("catalog OK: 18 practices")


def test_validate_a_bad_tree_lists_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_catalog(tmp_path)
    patch = root / "practices" / "H1.2-patch-management.yaml"
    data = yaml.safe_load(patch.read_text(encoding="utf-8"))
    data["colour"] = "red"
    data["levels"][1]["indicators"][0]["id"] = "H1.2-L2-1"
    patch.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    (root / "profiles" / "bottling-line.yaml").write_bytes(b"id: bottling-line\n\xff\n")
    code, out, err = run(["catalog", "validate", str(root)], capsys)
    assert code == 2 and out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0] == f"smm: error: catalog {root} has 3 problem(s):"
    assert sorted(lines[1:]) == sorted(
        [
            "  - practices/H1.2-patch-management.yaml:colour: Extra inputs are not permitted",
            "  - practices/H1.2-patch-management.yaml:levels.1.indicators.0.id: String should match pattern "
            "'^[GEH][1-3]\\.[12]-L[1-4]-[0-9]{2}$'",
            "  - profiles/bottling-line.yaml: not UTF-8 text (bad byte at offset 18); save the file as UTF-8",
        ]
    )


@pytest.mark.parametrize("target", ["nowhere", "catalog/model.yaml"])
def test_validate_something_that_is_not_a_catalog_folder(target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_catalog(tmp_path)
    path = tmp_path / target if target == "nowhere" else root / "model.yaml"
    code, _, err = run(["catalog", "validate", str(path)], capsys)
    assert code == 2 and "Traceback" not in err
    assert f"{path}: not a directory; pass the folder that holds model.yaml" in err


def test_validate_an_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["catalog", "validate", str(tmp_path)], capsys)
    assert code == 2
    assert "model.yaml: missing; every catalog needs model.yaml" in err
    assert "practices/: missing folder of practice files" in err


# -------------------------------------------------------------------------------------- list and show


def test_list(capsys: pytest.CaptureFixture[str], catalog: Catalog) -> None:
    code, out, err = run(["catalog", "list"], capsys)
    assert code == 0 and err == ""
    assert f"catalog {catalog.version}" in out
    assert "\u2026" not in out, "names cut off with an ellipsis at 80 columns"
    words = set(out.replace("\u2502", " ").split())
    for p in catalog.practices.values():
        assert p.id in words
        assert set(p.name.split()) <= words, p.name
    for d in catalog.model.domains:
        assert d.name in words


@pytest.mark.parametrize("key", ["G1.1", "g1.1", "security-program-management", "security program"])
def test_show(key: str, capsys: pytest.CaptureFixture[str], catalog: Catalog) -> None:
    code, out, err = run(["catalog", "show", key], capsys)
    assert code == 0 and err == ""
    p = catalog.practices["G1.1"]
    assert "G1.1 Security Program Management" in out
    for n in (1, 2, 3, 4):
        assert f"Level {n} ({catalog.level_name(n)})" in out
    for _, ind in p.indicators():
        assert f"[{ind.id}]" in out
    assert "Indicative mappings" in out and "not official" in out
    for rid in p.related:
        assert rid in out


def test_show_unknown_practice(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["catalog", "show", "xyzzy"], capsys)
    assert_input_error(code, out, err, "no practice matches 'xyzzy'", "smm catalog list")


def test_show_needs_a_practice(capsys: pytest.CaptureFixture[str]) -> None:
    assert_usage_error(*run(["catalog", "show"], capsys), "Missing argument")


def test_commands_use_smm_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_catalog(tmp_path)
    patch = root / "practices" / "H1.2-patch-management.yaml"
    data = yaml.safe_load(patch.read_text(encoding="utf-8"))
    data["objective"] = "A locally changed objective for this test."
    patch.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("SMM_CATALOG", str(root))
    code, out, _ = run(["catalog", "show", "H1.2"], capsys)
    assert code == 0 and "A locally changed objective for this test." in out
    broken = tmp_path / "broken"
    shutil.copytree(root, broken)
    (broken / "model.yaml").unlink()
    monkeypatch.setenv("SMM_CATALOG", str(broken))
    code, out, err = run(["catalog", "list"], capsys)
    assert code == 2 and "model.yaml: missing" in err and "Traceback" not in err


# ------------------------------------------------------------------------------------------- explain


@pytest.mark.parametrize(
    "argv",
    [
        ["explain", "patch management", "--level", "3", "--markdown"],
        ["explain", "H1.2", "-l", "3", "--markdown"],
        ["explain", "patch-management", "--level=3", "--markdown"],
        ["explain", "what does level 3 of patching require", "--markdown"],
        ["explain", "what", "does", "level", "3", "of", "patching", "require?", "--markdown"],
        ["explain", "level 1 of patching", "--level", "3", "--markdown"],  # the option wins
    ],
)
def test_explain_level(argv: list[str], capsys: pytest.CaptureFixture[str], catalog: Catalog) -> None:
    code, out, err = run(argv, capsys)
    assert code == 0 and err == ""
    assert out == explain_level(catalog, "H1.2", 3).to_markdown() + "\n"


def test_explain_level_rendered(capsys: pytest.CaptureFixture[str], catalog: Catalog) -> None:
    code, out, _ = run(["explain", "patch management", "--level", "3"], capsys)
    assert code == 0
    assert "H1.2 Patch Management: level 3 (Consistent)" in out
    for ind in catalog.practices["H1.2"].level(3).indicators:
        assert f"[{ind.id}]" in out
    assert "##" not in out  # rendered, not raw Markdown


def test_explain_practice_without_level(capsys: pytest.CaptureFixture[str], catalog: Catalog) -> None:
    code, out, _ = run(["explain", "threat", "modeling", "--markdown"], capsys)
    assert code == 0
    assert out == explain_practice(catalog, "G2.1") + "\n"


def test_explain_level_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    assert_usage_error(*run(["explain", "patching", "--level", "7"], capsys), "Invalid value for '--level'")
    assert_usage_error(*run(["explain", "patching", "--level", "three"], capsys), "Invalid value for '--level'")
    code, out, err = run(["explain", "what does level 0 of patching require"], capsys)
    assert_input_error(code, out, err, "level 0 has no requirements to explain; choose a level from 1 to 4")


def test_explain_unknown_practice(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["explain", "xyzzy", "--level", "2"], capsys)
    assert_input_error(code, out, err, "no practice matches 'xyzzy'")


def test_explain_needs_a_query(capsys: pytest.CaptureFixture[str]) -> None:
    assert_usage_error(*run(["explain"], capsys), "Missing argument")


# -------------------------------------------------------------------------------------------- schema


@pytest.mark.parametrize("kind", ["practice", "model", "profile", "assessment"])
def test_schema_prints_json(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["catalog", "schema"] if kind == "practice" else ["catalog", "schema", kind]
    code, out, _ = run(argv, capsys)
    assert code == 0
    printed = json.loads(out)
    path, build = schemas.schema_builders()[kind]
    assert printed == build() == json.loads(path.read_text(encoding="utf-8"))
    if kind != "assessment":
        assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_unknown_kind(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["catalog", "schema", "bogus"], capsys)
    assert_input_error(code, out, err, "unknown schema 'bogus'; choose one of model, practice, profile")


def test_schema_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(schemas, "data_path", lambda name: tmp_path / name)
    code, out, _ = run(["catalog", "schema", "--write"], capsys)
    assert code == 0
    written = sorted(p for p in tmp_path.rglob("*.json"))
    assert len(written) == len(schemas.schema_builders())
    assert out.count("wrote ") == len(written)
    assert schemas.stale() == []


# ------------------------------------------------------------------------------- help, version, usage


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([flag], capsys)
    assert code == 0 and err == ""
    assert out.startswith("Usage: smm [OPTIONS] COMMAND [ARGS]...")
    for command in ("catalog", "explain", "index", "search", "--version"):
        assert command in out


def test_catalog_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["catalog", "--help"], capsys)
    assert code == 0
    for command in ("validate", "list", "show", "schema"):
        assert command in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["--version"], capsys)
    assert (code, out, err) == (0, f"smm {__version__}\n", "")


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        ([], ""),
        (["bogus"], "No such command 'bogus'"),
        (["catalog", "bogus"], "No such command 'bogus'"),
        (["catalog", "list", "--bogus"], "No such option: --bogus"),
        (["catalog"], ""),
    ],
)
def test_usage_errors_exit_2_without_traceback(argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2
    assert "Traceback" not in out + err
    assert "Usage: smm" in out + err
    assert fragment in err


# ------------------------------------------------------------------------------------ real processes


def smm_process(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "smm"
    if not exe.exists():
        pytest.skip("the smm console script is not installed in this environment")
    env: dict[str, Any] = {k: v for k, v in os.environ.items() if not k.startswith("SMM_")}
    env.update(HOME=str(tmp_path / "home"), SMM_DATA_DIR=str(tmp_path / "data"), COLUMNS="100")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=60, check=False)


def test_console_script_version(tmp_path: Path) -> None:
    proc = smm_process(["--version"], tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"smm {__version__}\n", "")


def test_console_script_usage_error_has_no_traceback(tmp_path: Path) -> None:
    usage = smm_process(["catalog", "show"], tmp_path)
    assert usage.returncode == 2
    assert "Traceback" not in usage.stderr
    assert usage.stderr.splitlines()[-1] == "Error: Missing argument 'practice'."
