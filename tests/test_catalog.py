"""The catalog: loader and validator (good tree, every kind of bad tree), every shipped file, schema freshness,
property checks that the catalog is complete, and practice/level lookup for ``smm explain``.

Bad trees are built in ``tmp_path`` by copying the shipped catalog and changing it; each test injects its defect in
more than one place and checks that every problem is reported at once, each naming its file and path.

The strict YAML reader is pure Python (about 0.5 s for the whole catalog), so within this module a file whose bytes
equal a file already read is not parsed again: every changed or broken file still goes through the real reader.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant import schemas
from assistant.catalog import (
    INDICATOR_ID,
    PRACTICE_ID,
    PROBE_ID,
    SLUG,
    Catalog,
    CatalogError,
    CatalogProblem,
    default_catalog_dir,
    load_catalog,
)
from assistant.errors import InputError
from assistant.explain import explain_level, explain_practice, parse_level_question, resolve_practice
from assistant.yamlio import MAX_BYTES, YamlLoadError, load_yaml_file, load_yaml_text

CATALOG = default_catalog_dir()
PATCH = "practices/H1.2-patch-management.yaml"
THREAT = "practices/G2.1-threat-modeling.yaml"
BOTTLING = "profiles/bottling-line.yaml"
CAMERAS = "profiles/residential-cameras.yaml"


# ------------------------------------------------------------------------------------------- helpers


_parsed: dict[bytes, Any] = {}


@pytest.fixture(autouse=True)
def reuse_parsed_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse each distinct file content once; anything new or unusual goes through the real reader."""
    import assistant.catalog

    def load(path: Path, max_bytes: int = MAX_BYTES) -> Any:
        if not path.is_file() or path.stat().st_size > 1_000_000:
            return load_yaml_file(path, max_bytes)
        key = hashlib.sha256(path.read_bytes()).digest()
        if key not in _parsed:
            _parsed[key] = load_yaml_file(path, max_bytes)  # raises for a bad file: nothing cached
        return copy.deepcopy(_parsed[key])

    monkeypatch.setattr(assistant.catalog, "load_yaml_file", load)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A private, writable copy of the shipped catalog."""
    root = tmp_path / "catalog"
    shutil.copytree(CATALOG, root, ignore=shutil.ignore_patterns("*.md"))
    return root


def edit(root: Path, rel: str, change: Callable[[Any], Any]) -> None:
    """Load a YAML file of the tree, let ``change`` mutate it, write it back."""
    path = root / rel
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8")


def replace_text(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not found exactly once in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def problems_of(root: Path) -> list[CatalogProblem]:
    """The problems ``load_catalog`` reports, checking the error text lists every one of them."""
    with pytest.raises(CatalogError) as info:
        load_catalog(root)
    err = info.value
    text = str(err)
    assert f"has {len(err.problems)} problem(s)" in text
    for p in err.problems:
        assert str(p) in text
        assert p.message
    return err.problems


def where(problems: list[CatalogProblem]) -> set[tuple[str, str]]:
    return {(p.file, p.path) for p in problems}


def find(problems: list[CatalogProblem], file: str, path: str) -> CatalogProblem:
    for p in problems:
        if p.file == file and p.path == path:
            return p
    raise AssertionError(f"no problem at {file}:{path}; got {[str(p) for p in problems]}")


def level(data: dict[str, Any], n: int) -> dict[str, Any]:
    lv: dict[str, Any] = data["levels"][n - 1]
    assert lv["level"] == n
    return lv


# ----------------------------------------------------------------------------------------- good tree


def test_shipped_catalog_loads(catalog: Catalog) -> None:
    assert len(catalog.practices) == 18
    assert re.fullmatch(r"\d+\.\d+\.\d+", catalog.version)
    assert re.fullmatch(r"[0-9a-f]{64}", catalog.content_hash)
    assert set(catalog.profiles) == {"automotive-ota-gateway", "bottling-line", "residential-cameras"}


def test_copy_of_the_catalog_loads_with_the_same_hash(tree: Path, catalog: Catalog) -> None:
    assert load_catalog(tree).content_hash == catalog.content_hash


def test_content_hash_changes_with_any_text(tree: Path, catalog: Catalog) -> None:
    edit(tree, PATCH, lambda d: level(d, 3)["indicators"][0].__setitem__("text", "Something else entirely."))
    changed = load_catalog(tree)
    assert changed.content_hash != catalog.content_hash
    assert changed.indicator("H1.2-L3-01").text == "Something else entirely."


def test_comments_and_key_order_do_not_change_the_hash(tree: Path, catalog: Catalog) -> None:
    edit(tree, PATCH, lambda d: None)  # re-dumped: comments gone, layout different, content equal
    assert load_catalog(tree).content_hash == catalog.content_hash


def test_catalog_lookups(catalog: Catalog) -> None:
    assert catalog.practice("H1.2").slug == "patch-management"
    assert catalog.practice("h1.2").id == "H1.2"
    assert catalog.practice(" patch-management ").id == "H1.2"
    with pytest.raises(KeyError):
        catalog.practice("H9.9")
    assert catalog.indicator("H1.2-L3-02").id == "H1.2-L3-02"
    with pytest.raises(KeyError):
        catalog.indicator("H1.2-L3-99")
    assert [catalog.level_name(n) for n in range(5)] == ["None", "Minimum", "Ad hoc", "Consistent", "Formalized"]
    assert catalog.scope_name("general")
    assert catalog.domain_of("E3.1").id == "E"
    assert catalog.subdomain_of("E3.1").id == "E3"


def test_a_directory_that_does_not_exist(tmp_path: Path) -> None:
    problems = problems_of(tmp_path / "nowhere")
    assert len(problems) == 1
    assert "not a directory" in problems[0].message
    assert problems[0].file == str(tmp_path / "nowhere")


# ------------------------------------------------------------------------------------------ bad trees


def test_unknown_keys(tree: Path) -> None:
    def two_keys(d: dict[str, Any]) -> None:
        d["colour"] = "red"
        level(d, 2)["owner"] = "me"

    edit(tree, PATCH, two_keys)
    edit(tree, BOTTLING, lambda d: d["targets"]["H1.2"].__setitem__("priority", "high"))
    problems = problems_of(tree)
    assert where(problems) == {(PATCH, "colour"), (PATCH, "levels.1.owner"), (BOTTLING, "targets.H1.2.priority")}
    assert all("Extra inputs are not permitted" in p.message for p in problems)
    assert f"{PATCH}:colour: Extra inputs" in str(CatalogError(tree, problems))


def test_missing_level(tree: Path) -> None:
    edit(tree, PATCH, lambda d: d["levels"].pop(3))
    edit(tree, THREAT, lambda d: d["levels"].pop(0))
    problems = problems_of(tree)
    assert where(problems) == {(PATCH, "levels"), (THREAT, "levels")}
    assert all("at least 4 items" in p.message for p in problems)


def test_levels_out_of_order(tree: Path) -> None:
    def swap(d: dict[str, Any]) -> None:
        d["levels"][0]["level"] = 2  # 2, 2, 3, 4: four levels, but not 1-4

    edit(tree, PATCH, swap)
    p = find(problems_of(tree), PATCH, "levels")
    assert "levels must be 1, 2, 3, 4 in order" in p.message


def test_level_with_two_indicators(tree: Path) -> None:
    def two(d: dict[str, Any], n: int) -> None:
        lv = level(d, n)
        lv["indicators"] = lv["indicators"][:2]
        kept = {i["id"] for i in lv["indicators"]}
        for q in lv["probes"]:
            q["indicators"] = [i for i in q["indicators"] if i in kept] or [sorted(kept)[0]]

    edit(tree, PATCH, lambda d: two(d, 3))
    edit(tree, THREAT, lambda d: two(d, 1))
    problems = problems_of(tree)
    assert where(problems) == {(PATCH, "levels.2.indicators"), (THREAT, "levels.0.indicators")}
    assert all("at least 3 items" in p.message and "not 2" in p.message for p in problems)


def test_duplicate_indicator_id(tree: Path) -> None:
    def dup(d: dict[str, Any]) -> None:
        lv = level(d, 1)
        old = lv["indicators"][1]["id"]
        lv["indicators"][1]["id"] = lv["indicators"][0]["id"]
        for q in lv["probes"]:  # keep the probes consistent so only the duplicate is wrong
            q["indicators"] = [lv["indicators"][0]["id"] if i == old else i for i in q["indicators"]]

    edit(tree, PATCH, dup)
    edit(tree, THREAT, dup)
    problems = problems_of(tree)
    assert where(problems) == {(PATCH, "levels.0.indicators.1.id"), (THREAT, "levels.0.indicators.1.id")}
    assert {p.message for p in problems} == {"duplicate indicator ID H1.2-L1-01", "duplicate indicator ID G2.1-L1-01"}


def test_malformed_indicator_id(tree: Path) -> None:
    edit(tree, PATCH, lambda d: level(d, 1)["indicators"][1].__setitem__("id", "H1.2-L1-1"))
    edit(tree, PATCH, lambda d: level(d, 4)["probes"][0]["indicators"].__setitem__(0, "h1.2-l4-01"))
    edit(tree, THREAT, lambda d: level(d, 2)["indicators"][0].__setitem__("id", "G2.1-L3-01"))  # well formed, wrong level
    problems = problems_of(tree)
    assert where(problems) >= {
        (PATCH, "levels.0.indicators.1.id"),
        (PATCH, "levels.3.probes.0.indicators.0"),
    }
    assert "should match pattern" in find(problems, PATCH, "levels.0.indicators.1.id").message
    # The wrong-level ID passes the pattern and is caught by the structural check of the other file.
    assert "G2.1-L3-01 should start with G2.1-L2-" in find(problems, THREAT, "levels.1.indicators.0.id").message


def test_probe_naming_an_indicator_of_another_level(tree: Path) -> None:
    edit(tree, PATCH, lambda d: level(d, 2)["probes"][0]["indicators"].append("H1.2-L1-01"))
    edit(tree, PATCH, lambda d: level(d, 4)["probes"][1]["indicators"].append("H1.2-L3-02"))
    problems = problems_of(tree)
    n2 = len(yaml.safe_load((CATALOG / PATCH).read_text(encoding="utf-8"))["levels"][1]["probes"][0]["indicators"])
    n4 = len(yaml.safe_load((CATALOG / PATCH).read_text(encoding="utf-8"))["levels"][3]["probes"][1]["indicators"])
    assert where(problems) == {(PATCH, f"levels.1.probes.0.indicators.{n2}"), (PATCH, f"levels.3.probes.1.indicators.{n4}")}
    assert "H1.2-L1-01 is not an indicator of level 2" in str(problems)


def test_indicator_no_probe_asks_about(tree: Path) -> None:
    def orphan(d: dict[str, Any]) -> None:
        lv = level(d, 2)
        target = lv["indicators"][0]["id"]
        for q in lv["probes"]:
            q["indicators"] = [i for i in q["indicators"] if i != target] or [lv["indicators"][1]["id"]]

    edit(tree, PATCH, orphan)
    assert "no probe asks about H1.2-L2-01" in find(problems_of(tree), PATCH, "levels.1.probes").message


def test_dangling_related_practice(tree: Path) -> None:
    edit(tree, PATCH, lambda d: d["related"].append("H1.2"))  # itself
    edit(tree, THREAT, lambda d: d["related"].append("G4.1"))  # no such ID
    problems = problems_of(tree)
    n = len(yaml.safe_load((CATALOG / PATCH).read_text(encoding="utf-8"))["related"])
    assert find(problems, PATCH, f"related.{n}").message == "dangling related practice H1.2"
    m = len(yaml.safe_load((CATALOG / THREAT).read_text(encoding="utf-8"))["related"])
    assert "should match pattern" in find(problems, THREAT, f"related.{m}").message
    assert len(problems) == 2


def test_wrong_practice_count(tree: Path) -> None:
    """A practice removed from model.yaml and its file: the count, the subdomain and every reference are reported."""
    edit(tree, "model.yaml", lambda d: d["domains"][0]["subdomains"][1]["practices"].pop(1))  # G2.2 Risk Attitude
    (tree / "practices" / "G2.2-risk-attitude.yaml").unlink()
    problems = problems_of(tree)
    assert "the SMM has 18 practices; model.yaml lists 17" in find(problems, "model.yaml", "domains").message
    assert "subdomain G2 needs 2 practices, has 1" in find(problems, "model.yaml", "domains.0.subdomains.1.practices").message
    dangling = [p for p in problems if p.message == "dangling related practice G2.2"]
    assert dangling and all(p.file.startswith("practices/") and p.path.startswith("related.") for p in dangling)
    unknown = [p for p in problems if p.message == "unknown practice G2.2"]
    assert {p.file for p in unknown} == {
        f"profiles/{n}.yaml" for n in ("automotive-ota-gateway", "bottling-line", "residential-cameras")
    }
    assert any(p.path == "targets.G2.2" for p in unknown)
    assert len(problems) == 2 + len(dangling) + len(unknown)


def test_practice_file_missing(tree: Path) -> None:
    (tree / "practices" / "G2.2-risk-attitude.yaml").unlink()
    (tree / "practices" / "H3.1-event-detection-and-response-plan.yaml").unlink()
    problems = problems_of(tree)
    messages = {p.message for p in problems if p.file == "practices/"}
    assert any(m.startswith("no file for practice G2.2") for m in messages)
    assert any(m.startswith("no file for practice H3.1") for m in messages)


def test_slug_and_name_differ_from_model(tree: Path) -> None:
    edit(tree, PATCH, lambda d: d.__setitem__("name", "Patching"))
    edit(tree, THREAT, lambda d: d.__setitem__("slug", "threat-modelling"))
    problems = problems_of(tree)
    assert find(problems, PATCH, "name").message == "name 'Patching' differs from model.yaml ('Patch Management')"
    slug = find(problems, THREAT, "slug").message
    assert slug == "slug 'threat-modelling' differs from model.yaml ('threat-modeling')"
    # The slug is part of the file name, so the file name is reported too.
    assert "file name should be G2.1-threat-modelling.yaml" in find(problems, THREAT, "").message
    assert len(problems) == 3


def test_file_name_mismatch(tree: Path) -> None:
    (tree / PATCH).rename(tree / "practices" / "H1.2-patching.yaml")
    (tree / THREAT).rename(tree / "practices" / "G2.1.yaml")
    problems = problems_of(tree)
    assert where(problems) == {("practices/H1.2-patching.yaml", ""), ("practices/G2.1.yaml", "")}
    assert find(problems, "practices/H1.2-patching.yaml", "").message == "file name should be H1.2-patch-management.yaml"


def test_later_problems_name_the_real_file(tree: Path) -> None:
    """A misnamed file's other problems point at the file as it is, not as it should be named."""
    edit(tree, PATCH, lambda d: d["related"].append("H1.2"))
    (tree / PATCH).rename(tree / "practices" / "H1.2-patching.yaml")
    problems = problems_of(tree)
    assert all(p.file == "practices/H1.2-patching.yaml" for p in problems), [str(p) for p in problems]
    assert any(p.message == "dangling related practice H1.2" for p in problems)


