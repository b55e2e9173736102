"""Reference vectors for src/stats/ks.ts and src/stats/kolmogorov.ts, computed by scipy.

Writes test/vectors/stats/ks2samp.json and test/vectors/stats/kstwo.json.
Run: PY=$(scripts/pyenv.sh); "$PY" scripts/vectors/stats_ks.py

Large samples are not stored: a case gives a generator spec that test/stats/prng.ts reproduces bit for bit
(mulberry32 integers scaled by 2^-32, sums and shifts by dyadic numbers only, so no rounding can differ
between numpy and V8).
"""
import json
import math
import pathlib
import warnings

import numpy as np
import scipy
from scipy import special, stats

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "vectors" / "stats"
M32 = np.uint64(0xFFFFFFFF)


def mulberry32(seed, count):
    """count uniforms in [0, 1) from mulberry32 seeded with `seed` (same as test/stats/prng.ts)."""
    i = np.arange(1, count + 1, dtype=np.uint64)
    a = (np.uint64(seed) + i * np.uint64(0x6D2B79F5)) & M32
    t = a
    t = ((t ^ (t >> np.uint64(15))) * (t | np.uint64(1))) & M32
    t = t ^ ((t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & M32)) & M32)
    t = (t ^ (t >> np.uint64(14))) & M32
    return t.astype(np.float64) / 4294967296.0


def generate(spec):
    """Values for a spec {seed, n, kind, shift, levels}; every operation is exact in float64."""
    n, kind = spec["n"], spec["kind"]
    shift = spec.get("shift", 0.0)
    if kind == "uniform":
        v = mulberry32(spec["seed"], n)
    elif kind == "irwin4":
        u = mulberry32(spec["seed"], 4 * n).reshape(n, 4)
        v = ((u[:, 0] + u[:, 1]) + u[:, 2]) + u[:, 3]
    elif kind == "discrete":
        v = np.floor(mulberry32(spec["seed"], n) * spec["levels"])
    else:
        raise ValueError(kind)
    return v + shift


def spec(seed, n, kind="uniform", shift=0.0, levels=None):
    s = {"seed": seed, "n": n, "kind": kind, "shift": shift}
    if levels is not None:
        s["levels"] = levels
    return s


def run(x, y, method):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = stats.ks_2samp(x, y, method=method)
    fell_back = any("Switching to" in str(w.message) for w in caught)
    if method == "asymp":
        used = "asymp"
    elif method == "exact":
        used = "asymp" if fell_back else "exact"
    else:
        used = "asymp" if (fell_back or max(len(x), len(y)) > 10000) else "exact"
    return float(r.statistic), float(r.pvalue), used


cases = []


def add(name, x, y, method="auto"):
    xv = generate(x) if isinstance(x, dict) else np.asarray(x, dtype=np.float64)
    yv = generate(y) if isinstance(y, dict) else np.asarray(y, dtype=np.float64)
    stat, p, used = run(xv, yv, method)
    # JSON has no NaN: a NaN p-value (scipy's answer for an effective size of 0) is stored as null.
    cases.append({"name": name, "method": method, "x": x, "y": y,
                  "statistic": stat, "pvalue": None if math.isnan(p) else p, "method_used": used})


# Tiny samples, every small size combination.
add("one vs one", [1.0], [2.0])
add("one vs one equal", [1.0], [1.0])
add("one vs one asymp", [1.0], [2.0], "asymp")
add("two vs one", [1.0, 2.0], [3.0])
add("three vs two interleaved", [1.0, 3.0, 5.0], [2.0, 4.0])
add("scipy docstring-like", [0.1, 0.4, 0.7], [0.2, 0.3, 0.9, 1.5])
for n1 in range(1, 7):
    for n2 in range(1, 7):
        add(f"tiny {n1}x{n2}", spec(100 + n1, n1), spec(200 + n2, n2, shift=0.125))
