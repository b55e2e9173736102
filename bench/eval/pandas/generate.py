"""Generates the pandas evaluation set: per scenario a folder with ``reports.jsonl`` (rootline.report/v1,
arrival order) and ``truth.json``; plus ``index.json`` for the whole set. See README.md.

    PY=$(scripts/pyenv.sh)
    "$PY" bench/eval/pandas/generate.py --size small --seed 1 --out /tmp/rootline-eval
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# one BLAS thread: the machine is shared, and the matrices are tiny
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "python" / "src"))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

from scenarios import SITUATIONS, generate  # noqa: E402
from scenarios.core import stable_hash  # noqa: E402
from scenarios.ledger import LEDGER_SITUATIONS  # noqa: E402
from scenarios.telemetry import TELEMETRY_SITUATIONS  # noqa: E402

DOMAINS = {"commerce": SITUATIONS, "telemetry": TELEMETRY_SITUATIONS, "ledger": LEDGER_SITUATIONS}
"""The situations of each domain (commerce: scenarios/families.py; telemetry: scenarios/telemetry.py; ledger:
scenarios/ledger.py)."""

COUNTS = {"small": 2, "full": 5}
"""Scenarios per situation (seasonality cycles through its weekly / hourly / month-end variants)."""


def build_all(
    size: str, seed: int, situations: list[str] | None = None, per_situation: int | None = None, domain: str = "commerce"
) -> list:
    """Every scenario of the set, deterministic given ``size``, ``seed`` and ``domain``."""
    out = []
    n = per_situation or COUNTS[size]
    for name, builder in DOMAINS[domain].items():
        if situations and name not in situations:
            continue
        for index in range(n):
            # commerce keeps its original seeds (its output is unchanged); other domains hash their name in
            key = (seed, name, index) if domain == "commerce" else (seed, domain, name, index)
            scenario_seed = stable_hash(*key) & 0x7FFFFFFF
            rng = np.random.default_rng(scenario_seed)
            out.append(builder(rng, size, scenario_seed, index))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=sorted(COUNTS), default="small")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True, help="output folder (created; existing scenarios overwritten)")
    ap.add_argument("--domain", choices=sorted(DOMAINS), default="commerce",
                    help="which pipelines: commerce (default), telemetry (IoT sensor readings) or ledger (payments, FX)")
    ap.add_argument("--situations", help="comma-separated subset of the domain's situations (commerce: "
                    + ",".join(SITUATIONS) + "; telemetry: " + ",".join(TELEMETRY_SITUATIONS) + "; ledger: "
                    + ",".join(LEDGER_SITUATIONS) + ")")
    ap.add_argument("--per-situation", type=int, help="scenarios per situation (default: 2 small, 5 full)")
    ap.add_argument(
        "--sketch",
        choices=["kll", "sample"],
        default="kll",
        help="numeric distributions as KLL sketches (default, what the emitter sends; their bytes are not "
        "reproducible) or as seeded uniform samples of 2,000 values (byte-identical output for a seed)",
    )
    args = ap.parse_args(argv)
    chosen = args.situations.split(",") if args.situations else None
    unknown = [s for s in chosen or [] if s not in DOMAINS[args.domain]]
    if unknown:
        ap.error(f"unknown situations: {unknown}")
    t0 = time.perf_counter()
    scenarios = build_all(args.size, args.seed, chosen, args.per_situation, args.domain)
    args.out.mkdir(parents=True, exist_ok=True)
    summaries = []
    for scn in scenarios:
        scn.sketch = args.sketch
        t = time.perf_counter()
        summary = generate(scn, args.out / scn.id)
        summary["seconds"] = round(time.perf_counter() - t, 2)
        summaries.append(summary)
        print(
            f"{scn.id:24s} {summary['node_runs']:6d} node-runs {summary['healthy_node_runs']:6d} healthy "
            f"{summary['faults']} fault(s) {summary['intended_changes']} change(s) {summary['seconds']:6.2f}s",
            flush=True,
        )
    total = {
        k: sum(s[k] for s in summaries) for k in ("reports", "node_runs", "healthy_node_runs", "faults", "intended_changes")
    }
    index = {
        "format": "rootline.eval.pandas.index/v1",
        "size": args.size,
        "seed": args.seed,
        "sketch": args.sketch,
        **({"domain": args.domain} if args.domain != "commerce" else {}),
        "seconds": round(time.perf_counter() - t0, 1),
        "totals": total,
        "scenarios": summaries,
    }
    (args.out / "index.json").write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    print(f"{len(summaries)} scenarios, {total} in {index['seconds']} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