def test_duplicate_practice_id(tree: Path) -> None:
    shutil.copy(tree / PATCH, tree / "practices" / "H1.2-patch-management-copy.yaml")
    problems = problems_of(tree)
    p = find(problems, "practices/H1.2-patch-management.yaml", "id")  # sorted after "...-copy.yaml"
    assert p.message == "duplicate practice ID H1.2"


def test_duplicate_yaml_key(tree: Path) -> None:
    replace_text(tree, PATCH, "slug: patch-management\n", "slug: patch-management\nslug: patch-management\n")
    replace_text(tree, BOTTLING, "industry: manufacturing\n", "industry: manufacturing\nindustry: automotive\n")
    problems = problems_of(tree)
    assert {p.file for p in problems} == {PATCH, BOTTLING}
    p = find(problems, PATCH, "line 4, column 1")
    assert p.message == "invalid YAML: duplicate key 'slug'; keep only one"
    assert "duplicate key 'industry'" in next(x.message for x in problems if x.file == BOTTLING)


def test_yaml_alias_and_anchor(tree: Path) -> None:
    replace_text(tree, PATCH, "name: Patch Management\n", "name: &n Patch Management\nobjective_copy: *n\n")
    replace_text(tree, BOTTLING, "industry: manufacturing\n", "industry: &i manufacturing\nsector: *i\n")
    problems = problems_of(tree)
    assert {p.file for p in problems} == {PATCH, BOTTLING}
    assert all("anchors and aliases (*name) are not allowed" in p.message for p in problems)
    assert all(p.path.startswith("line ") for p in problems)


