"""Emits OpenLineage RunEvents for a two-job pipeline with the real openlineage-python client, through
its HTTP transport (to Rootline's /api/v1/lineage) or its Kafka transport (to a topic the monitor ingests).

    "$PY" test/integration/openlineage/emit_to_monitor.py http URL RUNS [API_KEY]
    "$PY" test/integration/openlineage/emit_to_monitor.py http-gzip URL RUNS DAG [API_KEY]
    "$PY" test/integration/openlineage/emit_to_monitor.py http-plain URL RUNS DAG [API_KEY]
    "$PY" test/integration/openlineage/emit_to_monitor.py kafka BROKERS TOPIC RUNS

With API_KEY, the HTTP transport authenticates the way OpenLineage clients do (auth type api_key:
`Authorization: Bearer <API_KEY>`). `http-gzip` turns on the client's gzip compression and, per run, adds a
third job that carries no statistics (a node run all the same) whose last run FAILs with an errorMessage
facet; DAG names the parent job. `http-plain` emits the same events as `http-gzip` without compression. Used by test/integration/openlineage/monitor.test.ts and
test/openlineage/python-client.test.ts. Prints the number of events emitted.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import datetime, timedelta, timezone

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import error_message_run, output_statistics_output_dataset, parent_run, schema_dataset

PRODUCER = "https://github.com/rootline/rootline/test/integration/openlineage"


def client_for(argv: list[str]) -> tuple[OpenLineageClient, int]:
    if argv[1] in ("http", "http-gzip", "http-plain"):
        from openlineage.client.transport.http import ApiKeyTokenProvider, HttpCompression, HttpConfig, HttpTransport

        key_at = 5 if argv[1] in ("http-gzip", "http-plain") else 4
        auth = {"auth": ApiKeyTokenProvider({"apiKey": argv[key_at]})} if len(argv) > key_at else {}
        if argv[1] == "http-gzip":
            auth["compression"] = HttpCompression.GZIP
        config = HttpConfig(url=argv[2], endpoint="api/v1/lineage", timeout=10, **auth)
        return OpenLineageClient(transport=HttpTransport(config)), int(argv[3])
    from openlineage.client.transport.kafka import KafkaConfig, KafkaTransport

    return OpenLineageClient(transport=KafkaTransport(KafkaConfig(config={"bootstrap.servers": argv[2], "acks": "all"}, topic=argv[3], flush=True))), int(argv[4])


def main() -> None:
    client, runs = client_for(sys.argv)
    extras = sys.argv[1] in ("http-gzip", "http-plain")
    dag = sys.argv[4] if extras else "ol_daily"
    schema = schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name="customer_id", type="STRING"), schema_dataset.SchemaDatasetFacetFields(name="amount", type="DOUBLE")]
    )
    raw = "raw/transactions"
    clean = "clean/transactions"
    start = datetime.now(timezone.utc) - timedelta(minutes=runs)
    emitted = 0
    for r in range(runs):
        dag_run = str(uuid.uuid4())
        parent = parent_run.ParentRunFacet(run=parent_run.Run(runId=dag_run), job=parent_run.Job(namespace="airflow", name=dag))
        t = start + timedelta(minutes=r)
        for job_name, inputs, output, rows in (
            (f"{dag}.extract", [], raw, 1000 + r % 3),
            (f"{dag}.clean", [raw], clean, 990 + r % 3),
        ):
            event = RunEvent(
                eventType=RunState.COMPLETE,
                eventTime=(t + timedelta(seconds=5 if inputs else 1)).isoformat().replace("+00:00", "Z"),
                run=Run(runId=str(uuid.uuid4()), facets={"parent": parent}),
                job=Job(namespace="airflow", name=job_name),
                inputs=[InputDataset(namespace="s3://lake", name=i) for i in inputs],
                outputs=[
                    OutputDataset(
                        namespace="s3://lake",
                        name=output,
                        facets={"schema": schema},
                        outputFacets={"outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=rows)},
                    )
                ],
                producer=PRODUCER,
            )
            client.emit(event)
            emitted += 1
        if extras:
            failed = r == runs - 1
            facets = {"parent": parent}
            if failed:
                facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
                    message="relation \"clean.transactions\" does not exist",
                    programmingLanguage="SQL",
                    stackTrace="psycopg2.errors.UndefinedTable: relation does not exist\nLINE 1: SELECT * FROM clean.transactions",
                )
            client.emit(
                RunEvent(
                    eventType=RunState.FAIL if failed else RunState.COMPLETE,
                    eventTime=(t + timedelta(seconds=9)).isoformat().replace("+00:00", "Z"),
                    run=Run(runId=str(uuid.uuid4()), facets=facets),
                    job=Job(namespace="airflow", name=f"{dag}.publish"),
                    inputs=[InputDataset(namespace="s3://lake", name=clean)],
                    outputs=[OutputDataset(namespace="s3://exports", name="daily.csv")],
                    producer=PRODUCER,
                )
            )
            emitted += 1
    client.close(10.0)
    print(json.dumps({"emitted": emitted}))


if __name__ == "__main__":
    main()
