"""KLL doubles sketches serialized by Rootline's TypeScript sketch, read by the official datasketches package.

The vectors come from scripts/vectors/kll_ts_vectors.ts (test/vectors/kll/ts). For each one, DataSketches
must see the n, k, min, max, retained items and weights that TypeScript recorded, answer the same ranks,
quantiles, CDF and PMF, and serialize the sketch back to the very same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from pathlib import Path

import pytest
from datasketches import kll_doubles_sketch

VECTORS = Path(__file__).resolve().parents[2] / "test" / "vectors" / "kll" / "ts"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text())
ENTRIES = MANIFEST["sketches"]


def dec(x):
    if isinstance(x, str):
        return {"-0": -0.0, "Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}[x]
    return float(x)


def bits(x: float) -> bytes:
    """Bit-exact identity of a double (tells -0.0 from 0.0)."""
    return struct.pack("<d", x)


def sort_key(pair):
    return (pair[0], math.copysign(1.0, pair[0]), pair[1])


def mixed_zeros(entry) -> bool:
    values = [v for v, _ in entry["retained"]]
    return "-0" in values and 0 in values


def level_weights(data: bytes, num_retained: int) -> list[int]:
    if data[0] != 5:
        return [1] * num_retained
    num_levels = data[18]
    levels = list(struct.unpack_from(f"<{num_levels}I", data, 20)) + [None]
    levels[-1] = levels[0] + num_retained
    out: list[int] = []
    for level in range(num_levels):
        out.extend([1 << level] * (levels[level + 1] - levels[level]))
    return out


def test_manifest_covers_the_forms():
    assert len(ENTRIES) >= 15
    forms = {(e["header"]["preamble_ints"], e["header"]["serial_version"]) for e in ENTRIES}
    assert forms == {(2, 1), (2, 2), (5, 1)}


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_typescript_sketch_reads_the_same_in_datasketches(entry):
    data = (VECTORS / entry["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    sk = kll_doubles_sketch.deserialize(data)

    assert sk.n == entry["n"]
    assert sk.k == entry["k"]
    assert sk.num_retained == entry["num_retained"]
    assert sk.is_empty() == entry["is_empty"]
    assert sk.is_estimation_mode() == entry["is_estimation_mode"]
    assert sk.normalized_rank_error(False) == pytest.approx(entry["normalized_rank_error"], rel=1e-14)
    assert sk.normalized_rank_error(True) == pytest.approx(entry["normalized_rank_error_pmf"], rel=1e-14)
    # DataSketches writes the same bytes back: the layout, flags, levels and items all agree
    assert sk.serialize() == data

    if entry["is_empty"]:
        assert list(sk) == []
        return

    assert bits(sk.get_min_value()) == bits(dec(entry["min"]))
    assert bits(sk.get_max_value()) == bits(dec(entry["max"]))

    # retained items: DataSketches' iterator gives the items in buffer order; weights by level (its own
    # iterator's weights are wrong in 5.2.0 when level zero is empty)
    pairs = list(sk)
    weights = level_weights(data, len(pairs))
    ours = sorted(((float(v), w) for (v, _), w in zip(pairs, weights)), key=sort_key)
    theirs = sorted(((dec(v), w) for v, w in entry["retained"]), key=sort_key)
    assert [bits(v) for v, _ in ours] == [bits(v) for v, _ in theirs]
    assert [w for _, w in ours] == [w for _, w in theirs]
    if sum(w for _, w in pairs) == sk.n:
        # where DataSketches' iterator is right, its weights agree as well
        assert sorted(((float(v), int(w)) for v, w in pairs), key=sort_key) == ours

    # the weight of every distinct value, as DataSketches' sorted view sees it
    for v, w in entry["value_weights"]:
        x = dec(v)
        assert round((sk.get_rank(x, True) - sk.get_rank(x, False)) * sk.n) == w, v

    q = entry["queries"]
    points = [dec(x) for x in q["rank_points"]]
    assert [sk.get_rank(p, True) for p in points] == q["ranks_inclusive"]
    assert [sk.get_rank(p, False) for p in points] == q["ranks_exclusive"]
    splits = [dec(x) for x in q["split_points"]]
    assert sk.get_cdf(splits, True) == q["cdf_inclusive"]
    assert sk.get_cdf(splits, False) == q["cdf_exclusive"]
    assert sk.get_pmf(splits, True) == q["pmf_inclusive"]
    assert sk.get_pmf(splits, False) == q["pmf_exclusive"]
    qi = sk.get_quantiles(q["quantile_ranks"], True)
    qe = sk.get_quantiles(q["quantile_ranks"], False)
    if mixed_zeros(entry):
        # std::sort leaves -0.0 and 0.0 (equal keys) in an unspecified order: compare by value
        assert qi == [dec(x) for x in q["quantiles_inclusive"]]
        assert qe == [dec(x) for x in q["quantiles_exclusive"]]
    else:
        assert [bits(x) for x in qi] == [bits(dec(x)) for x in q["quantiles_inclusive"]]
        assert [bits(x) for x in qe] == [bits(dec(x)) for x in q["quantiles_exclusive"]]
        # queries sorted level zero in place on both sides, so the bytes agree again afterwards
        assert hashlib.sha256(sk.serialize()).hexdigest() == entry["sha256_after_queries"]


def test_merging_typescript_sketches_in_datasketches():
    """A TypeScript sketch is a first-class DataSketches sketch: it merges with the package's own."""
    by_name = {e["name"]: e for e in ENTRIES}
    a = kll_doubles_sketch.deserialize((VECTORS / by_name["normal_100k"]["file"]).read_bytes())
    b = kll_doubles_sketch.deserialize((VECTORS / by_name["uniform_1m"]["file"]).read_bytes())
    own = kll_doubles_sketch(200)
    for i in range(1000):
        own.update(float(i))
    own.merge(a)
    own.merge(b)
    assert own.n == 1000 + by_name["normal_100k"]["n"] + by_name["uniform_1m"]["n"]
    assert own.get_min_value() == min(0.0, dec(by_name["normal_100k"]["min"]))
    assert own.get_max_value() == max(999.0, dec(by_name["uniform_1m"]["max"]))
