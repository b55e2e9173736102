"""A Parquet file for `rootline profile` / profileFile, with the Python emitter's profile of the same data.

    "$PY" scripts/vectors/profile_parquet_vectors.py      # PY=$(scripts/pyenv.sh)

Writes test/vectors/profile/parquet/dataset.parquet: the columns of test/vectors/profile/dataset.json
that Parquet can hold (all but the mixed-type `misc`), written by pyarrow in row groups of 64 rows, with
`id` and `active` declared non-nullable (REQUIRED), as their pandas dtypes (int64, bool) cannot hold a
null. And python_profile.json: profile_dataframe(pandas.read_parquet(that file)) with the dataset's
profile options. test/profile/file.test.ts profiles the file in TypeScript and compares.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "vectors" / "profile" / "parquet"
sys.path.insert(0, str(ROOT / "python" / "src"))
from rootline_emitter import profile_dataframe  # noqa: E402


def load_dataset_module():
    spec = importlib.util.spec_from_file_location("make_profile_vectors", ROOT / "python" / "scripts" / "make_profile_vectors.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    vectors = load_dataset_module()
    doc = json.loads(vectors.DATASET.read_text(encoding="utf-8"))
    df = vectors.dataset_to_frame(doc).drop(columns=["misc"])
    table = pa.Table.from_pandas(df, preserve_index=False)
    required = {"id", "active"}
    schema = pa.schema([f.with_nullable(f.name not in required) for f in table.schema], metadata=table.schema.metadata)
    table = table.cast(schema)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "dataset.parquet"
    pq.write_table(table, path, row_group_size=64, compression="snappy")
    back = pd.read_parquet(path)
    profile = profile_dataframe(back, **doc["profile_options"])
    (OUT / "python_profile.json").write_text(
        json.dumps(
            {
                "generated_by": "scripts/vectors/profile_parquet_vectors.py",
                "versions": {"pyarrow": pa.__version__, "pandas": pd.__version__},
                "dtypes_read_back": {c: str(t) for c, t in back.dtypes.items()},
                "profile_options": doc["profile_options"],
                "profile": profile,
            },
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {path.relative_to(ROOT)} ({table.num_rows} rows, {pq.ParquetFile(path).num_row_groups} row groups)")


if __name__ == "__main__":
    main()
