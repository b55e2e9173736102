"""profile_dataframe: counts, nulls, min/max/mean against plain pandas, sketches, samples, frequent values."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json

import numpy as np
import pandas as pd
import pytest
from datasketches import kll_doubles_sketch

from rootline_emitter import profile_dataframe, schema_fingerprint


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    n = 5000
    f = rng.normal(10, 3, n)
    f[rng.random(n) < 0.1] = np.nan
    masked = pd.array(rng.integers(-50, 50, n), dtype="Int64")
    masked[rng.random(n) < 0.2] = pd.NA
    f32 = rng.random(n).astype("float32")
    f32[:7] = np.nan
    obj_int = pd.Series(rng.integers(0, 9, n).tolist(), dtype=object)
    obj_int[::10] = None
    cat_num = pd.Series(pd.Categorical(rng.choice([1.5, 2.5, 10.0], n)))
    cat_num[::25] = np.nan
    return pd.DataFrame({
        "f": f,
        "i": rng.integers(-1000, 1000, n),
        "u8": rng.integers(0, 255, n).astype("uint8"),
        "masked": masked,
        "f32": f32,
        "obj_int": obj_int,
        "cat_num": cat_num,
        "dec": pd.Series([decimal.Decimal(str(x)) for x in rng.integers(0, 100, n)], dtype=object),
    })


def expected_numeric(series: pd.Series) -> dict:
    values = pd.to_numeric(series.astype(object).where(series.notna(), np.nan).astype("float64"))
    valid = values.dropna()
    return {
        "null_count": int(values.isna().sum()), "min": float(valid.min()), "max": float(valid.max()),
        "mean": float(valid.mean()), "distinct": int(valid.nunique()),
    }


def test_numeric_columns_match_plain_pandas(frame):
    p = profile_dataframe(frame)
    assert p["row_count"] == len(frame)
    for name in frame.columns:
        col = p["columns"][name]
        assert col["kind"] == "numeric", name
        assert col["count"] == len(frame)
        exp = expected_numeric(frame[name])
        assert col["null_count"] == exp["null_count"] == int(frame[name].isna().sum()), name
        assert col["min"] == exp["min"] and col["max"] == exp["max"], name
        assert col["mean"] == pytest.approx(exp["mean"], rel=1e-12), name
        # distinct non-null values, exactly (the repeats rule's input)
        assert col["distinct_estimate"] == exp["distinct"], name
        for key in ("min", "max", "mean"):
            assert type(col[key]) is float


def test_sketch_decodes_with_datasketches(frame):
    p = profile_dataframe(frame, k=128)
    for name in frame.columns:
        sk_ref = p["columns"][name]["sketch"]
        assert sk_ref["type"] == "kll_doubles" and sk_ref["k"] == 128
        sk = kll_doubles_sketch.deserialize(base64.b64decode(sk_ref["data"]))
        non_null = len(frame) - p["columns"][name]["null_count"]
        assert sk.n == non_null, name
        assert sk.k == 128
        assert sk.get_min_value() == p["columns"][name]["min"]
        assert sk.get_max_value() == p["columns"][name]["max"]
    sk = kll_doubles_sketch.deserialize(base64.b64decode(p["columns"]["f"]["sketch"]["data"]))
    valid = frame["f"].dropna().to_numpy()
    for q in (0.1, 0.5, 0.9):
        true_rank = float(np.mean(valid <= sk.get_quantile(q)))
        assert abs(true_rank - q) <= sk.normalized_rank_error(False) + 1e-9


def test_sample_mode_is_bounded_uniform_and_reproducible(frame):
    a = profile_dataframe(frame, sketch="sample", sample_size=500)
    b = profile_dataframe(frame, sketch="sample", sample_size=500)
    c = profile_dataframe(frame, sketch="sample", sample_size=500, seed=7)
    f_values = frame["f"].dropna().to_numpy()
    for name in frame.columns:
        sample = a["columns"][name]["sample"]
        assert "sketch" not in a["columns"][name]
        assert len(sample) == 500
        assert sample == b["columns"][name]["sample"]
    assert a["columns"]["f"]["sample"] != c["columns"]["f"]["sample"]
    # every sampled value is a real value, drawn without replacement, kept in row order
    positions = [int(np.flatnonzero(f_values == v)[0]) for v in a["columns"]["f"]["sample"]]
    assert positions == sorted(positions) and len(set(positions)) == 500
    # a small column is kept whole
    small = profile_dataframe(pd.DataFrame({"x": [3.0, np.nan, 1.0]}), sketch="sample")
    assert small["columns"]["x"]["sample"] == [3.0, 1.0]


def test_sample_is_uniform_enough():
    values = np.arange(100_000, dtype="float64")
    sample = profile_dataframe(pd.DataFrame({"x": values}), sketch="sample", sample_size=10_000)["columns"]["x"]["sample"]
    assert len(sample) == 10_000
    # a uniform sample of 0..99999 has mean ~50000 (sd of the mean ~ 29000/sqrt(10000) = 290)
    assert abs(np.mean(sample) - 49_999.5) < 1500
    counts, _ = np.histogram(sample, bins=10, range=(0, 100_000))
    assert counts.min() > 850 and counts.max() < 1150


def test_all_null_empty_and_infinite_columns():
    df = pd.DataFrame({"none": [np.nan, np.nan], "inf": [1.0, np.inf], "ninf": [-np.inf, 2.0]})
    p = profile_dataframe(df)
    assert p["columns"]["none"] | {"sketch": None} == {
        "kind": "numeric", "count": 2, "null_count": 2, "min": None, "max": None, "mean": None, "sketch": None,
    }
    assert kll_doubles_sketch.deserialize(base64.b64decode(p["columns"]["none"]["sketch"]["data"])).is_empty()
    # ±inf are values (not nulls) that JSON cannot carry: a non-finite min/max/mean is null
    assert (p["columns"]["inf"]["min"], p["columns"]["inf"]["max"], p["columns"]["inf"]["mean"]) == (1.0, None, None)
    assert (p["columns"]["ninf"]["min"], p["columns"]["ninf"]["max"]) == (None, 2.0)
    assert p["columns"]["inf"]["null_count"] == 0
    assert kll_doubles_sketch.deserialize(base64.b64decode(p["columns"]["inf"]["sketch"]["data"])).n == 2
    assert profile_dataframe(df, sketch="sample")["columns"]["inf"]["sample"] == [1.0]
    json.dumps(p, allow_nan=False)
    empty = profile_dataframe(pd.DataFrame({"x": pd.Series([], dtype="float64"), "s": pd.Series([], dtype="str")}))
    assert empty["row_count"] == 0
    assert empty["columns"]["x"]["count"] == 0 and empty["columns"]["x"]["mean"] is None
    assert empty["columns"]["s"] == {"kind": "categorical", "count": 0, "null_count": 0, "distinct_estimate": 0, "frequent": {}, "other_count": 0}


def test_categorical_counts_top_k_ties_and_other_count():
    values = ["b"] * 5 + ["a"] * 5 + ["c"] * 3 + ["é"] * 2 + ["d"] * 2 + ["e"] * 2 + [None] * 4
    for dtype in ("str", "string", object, "category"):
        p = profile_dataframe(pd.DataFrame({"s": pd.Series(values, dtype=dtype)}), top_k=4)
        col = p["columns"]["s"]
        assert col["kind"] == "categorical"
        assert (col["count"], col["null_count"], col["distinct_estimate"]) == (23, 4, 6), dtype
        # count descending, then value ascending by code point ("é" > "e" > "d")
        assert list(col["frequent"].items()) == [("a", 5), ("b", 5), ("c", 3), ("d", 2)], dtype
        assert col["other_count"] == 4
        vc = pd.Series(values).value_counts()
        assert sum(col["frequent"].values()) + col["other_count"] == int(vc.sum())


def test_top_k_with_many_ties_picks_the_smallest_values():
    values = [f"v{i:05d}" for i in range(10_000)][::-1]
    col = profile_dataframe(pd.DataFrame({"s": values}), top_k=3)["columns"]["s"]
    assert col["frequent"] == {"v00000": 1, "v00001": 1, "v00002": 1}
    assert col["distinct_estimate"] == 10_000 and col["other_count"] == 9_997


def test_booleans_timestamps_and_mixed_objects_are_stringified():
    df = pd.DataFrame({
        "flag": [True, False, True, True],
        "nflag": pd.array([True, None, False, None], dtype="boolean"),
        "when": pd.to_datetime(["2026-11-21T10:00:00.1239Z", "2026-11-21T10:00:00.123Z", None, "2026-11-21T09:00:00Z"], utc=True, format="ISO8601"),
        "paris": pd.to_datetime(["2026-11-21T11:00:00"] * 3 + [None]).tz_localize("Europe/Paris"),
        "naive": pd.to_datetime(["2026-11-21T10:00:00", None, "2026-11-21T10:00:00", "1969-12-31T23:59:59.9995"], format="ISO8601"),
        "mixed": pd.Series([1, True, "true", 2.5], dtype=object),
        "when_obj": pd.Series([dt.datetime(2026, 11, 21, 12, tzinfo=dt.timezone(dt.timedelta(hours=2))), None, None, None], dtype=object),
        "day": pd.Series([dt.date(2026, 11, 21), dt.date(2026, 11, 21), None, dt.date(1999, 1, 2)], dtype=object),
    })
    cols = profile_dataframe(df)["columns"]
    assert cols["flag"]["frequent"] == {"true": 3, "false": 1}
    assert cols["nflag"]["frequent"] == {"false": 1, "true": 1} and cols["nflag"]["null_count"] == 2
    # milliseconds (floored), UTC with Z for tz-aware columns
    assert cols["when"]["frequent"] == {"2026-11-21T10:00:00.123Z": 2, "2026-11-21T09:00:00.000Z": 1}
    assert cols["when"]["distinct_estimate"] == 2
    assert cols["paris"]["frequent"] == {"2026-11-21T10:00:00.000Z": 3}
    assert cols["naive"]["frequent"] == {"2026-11-21T10:00:00.000": 2, "1969-12-31T23:59:59.999": 1}
    # values are counted by their string form: True and "true" are one value, 1 stays apart from True
    assert cols["mixed"]["frequent"] == {"true": 2, "1": 1, "2.5": 1}
    assert cols["when_obj"]["frequent"] == {"2026-11-21T10:00:00.000Z": 1}
    assert cols["day"]["frequent"] == {"2026-11-21": 2, "1999-01-02": 1}


def test_columns_option_duplicates_and_bad_arguments():
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    p = profile_dataframe(df, columns=["b"])
    assert [f["name"] for f in p["schema"]] == ["a", "b"] and set(p["columns"]) == {"b"}
    assert p["schema_fingerprint"] == schema_fingerprint(p["schema"])
    dup = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(ValueError, match="duplicate"):
        profile_dataframe(dup)
    with pytest.raises(ValueError):
        profile_dataframe(df, sketch="tdigest")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        profile_dataframe(df, k=4)
    assert profile_dataframe(pd.DataFrame({0: [1.0], 1: ["x"]}))["schema"][0]["name"] == "0"


def test_profile_is_json_and_large_frames_stay_vectorized():
    rng = np.random.default_rng(3)
    n = 200_000
    df = pd.DataFrame({
        "x": rng.normal(size=n),
        "s": pd.Series(rng.choice(["a", "b", "c"], n), dtype="str"),
        "t": pd.Series(pd.to_datetime(rng.integers(0, 10**6, n), unit="s", utc=True)),
        "o": pd.Series(rng.choice([1, "a", 2.5], n).tolist(), dtype=object),
    })
    p = profile_dataframe(df)
    text = json.dumps(p, allow_nan=False)
    assert json.loads(text)["columns"]["s"]["distinct_estimate"] == 3
    assert sum(p["columns"]["o"]["frequent"].values()) == n
