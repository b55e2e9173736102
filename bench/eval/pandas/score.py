"""Scores a system's incidents against the ground truth of the pandas evaluation set (README.md, "Scoring").

    # a whole set: DATA/<scenario>/truth.json and RESULTS/<scenario>/incidents.jsonl
    python bench/eval/pandas/score.py --data DATA --results RESULTS [--json score.json] [--markdown score.md]
    # one scenario
    python bench/eval/pandas/score.py --truth DATA/x/truth.json --incidents RESULTS/x/incidents.jsonl
    # what a perfect monitor would write (to check an adapter or the scorer)
    python bench/eval/pandas/score.py --data DATA --write-oracle RESULTS

Standard library only: no dependency on Rootline's code, nor on pandas.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

GRACE_INTERVALS = 4
"""A fault's window ends this many run intervals of its pipeline after its last affected report."""
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
REQUIRED = ("incident_id", "pipeline", "culprit", "opened_run_id", "opened_event_time", "symptoms", "severity")

NodeKey = tuple[str, str]
RunKey = tuple[str, str, str]


class IncidentFormatError(ValueError):
    """An incidents.jsonl line that does not follow the documented format."""


def parse_time(text: str) -> dt.datetime:
    """RFC 3339 -> aware datetime (``Z`` or an offset; any number of fraction digits)."""
    t = text.strip()
    if t[-1] in "zZ":
        t = t[:-1] + "+00:00"
    if "." in t:
        head, rest = t.split(".", 1)
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        t = f"{head}.{(digits + '000000')[:6]}{rest}"
    value = dt.datetime.fromisoformat(t.replace("t", "T"))
    if value.tzinfo is None:
        raise ValueError(f"time without offset: {text!r}")
    return value


def read_incidents(path: Path) -> list[dict[str, Any]]:
    """The incidents of one scenario; raises ``IncidentFormatError`` naming the line of a bad one."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                inc = json.loads(line)
            except json.JSONDecodeError as e:
                raise IncidentFormatError(f"{path}:{no}: not JSON: {e}") from e
            missing = [k for k in REQUIRED if k not in inc]
            if missing:
                raise IncidentFormatError(f"{path}:{no}: missing {missing}")
            try:
                inc["_opened"] = parse_time(str(inc["opened_event_time"]))
            except ValueError as e:
                raise IncidentFormatError(f"{path}:{no}: opened_event_time: {e}") from e
            if not isinstance(inc["symptoms"], list):
                raise IncidentFormatError(f"{path}:{no}: symptoms must be an array")
            out.append(inc)
    return out


def _targets(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Faults and intended changes with their node sets and time windows."""
    out = []
    for entry, intended in [(f, False) for f in truth["faults"]] + [(c, True) for c in truth["intended_changes"]]:
        culprit = (entry["culprit"]["pipeline"], entry["culprit"]["node"])
        nodes = {(n["pipeline"], n["node"]) for n in entry["touched_nodes"]} | {culprit}
        start = parse_time(entry["start_time"])
        end = parse_time(entry["end_time"]) + dt.timedelta(seconds=GRACE_INTERVALS * entry["interval_s"])
        runs = {(r["pipeline"], r["node"], r["run_id"]) for r in entry["affected_node_runs"]}
        out.append(
            {
                "entry": entry,
                "intended": intended,
                "culprit": culprit,
                "nodes": nodes,
                "runs": runs,
                "start": start,
                "end": end,
                "interval_s": entry["interval_s"],
                "incidents": [],
            }
        )
    return out


def _related(inc: dict[str, Any], target: dict[str, Any]) -> bool:
    if not target["start"] <= inc["_opened"] <= target["end"]:
        return False
    if (inc["pipeline"], inc["culprit"]) in target["nodes"]:
        return True
    return any(
        (s.get("pipeline", inc["pipeline"]), s.get("node"), str(s.get("run_id"))) in target["runs"] for s in inc["symptoms"]
    )


