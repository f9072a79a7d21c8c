"""Best-response sweeps alone, from the greedy start, on one Curtois & Qu instance.

    PYTHONPATH=. .venv/bin/python benchmarks/nrp/probes/sweep_probe.py 24 20

run from the repository's root, prints the start and swept objectives, how many rows were
priced and how many pricing DP runs that took, in SECONDS of sweeps with 2 threads
(seed 1). Point PYTHONPATH at a code snapshot (``git archive COMMIT scheduler solver
workers rota | tar -x -C DIR``) to compare commits on the same machine; run the arms
interleaved, more than once: runs spread by 5-15 %.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from scheduler.cost import total_cost
from scheduler.fast_compile import compile_plan_fast
from scheduler.nrp import parse_instance, to_plan
from solver import colgen_price, colgen_rows
from solver.colgen_kernel import warm_up
from solver.lns_greedy import greedy_roster

INSTANCES = Path("../shared/benchmarks/nrp/instances")


def main(number: int, seconds: float) -> None:
    path = INSTANCES / f"Instance{number}.txt"
    problem = compile_plan_fast(to_plan(parse_instance(path), str(path)))
    start, _ = greedy_roster(problem, 1)
    warm_up()
    spaces = colgen_rows.row_spaces(problem)
    counts = {"rows": 0, "runs": 0}
    forward, price = colgen_price._forward, colgen_rows.price

    def counted_forward(*args):  # type: ignore[no-untyped-def]
        counts["runs"] += 1
        return forward(*args)

    def counted_price(*args, **kwargs):  # type: ignore[no-untyped-def]
        counts["rows"] += 1
        return price(*args, **kwargs)

    colgen_price._forward, colgen_rows.price = counted_forward, counted_price
    t0 = time.monotonic()
    swept = colgen_rows.sweep_rows(problem, start, 1, t0 + seconds, spaces, threads=2)
    took = time.monotonic() - t0
    rows, runs = counts["rows"], counts["runs"]
    print(
        f"Instance{number}: {total_cost(problem, start):.0f} -> {total_cost(problem, swept):.0f}"
        f" in {took:.1f} s; {rows} rows priced, {runs} DP runs ({runs / max(1, rows):.2f} a row)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]))
