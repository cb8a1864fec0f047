"""JSON Schemas generated from the pydantic models, committed beside the data they describe.

``smm catalog schema --write`` regenerates every file; a test fails when a committed file is stale.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from assistant.catalog import ModelFile, Practice, Profile
from assistant.resources import data_path


def _schema(model: type[BaseModel], title: str) -> dict[str, Any]:
    s = model.model_json_schema()
    s["title"] = title
    s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return s


def _assessment() -> dict[str, Any]:
    from assistant.assessment import assessment_json_schema

    return assessment_json_schema()


def _scenario() -> dict[str, Any]:
    from assistant.evaluation.scenario import scenario_json_schema

    return scenario_json_schema()


def _roles() -> dict[str, Any]:
    from assistant.team.roles import RoleBook

    return _schema(RoleBook, "SMM team roles (roles.yaml)")


def schema_builders() -> dict[str, tuple[Path, Callable[[], dict[str, Any]]]]:
    """Schema name -> (committed path, builder)."""
    cat = data_path("catalog") / "schema"
    builders: dict[str, tuple[Path, Callable[[], dict[str, Any]]]] = {
        "model": (cat / "model.schema.json", lambda: _schema(ModelFile, "SMM catalog model.yaml")),
        "practice": (cat / "practice.schema.json", lambda: _schema(Practice, "SMM catalog practice file")),
        "profile": (cat / "profile.schema.json", lambda: _schema(Profile, "SMM catalog profile")),
        "assessment": (cat / "assessment.schema.json", _assessment),
        "roles": (cat / "roles.schema.json", _roles),
    }
    try:
        import assistant.evaluation.scenario  # noqa: F401

        builders["scenario"] = (data_path("eval") / "scenarios" / "scenario.schema.json", _scenario)
    except ImportError:
        pass
    return builders


def render(schema: dict[str, Any]) -> str:
    """Stable text form of a schema."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_all() -> list[Path]:
    """Regenerate every committed schema file; return the paths written."""
    written = []
    for path, build in schema_builders().values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(build()), encoding="utf-8")
        written.append(path)
    return written


def stale() -> list[Path]:
    """Committed schema files that differ from what the models generate."""
    out = []
    for path, build in schema_builders().values():
        if not path.exists() or path.read_text(encoding="utf-8") != render(build()):
            out.append(path)
    return out