# Unequal sizes, moderate.
add("37 vs 53", spec(1, 37), spec(2, 53))
add("100 vs 150 shifted", spec(3, 100, "irwin4"), spec(4, 150, "irwin4", 0.25))
add("7 vs 300", spec(5, 7), spec(6, 300))
add("7 vs 300 shifted", spec(5, 7), spec(6, 300, shift=0.5))
add("1 vs 1000", [0.5], spec(7, 1000))
add("999 vs 1000", spec(8, 999, "irwin4"), spec(9, 1000, "irwin4", 0.0625))
add("3000 vs 4500", spec(10, 3000), spec(11, 4500, shift=0.015625))
# Equal sizes.
add("equal 50", spec(12, 50, "irwin4"), spec(13, 50, "irwin4"))
add("equal 500 shifted", spec(14, 500, "irwin4"), spec(15, 500, "irwin4", 0.125))
add("equal 2000", spec(16, 2000), spec(17, 2000))
add("equal 5000 shifted", spec(18, 5000, "irwin4"), spec(19, 5000, "irwin4", 0.03125))
# Ties and discrete data.
add("ties small", [1.0, 2.0, 2.0, 3.0, 3.0, 3.0], [2.0, 2.0, 3.0, 4.0])
add("ties in both at the max", [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 2.0])
add("discrete 5 levels 200 vs 300", spec(20, 200, "discrete", levels=5), spec(21, 300, "discrete", levels=5))
add("discrete 5 levels shifted", spec(22, 400, "discrete", levels=5), spec(23, 400, "discrete", 0.0, 6))
add("binary 1000 vs 1500", spec(24, 1000, "discrete", levels=2), spec(25, 1500, "discrete", levels=2))
add("3 levels 20000 vs 30000", spec(26, 20000, "discrete", levels=3), spec(27, 30000, "discrete", levels=3))
add("10 levels 50000 vs 50000 different", spec(28, 50000, "discrete", levels=10), spec(29, 50000, "discrete", levels=11))
add("all equal one value", [3.0] * 20, [3.0] * 30)
# Identical samples.
add("identical 10", spec(30, 10), spec(30, 10))
add("identical 1000", spec(31, 1000), spec(31, 1000))
add("identical 20000", spec(32, 20000), spec(32, 20000))
# Disjoint samples.
add("disjoint 5 vs 7", spec(33, 5), spec(34, 7, shift=2.0))
add("disjoint 100 vs 100", spec(35, 100), spec(36, 100, shift=2.0))
add("disjoint 300 vs 200", spec(37, 300), spec(38, 200, shift=-2.0))
add("disjoint 20000 vs 15000", spec(39, 20000), spec(40, 15000, shift=2.0))
# Around the exact / asymptotic switch (max n = 10000).
add("switch 10000 vs 10000", spec(41, 10000), spec(42, 10000, shift=0.0078125))
add("switch 10000 vs 9999", spec(43, 10000), spec(44, 9999, shift=0.0078125))
add("switch 10001 vs 10000", spec(45, 10001), spec(46, 10000, shift=0.0078125))
add("switch 10001 vs 500", spec(47, 10001), spec(48, 500, shift=0.0625))
add("switch 9999 vs 10001", spec(49, 9999), spec(50, 10001))
add("switch 10000 vs 3 exact", spec(51, 10000), spec(52, 3))
add("switch 10001 vs 3 asymp", spec(53, 10001), spec(54, 3))
add("switch 10001 vs 20 asymp", spec(55, 10001), spec(56, 20, shift=0.25))
add("switch 10001 vs 60 asymp", spec(57, 10001), spec(58, 60, shift=0.0625))
add("switch 12000 vs 150 asymp", spec(59, 12000), spec(60, 150, shift=0.0625))
# The exact computation failing (probability rounds above 1) and falling back.
for n in (5, 7, 13, 30, 36, 60, 72):
    add(f"exact fallback n={n}", [float(i) for i in range(n)], [i + 0.5 for i in range(n)])
add("exact fallback n=60 h=2", [float(i) for i in range(60)], [i + 1.5 for i in range(60)])
# Explicit methods.
add("exact 20000 vs 20000", spec(61, 20000), spec(62, 20000, shift=0.00390625), "exact")
add("exact lcm too large", spec(63, 50000), spec(64, 49999), "exact")
add("asymp 50 vs 60", spec(65, 50), spec(66, 60, shift=0.125), "asymp")
add("asymp 3 vs 3", [1.0, 2.0, 3.0], [1.5, 2.5, 3.5], "asymp")
add("asymp 5 vs 5 half-even", spec(67, 5), spec(68, 5, shift=0.25), "asymp")
add("asymp 1 vs 1 (n=0: NaN)", [1.0], [2.0], "asymp")
add("exact 400 vs 600", spec(69, 400), spec(70, 600, shift=0.0625), "exact")
# Large n with small shifts.
add("large 100k vs 100k same", spec(71, 100000, "irwin4"), spec(72, 100000, "irwin4"))
add("large 100k vs 100k shift 1/256", spec(73, 100000, "irwin4"), spec(74, 100000, "irwin4", 0.00390625))
add("large 100k vs 100k shift 1/64", spec(75, 100000, "irwin4"), spec(76, 100000, "irwin4", 0.015625))
add("large 100k vs 70k shift 1/512", spec(77, 100000), spec(78, 70000, shift=0.001953125))
add("large 50k vs 100k shift 1/128", spec(79, 50000), spec(80, 100000, shift=0.0078125))
add("large 100k vs 1000", spec(81, 100000), spec(82, 1000, shift=0.03125))
add("large 100k vs 100k tiny shift", spec(83, 100000), spec(84, 100000, shift=2.0 ** -12))
# Very small p-values.
add("tiny p exact 2000 vs 2000", spec(85, 2000, "irwin4"), spec(86, 2000, "irwin4", 0.5))
add("tiny p exact 3000 vs 2500", spec(87, 3000, "irwin4"), spec(88, 2500, "irwin4", 0.5))
add("tiny p exact 500 vs 400", spec(89, 500), spec(90, 400, shift=0.25))
add("tiny p asymp 20000 vs 20000", spec(91, 20000), spec(92, 20000, shift=0.0625))
add("tiny p asymp 20000 vs 500", spec(93, 20000), spec(94, 500, shift=0.25))

