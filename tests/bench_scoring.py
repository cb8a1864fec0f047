"""Scoring throughput on a synthetic catalog ten times the SMM's size (180 practices).

Not collected by pytest (the name does not match ``test_*.py``). Run it directly:

    .venv/bin/python tests/bench_scoring.py [--seconds 3] [--assessments 50]

The synthetic catalog copies the shipped model ten times: every subdomain and practice gets a copy
suffix (``G1.1#3``), which the catalog's ID patterns would refuse, so the objects are built with
``model_copy``/``model_construct`` and never validated. Assessments are random but seeded.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

# Run from anywhere: the checkout root must be importable without an installed package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.assessment import (
    Assessment,
    AssessmentMetadata,
    CitedIndicator,
    CurrentRating,
    Provenance,
    Rating,
    Targets,
    TargetSetting,
)
from assistant.catalog import Catalog, Profile, ScopeId, TargetTemplate, load_catalog
from assistant.scoring import STRATEGIES, score

COPIES = 10
WHEN = datetime(2026, 1, 1, tzinfo=UTC)
SCOPES: tuple[ScopeId, ...] = ("general", "industry", "system")


def synthetic_catalog(copies: int = COPIES) -> Catalog:
    """The shipped catalog repeated ``copies`` times, with suffixed subdomain and practice IDs."""
    base = load_catalog()
    domains = []
    for d in base.model.domains:
        subs = [
            s.model_copy(
                update={"id": f"{s.id}#{k}", "practices": [r.model_copy(update={"id": f"{r.id}#{k}"}) for r in s.practices]}
            )
            for k in range(copies)
            for s in d.subdomains
        ]
        domains.append(d.model_copy(update={"subdomains": subs}))
    model = base.model.model_copy(update={"domains": domains})
    practices = {}
    for d in domains:
        for s in d.subdomains:
            for ref in s.practices:
                original = base.practices[ref.id.split("#")[0]]
                practices[ref.id] = original.model_copy(update={"id": ref.id})
    rnd = random.Random(7)
    profile = Profile.model_construct(
        id="bench",
        title="Synthetic profile",
        industry="other",
        label="synthetic",
        description="synthetic",
        keywords=[],
        considerations=[],
        targets={
            pid: TargetTemplate.model_construct(level=rnd.randint(1, 4), scope=rnd.choice(SCOPES), reason="synthetic")
            for pid in practices
        },
    )
    return Catalog.model_construct(model=model, practices=practices, profiles={"bench": profile}, content_hash="synthetic")


def synthetic_assessment(catalog: Catalog, rnd: random.Random) -> Assessment:
    """A realistic mix: most practices confirmed, some proposed, unrated or not applicable, a few overrides."""
    current: dict[str, CurrentRating] = {}
    for pid, practice in catalog.practices.items():
        roll = rnd.random()
        if roll < 0.08:
            continue
        if roll < 0.12:
            value = Rating(not_applicable=True, reason="synthetic")
        else:
            value = Rating(level=rnd.randint(0, 4), scope=rnd.choice(SCOPES))
        level = practice.level(value.level or 1)
        prov = Provenance.model_construct(
            proposed_by="engine",
            engine="guided",
            catalog_version=catalog.version,
            proposed=value,
            indicators=[CitedIndicator.model_construct(id=i.id, text=i.text) for i in level.indicators[:2]],
            quotes=[],
            decision="accept",
            reviewer="bench",
            decided_at=WHEN,
        )
        current[pid] = CurrentRating.model_construct(
            value=value, status="proposed" if roll > 0.95 else "confirmed", provenance=prov
        )
    overrides = {
        pid: TargetSetting.model_construct(value=Rating(level=rnd.randint(1, 4), scope=rnd.choice(SCOPES)), reason="synthetic")
        for pid in rnd.sample(list(catalog.practices), 12)
    }
    return Assessment.model_construct(
        schema_version="1.0.0",
        id=f"bench-{rnd.random():.6f}",
        metadata=AssessmentMetadata(system_name="Synthetic", catalog_version=catalog.version, created_at=WHEN, updated_at=WHEN),
        targets=Targets.model_construct(profile="bench", domains={}, subdomains={}, practices=overrides),
        current=current,
        events=[],
    )


def main() -> None:
    """Print assessments scored per second for each strategy."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="Minimum time per strategy.")
    parser.add_argument("--assessments", type=int, default=50, help="Distinct synthetic assessments to cycle through.")
    args = parser.parse_args()
    catalog = synthetic_catalog()
    rnd = random.Random(42)
    assessments = [synthetic_assessment(catalog, rnd) for _ in range(args.assessments)]
    first = score(assessments[0], catalog)
    assert len(first.practices) == 180 and len(first.domains) == 3 and len(first.subdomains) == 90
    sizes = f"{len(catalog.practices)} practices, {len(first.subdomains)} subdomains, {len(assessments)} assessments"
    print(f"synthetic catalog: {sizes}")
    for name in STRATEGIES:
        done = 0
        start = time.perf_counter()
        while (elapsed := time.perf_counter() - start) < args.seconds:
            score(assessments[done % len(assessments)], catalog, name)
            done += 1
        print(f"strategy {name:<16} {done / elapsed:8.1f} assessments scored per second ({elapsed / done * 1000:.2f} ms each)")


if __name__ == "__main__":
    main()