def test_yaml_anchor_alone_is_harmless_but_alias_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    assert load_yaml_text("a: &x 1\n", f) == {"a": 1}
    with pytest.raises(YamlLoadError, match="anchors and aliases") as info:
        load_yaml_text("a: &x [1, 2]\nb: *x\n", f)
    assert info.value.path == "line 2, column 4"
    # A billion-laughs document is refused at the first alias, without expanding anything.
    laughs = "a: &a [lol, lol]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\n"
    with pytest.raises(YamlLoadError, match="anchors and aliases"):
        load_yaml_text(laughs, f)


def test_not_utf8(tree: Path) -> None:
    for rel in (PATCH, CAMERAS):
        path = tree / rel
        path.write_bytes(path.read_bytes().replace(b"\nid:", "\n# caf\u00e9\nid:".encode("latin-1"), 1))
    problems = problems_of(tree)
    assert where(problems) == {(PATCH, ""), (CAMERAS, "")}
    assert all(re.fullmatch(r"not UTF-8 text \(bad byte at offset \d+\); save the file as UTF-8", p.message) for p in problems)


def test_utf8_with_bom_is_accepted(tree: Path, catalog: Catalog) -> None:
    path = tree / PATCH
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_catalog(tree).content_hash == catalog.content_hash


def test_file_over_20_mb(tree: Path) -> None:
    for rel in (PATCH, BOTTLING):
        with (tree / rel).open("r+b") as f:  # sparse: no 20 MB actually written
            f.truncate(MAX_BYTES + 1)
    problems = problems_of(tree)
    assert where(problems) == {(PATCH, ""), (BOTTLING, "")}
    for p in problems:
        assert "over the 20 MB limit" in p.message, p.message
        assert "split or trim it" in p.message


