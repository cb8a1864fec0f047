"""Reports: golden Markdown/CSV/JSON of the three examples, self-contained HTML, XLSX sheets, and the CLI.

Regenerate the golden files after an intended change with ``UPDATE_GOLDEN=1 pytest tests/test_report.py``
and review the diff before committing it.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import shutil
from html import escape as html_escape
from pathlib import Path
from typing import Any

import pytest

from assistant import report as report_mod
from assistant.assessment import Assessment, load_assessment, save_assessment
from assistant.catalog import Catalog
from assistant.cli import main
from assistant.errors import InputError
from assistant.report import (
    CSV_COLUMNS,
    FORMATS,
    chart_heat_table,
    chart_target_vs_current,
    citations,
    render_csv,
    render_html,
    render_json,
    render_markdown,
    render_xlsx,
    write_report,
)
from assistant.scoring import STRATEGIES, ScoreReport, score, strategy_rule

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "eval" / "examples"
GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
EXAMPLE_NAMES = ("bottling-line", "automotive-ota-gateway", "residential-cameras")
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
PNG = b"\x89PNG\r\n\x1a\n"


def scored(name: str, catalog: Catalog, strategy: str = "min") -> tuple[Assessment, ScoreReport]:
    a = load_assessment(EXAMPLES / f"{name}.json", catalog)
    return a, score(a, catalog, strategy)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        return
    assert path.exists(), f"missing golden file {path}; create it with UPDATE_GOLDEN=1 pytest tests/test_report.py"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"{name} differs from its golden file; if the change is intended, run UPDATE_GOLDEN=1 pytest tests/test_report.py"
    )


# -------------------------------------------------------------------------------------------- golden


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_markdown_golden(name: str, catalog: Catalog, tmp_path: Path) -> None:
    a, r = scored(name, catalog)
    written = write_report(r, "md", tmp_path / f"{name}.md", a, catalog)
    assert [p.name for p in written] == [f"{name}-targets.png", f"{name}-levels.png", f"{name}.md"]
    md = (tmp_path / f"{name}.md").read_text(encoding="utf-8")
    assert f"]({name}-targets.png)" in md and f"]({name}-levels.png)" in md
    for png in written[:2]:
        assert png.read_bytes().startswith(PNG)
    check_golden(f"{name}.md", md)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_csv_golden(name: str, catalog: Catalog) -> None:
    check_golden(f"{name}.csv", render_csv(scored(name, catalog)[1]))


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_json_golden(name: str, catalog: Catalog) -> None:
    check_golden(f"{name}.json", render_json(scored(name, catalog)[1]))


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_json_report_round_trips_to_the_score_report(name: str, catalog: Catalog) -> None:
    r = scored(name, catalog)[1]
    assert ScoreReport.model_validate_json(render_json(r)) == r


def test_rendering_is_deterministic(catalog: Catalog) -> None:
    a, r = scored("automotive-ota-gateway", catalog)
    assert chart_target_vs_current(r, catalog) == chart_target_vs_current(r, catalog)
    assert chart_heat_table(r, catalog) == chart_heat_table(r, catalog)
    assert render_html(r, a, catalog) == render_html(r, a, catalog)
    assert render_markdown(r, a, catalog) == render_markdown(r, a, catalog)


def test_png_charts_carry_no_timestamp_or_software_tag(catalog: Catalog) -> None:
    r = scored("bottling-line", catalog)[1]
    for png in (chart_target_vs_current(r, catalog), chart_heat_table(r, catalog)):
        assert png.startswith(PNG)
        for chunk in (b"tEXt", b"iTXt", b"zTXt", b"tIME"):
            assert chunk not in png


# ---------------------------------------------------------------------------------- report contents


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_every_format_states_version_strategy_counts_and_caveat(strategy: str, catalog: Catalog) -> None:
    a, r = scored("residential-cameras", catalog, strategy)
    c = r.overall.counts
    counts = f"{c.not_applicable} not applicable, {c.unrated} unrated, {c.awaiting_review} awaiting review"
    for text in (render_markdown(r, a, catalog), render_html(r, a, catalog)):
        assert f"Catalog version | {catalog.version}" in text or f"<td>Catalog version</td><td>{catalog.version}" in text
        for paragraph in strategy_rule(strategy).split("\n\n"):
            assert paragraph in text or html_escape(paragraph) in text
        assert counts in text
        assert "higher level is not always better" in text
    data = json.loads(render_json(r))
    assert (data["catalog_version"], data["strategy"], data["strategy_rule"]) == (
        catalog.version,
        strategy,
        strategy_rule(strategy),
    )
    assert "not always better" in data["caveat"] and data["overall"]["counts"]["awaiting_review"] == 1
    rows = list(csv.DictReader(io.StringIO(render_csv(r))))
    assert {(row["catalog_version"], row["strategy"]) for row in rows} == {(catalog.version, strategy)}


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_citations_appendix_lists_every_cited_indicator_with_its_text(name: str, catalog: Catalog) -> None:
    a, r = scored(name, catalog)
    cited = {ind.id for c in a.current.values() for ind in c.provenance.indicators}
    cites = citations(a, catalog)
    assert {c.id for c in cites} == cited
    md = render_markdown(r, a, catalog)
    appendix = md.split("## Appendix: cited indicators", 1)[1]
    for iid in cited:
        assert f"| {iid} | {catalog.indicator(iid).text} |" in appendix
    html = render_html(r, a, catalog)
    assert all(f"<td>{iid}</td>" in html for iid in cited)


def test_citation_missing_from_the_catalog_is_flagged(catalog: Catalog) -> None:
    a, _ = scored("bottling-line", catalog)
    a.current["G1.1"].provenance.indicators[0] = (
        a.current["G1.1"].provenance.indicators[0].model_copy(update={"text": "older wording"})
    )
    cites = {c.id: c for c in citations(a, catalog)}
    first = a.current["G1.1"].provenance.indicators[0].id
    assert cites[first].text_changed and cites[first].text == catalog.indicator(first).text
    md = render_markdown(score(a, catalog), a, catalog)
    assert "(text changed since it was cited)" in md


def test_roadmap_in_markdown_lists_next_level_indicators(catalog: Catalog) -> None:
    a, r = scored("bottling-line", catalog)
    md = render_markdown(r, a, catalog)
    first = r.roadmap[0]
    assert f"### 1. {first.practice} {first.name}: level {first.current_level} → {first.target_level} (gap {first.gap})" in md
    for ind in first.next_indicators:
        assert f"- **{ind.id}** {ind.text}" in md


# ---------------------------------------------------------------------------------------------- HTML


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_html_is_self_contained_and_has_the_charts(name: str, catalog: Catalog) -> None:
    a, r = scored(name, catalog)
    html = render_html(r, a, catalog)
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.IGNORECASE)
    assert not re.search(r"https?://", html)
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html and "url(" not in html
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">', html)
    assert len(images) == 2
    assert {alt.split(",")[0] for alt, _ in images} == {"Target vs current level per practice", "Levels per practice: T = target"}
    for _, b64 in images:
        assert base64.b64decode(b64).startswith(PNG)
    assert "<style>" in html


def test_html_escapes_stakeholder_text(catalog: Catalog) -> None:
    a, _ = scored("bottling-line", catalog)
    a.metadata.system_name = '<script>alert("x")</script> Line 4'
    html = render_html(score(a, catalog), a, catalog)
    assert "<script>" not in html and "&lt;script&gt;" in html


# ---------------------------------------------------------------------------------------------- XLSX


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_xlsx_has_the_sheets_with_the_right_row_counts(name: str, catalog: Catalog) -> None:
    from openpyxl import load_workbook

    a, r = scored(name, catalog)
    wb = load_workbook(io.BytesIO(render_xlsx(r, a, catalog)))
    assert {"Ratings", "Gaps and roadmap", "Provenance"} <= set(wb.sheetnames)
    assert wb["Ratings"].max_row == 1 + len(catalog.practices)
    assert wb["Gaps and roadmap"].max_row == 1 + len(r.roadmap)
    assert wb["Provenance"].max_row == 1 + len(a.current)
    assert wb["Citations"].max_row == 1 + len(citations(a, catalog))
    summary = {row[0]: row[1] for row in wb["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["Catalog version"] == catalog.version and summary["Roll-up strategy"] == "min"
    assert summary["Awaiting review"] == 1 and "not always better" in summary["Caveat"]
    header = [c.value for c in wb["Provenance"][1]]
    for col in (
        "Human value",
        "Proposal",
        "Engine",
        "Model",
        "Catalog version",
        "Cited indicators",
        "Quotes",
        "Reviewer",
        "Decision",
        "Decision reason",
        "Decided at",
    ):
        assert col in header
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in wb["Provenance"].iter_rows(min_row=2, values_only=True)}
    modified = next(pid for pid, c in a.current.items() if c.provenance.decision == "modify")
    row = rows[modified]
    assert row["Human value"] == a.current[modified].value.label()
    assert row["Proposal"] == a.current[modified].provenance.proposed.label()  # type: ignore[union-attr]
    assert row["Decision"] == "modify" and row["Decision reason"] == a.current[modified].provenance.decision_reason
    assert row["Cited indicators"] == ", ".join(i.id for i in a.current[modified].provenance.indicators)
    assert a.current[modified].provenance.quotes[0].text in row["Quotes"]


def test_xlsx_keeps_formula_like_text_as_text(catalog: Catalog) -> None:
    from openpyxl import load_workbook

    a, r = scored("bottling-line", catalog)
    a.current["G1.1"].provenance.reviewer = '=HYPERLINK("x","y")'
    wb = load_workbook(io.BytesIO(render_xlsx(r, a, catalog)))
    cells = [c for row in wb["Provenance"].iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert [(c.value, c.data_type) for c in cells] == [('=HYPERLINK("x","y")', "s")]


def test_csv_has_one_row_per_practice(catalog: Catalog) -> None:
    r = scored("automotive-ota-gateway", catalog)[1]
    rows = list(csv.DictReader(io.StringIO(render_csv(r))))
    assert [row["practice_id"] for row in rows] == list(catalog.practices)
    assert tuple(rows[0]) == CSV_COLUMNS
    by = {row["practice_id"]: row for row in rows}
    for p in r.practices:
        assert by[p.id]["status"] == p.status
        assert by[p.id]["gap"] == ("" if p.gap is None else str(p.gap))
    assert by["H2.1"]["target_not_applicable"] == "true" and by["H2.1"]["not_applicable_reason"]


# ---------------------------------------------------------------------------------------------- write


def test_write_report_is_all_or_nothing(catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, r = scored("bottling-line", catalog)

    def broken(*args: Any) -> bytes:
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(report_mod, "chart_heat_table", broken)
    with pytest.raises(RuntimeError):
        write_report(r, "md", tmp_path / "r.md", a, catalog)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_write_report_leaves_no_temp_files(fmt: str, catalog: Catalog, tmp_path: Path) -> None:
    a, r = scored("residential-cameras", catalog)
    written = write_report(r, fmt, tmp_path / f"report.{fmt}", a, catalog)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)
    assert written[-1] == tmp_path / f"report.{fmt}"


def test_unknown_format_is_an_input_error(catalog: Catalog, tmp_path: Path) -> None:
    a, r = scored("bottling-line", catalog)
    with pytest.raises(InputError, match="unknown report format 'pdf'"):
        write_report(r, "pdf", tmp_path / "r.pdf", a, catalog)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------------ CLI


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_cli_score(strategy: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["score", str(EXAMPLES / "bottling-line.json"), "--strategy", strategy], capsys)
    assert code == 0, err
    flat = " ".join(out.split())
    for pid in ("G1.1", "E2.2", "H3.2"):
        assert pid in out
    assert "3 sys?" in flat and "review" in flat and "1 n/a" in flat and "1 awaiting review" in flat
    assert "3 sys*" in flat  # E1.1's target is set in the assessment, not taken from the profile
    assert "Governance" in out and "Overall" in out
    assert " ".join(strategy_rule(strategy).split()) in flat
    assert "not always better" in flat


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_report_every_format(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / f"report.{fmt}"
    code, out, err = run(["report", str(EXAMPLES / "automotive-ota-gateway.json"), "--format", fmt, "-o", str(out_file)], capsys)
    assert code == 0, err
    assert out_file.exists() and out_file.stat().st_size > 0
    assert f"wrote {out_file}" in " ".join(out.split())
    if fmt == "md":
        assert (tmp_path / "report-targets.png").exists() and (tmp_path / "report-levels.png").exists()


def test_cli_report_infers_the_format_from_the_extension(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["report", str(EXAMPLES / "residential-cameras.json"), "-o", str(tmp_path / "r.xlsx")], capsys)
    assert code == 0, err
    assert (tmp_path / "r.xlsx").read_bytes().startswith(b"PK")
    code, _, err = run(["report", str(EXAMPLES / "residential-cameras.json"), "-o", str(tmp_path / "r.pdf")], capsys)
    assert code == 2 and "cannot tell the report format from 'r.pdf'" in err
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["score", "EX", "--strategy", "median"], "unknown strategy 'median'"),
        (["report", "EX", "--format", "pdf", "-o", "OUT/r.pdf"], "unknown report format 'pdf'"),
        (["report", "EX", "--strategy", "median", "-o", "OUT/r.md"], "unknown strategy 'median'"),
    ],
)
def test_cli_bad_options_exit_2(argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [x.replace("EX", str(EXAMPLES / "bottling-line.json")).replace("OUT", str(tmp_path / "out")) for x in argv]
    code, _, err = run(argv, capsys)
    assert code == 2 and err.startswith("smm: error:") and message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_report_to_a_directory_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["report", str(EXAMPLES / "bottling-line.json"), "--format", "html", "-o", str(tmp_path)], capsys)
    assert code == 2 and "is a directory" in err


def test_cli_compare(tmp_path: Path, catalog: Catalog, capsys: pytest.CaptureFixture[str]) -> None:
    a = load_assessment(EXAMPLES / "bottling-line.json", catalog)
    later = a.model_copy(deep=True)
    later.current["H1.2"].value = later.current["H1.2"].value.model_copy(update={"level": 3})
    later.current["G2.1"].value = later.current["G2.1"].value.model_copy(update={"scope": "industry"})
    save_assessment(later, tmp_path / "later.json")
    code, out, err = run(["compare", str(EXAMPLES / "bottling-line.json"), str(tmp_path / "later.json")], capsys)
    assert code == 0, err
    flat = " ".join(out.split())
    assert "H1.2" in out and "1 sys → 3 sys (+2)" in flat and "below → at" in flat
    assert "G2.1" in out and "1 gen → 1 ind" in flat
    assert "E1.1" not in out
    assert "2 practice(s) changed; current level raised for 1, lowered for 0" in flat


def test_cli_compare_refuses_different_systems_unless_forced(capsys: pytest.CaptureFixture[str]) -> None:
    a, b = str(EXAMPLES / "bottling-line.json"), str(EXAMPLES / "residential-cameras.json")
    code, out, err = run(["compare", a, b], capsys)
    assert code == 2 and "different systems" in err and "--force" in err and not out
    code, out, err = run(["compare", a, b, "--force"], capsys)
    assert code == 0, err
    assert "the system names differ" in " ".join(out.split()) and "compared as one system (--force)" in " ".join(out.split())


def test_cli_strategies_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["strategies"], capsys)
    flat = " ".join(out.split())
    assert code == 0
    for name in STRATEGIES:
        assert name in out and " ".join(strategy_rule(name).split()) in flat


def test_cli_report_from_a_copied_example_outside_the_repo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in" / "a.json"
    src.parent.mkdir()
    shutil.copy(EXAMPLES / "bottling-line.json", src)
    code, _, err = run(["report", str(src), "--format", "md", "-o", str(tmp_path / "out" / "r.md")], capsys)
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["r-levels.png", "r-targets.png", "r.md"]


# ------------------------------------------------------------------------ issue 14: what reports say


def _save(a: Assessment, path: Path) -> Path:
    save_assessment(a, path)
    return path


def _summary_rollups(ws: Any) -> tuple[list[Any], list[list[Any]]]:
    """The roll-up table at the bottom of the Summary sheet: its header and its rows of cells."""
    rows = list(ws.iter_rows())
    start = next(i for i, row in enumerate(rows) if row[0].value == "Group")
    return [c.value for c in rows[start]], [list(r) for r in rows[start + 1 :] if r[0].value]


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_xlsx_stores_rollup_figures_as_numbers(
    strategy: str, tmp_path: Path, catalog: Catalog, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "r.xlsx"
    code, _, err = run(["report", str(EXAMPLES / "bottling-line.json"), "--strategy", strategy, "-o", str(out)], capsys)
    assert code == 0, err
    header, rows = _summary_rollups(load_workbook(out)["Summary"])
    r = scored("bottling-line", catalog, strategy)[1]
    assert len(rows) == len(r.domains) + 1 + len(r.subdomains)
    by_name = {row[0].value: row for row in rows}
    overall = by_name["All practices"]
    counts = overall[1 : header.index("Awaiting review") + 1]
    assert all(type(c.value) is int for c in counts), [(c.value, type(c.value)) for c in counts]
    value, target, gap = overall[-3:]
    assert value.data_type == "n" and value.value == pytest.approx(r.overall.aggregate.value)
    if strategy == "share_at_target":
        assert value.number_format == "0%" and target.value is None and gap.value is None
    else:
        assert target.value == pytest.approx(r.overall.aggregate.target) and target.data_type == "n"
        assert gap.value == pytest.approx(r.overall.aggregate.gap)


def _orange_pixels(png: Path) -> int:
    """Pixels in the 'below target' colour (#e69f00) of a chart."""
    import numpy as np
    from matplotlib.image import imread

    img = np.asarray(imread(str(png))[..., :3] * 255).round().astype(int)
    return int(np.all(np.abs(img - np.array([0xE6, 0x9F, 0x00])) <= 2, axis=-1).sum())


def test_level_zero_is_drawn_and_looks_different_from_unrated(
    tmp_path: Path, catalog: Catalog, capsys: pytest.CaptureFixture[str]
) -> None:
    a = load_assessment(EXAMPLES / "bottling-line.json", catalog)
    assert score(a, catalog).practice("G2.1").status == "below"
    zero = a.model_copy(deep=True)
    zero.current["G2.1"].value = zero.current["G2.1"].value.model_copy(update={"level": 0})
    unrated = a.model_copy(deep=True)
    del unrated.current["G2.1"]
    pixels = {}
    for name, variant in (("zero", zero), ("unrated", unrated)):
        src = _save(variant, tmp_path / f"{name}.json")
        code, _, err = run(["report", str(src), "--format", "md", "-o", str(tmp_path / f"{name}.md")], capsys)
        assert code == 0, err
        pixels[name] = _orange_pixels(tmp_path / f"{name}-targets.png")
    # Level 0 below target is a visible stub in the "below" colour; an unrated practice has no bar at all.
    assert pixels["zero"] - pixels["unrated"] > 50, pixels


def test_cli_strategies_are_written_in_plain_words(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["strategies"], capsys)
    assert code == 0
    flat = " ".join(out.split()).lower()
    for jargon in ("non-compensatory", "c2m2", "arithmetic", "numerator", "denominator", "headline"):
        assert jargon not in flat, jargon
    assert "weakest link" in flat and "one weak practice holds the whole group down" in flat


def test_a_report_counts_only_the_practices_chosen(tmp_path: Path, catalog: Catalog, capsys: pytest.CaptureFixture[str]) -> None:
    a = load_assessment(EXAMPLES / "bottling-line.json", catalog)
    chosen = ["G1.1", "G2.1", "E1.2", "E2.2", "H1.2", "H3.2"]
    a.metadata.practices = chosen
    a.current = {pid: c for pid, c in a.current.items() if pid in chosen[:4]}
    src = _save(a, tmp_path / "six.json")
    code, _, err = run(["report", str(src), "--format", "md", "-o", str(tmp_path / "six.md")], capsys)
    assert code == 0, err
    md = (tmp_path / "six.md").read_text(encoding="utf-8")
    assert "| Practices assessed | 6 of 18, chosen for this assessment: G1.1, G2.1, E1.2, E2.2, H1.2, H3.2 |" in md
    assert "6 practices in this assessment (12 others not chosen): " in md
    assert " 2 unrated," in md, "only H1.2 and H3.2 were chosen and not rated"
    assert "Not part of this assessment (not chosen, so neither rated nor counted): G1.2, G2.2" in md
    r = score(a, catalog)
    assert not [p for p in r.practices if p.scope_shortfall and p.id not in chosen]
    rows = list(csv.DictReader(io.StringIO(render_csv(r))))
    assert sorted(row["practice_id"] for row in rows if row["status"] != "out_of_scope") == sorted(chosen)


def test_targets_from_a_profile_are_marked_default_and_carry_no_profile_reasons(
    tmp_path: Path, catalog: Catalog, capsys: pytest.CaptureFixture[str]
) -> None:
    # An EV wall charger assessed with the cameras' profile as its template: the cameras' reasons must not appear.
    a = load_assessment(EXAMPLES / "residential-cameras.json", catalog)
    a.metadata.system_name = "Home EV wall charger"
    a.metadata.system_description = "A wall charger for electric cars in homes, with a phone app."
    src = _save(a, tmp_path / "charger-assessment.json")
    texts = {}
    for fmt in ("md", "json", "csv", "html"):
        code, _, err = run(["report", str(src), "--format", fmt, "-o", str(tmp_path / f"charger.{fmt}")], capsys)
        assert code == 0, err
        texts[fmt] = (tmp_path / f"charger.{fmt}").read_text(encoding="utf-8")
    cams = catalog.profiles["residential-cameras"]
    for pid, t in cams.targets.items():
        if pid in a.targets.practices:
            continue
        for fmt, text in texts.items():
            assert t.reason not in text, (fmt, pid)
    assert "| E3.2 | Implementation of Data Protection Controls | 4 (system) | profile (default) |" in texts["md"]
    data = json.loads(texts["json"])
    e32 = next(p for p in data["practices"] if p["id"] == "E3.2")
    assert (
        e32["target_default"] is True
        and "Default from the profile 'Cloud-connected home security cameras'" in e32["target_reason"]
    )
    rows = {row["practice_id"]: row for row in csv.DictReader(io.StringIO(texts["csv"]))}
    assert rows["E3.2"]["target_default"] == "true" and rows["H1.2"]["target_default"] == "false"


def test_the_roadmap_follows_the_objectives_and_says_why(
    tmp_path: Path, catalog: Catalog, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.assessment import BusinessObjectives

    a = load_assessment(EXAMPLES / "bottling-line.json", catalog)
    a.objectives = BusinessObjectives(priorities=["safety", "availability"], appetite="low", obligations=["IEC 62443"])
    src = _save(a, tmp_path / "line.json")
    code, _, err = run(["report", str(src), "--format", "md", "-o", str(tmp_path / "line.md")], capsys)
    assert code == 0, err
    md = (tmp_path / "line.md").read_text(encoding="utf-8")
    assert "| Business objectives | worst harm: people getting hurt, production or service stopping; " in md
    roadmap = md.split("## Roadmap", 1)[1].split("## Scope shortfalls", 1)[0]
    titles = re.findall(r"^### \d+\. (\S+) ", roadmap, re.M)
    whys = re.findall(r"^\*\*Why here:\*\* (.+)$", roadmap, re.M)
    assert len(titles) == len(whys) == len(score(a, catalog).roadmap)
    # H3.2 (2 -> 4, the largest gap) used to come first; now the safety practices lead, cheapest first.
    assert titles[:5] == ["G2.1", "H1.2", "E1.1", "E1.2", "H3.2"]
    assert all(w.startswith("Safety first: people can get hurt") for w in whys[:5])
    assert "production or service stopping" in whys[5]
    code, out, _ = run(["score", str(src)], capsys)
    assert code == 0 and "1. G2.1 Threat Modeling (1 → 3): Safety first" in " ".join(out.split())
