"""Benchmark: guided-engine turn latency (p50/p95 after warm-up) on the shipped scenarios.

Run: .venv/bin/python tests/bench_interview.py  (prints figures; not collected by pytest)
"""

from __future__ import annotations

import statistics
import tempfile
import time

from assistant.evaluation.runner import run_scenario
from assistant.evaluation.scenario import load_scenarios
from assistant.services import build_services
from assistant.settings import Settings


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        sv = build_services(Settings.from_env({"SMM_DATA_DIR": tmp}))
        print(f"services ready (index build included): {time.perf_counter() - t0:.1f} s")
        scenarios = load_scenarios(None, sv.catalog)
        run_scenario(sv, scenarios[0])  # warm-up: model, caches
        latencies: list[float] = []
        t1 = time.perf_counter()
        for sc in scenarios:
            latencies += run_scenario(sv, sc).turn_latencies_ms
        wall = time.perf_counter() - t1
        q = statistics.quantiles(latencies, n=20)
        print(f"stakeholder turns: {len(latencies)} over {len(scenarios)} scenarios in {wall:.1f} s")
        print(
            f"turn latency p50 {statistics.median(latencies):.1f} ms, p95 {q[18]:.1f} ms, max {max(latencies):.1f} ms (target p95 < 100 ms)"
        )


if __name__ == "__main__":
    main()
