"""The assessment file: round trip, every kind of bad file (API and CLI), atomic save, and the shipped examples."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.assessment import (
    SCHEMA_VERSION,
    Assessment,
    AssessmentFileError,
    load_assessment,
    parse_assessment,
    save_assessment,
)
from assistant.catalog import INDICATOR_ID
from assistant.cli import main
from assistant.errors import InputError
from assistant.yamlio import MAX_BYTES

EXAMPLES = Path(__file__).resolve().parent.parent / "eval" / "examples"
EXAMPLE_NAMES = ("bottling-line", "automotive-ota-gateway", "residential-cameras")


def example(name: str = "bottling-line") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


# ------------------------------------------------------------------------------------------ round trip


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_round_trip_is_lossless(name: str, tmp_path: Path, catalog: Any) -> None:
    a = load_assessment(EXAMPLES / f"{name}.json", catalog)
    out = tmp_path / "copy.json"
    save_assessment(a, out)
    b = load_assessment(out, catalog)
    assert a == b
    # Saved again as this schema version; optional fields added since (unset in the example) are left out, so the rest
    # of the file is unchanged byte for byte.
    original = (EXAMPLES / f"{name}.json").read_text(encoding="utf-8")
    old_version = json.loads(original)["schema_version"]
    saved = out.read_text(encoding="utf-8")
    assert saved == original.replace(f'"schema_version": "{old_version}"', f'"schema_version": "{SCHEMA_VERSION}"', 1)


def test_the_fields_added_in_1_2_round_trip_and_are_checked(tmp_path: Path, catalog: Any) -> None:
    data = example()
    data["metadata"]["practices"] = ["G1.1", "H1.2"]
    data["objectives"] = {"priorities": ["safety"], "appetite": "medium", "obligations": ["EU RED"]}
    data["targets"]["practices"]["E1.1"]["origin"] = "proposal"
    a = parse_assessment(json.dumps(data))
    assert a.metadata.practices == ["G1.1", "H1.2"] and a.objectives is not None and a.objectives.people_can_get_hurt
    assert a.targets.practices["E1.1"].is_default and a.in_scope("H1.2") and not a.in_scope("E1.1")
    save_assessment(a, tmp_path / "a.json")
    assert load_assessment(tmp_path / "a.json", catalog) == a
    data["metadata"]["practices"] = ["G1.1", "Z9.9"]
    (tmp_path / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(AssessmentFileError, match=re.escape("field metadata.practices.1: String should match pattern")):
        load_assessment(tmp_path / "bad.json", catalog)


def test_round_trip_of_a_new_assessment_keeps_types(tmp_path: Path) -> None:
    from assistant.assessment import AssessmentMetadata

    a = Assessment(metadata=AssessmentMetadata(system_name="Pump station 7", catalog_version="1.0.0"))
    a.log("assessment.created", "tester", note="ü and ✓ survive")
    save_assessment(a, tmp_path / "a.json")
    b = load_assessment(tmp_path / "a.json")
    assert b == a
    assert b.events[0].at.tzinfo is not None


# ------------------------------------------------------------------------------------------ bad files


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(d: dict[str, Any]) -> None:
        *parents, last = path
        node: Any = d
        for key in parents:
            node = node[key]
        node[last] = value

    return apply


def _rename_current(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def apply(d: dict[str, Any]) -> None:
        d["current"][new] = d["current"].pop(old)

    return apply


def _json_case(mutate: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        d = example()
        mutate(d)
        path.write_text(json.dumps(d), encoding="utf-8")

    return write


def _bytes_case(data: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(data)

    return write


def _oversized(path: Path) -> None:
    # A sparse file: its size is over the limit without writing 20 MB to disk.
    with open(path, "wb") as f:
        f.truncate(MAX_BYTES + 1)


BAD_FILES: list[tuple[str, Callable[[Path], None], list[str]]] = [
    ("not-json", _bytes_case(b'{"schema_version": "1.0.0", "metadata": '), ["not valid JSON", "line 1"]),
    ("not-an-object", _bytes_case(b"[1, 2, 3]"), ["an assessment is a JSON object, found list"]),
    (
        "wrong-type",
        _json_case(_set(("current", "G1.1", "value", "level"), "three")),
        ["field current.G1.1.value.level", "integer"],
    ),
    ("wrong-type-list", _json_case(_set(("metadata", "assessors"), "Jana")), ["field metadata.assessors", "list"]),
    ("unknown-practice", _json_case(_rename_current("G1.1", "G1.3")), ["field current.G1.3", "pattern"]),
    (
        "unknown-profile",
        _json_case(_set(("targets", "profile"), "brewery")),
        ["field targets.profile", "unknown profile 'brewery'"],
    ),
    (
        "level-out-of-range",
        _json_case(_set(("current", "G1.1", "value", "level"), 5)),
        ["field current.G1.1.value.level", "less than or equal to 4"],
    ),
    (
        "na-without-reason",
        _json_case(_set(("current", "G1.1", "value"), {"not_applicable": True})),
        ["field current.G1.1.value", "not-applicable rating needs a reason"],
    ),
    ("schema-too-new", _json_case(_set(("schema_version",), "2.0.0")), ["schema_version 2.0.0 is newer", "upgrade"]),
    ("bad-schema-version", _json_case(_set(("schema_version",), "latest")), ["schema_version 'latest' is not a version"]),
    ("missing-field", _json_case(lambda d: d["metadata"].pop("system_name")), ["field metadata.system_name", "required"]),
    ("unknown-field", _json_case(_set(("metadata", "colour"), "blue")), ["field metadata.colour", "not permitted"]),
    ("oversized", _oversized, ["MB limit", "split or trim"]),
    ("not-utf8", _bytes_case('{"metadata": {"system_name": "Kühlhaus"}}'.encode("latin-1")), ["not UTF-8", "offset"]),
    ("missing-file", lambda path: None, ["file not found"]),
]


@pytest.mark.parametrize(("case", "write", "expected"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_file_gives_a_clear_message(
    case: str, write: Callable[[Path], None], expected: list[str], tmp_path: Path, catalog: Any
) -> None:
    path = tmp_path / f"{case}.json"
    write(path)
    with pytest.raises(AssessmentFileError) as info:
        load_assessment(path, catalog)
    message = str(info.value)
    assert isinstance(info.value, InputError)
    assert message.startswith(str(path) + ":"), message
    for fragment in expected:
        assert fragment in message, message
    assert "\n" not in message


@pytest.mark.parametrize(("case", "write", "expected"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
@pytest.mark.parametrize("command", ["score", "report"])
def test_bad_file_via_cli_exits_2_without_traceback_or_output(
    case: str,
    write: Callable[[Path], None],
    expected: list[str],
    command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / f"{case}.json"
    write(path)
    out = tmp_path / "out" / "report.html"
    argv = ["score", str(path)] if command == "score" else ["report", str(path), "--format", "html", "-o", str(out)]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"smm: error: {path}:"), captured.err
    for fragment in expected:
        assert fragment in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert len(captured.err.strip().splitlines()) == 1
    assert not out.parent.exists()


def test_validation_error_counts_further_problems(tmp_path: Path) -> None:
    d = example()
    d["current"]["G1.1"]["value"]["level"] = 7
    d["current"]["G1.2"]["value"]["level"] = -1
    with pytest.raises(AssessmentFileError, match=r"\(and 1 more problem\(s\)\)"):
        parse_assessment(json.dumps(d), "x.json")


# ---------------------------------------------------------------------------------------- atomic save


def test_save_leaves_no_temp_files(tmp_path: Path) -> None:
    a = load_assessment(EXAMPLES / "bottling-line.json")
    for _ in range(3):
        save_assessment(a, tmp_path / "a.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_saved_files_get_ordinary_permissions(tmp_path: Path) -> None:
    import os
    import stat

    from assistant.assessment import _UMASK, atomic_write_bytes

    atomic_write_bytes(tmp_path / "report.md", b"# report\n")
    save_assessment(load_assessment(EXAMPLES / "bottling-line.json"), tmp_path / "a.json")
    for name in ("report.md", "a.json"):
        mode = stat.S_IMODE(os.stat(tmp_path / name).st_mode)
        assert mode == 0o666 & ~_UMASK, f"{name}: {oct(mode)} (mkstemp's 0600 would hide a report from colleagues)"


@pytest.mark.parametrize("fail_in", ["fsync", "replace", "write"])
def test_failed_save_keeps_the_old_file_whole_and_leaves_no_temp_file(
    fail_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.json"
    a = load_assessment(EXAMPLES / "bottling-line.json")
    save_assessment(a, target)
    old = target.read_bytes()
    a.metadata.system_name = "Changed name " * 1000

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    if fail_in == "fsync":
        monkeypatch.setattr(os, "fsync", boom)
    elif fail_in == "replace":
        monkeypatch.setattr(os, "replace", boom)
    else:
        real_fdopen = os.fdopen

        class HalfWriter:
            def __init__(self, fd: int, mode: str) -> None:
                self._f = real_fdopen(fd, mode)

            def __enter__(self) -> HalfWriter:
                return self

            def __exit__(self, *exc: object) -> None:
                self._f.close()

            def write(self, data: bytes) -> int:
                self._f.write(data[: len(data) // 2])  # the disk fills up half way
                raise OSError(28, "No space left on device")

            def flush(self) -> None:
                self._f.flush()

            def fileno(self) -> int:
                return self._f.fileno()

        monkeypatch.setattr(os, "fdopen", HalfWriter)
    with pytest.raises(OSError, match="No space left"):
        save_assessment(a, target)
    monkeypatch.undo()
    assert target.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]
    assert load_assessment(target).metadata.system_name != a.metadata.system_name


def test_save_to_a_new_file_that_fails_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = load_assessment(EXAMPLES / "bottling-line.json")

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        save_assessment(a, tmp_path / "new.json")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------ shipped examples


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_is_complete_and_its_citations_exist(name: str, catalog: Any) -> None:
    a = load_assessment(EXAMPLES / f"{name}.json", catalog)
    assert a.targets.profile == name and name in catalog.profiles
    assert set(a.current) == set(catalog.practices), "every practice has a current rating"
    assert a.targets.practices, "a few practice-level overrides"
    assert all(t.reason for t in a.targets.practices.values())
    na = [pid for pid, c in a.current.items() if c.value.not_applicable and c.status == "confirmed"]
    na += [pid for pid, t in a.targets.practices.items() if t.value.not_applicable]
    assert 1 <= len(na) <= 2
    assert [c.status for c in a.current.values()].count("proposed") == 1
    decisions = {c.provenance.decision for c in a.current.values()}
    assert {"accept", "modify"} <= decisions
    for pid, c in a.current.items():
        pv = c.provenance
        assert pv.catalog_version == catalog.version
        assert pv.quotes and all(re.fullmatch(r"t\d+", q.turn_id) and q.text.strip() for q in pv.quotes)
        assert pv.indicators
        cited_level = (pv.proposed or c.value).level
        for ind in pv.indicators:
            assert re.fullmatch(INDICATOR_ID, ind.id)
            assert ind.id.startswith(f"{pid}-L{cited_level}-"), (pid, ind.id)
            assert catalog.indicator(ind.id).text == ind.text
        if pv.decision == "modify":
            assert pv.proposed is not None and pv.proposed != c.value and pv.decision_reason
        if pv.proposed_by == "engine":
            assert pv.engine == "guided"
    assert [e.at for e in a.events] == sorted(e.at for e in a.events)
    assert a.metadata.updated_at == a.events[-1].at
