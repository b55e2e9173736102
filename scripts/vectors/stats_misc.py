"""Reference vectors for src/stats/chi2.ts, gamma.ts, beta.ts and fdr.ts, computed by scipy.

Writes test/vectors/stats/chi2.json, gammaincc.json, fdist.json, bh.json and chi2ppf.json.
Run: PY=$(scripts/pyenv.sh); "$PY" scripts/vectors/stats_misc.py
"""
import json
import pathlib

import numpy as np
import scipy
from scipy import special, stats

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "vectors" / "stats"
OTHER = "__other__"
META = {"generator": "scripts/vectors/stats_misc.py", "scipy": scipy.__version__, "numpy": np.__version__}


def align(a, b, other=OTHER):
    """The column alignment of src/stats/chi2.ts alignCategories, restated."""
    oa, ob = a.get(other, 0), b.get(other, 0)
    hidden_a, hidden_b = oa > 0, ob > 0
    keys = sorted((set(a) | set(b)) - {other})
    cats, ra, rb = [], [], []
    for k in keys:
        ina, inb = k in a, k in b
        ca, cb = a.get(k, 0), b.get(k, 0)
        if ina and not inb and hidden_b:
            oa += ca
            continue
        if inb and not ina and hidden_a:
            ob += cb
            continue
        if ca + cb > 0:
            cats.append(k)
            ra.append(ca)
            rb.append(cb)
    if oa + ob > 0:
        cats.append(other)
        ra.append(oa)
        rb.append(ob)
    return cats, ra, rb


rng = np.random.default_rng(20261121)
chi2_cases = []


def add_chi2(name, a, b):
    cats, ra, rb = align(a, b)
    table = np.array([ra, rb], dtype=np.float64)
    res = stats.chi2_contingency(table, correction=False)
    p = table[0] / table[0].sum()
    q = table[1] / table[1].sum()
    tvd = float(0.5 * np.abs(p - q).sum())
    chi2_cases.append({"name": name, "baseline": a, "current": b, "categories": cats,
                       "statistic": float(res.statistic), "dof": int(res.dof), "pvalue": float(res.pvalue),
                       "tvd": tvd})


add_chi2("two categories", {"a": 10, "b": 20}, {"a": 15, "b": 12})
add_chi2("three categories", {"x": 120, "y": 80, "z": 40}, {"x": 100, "y": 100, "z": 60})
add_chi2("identical proportions", {"a": 100, "b": 200, "c": 300}, {"a": 10, "b": 20, "c": 30})
add_chi2("single category (dof 0)", {"a": 5}, {"a": 9})
add_chi2("category only in current, no other bucket", {"a": 50, "b": 50}, {"a": 40, "b": 45, "c": 15})
add_chi2("category only in baseline, no other bucket", {"a": 50, "b": 30, "c": 20}, {"a": 60, "b": 40})
add_chi2("explicit zero on both sides dropped", {"a": 50, "b": 0, "c": 20}, {"a": 60, "b": 0, "c": 25})
add_chi2("explicit zero on one side kept", {"a": 50, "b": 0, "c": 20}, {"a": 60, "b": 7, "c": 25})
add_chi2("other bucket on both sides", {"a": 500, "b": 300, OTHER: 200}, {"a": 450, "b": 330, OTHER: 220})
add_chi2("category hidden in current's other bucket",
         {"a": 500, "b": 300, "c": 120, OTHER: 80}, {"a": 450, "b": 330, OTHER: 220})
add_chi2("category hidden in baseline's other bucket",
         {"a": 500, "b": 300, OTHER: 200}, {"a": 450, "b": 330, "new": 100, OTHER: 120})
add_chi2("other bucket only in baseline", {"a": 5, "b": 3, OTHER: 2}, {"a": 4, "b": 6})
add_chi2("zero-count other bucket", {"a": 5, "b": 3, OTHER: 0}, {"a": 4, "b": 6, "c": 1})
add_chi2("large counts small shift", {"a": 1_000_000, "b": 2_000_000, "c": 3_000_000},
         {"a": 1_003_000, "b": 1_998_000, "c": 3_001_000})
