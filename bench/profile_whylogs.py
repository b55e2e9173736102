"""The Python side of bench/profile.ts: whylogs and Rootline's own Python emitter profiling the same data.

    "$(scripts/pyenv.sh bench)" bench/profile_whylogs.py DATA.f64 ROWS COLUMNS REPEATS

DATA.f64 holds ROWS x COLUMNS float64 values, column after column (the exact values the TypeScript
benchmark profiles). They become a pandas DataFrame of float64 columns (building it is not timed), which
is profiled REPEATS times by:
  - whylogs.log(df)                         (whylogs 1.6: counts, types, distribution KLL sketch, cardinality HLL)
  - rootline_emitter.profile_dataframe(df)  (python/: counts, min/max/mean, KLL sketch k=200 via datasketches)
Prints one JSON object with the best and median seconds of each and the library versions.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python" / "src"))


def timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    path, rows, cols, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    data = np.fromfile(path, dtype="<f8").reshape(cols, rows)
    df = pd.DataFrame({f"c{j}": data[j] for j in range(cols)})

    import whylogs
    from rootline_emitter import profile_dataframe

    # warm-up (imports, lazy initialization), not timed
    whylogs.log(df.head(1000))
    profile_dataframe(df.head(1000))

    why = timed(lambda: whylogs.log(df), repeats)
    ours = timed(lambda: profile_dataframe(df), repeats)
    import datasketches  # noqa: F401

    print(
        json.dumps(
            {
                "whylogs": {"best": min(why), "median": statistics.median(why)},
                "rootline_emitter": {"best": min(ours), "median": statistics.median(ours)},
                "versions": {
                    "python": sys.version.split()[0],
                    "whylogs": whylogs.__version__,
                    "pandas": pd.__version__,
                    "numpy": np.__version__,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
