"""Reference vectors for Rootline's KLL doubles sketch, produced by the official Apache DataSketches
Python package (datasketches 5.2.0, the C++ library).

Writes test/vectors/kll/<name>.bin (the bytes of kll_doubles_sketch.serialize()) and
test/vectors/kll/manifest.json describing each sketch as DataSketches sees it: n, k, min, max,
num_retained, the retained items with their weights (the sketch's iterator, sorted; weights by level, see
item_weights), the weight DataSketches' sorted view gives each distinct value, and
ranks / quantiles / CDF / PMF answered by DataSketches for fixed queries.

The data is seeded, but DataSketches picks its compaction offsets from an unseeded random source,
so re-running the script yields different (equally valid) sketches: the committed files are a snapshot.

Run:  PY=$(scripts/pyenv.sh); "$PY" scripts/vectors/kll_vectors.py
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
from datasketches import kll_doubles_sketch

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "vectors" / "kll"
QUANTILE_RANKS = [0.0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.333, 0.5, 0.667, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0]


def enc(x: float):
    """JSON has no -0, inf or nan: those travel as strings, every other double as its shortest repr."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0.0 and math.copysign(1.0, x) < 0:
        return "-0"
    return x


def header(data: bytes) -> dict:
    pre, ser, fam, flags = data[0], data[1], data[2], data[3]
    (k,) = struct.unpack_from("<H", data, 4)
    out = {"preamble_ints": pre, "serial_version": ser, "family": fam, "flags": flags, "k": k, "m": data[6]}
    if pre == 5:
        n, min_k, num_levels = struct.unpack_from("<QHB", data, 8)
        out.update({"min_k": min_k, "num_levels": num_levels})
    else:
        out.update({"min_k": k, "num_levels": 1})
    return out


def sort_key(pair: tuple[float, int]):
    """By value, -0.0 before 0.0, then by weight."""
    return (pair[0], math.copysign(1.0, pair[0]), pair[1])


def item_weights(data: bytes, num_retained: int) -> list[int]:
    """Weight (2^level) of each retained item in buffer order, from the serialized levels array."""
    if data[0] != 5:
        return [1] * num_retained
    num_levels = data[18]
    levels = list(struct.unpack_from(f"<{num_levels}I", data, 20))
    levels.append(levels[0] + num_retained)
    out: list[int] = []
    for level in range(num_levels):
        out.extend([1 << level] * (levels[level + 1] - levels[level]))
    return out


