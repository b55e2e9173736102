"""A naive reference monitor, to calibrate scores: NOT Rootline, and deliberately simple.

It applies the seed thresholds literally (row count more than 5% from the median of the node's last 20
healthy runs; a null ratio above 0.02 and 0.02 above its median; any schema fingerprint change; silence
longer than 3 usual intervals), with no seasonality, no drift test and no waiting for late parents. The
culprit of an anomaly is the anomalous parent run it read, recursively; an anomaly whose parents' runs are
not anomalous (or not seen yet) opens an incident, unless its node had one open (anomalous in the last
2 runs). It writes RESULTS/<scenario>/incidents.jsonl in the format score.py reads.

    python bench/eval/pandas/naive_baseline.py --data DATA --results RESULTS
    python bench/eval/pandas/score.py --data DATA --results RESULTS
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from score import parse_time


def run(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The incidents the naive monitor opens on one scenario's reports, in arrival order."""
    seen: set[str] = set()
    rows: dict[tuple[str, str], list[int]] = {}
    nulls: dict[tuple[str, str, str], list[float]] = {}
    fingerprint: dict[tuple[str, str], str] = {}
    last_time: dict[tuple[str, str], list[float]] = {}
    root_of: dict[tuple[str, str, str], str] = {}
    open_until: dict[tuple[str, str], tuple[int, str]] = {}
    run_index: dict[tuple[str, str], int] = {}
    silent_flagged: set[tuple[str, str]] = set()
    incidents: dict[str, dict[str, Any]] = {}

    def new_incident(node: tuple[str, str], run_id: str, when: str, severity: str) -> str:
        iid = f"naive-{len(incidents) + 1}"
        incidents[iid] = {
            "incident_id": iid,
            "pipeline": node[0],
            "culprit": node[1],
            "opened_run_id": run_id,
            "opened_event_time": when,
            "symptoms": [],
            "severity": severity,
        }
        return iid

    for r in reports:
        if r["event_id"] in seen:
            continue
        seen.add(r["event_id"])
        node = (r["pipeline"], r["node"])
        now = parse_time(r["event_time"]).timestamp()
        for other, times in last_time.items():
            if other in silent_flagged or len(times) < 5 or other[0] != node[0]:
                continue
            window = times[-21:]
            usual = statistics.median(b - a for a, b in zip(window, window[1:]))
            if now - times[-1] > 3 * usual:
                silent_flagged.add(other)
                new_incident(other, "silence", r["event_time"], "warning")
        last_time.setdefault(node, []).append(now)
        silent_flagged.discard(node)
        i = run_index[node] = run_index.get(node, -1) + 1
        profile = r["outputs"][0]["profile"]
        anomalous, severity = False, "warning"
        hist = rows.setdefault(node, [])
        if len(hist) >= 5:
            med = statistics.median(hist[-20:])
            if med and abs(profile["row_count"] - med) / med > 0.05:
                anomalous = True
        fp = profile.get("schema_fingerprint")
        if node in fingerprint and fp != fingerprint[node]:
            anomalous, severity = True, "critical"
        ratios = {}
        for col, c in profile.get("columns", {}).items():
            if not c["count"]:
                continue
            ratio = c["null_count"] / c["count"]
            ratios[col] = ratio
            past = nulls.get((*node, col), [])
            if ratio > 0.02 and ratio > (statistics.median(past[-20:]) if past else 0.0) + 0.02:
                anomalous, severity = True, "critical"
        key = (*node, r["run_id"])
        if not anomalous:
            hist.append(profile["row_count"])
            fingerprint[node] = fp or ""
            for col, ratio in ratios.items():
                nulls.setdefault((*node, col), []).append(ratio)
            continue
        parents = [(u.get("pipeline", r["pipeline"]), u["node"], u.get("run_id", "")) for u in r.get("upstream", [])]
        roots = [root_of[p] for p in parents if p in root_of]
        if roots:
            root_of[key] = roots[0]
            incidents[roots[0]]["symptoms"].append({"pipeline": node[0], "node": node[1], "run_id": r["run_id"]})
            continue
        current = open_until.get(node)
        if current is not None and i - current[0] <= 2:
            iid = current[1]
        else:
            iid = new_incident(node, r["run_id"], r["event_time"], severity)
        open_until[node] = (i, iid)
        root_of[key] = iid
    return list(incidents.values())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--results", type=Path, required=True)
    args = ap.parse_args(argv)
    for folder in sorted(p.parent for p in args.data.glob("*/reports.jsonl")):
        reports = [json.loads(line) for line in (folder / "reports.jsonl").read_text(encoding="utf-8").splitlines()]
        out = args.results / folder.name
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "incidents.jsonl", "w", encoding="utf-8") as fh:
            for inc in run(reports):
                fh.write(json.dumps(inc) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