def score_scenario(truth: dict[str, Any], incidents: list[dict[str, Any]]) -> dict[str, Any]:
    """Matches one scenario's incidents to its faults and intended changes (README.md, "Matching")."""
    targets = _targets(truth)
    healthy = {(h["pipeline"], h["node"], h["run_id"]) for h in truth["healthy_node_runs"]}
    false_incidents, unmatched_other = [], []
    for inc in sorted(incidents, key=lambda i: (i["_opened"], str(i["incident_id"]))):
        related = [t for t in targets if _related(inc, t)]
        if related:
            related.sort(
                key=lambda t: (t["culprit"] != (inc["pipeline"], inc["culprit"]), t["intended"], t["start"], t["entry"]["id"])
            )
            related[0]["incidents"].append(inc)
            continue
        key = (inc["pipeline"], inc["culprit"], str(inc["opened_run_id"]))
        brief = {k: inc[k] for k in ("incident_id", "pipeline", "culprit", "opened_run_id", "opened_event_time")}
        if key in healthy:
            false_incidents.append(brief)
        else:
            unmatched_other.append(brief)
    faults, changes = [], []
    for t in targets:
        e = t["entry"]
        matched = sorted(t["incidents"], key=lambda i: (i["_opened"], str(i["incident_id"])))
        names = [(i["pipeline"], i["culprit"]) for i in matched]
        if not t["intended"]:
            first = matched[0] if matched else None
            faults.append(
                {
                    "id": e["id"],
                    "kind": e["kind"],
                    "culprit": e["culprit"],
                    "expected_detected": e["expected_detected"],
                    "incidents": len(matched),
                    "detected": bool(matched),
                    "culprit_right": bool(matched) and names[0] == t["culprit"],
                    "culprit_named_by_any": t["culprit"] in names,
                    "named": [f"{p}/{n}" for p, n in names],
                    "delay_runs": (
                        round((first["_opened"] - t["start"]).total_seconds() / t["interval_s"], 2) if first else None
                    ),
                    "incident_ids": [i["incident_id"] for i in matched],
                }
            )
        else:
            allowed = e.get("allowed") or {}
            cap = int(allowed.get("max_incidents", 0))
            max_sev = SEVERITY_RANK.get(str(allowed.get("max_severity", "critical")), 2)
            want = allowed.get("culprit", e["culprit"]["node"])
            ok = 0
            problems = []
            for inc in matched:
                sev = SEVERITY_RANK.get(str(inc["severity"]).lower(), 2)
                if inc["culprit"] != want:
                    problems.append(f"{inc['incident_id']}: culprit {inc['culprit']} (allowed: {want})")
                elif sev > max_sev:
                    problems.append(f"{inc['incident_id']}: severity {inc['severity']} (allowed up to {allowed.get('max_severity')})")
                elif ok >= cap:
                    problems.append(f"{inc['incident_id']}: more than {cap} incident(s)")
                else:
                    ok += 1
            changes.append(
                {
                    "id": e["id"],
                    "kind": e["kind"],
                    "incidents": len(matched),
                    "violations": len(problems),
                    "problems": problems,
                }
            )
    return {
        "scenario_id": truth["scenario_id"],
        "situation": truth["situation"],
        "healthy_node_runs": len(healthy),
        "incidents": len(incidents),
        "faults": faults,
        "intended_changes": changes,
        "false_incidents": false_incidents,
        "unmatched_other": unmatched_other,
    }