def test_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    f = tmp_path / "x.yaml"
    f.write_bytes(b"a: 1\n")
    assert load_yaml_file(f, max_bytes=5) == {"a": 1}
    with pytest.raises(YamlLoadError, match="MB limit"):
        load_yaml_file(f, max_bytes=4)


def test_missing_model_yaml(tree: Path) -> None:
    (tree / "model.yaml").unlink()
    edit(tree, PATCH, lambda d: d.__setitem__("colour", "red"))  # still checked without model.yaml
    problems = problems_of(tree)
    assert find(problems, "model.yaml", "").message == "missing; every catalog needs model.yaml"
    assert find(problems, PATCH, "colour")
    assert len(problems) == 2


def test_missing_practices_folder(tree: Path) -> None:
    shutil.rmtree(tree / "practices")
    problems = problems_of(tree)
    assert find(problems, "practices/", "").message == "missing folder of practice files"
    assert sum(p.message.startswith("no file for practice") for p in problems) == 18


def test_profile_missing_targets(tree: Path) -> None:
    edit(tree, BOTTLING, lambda d: (d["targets"].pop("H1.2"), d["targets"].pop("G1.1")))
    edit(tree, CAMERAS, lambda d: d.pop("targets"))
    problems = problems_of(tree)
    assert where(problems) == {(BOTTLING, "targets"), (CAMERAS, "targets")}
    assert find(problems, BOTTLING, "targets").message == "target template misses G1.1, H1.2"
    assert find(problems, CAMERAS, "targets").message == "Field required"