def rank_points(sk: kll_doubles_sketch, items: list[tuple[float, int]]) -> list[float]:
    """Query points: every retained item once (thinned to about 60), midpoints, the extremes and outside."""
    values = sorted({v for v, _ in items})
    step = max(1, len(values) // 60)
    pts = set(values[::step])
    pts.add(values[-1])
    for a, b in zip(values[::step], values[step::step]):
        mid = a / 2 + b / 2
        if math.isfinite(mid):
            pts.add(mid)
    lo, hi = sk.get_min_value(), sk.get_max_value()
    for extra in (lo, hi, lo - 1.0, hi + 1.0, 0.0):
        if math.isfinite(extra):
            pts.add(extra)
    return sorted(pts)


def split_points(sk: kll_doubles_sketch) -> list[float]:
    qs = sk.get_quantiles([0.1, 0.3, 0.5, 0.7, 0.9])
    out: list[float] = []
    for q in qs:
        if math.isfinite(q) and (not out or q > out[-1]):
            out.append(q)
    return out


def describe(name: str, sk: kll_doubles_sketch, note: str) -> dict:
    data = sk.serialize()
    (OUT / f"{name}.bin").write_bytes(data)
    entry = {
        "name": name,
        "file": f"{name}.bin",
        "note": note,
        "serialized_size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "header": header(data),
        "k": sk.k,
        "n": sk.n,
        "num_retained": sk.num_retained,
        "is_empty": sk.is_empty(),
        "is_estimation_mode": sk.is_estimation_mode(),
        "normalized_rank_error": sk.normalized_rank_error(False),
        "normalized_rank_error_pmf": sk.normalized_rank_error(True),
    }
    if sk.is_empty():
        entry.update({"min": None, "max": None, "retained": [], "queries": None})
        return entry
    pairs = list(sk)
    entry["python_iterator_weight_sum"] = sum(int(w) for _, w in pairs)
    # The iterator yields the retained items in buffer order (level by level). Its weights are wrong in
    # datasketches 5.2.0 when level zero is empty (it starts at weight 1 and never steps up a level), so
    # each item's weight is taken from the level it sits in, as the serialized levels array says.
    weights = item_weights(data, len(pairs))
    items = sorted(((float(v), w) for (v, _), w in zip(pairs, weights)), key=sort_key)
    entry["min"] = enc(sk.get_min_value())
    entry["max"] = enc(sk.get_max_value())
    entry["retained"] = [[enc(v), w] for v, w in items]
    # the weight DataSketches' sorted view gives each distinct value: n * (inclusive - exclusive rank)
    values = sorted({v for v, _ in items})
    entry["value_weights"] = [
        [enc(v), round((sk.get_rank(v, True) - sk.get_rank(v, False)) * sk.n)] for v in values
    ]
    pts = rank_points(sk, items)
    sps = split_points(sk)
    # queries sort level zero in place (as in C++), which also sets the level-zero-sorted flag: that state
    # is serialized again afterwards, so TypeScript can check it reproduces the same side effect
    entry["queries"] = {
        "rank_points": [enc(x) for x in pts],
        "ranks_inclusive": [sk.get_rank(x, True) for x in pts],
        "ranks_exclusive": [sk.get_rank(x, False) for x in pts],
        "quantile_ranks": QUANTILE_RANKS,
        "quantiles_inclusive": [enc(q) for q in sk.get_quantiles(QUANTILE_RANKS, True)],
        "quantiles_exclusive": [enc(q) for q in sk.get_quantiles(QUANTILE_RANKS, False)],
        "split_points": [enc(x) for x in sps],
        "cdf_inclusive": sk.get_cdf(sps, True),
        "cdf_exclusive": sk.get_cdf(sps, False),
        "pmf_inclusive": sk.get_pmf(sps, True),
        "pmf_exclusive": sk.get_pmf(sps, False),
    }
    entry["sha256_after_queries"] = hashlib.sha256(sk.serialize()).hexdigest()
    return entry


def write_manifest(path: Path, manifest: dict) -> None:
    """One sketch per line: compact, yet a diff still shows which sketch changed."""
    head = {key: value for key, value in manifest.items() if key != "sketches"}
    lines = [json.dumps(e, separators=(",", ":")) for e in manifest["sketches"]]
    text = json.dumps(head, indent=1)[:-2] + ',\n "sketches": [\n' + ",\n".join(lines) + "\n ]\n}\n"
    json.loads(text)  # the hand-made layout must stay valid JSON
    path.write_text(text)


def build(k: int, values) -> kll_doubles_sketch:
    sk = kll_doubles_sketch(k)
    arr = np.asarray(values, dtype=np.float64)
    if arr.size:
        sk.update(arr)
    return sk


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.bin"):
        old.unlink()
    rng = np.random.default_rng(20261121)
    entries: list[dict] = []

    def add(name: str, sk: kll_doubles_sketch, note: str) -> None:
        entries.append(describe(name, sk, note))

    add("empty_k200", kll_doubles_sketch(200), "empty sketch, k=200 (8-byte form)")
    add("empty_k8", kll_doubles_sketch(8), "empty sketch, k=8")
    add("single_item", build(200, [42.5]), "one item (serial version 2, single-item form)")
    add("single_negative_zero", build(200, [-0.0]), "one item, -0.0")
    add("two_items", build(200, [3.5, 1.0]), "smallest full form")
    add("few_items", build(200, [3.0, 1.0, 2.0, 5.0, 4.0, 2.0]), "a few items, one duplicate, exact mode")
    add("n200_exact_full_level0", build(200, rng.uniform(0, 1, 200)), "level zero exactly full, no compaction yet")
    add("n201_first_compaction", build(200, rng.uniform(0, 1, 201)), "first compaction")
    add("uniform_1000", build(200, rng.uniform(-5, 5, 1000)), "n=1000 uniform(-5,5)")
    add("normal_100k", build(200, rng.normal(10, 3, 100_000)), "n=100k normal(10,3)")
    add("normal_1m", build(200, rng.normal(0, 1, 1_000_000)), "n=1M normal(0,1)")
    add("uniform_1m", build(200, rng.uniform(0, 1000, 1_000_000)), "n=1M uniform(0,1000)")
    add("duplicates_1m", build(200, rng.integers(0, 10, 1_000_000).astype(np.float64)), "n=1M with 10 distinct values")
    zeros = rng.choice(np.array([-0.0, 0.0, 1.0, -1.0, 1e-300]), size=10_000, p=[0.3, 0.3, 0.15, 0.15, 0.1])
    add("negative_zeros_10k", build(200, zeros), "-0.0 and 0.0 mixed with a few other values")
    extremes = np.concatenate([
        np.array([np.inf, -np.inf, sys.float_info.max, -sys.float_info.max, 5e-324, -5e-324, 2.2250738585072014e-308]),
        rng.normal(0, 1e300, 3000),
        rng.normal(0, 1e-300, 3000),
    ])
    rng.shuffle(extremes)
    add("extremes_6k", build(200, extremes), "infinities, the largest and smallest doubles, subnormals")
    add("k8_100k", build(8, rng.exponential(2.0, 100_000)), "minimum k=8")
    add("k20_100k", build(20, rng.normal(0, 1, 100_000)), "k=20")
    add("k400_100k", build(400, rng.uniform(0, 1, 100_000)), "k=400")
    add("k1000_1m", build(1000, rng.lognormal(0, 1, 1_000_000)), "k=1000, lognormal")
    add("k65535_10", build(65535, rng.uniform(0, 1, 10)), "maximum k, a few items")
    nan_sk = build(200, [1.0, float("nan"), 2.0, float("nan"), 3.0])
    add("nan_ignored", nan_sk, "NaN updates are ignored: n=3")

    parts = [build(200, rng.normal(mu, 1, 50_000)) for mu in (0, 1, 2, 3)]
    merged = kll_doubles_sketch(200)
    for p in parts:
        merged.merge(p)
    add("merged_4x50k", merged, "four k=200 sketches of 50k normal values merged into an empty one")
    a = build(200, rng.uniform(0, 1, 100_000))
    b = build(50, rng.uniform(0.5, 1.5, 30_000))
    a.merge(b)
    add("merged_k200_k50", a, "k=200 merged with a k=50 sketch in estimation mode: min_k=50")
    c = build(200, rng.uniform(0, 1, 150))
    c.merge(build(200, rng.uniform(0, 1, 100)))
    add("merged_small_exact", c, "two exact sketches whose union overflows level zero")
    d = build(100, rng.normal(0, 1, 20_000))
    d.merge(build(200, rng.normal(0, 1, 500)))
    add("merged_small_into_large", d, "k=100 estimation-mode sketch with a small k=200 one merged in")

    sorted_sk = build(200, rng.uniform(0, 1, 5000))
    sorted_sk.get_rank(0.5)  # sorts level zero, sets the flag
    add("level_zero_sorted_flag", sorted_sk, "serialized after a query: level zero sorted, flag bit 1 set")

    manifest = {
        "generator": "scripts/vectors/kll_vectors.py",
        "datasketches_version": version("datasketches"),
        "numpy_version": np.__version__,
        "float_encoding": "JSON numbers, except '-0', 'Infinity', '-Infinity' as strings",
        "sketches": entries,
    }
    write_manifest(OUT / "manifest.json", manifest)
    print(f"wrote {len(entries)} sketches to {OUT}")


if __name__ == "__main__":
    main()