def aggregate(results: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Sums per-scenario results into one row of the table."""
    rows = list(results)
    faults = [f for r in rows for f in r["faults"]]
    expected = [f for f in faults if f["expected_detected"]]
    optional = [f for f in faults if not f["expected_detected"]]
    detected = [f for f in expected if f["detected"]]
    healthy = sum(r["healthy_node_runs"] for r in rows)
    false = sum(len(r["false_incidents"]) for r in rows)
    delays = [f["delay_runs"] for f in detected if f["delay_runs"] is not None]
    changes = [c for r in rows for c in r["intended_changes"]]
    return {
        "scenarios": len(rows),
        "faults_expected": len(expected),
        "detected": len(detected),
        "culprit_right": sum(f["culprit_right"] for f in expected),
        "culprit_right_rate": round(sum(f["culprit_right"] for f in expected) / len(expected), 4) if expected else None,
        "incidents_per_fault": round(statistics.mean(f["incidents"] for f in detected), 3) if detected else None,
        "median_delay_runs": round(statistics.median(delays), 2) if delays else None,
        "optional_faults": len(optional),
        "optional_flagged": sum(f["detected"] for f in optional),
        "optional_culprit_right": sum(f["culprit_right"] for f in optional),
        "intended_changes": len(changes),
        "change_violations": sum(c["violations"] for c in changes),
        "healthy_node_runs": healthy,
        "false_incidents": false,
        "false_per_1000": round(1000 * false / healthy, 3) if healthy else None,
        "unmatched_other": sum(len(r["unmatched_other"]) for r in rows),
    }


def markdown(summary: dict[str, Any]) -> str:
    """The score as a Markdown table, one row per situation and a total."""

    def cell(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:.3f}".rstrip("0").rstrip(".") if v % 1 else f"{v:.0f}"
        return str(v)

    head = (
        "| situation | scenarios | faults | detected | culprit right | incidents / fault | median delay (runs) "
        "| healthy node-runs | false incidents | false / 1k | changes | change violations | optional flagged |"
    )
    lines = [head, "|" + "---|" * 13]
    rows = list(summary["situations"].items()) + [("**all**", summary["overall"])]
    for name, m in rows:
        right = f"{m['culprit_right']}/{m['faults_expected']}" if m["faults_expected"] else "-"
        if m["culprit_right_rate"] is not None:
            right += f" ({m['culprit_right_rate']:.0%})"
        lines.append(
            "| "
            + " | ".join(
                cell(x)
                for x in (
                    name,
                    m["scenarios"],
                    m["faults_expected"],
                    m["detected"],
                    right,
                    m["incidents_per_fault"],
                    m["median_delay_runs"],
                    m["healthy_node_runs"],
                    m["false_incidents"],
                    m["false_per_1000"],
                    m["intended_changes"],
                    m["change_violations"],
                    f"{m['optional_flagged']}/{m['optional_faults']}" if m["optional_faults"] else "-",
                )
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def score_set(data: Path, results: Path, allow_missing: bool = False) -> dict[str, Any]:
    """Scores every scenario folder of ``data`` (those with a truth.json) against ``results``."""
    per: list[dict[str, Any]] = []
    missing: list[str] = []
    for truth_path in sorted(data.glob("*/truth.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        inc_path = results / truth_path.parent.name / "incidents.jsonl"
        if not inc_path.exists():
            missing.append(truth_path.parent.name)
            if not allow_missing:
                continue
            incidents: list[dict[str, Any]] = []
        else:
            incidents = read_incidents(inc_path)
        per.append(score_scenario(truth, incidents))
    if missing and not allow_missing:
        raise FileNotFoundError(
            f"no incidents.jsonl for {len(missing)} scenario(s) under {results}: {missing[:5]}... "
            "(--allow-missing scores them as 'no incident')"
        )
    situations: dict[str, list[dict[str, Any]]] = {}
    for r in per:
        situations.setdefault(r["situation"], []).append(r)
    return {
        "format": "rootline.eval.pandas.score/v1",
        "situations": {name: aggregate(rows) for name, rows in situations.items()},
        "overall": aggregate(per),
        "missing_incident_files": missing,
        "scenarios": per,
    }


def oracle_incidents(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """What a perfect monitor writes: one incident per expected fault, naming its culprit, opened at its first
    affected report, with the downstream affected node-runs as symptoms; nothing for healthy runs or changes."""
    out = []
    for f in truth["faults"]:
        if not f["expected_detected"]:
            continue
        culprit = f["culprit"]
        runs = [r for r in f["affected_node_runs"] if (r["pipeline"], r["node"]) == (culprit["pipeline"], culprit["node"])]
        first = runs[0] if runs else f["active_runs"][0]
        opened = first["event_time"]
        if f.get("silent"):
            # silence is noticed after 3 usual intervals
            opened = (parse_time(f["start_time"]) + dt.timedelta(seconds=3.5 * f["interval_s"])).isoformat()
        out.append(
            {
                "incident_id": f"oracle-{truth['scenario_id']}-{f['id']}",
                "pipeline": culprit["pipeline"],
                "culprit": culprit["node"],
                "opened_run_id": first["run_id"],
                "opened_event_time": opened,
                "symptoms": [
                    {"pipeline": r["pipeline"], "node": r["node"], "run_id": r["run_id"]}
                    for r in f["affected_node_runs"]
                    if (r["pipeline"], r["node"]) != (culprit["pipeline"], culprit["node"])
                ],
                "severity": "critical",
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, help="the generated set (folders with truth.json)")
    ap.add_argument("--results", type=Path, help="RESULTS/<scenario_id>/incidents.jsonl")
    ap.add_argument("--truth", type=Path, help="one scenario's truth.json (with --incidents)")
    ap.add_argument("--incidents", type=Path, help="one scenario's incidents.jsonl")
    ap.add_argument("--json", type=Path, help="write the full score (per scenario and fault) as JSON here")
    ap.add_argument("--markdown", type=Path, help="write the Markdown table here (it is always printed)")
    ap.add_argument("--allow-missing", action="store_true", help="a scenario without incidents.jsonl has none")
    ap.add_argument("--write-oracle", type=Path, help="write a perfect monitor's incidents for --data here and exit")
    args = ap.parse_args(argv)
    try:
        if args.write_oracle:
            if not args.data:
                ap.error("--write-oracle needs --data")
            for truth_path in sorted(args.data.glob("*/truth.json")):
                truth = json.loads(truth_path.read_text(encoding="utf-8"))
                target = args.write_oracle / truth_path.parent.name
                target.mkdir(parents=True, exist_ok=True)
                with open(target / "incidents.jsonl", "w", encoding="utf-8") as fh:
                    for inc in oracle_incidents(truth):
                        fh.write(json.dumps(inc) + "\n")
            return 0
        if args.truth:
            if not args.incidents:
                ap.error("--truth needs --incidents")
            truth = json.loads(args.truth.read_text(encoding="utf-8"))
            one = score_scenario(truth, read_incidents(args.incidents))
            summary = {
                "format": "rootline.eval.pandas.score/v1",
                "situations": {one["situation"]: aggregate([one])},
                "overall": aggregate([one]),
                "missing_incident_files": [],
                "scenarios": [one],
            }
        elif args.data and args.results:
            summary = score_set(args.data, args.results, args.allow_missing)
        else:
            ap.error("give --data and --results, or --truth and --incidents")
    except (IncidentFormatError, FileNotFoundError) as e:
        print(f"score: {e}", file=sys.stderr)
        return 2
    table = markdown(summary)
    print(table, end="")
    if args.markdown:
        args.markdown.write_text(table, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
