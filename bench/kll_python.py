"""The Python side of bench/kll.ts: the official datasketches package (C++ under nanobind) doing the same work.

Usage: "$PY" bench/kll_python.py <values.f64> <columns> <repeats>
  values.f64  little-endian float64 values (the column bench/kll.ts feeds every sketch)
Prints one JSON object with the timings (seconds) on stdout.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from importlib.metadata import version

import numpy as np
from datasketches import kll_doubles_sketch


def best_and_median(fn, repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    path, columns, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    values = np.fromfile(path, dtype="<f8")
    out: dict[str, object] = {"datasketches": version("datasketches"), "numpy": np.__version__, "python": sys.version.split()[0]}

    def array_updates() -> None:
        for _ in range(columns):
            kll_doubles_sketch(200).update(values)

    out["array_update"] = best_and_median(array_updates, repeats)

    loop_values = values[:1_000_000].tolist()

    def loop_updates() -> None:
        sk = kll_doubles_sketch(200)
        update = sk.update
        for x in loop_values:
            update(x)

    out["loop_update_1m"] = best_and_median(loop_updates, repeats)

    sk = kll_doubles_sketch(200)
    sk.update(values)
    blob = sk.serialize()
    iterations = 10_000
    out["serialize_each"] = best_and_median(lambda: [sk.serialize() for _ in range(iterations)], repeats)
    out["deserialize_each"] = best_and_median(lambda: [kll_doubles_sketch.deserialize(blob) for _ in range(iterations)], repeats)
    out["iterations"] = iterations
    out["serialized_bytes"] = len(blob)

    parts = []
    for i in range(columns):
        p = kll_doubles_sketch(200)
        p.update(values + i)
        parts.append(p)

    def merge_all() -> None:
        target = kll_doubles_sketch(200)
        for p in parts:
            target.merge(p)

    out["merge_all"] = best_and_median(merge_all, repeats)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