def test_profile_with_unknown_practice(tree: Path) -> None:
    def unknown(d: dict[str, Any]) -> None:
        d["targets"]["H3.3"] = copy.deepcopy(d["targets"]["H1.2"])
        d["considerations"][0]["practice"] = "X1.1"

    edit(tree, BOTTLING, unknown)
    problems = problems_of(tree)
    assert where(problems) == {(BOTTLING, "targets.H3.3.[key]"), (BOTTLING, "considerations.0.practice")}
    assert all("should match pattern" in p.message for p in problems)


def test_profile_id_must_equal_file_name(tree: Path) -> None:
    edit(tree, BOTTLING, lambda d: d.__setitem__("id", "bottling"))
    assert find(problems_of(tree), BOTTLING, "id").message == "id 'bottling' should equal the file name 'bottling-line'"


def test_profile_with_missing_sector_examples(tree: Path) -> None:
    def drop(d: dict[str, Any]) -> None:
        ex = d["scope"]["industry"]["examples"]
        d["scope"]["industry"]["examples"] = [e for e in ex if e["sector"] != "automotive"] + [
            {"sector": "retail", "text": "A shop."}
        ]

    edit(tree, PATCH, drop)
    p = find(problems_of(tree), PATCH, "scope.industry.examples")
    assert "examples must cover automotive" in p.message


