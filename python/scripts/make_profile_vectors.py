"""Cross-language profile vectors: test/vectors/profile/dataset.json and python_profile.json.

    "$PY" python/scripts/make_profile_vectors.py                      # python_profile.json from dataset.json
    "$PY" python/scripts/make_profile_vectors.py --regenerate-dataset # also rewrite dataset.json (seeded)

dataset.json is a small DataFrame written column by column with an explicit pandas dtype each (the
encoding is in python/README.md, "dataset.json"). python_profile.json is what ``profile_dataframe`` makes
of it, KLL sketches included; the TypeScript profiler profiles the same dataset and compares. KLL
compaction is randomized, so a rerun changes the sketches' bytes (not their n, min, max or accuracy).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "test" / "vectors" / "profile"
DATASET = VECTORS / "dataset.json"
PROFILE = VECTORS / "python_profile.json"
PROFILE_OPTIONS = {"sketch": "kll", "k": 200, "top_k": 5}

sys.path.insert(0, str(ROOT / "python" / "src"))
from rootline_emitter import profile_dataframe  # noqa: E402


def load_dataset(path: str | os.PathLike[str] = DATASET) -> pd.DataFrame:
    """Reads dataset.json into a DataFrame with each column's declared dtype."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    return dataset_to_frame(doc)


def dataset_to_frame(doc: dict[str, Any]) -> pd.DataFrame:
    columns: dict[str, Any] = {}
    for col in doc["columns"]:
        dtype, values = col["dtype"], col["values"]
        if dtype == "float64":
            data: Any = pd.Series([np.nan if v is None else v for v in values], dtype="float64")
        elif dtype == "category":
            data = pd.Series(pd.Categorical(values, categories=col["categories"]))
        elif dtype.startswith("datetime64"):
            data = pd.Series(pd.to_datetime(values, utc=True, format="ISO8601")).astype(dtype)
        elif dtype == "object":
            data = pd.Series(values, dtype=object)
        else:  # int64, Int64, bool, string: None is the missing value where the dtype has one
            data = pd.Series(values, dtype=dtype)
        if len(data) != doc["row_count"]:
            raise ValueError(f"column {col['name']}: {len(data)} values, row_count is {doc['row_count']}")
        columns[col["name"]] = data
    return pd.DataFrame(columns)


def _repeat(counts: list[tuple[Any, int]]) -> list[Any]:
    # (value, count) pairs rather than a dict: True and 1 are one dict key.
    out: list[Any] = []
    for value, n in counts:
        out += [value] * n
    return out


def make_dataset(rows: int = 300, seed: int = 20261121) -> dict[str, Any]:
    """The dataset, seeded. Categorical counts are fixed (with ties) so top-k tie-breaking is exercised."""
    rng = np.random.default_rng(seed)

    def shuffled(values: list[Any]) -> list[Any]:
        assert len(values) == rows, len(values)
        return [values[i] for i in rng.permutation(rows)]

    qty: list[Any] = rng.integers(0, 21, rows).tolist()
    for i in rng.choice(rows, 30, replace=False):
        qty[i] = None
    amount: list[Any] = np.round(rng.lognormal(3.0, 0.8, rows), 2).tolist()
    amount[:3] = [-12.5, 0.0, 1e6]
    for i in rng.choice(range(3, rows), 24, replace=False):
        amount[i] = None
    city = shuffled(_repeat([
        ("Paris", 60), ("Lyon", 40), ("Berlin", 40), ("Zürich", 30), ("São Paulo", 30), ("東京", 30),
        ("Oslo", 20), ("New York", 20), ("", 10), (None, 20),
    ]))
    segment = shuffled(_repeat([("gold", 100), ("silver", 100), ("bronze", 80), (None, 20)]))
    stamps = [f"2026-11-21T{h:02d}:{(7 * h) % 60:02d}:{(13 * h) % 60:02d}.{(37 * h) % 1000:03d}Z" for h in range(12)]
    created = shuffled(_repeat([(s, 30 if i < 3 else 20) for i, s in enumerate(stamps)] + [(None, 30)]))
    misc = shuffled(_repeat([
        (1, 50), (2, 40), ("a", 50), ("b", 30), (True, 40), (False, 20), (2.5, 30), (-0.125, 10), (None, 30),
    ]))
    return {
        "description": "Cross-language profile vectors (python/README.md, 'dataset.json'). "
        "Written by python/scripts/make_profile_vectors.py --regenerate-dataset.",
        "row_count": rows,
        "profile_options": PROFILE_OPTIONS,
        "columns": [
            {"name": "id", "dtype": "int64", "values": (rng.permutation(rows) + 1).tolist()},
            {"name": "qty", "dtype": "Int64", "values": qty},
            {"name": "amount", "dtype": "float64", "values": amount},
            {"name": "active", "dtype": "bool", "values": (rng.random(rows) < 0.7).tolist()},
            {"name": "city", "dtype": "string", "values": city},
            {"name": "segment", "dtype": "category", "categories": ["gold", "silver", "bronze", "unused"], "values": segment},
            {"name": "created_at", "dtype": "datetime64[ns, UTC]", "values": created},
            {"name": "misc", "dtype": "object", "values": misc},
        ],
    }


def write_json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_dataset(path: Path, doc: dict[str, Any]) -> None:
    """dataset.json with one column per line, so a diff shows which column changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head = {k: v for k, v in doc.items() if k != "columns"}
    lines = [f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    cols = [f"  {json.dumps(c, ensure_ascii=False, separators=(',', ':'))}" for c in doc["columns"]]
    text = "{\n" + "\n".join(lines) + '\n "columns": [\n' + ",\n".join(cols) + "\n ]\n}\n"
    json.loads(text)  # stays valid JSON
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regenerate-dataset", action="store_true", help="rewrite dataset.json too")
    args = parser.parse_args()
    if args.regenerate_dataset or not DATASET.exists():
        write_dataset(DATASET, make_dataset())
    doc = json.loads(DATASET.read_text(encoding="utf-8"))
    profile = profile_dataframe(dataset_to_frame(doc), **doc["profile_options"])
    import datasketches

    write_json(PROFILE, {
        "generated_by": "python/scripts/make_profile_vectors.py",
        "versions": {
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "datasketches": getattr(datasketches, "__version__", "5.2.0"),
        },
        "profile_options": doc["profile_options"],
        "profile": profile,
    })
    print(f"wrote {PROFILE.relative_to(ROOT)} ({profile['row_count']} rows, {len(profile['columns'])} columns)")


if __name__ == "__main__":
    main()
