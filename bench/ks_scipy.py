"""scipy side of bench/ks.ts: times scipy.stats.ks_2samp on the samples bench/ks.ts wrote.

Usage: python bench/ks_scipy.py MANIFEST.json REPEATS  -> prints JSON {versions, cases: {name: {times_ms, statistic, pvalue}}}
The samples are raw little-endian float64 files next to the manifest, so both sides test identical data.
"""
import json
import pathlib
import sys
import time

import numpy as np
import scipy
from scipy import stats


def main():
    manifest_path = pathlib.Path(sys.argv[1])
    repeats = int(sys.argv[2])
    manifest = json.loads(manifest_path.read_text())
    out = {"versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__},
           "cases": {}}
    for case in manifest["cases"]:
        x = np.fromfile(manifest_path.parent / case["x"], dtype="<f8")
        y = np.fromfile(manifest_path.parent / case["y"], dtype="<f8")
        r = stats.ks_2samp(x, y)  # warm-up
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            r = stats.ks_2samp(x, y)
            times.append((time.perf_counter() - t0) * 1000)
        out["cases"][case["name"]] = {"times_ms": times, "statistic": float(r.statistic),
                                      "pvalue": float(r.pvalue)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