def test_several_problems_at_once(tree: Path) -> None:
    edit(tree, PATCH, lambda d: d.__setitem__("colour", "red"))  # 1: unknown key
    replace_text(tree, THREAT, "slug: threat-modeling\n", "slug: threat-modeling\nslug: x\n")  # 2: duplicate key
    edit(tree, BOTTLING, lambda d: d["targets"].pop("E2.2"))  # 3: target missing
    edit(tree, "model.yaml", lambda d: d["levels"].reverse())  # 4: levels out of order
    path = tree / "practices" / "E2.2-physical-protection.yaml"  # 5: not UTF-8
    path.write_bytes(path.read_bytes() + b"\n# \xff\n")
    problems = problems_of(tree)
    assert len(problems) == 5, [str(p) for p in problems]
    assert where(problems) == {
        (PATCH, "colour"),
        (THREAT, "line 4, column 1"),
        (BOTTLING, "targets"),
        ("model.yaml", "levels"),
        ("practices/E2.2-physical-protection.yaml", ""),
    }


def test_an_invalid_file_causes_no_follow_up_problems(tree: Path) -> None:
    """Without a valid model.yaml, practices whose files are invalid are not reported again as unknown elsewhere."""
    edit(tree, "model.yaml", lambda d: d["metadata"].__setitem__("catalog_version", "1.0"))
    edit(tree, PATCH, lambda d: d.__setitem__("colour", "red"))
    problems = problems_of(tree)
    assert where(problems) == {("model.yaml", "metadata.catalog_version"), (PATCH, "colour")}, [str(p) for p in problems]


def test_catalog_error_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        load_catalog(tmp_path)


# ------------------------------------------------------------------------------------ shipped files


SHIPPED = sorted(p.relative_to(CATALOG).as_posix() for p in CATALOG.rglob("*.yaml"))


def test_shipped_file_list() -> None:
    assert "model.yaml" in SHIPPED
    assert sum(f.startswith("practices/") for f in SHIPPED) == 18
    assert sum(f.startswith("profiles/") for f in SHIPPED) >= 3


@pytest.mark.parametrize("rel", SHIPPED)
def test_every_shipped_file_is_strict_yaml_and_matches_its_schema(rel: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    path = CATALOG / rel
    raw = path.read_bytes()
    assert len(raw) < 200_000
    text = raw.decode("utf-8")  # plain UTF-8, no BOM needed
    assert "\t" not in text
    data = load_yaml_file(path)
    assert isinstance(data, dict)
    top = "/" not in rel  # model.yaml and roles.yaml sit beside schema/; the rest one folder down
    kind = rel.removesuffix(".yaml") if top else rel.split("/")[0].rstrip("s")
    schema_path = CATALOG / "schema" / f"{kind}.schema.json"
    assert text.startswith(f"# yaml-language-server: $schema={'' if top else '../'}schema/{kind}.schema.json\n")
    jsonschema.validate(data, json.loads(schema_path.read_text(encoding="utf-8")))


def test_schemas_are_fresh() -> None:
    stale = schemas.stale()
    assert stale == [], f"regenerate with `smm catalog schema --write`: {stale}"


def test_stale_detects_a_changed_schema_and_write_all_fixes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schemas, "data_path", lambda name: tmp_path / name)
    assert len(schemas.stale()) == len(schemas.schema_builders())  # nothing written yet
    written = schemas.write_all()
    assert all(p.is_relative_to(tmp_path) for p in written)
    assert schemas.stale() == []
    practice = tmp_path / "catalog" / "schema" / "practice.schema.json"
    practice.write_text(practice.read_text(encoding="utf-8").replace("Patch", "Batch").replace('"id"', '"ident"'))
    assert schemas.stale() == [practice]
    schemas.write_all()
    assert schemas.stale() == []


