"""Benchmark: profile_dataframe on 1,000,000 rows x 20 numeric columns (and a mixed frame).

Run: "$PY" python/bench/bench_profile.py [rows] ; results are recorded in python/bench/results.md.
Columns: 10 float64 with 5% NaN, 5 int64, 5 nullable Int64 with 5% NA. Best of 3 runs, wall time.
"""

from __future__ import annotations

import os
import platform
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
from rootline_emitter import profile_dataframe  # noqa: E402


def numeric_frame(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i in range(10):
        v = rng.normal(100 + i, 15, rows)
        v[rng.random(rows) < 0.05] = np.nan
        cols[f"f{i}"] = v
    for i in range(5):
        cols[f"i{i}"] = rng.integers(0, 1_000_000, rows, dtype="int64")
    for i in range(5):
        v = pd.array(rng.integers(0, 1000, rows), dtype="Int64")
        v[rng.random(rows) < 0.05] = pd.NA
        cols[f"n{i}"] = v
    return pd.DataFrame(cols)


def mixed_frame(rows: int, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = np.array([f"value-{i}" for i in range(1000)], dtype=object)
    s = pd.Series(words[rng.integers(0, 1000, rows)], dtype="str")
    return pd.DataFrame(
        {
            "amount": rng.lognormal(3, 1, rows),
            "customer": s,
            "category": pd.Categorical(words[rng.integers(0, 50, rows)]),
            "flag": rng.random(rows) < 0.3,
            "at": pd.Series(pd.to_datetime(1_700_000_000 + rng.integers(0, 86_400 * 30, rows), unit="s", utc=True)),
        }
    )


def best_of(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def content_hash_overhead(df: pd.DataFrame, runs: int = 5) -> tuple[float, float, float]:
    """(profile without the content hash, with it, the hash alone): best of ``runs`` each, interleaved so
    that a busy machine slows all three alike."""
    from rootline_emitter import content_hash

    off, on, alone = [], [], []
    for _ in range(runs):
        for out, fn in (
            (off, lambda: profile_dataframe(df, content_hash=False)),
            (on, lambda: profile_dataframe(df)),
            (alone, lambda: content_hash(df, "")),
        ):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return min(off), min(on), min(alone)


def report_latency(n: int = 50_000) -> tuple[float, float]:
    """report() cost with a transport that accepts everything: (median, p99) microseconds per call."""
    from rootline_emitter import Emitter, SendResult, build_report

    class Accept:
        name = "accept"

        def send(self, batch):
            return SendResult(delivered=len(batch))

        def close(self, timeout_s):
            pass

    report = build_report("p", "n", [{"dataset": "d", "profile": profile_dataframe(numeric_frame(1000))}])
    with Emitter(Accept(), max_buffer=n) as em:
        times = []
        for _ in range(n):
            t = time.perf_counter()
            em.report(report)
            times.append(time.perf_counter() - t)
        em.flush(60)
    times.sort()
    return times[n // 2] * 1e6, times[int(n * 0.99)] * 1e6


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(f"python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}, {os.cpu_count()} cores")
    df = numeric_frame(rows)
    print(f"numeric {rows:,} x {df.shape[1]}: kll    {best_of(lambda: profile_dataframe(df)):.2f} s")
    print(f"numeric {rows:,} x {df.shape[1]}: sample {best_of(lambda: profile_dataframe(df, sketch='sample')):.2f} s")
    mf = mixed_frame(rows)
    print(f"mixed   {rows:,} x {mf.shape[1]} (double, str 1000 values, category, bool, timestamp UTC): "
          f"{best_of(lambda: profile_dataframe(mf)):.2f} s")
    ids = pd.DataFrame({"id": pd.Series([f"id-{i}" for i in range(rows)], dtype="str")})
    print(f"unique  {rows:,} x 1 (str dtype, every value distinct): {best_of(lambda: profile_dataframe(ids)):.2f} s")
    rng = np.random.default_rng(3)
    mixed_obj = pd.DataFrame({"o": pd.Series(rng.choice(np.array([1, "a", 2.5, True, None], dtype=object), rows), dtype=object)})
    print(f"object  {rows:,} x 1 (object dtype: int, str, float, bool, None): {best_of(lambda: profile_dataframe(mixed_obj)):.2f} s")
    print("content hash (profile_dataframe with / without content_hash, best of 5 interleaved):")
    for label, frame in (("numeric", df), ("mixed", mf), ("unique", ids), ("object", mixed_obj)):
        off, on, alone = content_hash_overhead(frame)
        print(f"  {label:8} {off:.3f} s -> {on:.3f} s (+{(on - off) / off * 100:.1f}%; the hash alone {alone:.3f} s)")
    med, p99 = report_latency()
    print(f"emitter.report(): median {med:.1f} us, p99 {p99:.1f} us per call (50,000 calls, 20-column report)")


if __name__ == "__main__":
    main()
