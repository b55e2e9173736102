"""Benchmark: the content hash's cost on profile_dataframe (docs/content-hash.md), profile alone vs profile + hash.

Run by bench/content-hash.ts (or alone: "$PY" python/bench/bench_content_hash.py [rows] [repeats]); prints one
JSON line. Frames (built before timing):

- numeric: 1,000,000 x 20 (10 float64 with 5% NaN, 5 int64, 5 nullable Int64 with 5% NA), as bench_profile.py;
- strings: 1,000,000 x 20 (10 float64 with 1% NaN, 10 str columns of 10 ... 1,000,000 distinct values, 1% missing);
- unique: 1,000,000 x 1 str, every value distinct (the worst case: one SipHash per row);
- object: 1,000,000 x 1 object column of mixed Python types (int, str, float, bool, None).

Each case runs ``profile_dataframe(df, content_hash=False)`` and ``profile_dataframe(df)`` alternately, ``repeats``
times each, and records the best and median of both CPU time (``time.process_time``: what the process itself
spent, which other processes on a shared machine disturb much less) and wall time.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.dirname(__file__))
from bench_profile import numeric_frame  # noqa: E402

from rootline_emitter import profile_dataframe  # noqa: E402

CARDINALITIES = [10, 50, 100, 500, 1_000, 5_000, 10_000, 50_000, 100_000, 1_000_000]


def strings_frame(rows: int, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for j in range(10):
        v = rng.normal(10 * j, j + 1, rows)
        v[rng.random(rows) < 0.01] = np.nan
        cols[f"n{j}"] = v
    for j, card in enumerate(CARDINALITIES):
        values = np.char.add(f"v{j}-", rng.integers(0, card, rows).astype(str)).astype(object)
        values[rng.random(rows) < 0.01] = None
        cols[f"s{j}"] = pd.Series(values, dtype="str")
    return pd.DataFrame(cols)


def measure(df: pd.DataFrame, repeats: int) -> dict[str, dict[str, float]]:
    runs: dict[str, dict[str, list[float]]] = {"off": {"cpu": [], "wall": []}, "on": {"cpu": [], "wall": []}}
    for _ in range(repeats):
        for label, hashing in (("off", False), ("on", True)):
            c, w = time.process_time(), time.perf_counter()
            profile_dataframe(df, content_hash=hashing)
            runs[label]["cpu"].append(time.process_time() - c)
            runs[label]["wall"].append(time.perf_counter() - w)
    return {
        f"{label}_{kind}_{stat}": fn(values)
        for label, kinds in runs.items()
        for kind, values in kinds.items()
        for stat, fn in (("best", min), ("median", statistics.median))
    }


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rng = np.random.default_rng(3)
    cases = {
        "numeric": numeric_frame(rows),
        "strings": strings_frame(rows),
        "unique": pd.DataFrame({"id": pd.Series([f"id-{i}" for i in range(rows)], dtype="str")}),
        "object": pd.DataFrame(
            {"o": pd.Series(rng.choice(np.array([1, "a", 2.5, True, None], dtype=object), rows), dtype=object)}
        ),
    }
    out = {
        "versions": {"python": platform.python_version(), "pandas": pd.__version__, "numpy": np.__version__},
        "rows": rows,
        "repeats": repeats,
        "cases": {},
    }
    for name, df in cases.items():
        out["cases"][name] = {"columns": df.shape[1], **measure(df, repeats)}
        print(f"{name}: {out['cases'][name]}", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
