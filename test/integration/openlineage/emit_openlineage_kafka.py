"""Emits OpenLineage RunEvents to Kafka with the real openlineage-python client and its KafkaTransport.

    "$PY" test/integration/openlineage/emit_openlineage_kafka.py BROKERS TOPIC

Used by test/integration/openlineage/kafka.test.ts: a START, a COMPLETE (with schema, dataQualityMetrics,
outputStatistics and a parent run facet) and a FAIL event of one job. Prints the run ids as JSON.
"""

from __future__ import annotations

import json
import sys
import uuid

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    data_quality_metrics_input_dataset,
    output_statistics_output_dataset,
    parent_run,
    schema_dataset,
)
from openlineage.client.transport.kafka import KafkaConfig, KafkaTransport

PRODUCER = "https://github.com/rootline/rootline/test/integration/openlineage"


def main() -> None:
    brokers, topic = sys.argv[1], sys.argv[2]
    client = OpenLineageClient(transport=KafkaTransport(KafkaConfig(config={"bootstrap.servers": brokers, "acks": "all"}, topic=topic, flush=True)))
    dag_run = str(uuid.uuid4())
    run_ok = str(uuid.uuid4())
    run_bad = str(uuid.uuid4())
    parent = parent_run.ParentRunFacet(run=parent_run.Run(runId=dag_run), job=parent_run.Job(namespace="airflow", name="churn_daily"))
    job = Job(namespace="airflow", name="churn_daily.clean_transactions")
    schema = schema_dataset.SchemaDatasetFacet(fields=[schema_dataset.SchemaDatasetFacetFields(name="customer_id", type="STRING"), schema_dataset.SchemaDatasetFacetFields(name="amount", type="DOUBLE")])
    source = InputDataset(
        namespace="s3://lake",
        name="raw/transactions",
        facets={"schema": schema},
        inputFacets={
            "dataQualityMetrics": data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
                rowCount=1000,
                columnMetrics={"amount": data_quality_metrics_input_dataset.ColumnMetrics(nullCount=3, min=0.0, max=99.5, sum=41000.0)},
            )
        },
    )
    target = OutputDataset(
        namespace="s3://lake",
        name="clean/transactions",
        facets={"schema": schema},
        outputFacets={"outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=997)},
    )
    client.emit(RunEvent(eventType=RunState.START, eventTime="2026-11-21T10:00:00.000Z", run=Run(runId=run_ok, facets={"parent": parent}), job=job, inputs=[source], outputs=[target], producer=PRODUCER))
    client.emit(RunEvent(eventType=RunState.COMPLETE, eventTime="2026-11-21T10:00:09.000Z", run=Run(runId=run_ok, facets={"parent": parent}), job=job, inputs=[source], outputs=[target], producer=PRODUCER))
    client.emit(RunEvent(eventType=RunState.FAIL, eventTime="2026-11-21T11:00:09.000Z", run=Run(runId=run_bad, facets={"parent": parent}), job=job, inputs=[source], outputs=[target], producer=PRODUCER))
    client.close(10.0)
    print(json.dumps({"ok": run_ok, "failed": run_bad}))


if __name__ == "__main__":
    main()