# --------------------------------------------------------------------------------- completeness props


def test_model_structure(catalog: Catalog) -> None:
    m = catalog.model
    assert [d.id for d in m.domains] == ["G", "E", "H"]
    assert [s.id for d in m.domains for s in d.subdomains] == [f"{d}{n}" for d in "GEH" for n in (1, 2, 3)]
    ids = [p.id for d in m.domains for s in d.subdomains for p in s.practices]
    assert ids == [f"{d}{n}.{k}" for d in "GEH" for n in (1, 2, 3) for k in (1, 2)]
    assert list(catalog.practices) == ids
    assert [lv.level for lv in m.levels] == [0, 1, 2, 3, 4]
    assert {s.id for s in m.scopes} == {"general", "industry", "system"}


def test_every_practice_has_four_levels(catalog: Catalog) -> None:
    for p in catalog.practices.values():
        assert [lv.level for lv in p.levels] == [1, 2, 3, 4], p.id
        for lv in p.levels:
            assert 3 <= len(lv.indicators) <= 6
            assert len(lv.probes) >= 2
            assert lv.evidence


def test_indicator_ids_unique_and_well_formed(catalog: Catalog) -> None:
    seen: set[str] = set()
    for p in catalog.practices.values():
        assert re.fullmatch(PRACTICE_ID, p.id) and re.fullmatch(SLUG, p.slug)
        for n, ind in p.indicators():
            assert re.fullmatch(INDICATOR_ID, ind.id), ind.id
            assert ind.id.startswith(f"{p.id}-L{n}-"), ind.id
            assert ind.id not in seen, ind.id
            seen.add(ind.id)
            assert catalog.indicator(ind.id) is ind
            assert ind.text.strip() == ind.text and len(ind.text) > 20
        for lv in p.levels:  # numbered 01, 02, ... without gaps
            assert [i.id[-2:] for i in lv.indicators] == [f"{k:02d}" for k in range(1, len(lv.indicators) + 1)]
    assert len(seen) >= 18 * 4 * 3


def test_every_probe_refers_to_a_real_indicator_of_its_level(catalog: Catalog) -> None:
    probe_ids: set[str] = set()
    for p in catalog.practices.values():
        for lv in p.levels:
            own = {i.id for i in lv.indicators}
            covered: set[str] = set()
            for q in lv.probes:
                assert re.fullmatch(PROBE_ID, q.id) and q.id.startswith(f"{p.id}-L{lv.level}-Q"), q.id
                assert q.id not in probe_ids
                probe_ids.add(q.id)
                assert set(q.indicators) <= own, (q.id, q.indicators)
                covered |= set(q.indicators)
            assert covered == own, f"{p.id} level {lv.level}: no probe asks about {own - covered}"


def test_related_practices_and_files(catalog: Catalog) -> None:
    for p in catalog.practices.values():
        assert p.related, p.id
        assert set(p.related) <= set(catalog.practices) - {p.id}
        assert len(set(p.related)) == len(p.related)
        assert (CATALOG / "practices" / f"{p.id}-{p.slug}.yaml").is_file()
        assert p.mappings.status == "indicative"


def test_profiles_cover_every_practice(catalog: Catalog) -> None:
    for prof in catalog.profiles.values():
        assert set(prof.targets) == set(catalog.practices), prof.id
        assert "not an IIC publication" in prof.label
        assert {c.practice for c in prof.considerations} <= set(catalog.practices)


# ----------------------------------------------------------------------------- explain and lookup


