"""The content hash (docs/content-hash.md): the committed shared vectors are current, TypeScript's profile of
dataset.json carries the hash Python computes, and the vectorized paths (numpy dtypes, categoricals, Arrow,
nullable extension types) agree with the per-value path the vectors were made with."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pandas as pd
import pytest
from support import REPO_ROOT

from rootline_emitter import build_report, content_hash, profile_dataframe, validate_report
from rootline_emitter.content_hash import ContentHasher, column_payloads, siphash

SCRIPT = REPO_ROOT / "python" / "scripts" / "make_content_hash_vectors.py"
VECTORS = REPO_ROOT / "test" / "vectors"


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen():
    return _load(SCRIPT, "make_content_hash_vectors")


def test_committed_vectors_are_what_the_script_writes(gen):
    assert (VECTORS / "content_hash" / "vectors.json").read_text(encoding="utf-8") == gen.document()


def test_siphash_reference_vector():
    key = "".join(chr(i) for i in range(16))
    assert f"{siphash(bytes(range(15)), key):016x}" == "a129ca6149be45e5"


def test_typescript_profile_of_dataset_has_the_python_hash():
    ts = json.loads((VECTORS / "profile" / "ts_profile.json").read_text(encoding="utf-8"))["profile"]
    module = _load(REPO_ROOT / "python" / "scripts" / "make_profile_vectors.py", "make_profile_vectors")
    df = module.load_dataset()
    assert ts["content_hash"] == content_hash(df, ts["schema_fingerprint"])
    assert profile_dataframe(df)["content_hash"] == ts["content_hash"]


def _typed(series: pd.Series) -> pd.Series:
    """The object column with a proper dtype where all its values are of one kind."""
    values = [v for v in series if v is not None and not (isinstance(v, float) and np.isnan(v))]
    if values and all(isinstance(v, float) for v in values):
        return series.astype("float64")
    if values and all(isinstance(v, str) for v in values):
        return series.astype("string")
    if values and all(isinstance(v, bool) for v in values):
        return series.astype("boolean")
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return series.astype("Int64") if all(-(2**63) <= v < 2**63 for v in values) else series
    return series


def test_vector_tables_with_typed_dtypes_hash_the_same(gen):
    doc = json.loads((VECTORS / "content_hash" / "vectors.json").read_text(encoding="utf-8"))
    for table in doc["tables"]:
        df = gen.table_frame(table)
        typed = pd.DataFrame({c: _typed(df[c]) for c in df.columns}, columns=df.columns)
        assert content_hash(typed, "") == table["digest"], table["name"]


def _frame(rows: int = 50, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    amount = rng.normal(size=rows)
    amount[rng.random(rows) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(rows, dtype="int64"),
            "amount": amount,
            "city": pd.Series(rng.choice(["Paris", "Zürich", None], rows), dtype=object),
            "flag": rng.random(rows) < 0.5,
            "at": pd.to_datetime(1_700_000_000_000 + rng.integers(0, 10**9, rows), unit="ms", utc=True),
        }
    )


def test_row_order_and_column_order_do_not_matter():
    df = _frame()
    h = content_hash(df, "fp")
    assert content_hash(df.sample(frac=1, random_state=1), "fp") == h
    assert content_hash(df[list(reversed(df.columns))], "fp") == h
    batches = ContentHasher()
    batches.add(df.iloc[:20])
    batches.add(df.iloc[20:])
    assert batches.digest("fp") == h


def test_duplicates_changes_and_fingerprint_count():
    df = _frame()
    h = content_hash(df, "fp")
    assert content_hash(pd.concat([df, df.iloc[:1]]), "fp") != h
    changed = df.copy()
    changed.loc[3, "amount"] = 42.0
    assert content_hash(changed, "fp") != h
    assert content_hash(df, "other") != h


def test_equivalent_representations_hash_the_same():
    ints = pd.DataFrame({"x": np.array([1, 2, 3], dtype="int64")})
    for other in (
        pd.DataFrame({"x": np.array([1, 2, 3], dtype="int32")}),
        pd.DataFrame({"x": np.array([1.0, 2.0, 3.0])}),
        pd.DataFrame({"x": pd.array([1, 2, 3], dtype="Int64")}),
        pd.DataFrame({"x": pd.Series([1, 2, 3], dtype="int64[pyarrow]")}),
        pd.DataFrame({"x": pd.Series([1, 2, 3], dtype=object)}),
    ):
        assert content_hash(other, "") == content_hash(ints, ""), other.dtypes
    strings = pd.DataFrame({"s": pd.Series(["a", None, "b"], dtype=object)})
    for other in (
        pd.DataFrame({"s": pd.Series(["a", None, "b"], dtype="string")}),
        pd.DataFrame({"s": pd.Categorical(["a", None, "b"], categories=["b", "a", "unused"])}),
    ):
        assert content_hash(other, "") == content_hash(strings, "")
    assert content_hash(pd.DataFrame({"z": [-0.0]}), "") == content_hash(pd.DataFrame({"z": [0.0]}), "")
    naive = pd.DataFrame({"t": pd.to_datetime(["2026-01-01 10:00:00.123"])})
    aware = pd.DataFrame({"t": pd.to_datetime(["2026-01-01 12:00:00.123+02:00"], utc=True)})
    assert content_hash(naive, "") == content_hash(aware, "")
    assert content_hash(pd.DataFrame({"t": naive["t"].astype("datetime64[us]")}), "") == content_hash(naive, "")


def test_big_integers_beyond_doubles_stay_exact():
    a = pd.DataFrame({"x": np.array([2**53 + 1], dtype="int64")})
    b = pd.DataFrame({"x": np.array([2**53], dtype="int64")})
    assert content_hash(a, "") != content_hash(b, "")
    assert content_hash(a, "") == content_hash(pd.DataFrame({"x": pd.Series([2**53 + 1], dtype=object)}), "")


def test_payloads_of_nulls_are_masked():
    x, nulls = column_payloads(pd.Series([1.0, np.nan]))
    assert nulls is not None and nulls.tolist() == [False, True]


def test_profile_option_and_report_fields():
    df = _frame(10)
    assert "content_hash" not in profile_dataframe(df, content_hash=False)
    profile = profile_dataframe(df)
    report = build_report(
        "p",
        "n",
        outputs=[{"dataset": "d", "profile": profile, "version": "delta:42"}],
        inputs=[{"dataset": "raw", "version": "lakefs:main@3f2a", "profile": profile_dataframe(df.iloc[:5])}],
    )
    assert validate_report(report) == []
    report["outputs"][0]["profile"]["content_hash"] = "rch1:xyz"
    report["inputs"][0]["version"] = ""
    problems = {p.split(": ", 1)[0] for p in validate_report(report)}
    assert problems == {"/outputs/0/profile/content_hash", "/inputs/0/version"}


def _reference_lanes(df: pd.DataFrame) -> tuple[str, str]:
    """docs/content-hash.md transcribed row by row with Python ints (slow, independent of the numpy passes)."""
    from rootline_emitter.content_hash import TAGS, _M1, _MASK, fmix64, value_payload

    def xs33(x: int) -> int:
        return x ^ (x >> 33)

    a = b = 0
    keys = [siphash(str(c)) for c in df.columns]
    for row in df.astype(object).itertuples(index=False):
        s = 0
        for key, v in zip(keys, row):
            if isinstance(v, float) and v != v:
                continue
            p = value_payload(v)
            if p is not None:
                s = (s + xs33((xs33(p[1] ^ TAGS[p[0]] ^ key) * _M1) & _MASK)) & _MASK
        a = (a + fmix64(s ^ TAGS[7])) & _MASK
        b = (b + fmix64(s ^ TAGS[8])) & _MASK
    return f"{a:016x}", f"{b:016x}"


def _every_dtype(rows: int = 40, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    floats = rng.normal(size=rows)
    floats[::7] = np.nan
    floats[1::9] = -0.0
    positive = np.abs(floats) + 1.0
    ints = rng.integers(-(10**6), 10**6, rows)
    big = ints.copy()
    big[::5] = 2**53 + 1
    nullable = pd.array(rng.integers(0, 9, rows), dtype="Int64")
    nullable[::4] = pd.NA
    nfloat = pd.array(rng.normal(size=rows), dtype="Float64")
    nfloat[::6] = pd.NA
    nfloat[1] = -0.0
    words = np.array(["a", "Zürich", "", "x" * 40, None], dtype=object)
    return pd.DataFrame(
        {
            "f": floats,
            "f_positive": positive,
            "f32": floats.astype("float32"),
            "i": ints,
            "i_big": big,
            "u": rng.integers(0, 2**63, rows, dtype="uint64") * 2,
            "n": nullable,
            "nf": nfloat,
            "s_object": pd.Series(words[rng.integers(0, 5, rows)], dtype=object),
            "s_str": pd.Series(words[rng.integers(0, 5, rows)], dtype="str"),
            "s_string": pd.Series(words[rng.integers(0, 5, rows)], dtype="string"),
            "cat": pd.Categorical(words[rng.integers(0, 4, rows)]),
            "flag": rng.random(rows) < 0.5,
            "at": pd.to_datetime(1_700_000_000_000 + rng.integers(0, 10**9, rows), unit="ms", utc=True),
            "mixed": pd.Series(rng.choice(np.array([1, "a", 2.5, True, None], dtype=object), rows), dtype=object),
            "empty": pd.Series([None] * rows, dtype=object),
        }
    )


@pytest.mark.parametrize("chunk", [7, 1 << 16])
def test_profile_and_hasher_agree_with_the_reference_on_every_dtype(monkeypatch, chunk):
    """profile_dataframe reuses its own passes for the hash; ContentHasher reads the columns itself; both
    equal a row-by-row transcription of the specification, across numpy chunk boundaries too."""
    ch = importlib.import_module("rootline_emitter.content_hash")  # the package's `content_hash` is the function
    monkeypatch.setattr(ch, "_CHUNK", chunk)
    df = _every_dtype()
    h = ContentHasher()
    h.add(df)
    assert h.lanes() == _reference_lanes(df)
    profile = profile_dataframe(df)
    assert profile["content_hash"] == h.digest(profile["schema_fingerprint"])
    some = profile_dataframe(df, columns=["f", "s_str"])
    assert some["content_hash"] == profile["content_hash"]
