"""OpenLineage RunEvents as the real openlineage-python client emits them, for the adapter's tests.

    "$PY" scripts/vectors/openlineage_events.py      # PY=$(scripts/pyenv.sh)

Builds RunEvents with the client's own classes and facets (event_v2, facet_v2), emits them through an
OpenLineageClient with its FileTransport (append mode: one JSON document per line, exactly what the
client serializes), and splits that file into test/vectors/openlineage/<name>.json. manifest.json lists
each event with what the TypeScript adapter must make of it that Python can compute independently: the
report's event_id, uuid5(namespace, "<runId>:<eventType>") with Python's uuid module.

Everything is fixed (run ids, times, facets), so a re-run writes identical files, except the client's
own `producer` URL, which names the client version.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from importlib.metadata import version
from pathlib import Path

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    data_quality_metrics_input_dataset,
    dataset_version_dataset,
    input_statistics_input_dataset,
    output_statistics_output_dataset,
    parent_run,
    schema_dataset,
    source_code_job,
    source_code_location_job,
    sql_job,
)
from openlineage.client.transport.file import FileConfig, FileTransport

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "vectors" / "openlineage"
PRODUCER = "https://github.com/rootline/rootline/scripts/vectors/openlineage_events.py"
# must equal src/openlineage/uuid.ts OPENLINEAGE_UUID_NAMESPACE
EVENT_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://rootline.dev/openlineage")


def run_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.runs.rootline.test"))


def schema(*fields: tuple[str, str]) -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in fields])


def metrics(row_count: int, columns: dict[str, dict]) -> data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet:
    return data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
        rowCount=row_count,
        columnMetrics={name: data_quality_metrics_input_dataset.ColumnMetrics(**m) for name, m in columns.items()},
    )


def events() -> list[tuple[str, str, RunEvent]]:
    """(name, description, event)."""
    dag_run = run_id("churn_daily")
    parent = parent_run.ParentRunFacet(
        run=parent_run.Run(runId=dag_run),
        job=parent_run.Job(namespace="airflow-prod", name="churn_daily"),
        root=parent_run.Root(run=parent_run.RootRun(runId=dag_run), job=parent_run.RootJob(namespace="airflow-prod", name="churn_daily")),
    )
    clean = InputDataset(
        namespace="postgres://db.internal:5432",
        name="lake.clean.transactions",
        facets={"schema": schema(("customer_id", "VARCHAR(36)"), ("amount", "DECIMAL(10,2)"), ("ts", "TIMESTAMP"), ("country", "TEXT"))},
        inputFacets={
            "dataQualityMetrics": metrics(
                10_000,
                {
                    "customer_id": {"nullCount": 0, "distinctCount": 9_000},
                    "amount": {"nullCount": 12, "sum": 541_359.5, "count": 9_988, "min": 0.5, "max": 912.0, "quantiles": {"0.25": 20.5, "0.5": 41.0, "0.75": 70.25}},
                    "country": {"nullCount": 40, "distinctCount": 31},
                },
            ),
            "inputStatistics": input_statistics_input_dataset.InputStatisticsInputDatasetFacet(rowCount=10_000, size=1_234_567),
        },
    )
    customers = InputDataset(namespace="postgres://db.internal:5432", name="lake.clean.customers")
    avg_amount = OutputDataset(
        namespace="s3://lake",
        name="features/avg_amount",
        facets={
            "schema": schema(("customer_id", "VARCHAR(36)"), ("avg_amount", "DOUBLE"), ("n_tx", "BIGINT")),
            "version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion="snapshot-2026-11-21T10"),
            "columnLineage": column_lineage_dataset.ColumnLineageDatasetFacet(
                fields={
                    "avg_amount": column_lineage_dataset.Fields(
                        inputFields=[column_lineage_dataset.InputField(namespace="postgres://db.internal:5432", name="lake.clean.transactions", field="amount")]
                    ),
                    "customer_id": column_lineage_dataset.Fields(
                        inputFields=[
                            column_lineage_dataset.InputField(namespace="postgres://db.internal:5432", name="lake.clean.transactions", field="customer_id"),
                            column_lineage_dataset.InputField(namespace="postgres://db.internal:5432", name="lake.clean.customers", field="id"),
                        ]
                    ),
                }
            ),
        },
        outputFacets={"outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=9_000, size=345_678)},
    )
    job_full = Job(
        namespace="airflow-prod",
        name="churn_daily.compute_avg_amount",
        facets={
            "sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet(
                type="git", url="https://github.com/acme/pipelines/blob/3f2a9c1/dags/churn.py", repoUrl="https://github.com/acme/pipelines.git", path="dags/churn.py", version="3f2a9c1"
            )
        },
    )
    out: list[tuple[str, str, RunEvent]] = []
    rid = run_id("compute_avg_amount-1")
    out.append(("start", "START of the run below: no outcome yet, ignored", RunEvent(eventType=RunState.START, eventTime="2026-11-21T10:00:00.000000+00:00", run=Run(runId=rid, facets={"parent": parent}), job=job_full, inputs=[clean], outputs=[OutputDataset(namespace="s3://lake", name="features/avg_amount")], producer=PRODUCER)))
    out.append(("running", "RUNNING: ignored", RunEvent(eventType=RunState.RUNNING, eventTime="2026-11-21T10:00:02.500000+00:00", run=Run(runId=rid), job=job_full, producer=PRODUCER)))
    out.append(
        (
            "complete_full",
            "COMPLETE with a parent (Airflow DAG), source code location, input schema + dataQualityMetrics + inputStatistics, output schema + outputStatistics + version + columnLineage",
            RunEvent(eventType=RunState.COMPLETE, eventTime="2026-11-21T10:00:05.123456+00:00", run=Run(runId=rid, facets={"parent": parent}), job=job_full, inputs=[clean, customers], outputs=[avg_amount], producer=PRODUCER),
        )
    )
    out.append(
        (
            "fail_sql",
            "FAIL without a parent (pipeline = job namespace), SQL job facet, output with outputStatistics only",
            RunEvent(
                eventType=RunState.FAIL,
                eventTime="2026-11-21T11:30:00Z",
                run=Run(runId=run_id("dbt-orders-1")),
                job=Job(namespace="dbt-analytics", name="models.orders_enriched", facets={"sql": sql_job.SQLJobFacet(query="select o.*, c.segment from orders o join customers c using (customer_id)", dialect="postgres")}),
                inputs=[InputDataset(namespace="postgres://db.internal:5432", name="analytics.orders")],
                outputs=[OutputDataset(namespace="postgres://db.internal:5432", name="analytics.orders_enriched", outputFacets={"outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=0)})],
                producer=PRODUCER,
            ),
        )
    )
    out.append(
        (
            "complete_no_stats",
            "COMPLETE whose outputs carry no row count: nothing to profile, ignored",
            RunEvent(
                eventType=RunState.COMPLETE,
                eventTime="2026-11-21T12:00:00.000+00:00",
                run=Run(runId=run_id("export-1")),
                job=Job(namespace="batch", name="export_report"),
                inputs=[InputDataset(namespace="s3://lake", name="features/avg_amount")],
                outputs=[OutputDataset(namespace="s3://exports", name="reports/daily.csv", facets={"schema": schema(("customer_id", "STRING"))})],
                producer=PRODUCER,
            ),
        )
    )
    nested = schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(name="id", type="BIGINT"),
            schema_dataset.SchemaDatasetFacetFields(name="tags", type="array<string>"),
            schema_dataset.SchemaDatasetFacetFields(
                name="address",
                type="struct",
                fields=[schema_dataset.SchemaDatasetFacetFields(name="city", type="STRING"), schema_dataset.SchemaDatasetFacetFields(name="zip", type="INT")],
            ),
            schema_dataset.SchemaDatasetFacetFields(name="score", type="FLOAT"),
            schema_dataset.SchemaDatasetFacetFields(name="created", type="DATE"),
        ]
    )
    out.append(
        (
            "complete_nested_spark",
            "COMPLETE of a Spark job: nested schema (struct with fields, array), sourceCode facet, an event time with a +01:00 offset",
            RunEvent(
                eventType=RunState.COMPLETE,
                eventTime="2026-11-21T13:00:00.5+01:00",
                run=Run(runId=run_id("spark-users-1")),
                job=Job(namespace="spark-cluster", name="users_enrich.execute_insert_into", facets={"sourceCode": source_code_job.SourceCodeJobFacet(language="python", sourceCode="df = spark.table('raw.users')\n")}),
                inputs=[InputDataset(namespace="hive://metastore", name="raw.users", facets={"schema": nested})],
                outputs=[
                    OutputDataset(
                        namespace="hive://metastore",
                        name="curated.users",
                        facets={"schema": nested},
                        outputFacets={"outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=1_500, size=98_765, fileCount=3)},
                    )
                ],
                producer=PRODUCER,
            ),
        )
    )
    out.append(("abort", "ABORT: ignored", RunEvent(eventType=RunState.ABORT, eventTime="2026-11-21T14:00:00Z", run=Run(runId=run_id("aborted-1")), job=Job(namespace="batch", name="nightly"), producer=PRODUCER)))
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    items = events()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "events.jsonl"
        client = OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(log), append=True)))
        for _, _, event in items:
            client.emit(event)
        client.close()
        lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(lines) != len(items):
        raise SystemExit(f"the FileTransport wrote {len(lines)} events, expected {len(items)}")
    manifest = {
        "generated_by": "scripts/vectors/openlineage_events.py",
        "openlineage_python": version("openlineage-python"),
        "event_id_namespace": str(EVENT_ID_NAMESPACE),
        "events": {},
    }
    for (name, description, event), line in zip(items, lines):
        emitted = json.loads(line)
        (OUT / f"{name}.json").write_text(json.dumps(emitted, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        manifest["events"][name] = {
            "file": f"{name}.json",
            "description": description,
            "eventType": emitted["eventType"],
            "expected_event_id": str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{emitted['run']['runId']}:{emitted['eventType']}")),
        }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(items)} events to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