@functools.lru_cache(maxsize=1)
def shipped() -> Catalog:
    """The shipped catalog for hypothesis tests, which cannot take function-scoped fixtures."""
    return load_catalog()


def test_resolve_practice_by_id_slug_name_and_fuzzy_words(catalog: Catalog) -> None:
    cases = {
        "H1.2": "H1.2",
        "h1.2": "H1.2",
        "patch-management": "H1.2",
        "Patch Management": "H1.2",
        "patching": "H1.2",
        "threat modelling": "G2.1",
        "access control": "E1.2",
        "supply chain": "G3.1",
        "situational awareness": "H2.2",
        "recovery": "H3.2",
    }
    for query, expected in cases.items():
        assert resolve_practice(catalog, query).id == expected, query


def test_resolve_practice_unknown_and_empty(catalog: Catalog) -> None:
    with pytest.raises(InputError, match=r"no practice matches 'xyzzy'; see `smm catalog list`"):
        resolve_practice(catalog, "xyzzy")
    with pytest.raises(InputError, match=r"Did you mean: .*Patch Management"):
        resolve_practice(catalog, "patchy gizmo")
    with pytest.raises(InputError, match="name a practice"):
        resolve_practice(catalog, "   ")


@settings(max_examples=60, deadline=None, database=None)
@given(
    index=st.integers(0, 17),
    form=st.sampled_from(["id", "slug", "name", "lower", "upper"]),
    n=st.integers(1, 4),
    template=st.sampled_from(
        [
            "what does level {n} of {q} require?",
            "Explain level {n} for {q}",
            "{q} level {n}",
            "What is needed at level {n} in {q}?",
            "tell me about L{n} of {q}.",
        ]
    ),
)
def test_level_questions_resolve_for_every_practice(index: int, form: str, n: int, template: str) -> None:
    catalog = shipped()
    p = list(catalog.practices.values())[index]
    q = {"id": p.id, "slug": p.slug, "name": p.name, "lower": p.name.lower(), "upper": p.name.upper()}[form]
    name, asked = parse_level_question(template.format(n=n, q=q))
    assert asked == n
    assert resolve_practice(catalog, name).id == p.id


def test_parse_level_question() -> None:
    assert parse_level_question("what does level 3 of patching require") == ("patching", 3)
    assert parse_level_question("H1.2") == ("H1.2", None)
    assert parse_level_question("what does level 2 of G2.1 require?") == ("G2.1", 2)
    assert parse_level_question("patch management") == ("patch management", None)


def test_explain_level_cites_the_catalog(catalog: Catalog) -> None:
    e = explain_level(catalog, "patch management", 3)
    p = catalog.practices["H1.2"]
    assert (e.practice_id, e.level, e.level_name) == ("H1.2", 3, "Consistent")
    assert [c.id for c in e.requires] == [i.id for i in p.level(3).indicators]
    assert [c.id for c in e.below] == [i.id for n, i in p.indicators() if n < 3]
    assert all(c.text == catalog.indicator(c.id).text for c in e.requires + e.below)
    assert e.previous_summary == p.level(2).summary
    assert e.questions == [q.text for q in p.level(3).probes]
    md = e.to_markdown()
    for c in e.requires + e.below:
        assert f"[{c.id}] {c.text}" in md
    assert md.startswith("## H1.2 Patch Management: level 3 (Consistent)\n")


def test_explain_level_one_has_nothing_below(catalog: Catalog) -> None:
    e = explain_level(catalog, "G1.1", 1)
    assert e.below == [] and e.previous_summary is None
    assert "for contrast" not in e.to_markdown()


@pytest.mark.parametrize("bad", [0, 5, -1])
def test_explain_level_out_of_range(catalog: Catalog, bad: int) -> None:
    with pytest.raises(InputError, match="choose a level from 1 to 4"):
        explain_level(catalog, "H1.2", bad)


def test_explain_practice_lists_the_four_levels(catalog: Catalog) -> None:
    md = explain_practice(catalog, "threat-modeling")
    assert md.startswith("## G2.1 Threat Modeling\n")
    for n in (1, 2, 3, 4):
        assert f"[G2.1-L{n}]" in md