# One-sample two-sided distribution (kstwo.sf) on a grid crossing every method's region.
kstwo = []
ns = [1, 2, 3, 4, 5, 8, 10, 20, 50, 100, 139, 140, 141, 200, 500, 1000, 5000, 20000, 50000,
      99999, 100000, 100001, 150000, 2000000]
for n in ns:
    xs = set()
    for t in [0.3, 0.5, 0.51, 0.75, 1.0, 1.01, 1.5, 2.0, 3.5]:
        xs.add(t / n)
    for nx2 in [0.01, 0.1, 0.3, 0.5, 0.754, 0.7547, 1.0, 2.0, 2.19, 2.21, 3.0, 3.99, 4.01, 6.0, 10.0,
                17.0, 19.0, 40.0, 100.0, 369.0, 371.0]:
        xs.add(math.sqrt(nx2 / n))
    for x in [0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.45, 0.4999, 0.5, 0.6, 0.8, 0.95, 0.999]:
        xs.add(x)
    xs.add(1 - 1 / n if n > 1 else 0.5)
    xs.add((n - 1.5) / n if n > 2 else 0.4)
    if n >= 100:
        xs.add((1.4 / n) ** (2 / 3) * 0.999)
        xs.add((1.4 / n) ** (2 / 3) * 1.001)
    for x in sorted(xs):
        if 0 < x < 1:
            kstwo.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})
smirnov = []
for n in [2, 3, 5, 10, 50, 141, 1000, 30000, 100000, 2000000]:
    for x in [0.001, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 0.7, 0.9, 0.99]:
        smirnov.append({"n": n, "x": x, "sf": float(special.smirnov(n, x))})
# The band kstwo.sf hands to 2 * smirnov for large n (2.2 <= n x^2 < 370), up to scipy's exact limit 1e6.
for n in [200, 10000, 50000, 300000, 1000000]:
    for nx2 in [2.2, 5.0, 20.0, 100.0, 300.0]:
        x = math.sqrt(nx2 / n)
        if x < 1:
            smirnov.append({"n": n, "x": x, "sf": float(special.smirnov(n, x))})

# Inverse survival (kstwo.isf): the sampling error Rootline subtracts from a KS effect (99% bound and others).
isf = []
for n in [1, 2, 5, 10, 50, 100, 140, 141, 200, 300, 500, 1000, 1001, 5000, 100000]:
    for p in [0.001, 0.01, 0.05, 0.1]:
        isf.append({"n": n, "p": p, "x": float(stats.kstwo.isf(p, n))})
kolmogi = [{"p": p, "x": float(special.kolmogi(p))} for p in [0.001, 0.01, 0.05, 0.1]]

meta = {"generator": "scripts/vectors/stats_ks.py", "scipy": scipy.__version__, "numpy": np.__version__}
OUT.mkdir(parents=True, exist_ok=True)
(OUT / "ks2samp.json").write_text(json.dumps({**meta, "cases": cases}, indent=1, allow_nan=False) + "\n")
(OUT / "kstwo.json").write_text(json.dumps({**meta, "kstwo": kstwo, "smirnov": smirnov, "isf": isf, "kolmogi": kolmogi}, indent=1, allow_nan=False) + "\n")
print(f"ks2samp: {len(cases)} cases, kstwo: {len(kstwo)} points, smirnov: {len(smirnov)} points")
