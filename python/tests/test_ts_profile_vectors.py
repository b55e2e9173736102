"""The reverse direction of the cross-language profile check: test/vectors/profile/ts_profile.json is
TypeScript's profile of dataset.json (scripts/vectors/profile_ts_vectors.ts). The Python emitter's
profile of the same dataset must have the same schema fingerprint and column statistics, and
TypeScript's KLL sketches must deserialize with datasketches to the same n, min and max."""

from __future__ import annotations

import base64
import importlib.util
import json
import math

import pytest
from datasketches import kll_doubles_sketch
from support import REPO_ROOT

from rootline_emitter import profile_dataframe

VECTORS = REPO_ROOT / "test" / "vectors" / "profile"
SCRIPT = REPO_ROOT / "python" / "scripts" / "make_profile_vectors.py"


@pytest.fixture(scope="module")
def ts_profile():
    return json.loads((VECTORS / "ts_profile.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def py_profile():
    spec = importlib.util.spec_from_file_location("make_profile_vectors", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc = json.loads(module.DATASET.read_text(encoding="utf-8"))
    return profile_dataframe(module.load_dataset(), **doc["profile_options"])


def test_same_options_and_fingerprint(ts_profile, py_profile):
    doc = json.loads((VECTORS / "dataset.json").read_text(encoding="utf-8"))
    assert ts_profile["profile_options"] == doc["profile_options"]
    ts = ts_profile["profile"]
    assert ts["schema_fingerprint"] == py_profile["schema_fingerprint"]
    assert ts["row_count"] == py_profile["row_count"]
    by_name = {f["name"]: f for f in py_profile["schema"]}
    assert {f["name"]: f for f in ts["schema"]} == by_name


def test_same_column_statistics(ts_profile, py_profile):
    ts_cols = ts_profile["profile"]["columns"]
    assert set(ts_cols) == set(py_profile["columns"])
    for name, py in py_profile["columns"].items():
        ts = ts_cols[name]
        assert ts["kind"] == py["kind"], name
        assert (ts["count"], ts["null_count"]) == (py["count"], py["null_count"]), name
        if py["kind"] == "numeric":
            for key in ("min", "max", "mean"):
                assert math.isclose(ts[key], py[key], rel_tol=1e-12), (name, key)
        else:
            assert ts["frequent"] == py["frequent"], name
            assert ts["other_count"] == py["other_count"], name
            assert ts["distinct_estimate"] == py["distinct_estimate"], name


def test_ts_sketches_deserialize_with_datasketches(ts_profile, py_profile):
    checked = 0
    for name, ts in ts_profile["profile"]["columns"].items():
        if ts["kind"] != "numeric":
            continue
        assert ts["sketch"]["type"] == "kll_doubles" and ts["sketch"]["k"] == 200
        sk = kll_doubles_sketch.deserialize(base64.b64decode(ts["sketch"]["data"]))
        py_sk = kll_doubles_sketch.deserialize(base64.b64decode(py_profile["columns"][name]["sketch"]["data"]))
        assert sk.n == ts["count"] - ts["null_count"] == py_sk.n, name
        assert sk.get_min_value() == ts["min"] == py_sk.get_min_value(), name
        assert sk.get_max_value() == ts["max"] == py_sk.get_max_value(), name
        assert sk.k == 200
        # both summarize the same values: TypeScript's median sits at rank 0.5 in Python's sketch, within both
        # sketches' rank error (between the exclusive and inclusive ranks: the data may repeat values)
        median = sk.get_quantile(0.5)
        eps = sk.normalized_rank_error(False) + py_sk.normalized_rank_error(False)
        assert py_sk.get_rank(median, inclusive=False) - eps <= 0.5 <= py_sk.get_rank(median, inclusive=True) + eps, name
        checked += 1
    assert checked == 3
