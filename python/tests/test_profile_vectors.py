"""The cross-language profile vectors (test/vectors/profile): the dataset reads back with its declared
dtypes, and the committed python_profile.json is what profile_dataframe makes of it today."""

from __future__ import annotations

import base64
import importlib.util
import json

import numpy as np
import pandas as pd
import pytest
from datasketches import kll_doubles_sketch
from support import REPO_ROOT

from rootline_emitter import profile_dataframe

SCRIPT = REPO_ROOT / "python" / "scripts" / "make_profile_vectors.py"


@pytest.fixture(scope="module")
def vectors():
    spec = importlib.util.spec_from_file_location("make_profile_vectors", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dataset_is_what_the_seeded_generator_writes(vectors):
    committed = json.loads(vectors.DATASET.read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(vectors.make_dataset()))


def test_dataset_reads_back_with_the_declared_dtypes(vectors):
    df = vectors.load_dataset()
    assert len(df) == 300
    assert {c: str(t) for c, t in df.dtypes.items()} == {
        "id": "int64",
        "qty": "Int64",
        "amount": "float64",
        "active": "bool",
        "city": "string",
        "segment": "category",
        "created_at": "datetime64[ns, UTC]",
        "misc": "object",
    }
    assert list(df["segment"].cat.categories) == ["gold", "silver", "bronze", "unused"]
    assert df["created_at"].isna().sum() == 30
    assert df["misc"].map(type).value_counts().to_dict() == {int: 90, str: 80, bool: 60, float: 40, type(None): 30}


def test_committed_python_profile_matches_a_fresh_profile(vectors):
    committed = json.loads(vectors.PROFILE.read_text(encoding="utf-8"))
    doc = json.loads(vectors.DATASET.read_text(encoding="utf-8"))
    assert committed["profile_options"] == doc["profile_options"]
    fresh = profile_dataframe(vectors.load_dataset(), **doc["profile_options"])
    old = committed["profile"]
    for key in ("row_count", "schema", "schema_fingerprint"):
        assert old[key] == fresh[key], key
    assert set(old["columns"]) == set(fresh["columns"])
    for name, col in fresh["columns"].items():
        # KLL compaction is randomized: compare the sketches by what they must agree on
        a = {k: v for k, v in old["columns"][name].items() if k != "sketch"}
        b = {k: v for k, v in col.items() if k != "sketch"}
        assert a == b, name
        if "sketch" in col:
            sk = kll_doubles_sketch.deserialize(base64.b64decode(old["columns"][name]["sketch"]["data"]))
            assert sk.n == col["count"] - col["null_count"], name
            assert (sk.get_min_value(), sk.get_max_value()) == (col["min"], col["max"]), name


def test_python_profile_agrees_with_the_raw_json_values(vectors):
    """The expected numbers, computed from dataset.json's values without pandas dtypes."""
    doc = json.loads(vectors.DATASET.read_text(encoding="utf-8"))
    cols = json.loads(vectors.PROFILE.read_text(encoding="utf-8"))["profile"]["columns"]
    for c in doc["columns"]:
        values = c["values"]
        present = [v for v in values if v is not None]
        got = cols[c["name"]]
        assert got["null_count"] == len(values) - len(present), c["name"]
        if c["dtype"] in ("int64", "Int64", "float64"):
            assert got["min"] == min(present) and got["max"] == max(present)
            assert got["mean"] == pytest.approx(float(np.mean(present)), rel=1e-12)
        else:
            assert got["other_count"] + sum(got["frequent"].values()) == len(present)
    assert cols["city"]["frequent"] == {"Paris": 60, "Berlin": 40, "Lyon": 40, "São Paulo": 30, "Zürich": 30}
    assert cols["misc"]["frequent"] == {"1": 50, "a": 50, "2": 40, "true": 40, "2.5": 30}
    assert cols["segment"]["distinct_estimate"] == 3  # the unused category is not a value


def test_dataset_frame_round_trips_through_json(vectors):
    df = vectors.load_dataset()
    assert pd.isna(df["amount"]).sum() == 24 and df["qty"].isna().sum() == 30
    assert df["created_at"].dropna().iloc[0].tz is not None
