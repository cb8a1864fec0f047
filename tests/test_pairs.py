"""The labelled pairs the reader is fitted and measured on: the shipped files load, the split is stable, bad
files get errors that name the file and field, and fitting and measuring work end to end on a small set."""

from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.evaluation.pairs import LABELS, auc, default_pairs_dir, fit_state_model, load_pairs, pair_metrics, pair_rows
from assistant.reading.reader import RELATED_MIN


@pytest.mark.parametrize("folder", ["", "holdout"])
def test_shipped_pairs_load_with_catalog_ids_over_every_practice(catalog, folder: str) -> None:  # type: ignore[no-untyped-def]
    pairs = load_pairs(default_pairs_dir() / folder if folder else None, catalog)
    assert len(pairs) > 400
    assert {p.practice for p in pairs} == set(catalog.practices)
    labels = collections.Counter(lab for p in pairs for lab in p.labels.values())
    assert set(labels) <= set(LABELS) and labels["supports"] and labels["partly"] and labels["contradicts"]
    for p in pairs:
        assert 1 <= len(p.labels) <= 6 and p.text.strip()


def test_the_held_out_pairs_share_no_statement_with_the_fitted_ones(catalog) -> None:  # type: ignore[no-untyped-def]
    fitted = {p.text for p in load_pairs(None, catalog)}
    held = {p.text for p in load_pairs(default_pairs_dir() / "holdout", catalog)}
    assert not fitted & held


def test_the_split_is_by_statement_and_stable(catalog) -> None:  # type: ignore[no-untyped-def]
    pairs = load_pairs(None, catalog)
    share = sum(p.split == "test" for p in pairs) / len(pairs)
    assert 0.15 < share < 0.25
    # The split is a function of the text alone: the same statement lands in the same split however it is labelled.
    p = pairs[0]
    assert p.model_copy(update={"labels": {}}).split == p.split


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "statements:\n  - text: We patch.\n    practice: H1.2\n    labels: {H1.2-L9-01: supports}\n",
            "statements.0: unknown indicator",
        ),
        ("statements:\n  - text: We patch.\n    practice: H1.2\n    labels: {H1.2-L1-01: maybe}\n", "field statements.0.labels"),
        ("statements:\n  - text: We patch.\n    practice: H1.2\n", "field statements.0.labels"),
        ("statements: [", "bad.yaml"),
    ],
)
def test_a_bad_pairs_file_names_the_file_and_field(catalog, tmp_path: Path, body: str, message: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "bad.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_pairs(tmp_path, catalog)
    assert "bad.yaml" in str(err.value) and message in str(err.value)


def test_an_empty_folder_is_refused(catalog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="holds no"):
        load_pairs(tmp_path, catalog)


def test_auc_is_the_share_of_correctly_ordered_pairs() -> None:
    assert auc([0.9, 0.8, 0.1], [True, True, False]) == 1.0
    assert auc([0.1, 0.9], [True, False]) == 0.0
    assert auc([0.5, 0.5], [True, False]) == 0.5


def test_fit_and_measure_on_a_small_set(catalog) -> None:  # type: ignore[no-untyped-def]
    from assistant.engines.guided import shared_reader

    pairs = [p for p in load_pairs(None, catalog) if p.practice in ("H1.2", "E1.2")]
    rows = pair_rows(pairs, shared_reader(catalog))
    assert rows.x.shape[0] == sum(len(p.labels) for p in pairs) == len(rows.labels)
    model = fit_state_model(rows, trained_on="test")
    for split in ("train", "test"):
        m = pair_metrics(model, rows, split, RELATED_MIN)
        assert m.pairs > 0 and 0.0 <= m.accuracy <= 1.0
        # Fitted on these very practices, the relevance head must rank related pairs above unrelated ones.
        assert m.auc_related > 0.6, m


# ------------------------------------------------------------------------------------------ stance statements


def test_shipped_stance_statements_cover_every_practice_and_stance(catalog) -> None:  # type: ignore[no-untyped-def]
    from assistant.evaluation.stance import STANCES, load_stance

    statements = load_stance(None, catalog)
    counts = collections.Counter((s.practice, s.stance) for s in statements)
    assert {p for p, _ in counts} == set(catalog.practices)
    assert all(counts[(p, s)] >= 10 for p in catalog.practices for s in STANCES)
    # Weaknesses are said without a negation word: that is what the set measures.
    neg = re.compile(r"\b(not|no|never|nobody|none|nothing|without|lack\w*)\b|n't\b", re.I)
    assert not [s.text for s in statements if s.stance == "weakness" and neg.search(s.text)]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("statements:\n  - text: x\n    practice: Z9.9\n    stance: practice\n", "statements.0.practice: unknown practice"),
        ("statements:\n  - text: x\n    practice: H1.2\n    stance: maybe\n", "field statements.0.stance"),
    ],
)
def test_a_bad_stance_file_names_the_file_and_field(catalog, tmp_path: Path, body: str, message: str) -> None:  # type: ignore[no-untyped-def]
    from assistant.evaluation.stance import load_stance

    (tmp_path / "bad.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.yaml") as exc:
        load_stance(tmp_path, catalog)
    assert message in str(exc.value)


def test_the_stance_check_counts_what_one_statement_alone_shows(catalog) -> None:  # type: ignore[no-untyped-def]
    from assistant.engines.guided import shared_reader
    from assistant.evaluation.stance import StanceStatement, stance_check

    statements = [
        StanceStatement(
            text="We sign every firmware image and the chargers refuse anything unsigned.", practice="H1.2", stance="practice"
        ),
        StanceStatement(text="We have never updated the cameras since they were installed.", practice="H1.2", stance="weakness"),
        StanceStatement(text="The weather was lovely at the trade fair.", practice="H1.2", stance="circumstance"),
    ]
    rows = {r.stance: r for r in stance_check(statements, shared_reader(catalog), catalog)}
    assert set(rows) == {"practice", "weakness", "circumstance"}
    for r in rows.values():
        assert r.statements == 1 and abs(r.shows + r.rules_out + r.nothing - 1.0) < 1e-9 and r.above_one <= r.shows
    assert rows["practice"].shows == 1.0
    assert rows["weakness"].rules_out == 1.0
    # What the circumstance shows is what the set measures (today the reader may read even this as "partly").