add_chi2("completely different", {"a": 1000, "b": 10}, {"a": 10, "b": 1000})
add_chi2("disjoint categories", {"a": 30, "b": 30}, {"c": 30, "d": 30})
for k in (5, 20, 50, 200):
    base = rng.dirichlet(np.ones(k))
    cur = base * rng.uniform(0.8, 1.2, size=k)
    cur /= cur.sum()
    a = {f"v{i}": int(c) for i, c in enumerate(rng.multinomial(10 * k * 50, base))}
    b = {f"v{i}": int(c) for i, c in enumerate(rng.multinomial(7 * k * 50, cur))}
    add_chi2(f"random {k} categories", a, b)
    a2 = dict(list(a.items())[: k // 2]) | {OTHER: sum(list(a.values())[k // 2:])}
    b2 = dict(list(b.items())[: k // 3]) | {OTHER: sum(list(b.values())[k // 3:])}
    add_chi2(f"random {k} categories, top lists of different length", a2, b2)

# gammaincc on a grid: chi-squared's a = dof / 2 and the regions of Cephes igamc.
gam = []
a_values = [1e-3, 0.01, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4.5, 7, 10, 12.5, 19.5, 20.5, 25, 50,
            99.5, 150, 199.5, 200.5, 300, 500, 1000]
ratios = [1e-3, 0.01, 0.1, 0.3, 0.5, 0.65, 0.72, 0.8, 0.9, 0.95, 0.99, 1.0, 1.01, 1.05, 1.1, 1.2, 1.3,
          1.5, 2, 3, 5, 10, 30]
for a in a_values:
    xs = {a * r for r in ratios} | {1e-5, 0.05, 0.3, 0.45, 0.5, 0.55, 0.7, 1.0, 1.1, 1.11, 1.5, 5.0, 50.0}
    for x in sorted(xs):
        gam.append({"a": a, "x": x, "q": float(special.gammaincc(a, x)), "lgamma": float(special.gammaln(a))})

# chi2.ppf: the lower quantiles the long horizon's quantile track bounds its spreads with, and a grid.
ppf = []
for dof in [1, 2, 3, 4, 5, 9, 19, 20, 47, 100, 167, 500]:
    for p in [1e-6, 1e-3, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999]:
        ppf.append({"p": p, "dof": dof, "x": float(stats.chi2.ppf(p, dof))})

# Benjamini-Hochberg.
bh = []


def add_bh(name, ps):
    adj = stats.false_discovery_control(np.asarray(ps, dtype=np.float64), method="bh")
    bh.append({"name": name, "p": [float(p) for p in ps], "adjusted": [float(v) for v in np.atleast_1d(adj)]})


add_bh("single", [0.03])
add_bh("two", [0.04, 0.01])
add_bh("scipy docstring", [0.5, 0.6, 0.1, 0.001])
add_bh("ties", [0.01, 0.01, 0.02, 0.02, 0.5, 0.01])
add_bh("zeros and ones", [0.0, 1.0, 0.0, 0.3, 1.0])
add_bh("all large", [0.9, 0.8, 0.95, 0.99])
for m in (5, 20, 100, 1000):
    ps = np.concatenate([rng.uniform(0, 1, m - m // 5), rng.uniform(0, 1e-3, m // 5)])
    rng.shuffle(ps)
    add_bh(f"random {m}", list(ps))

# F distribution's survival function (the seasonal fit's F test: d1 = slots - 1, d2 = runs - slots) and
# betainc itself, including the far tails and x near 1.
fdist = []
for d1 in [1, 2, 5, 6, 12, 23, 40]:
    for d2 in [1, 2, 3, 4, 5, 7, 10, 14, 21, 50, 161, 1000]:
        for f in [0.01, 0.1, 0.5, 1.0, 2.0, 3.5, 5.0, 8.0, 10.0, 15.0, 28.0, 50.0, 100.0, 1e3, 1e5]:
            fdist.append({"d1": d1, "d2": d2, "f": f, "sf": float(stats.f.sf(f, d1, d2))})
# Student's t inverse survival function at the normal tails of k standard deviations (the row-count rule's
# small-sample band: nu = 0.88 x residuals, fractional).
tdist = []
for nu in [1, 1.76, 2.64, 5.28, 6.16, 8.8, 16.72, 35.2, 100, 1000]:
    for k in [2.0, 3.0, 4.0, 5.0, 6.0]:
        p = float(stats.norm.sf(k))
        tdist.append({"nu": nu, "k": k, "p": p, "isf": float(stats.t.isf(p, nu))})
beta = []
for a in [0.05, 0.5, 1, 2.5, 10, 80.5, 500]:
    for b in [0.05, 0.5, 1, 3, 10, 80.5, 500]:
        for x in [1e-10, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999999]:
            beta.append({"a": a, "b": b, "x": x, "i": float(special.betainc(a, b, x))})

OUT.mkdir(parents=True, exist_ok=True)
(OUT / "chi2.json").write_text(json.dumps({**META, "cases": chi2_cases}, indent=1, allow_nan=False) + "\n")
(OUT / "gammaincc.json").write_text(json.dumps({**META, "points": gam}, allow_nan=False) + "\n")
(OUT / "fdist.json").write_text(json.dumps({**META, "f": fdist, "t": tdist, "betainc": beta}, allow_nan=False) + "\n")
(OUT / "bh.json").write_text(json.dumps({**META, "cases": bh}, indent=1, allow_nan=False) + "\n")
(OUT / "chi2ppf.json").write_text(json.dumps({**META, "points": ppf}, allow_nan=False) + "\n")
print(f"chi2: {len(chi2_cases)} cases, gammaincc: {len(gam)} points, f: {len(fdist)} points, t: {len(tdist)} points, betainc: {len(beta)} points, bh: {len(bh)} cases, chi2ppf: {len(ppf)} points")
