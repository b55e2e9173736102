/**
 * The OpenLineage adapter: RunEvents (COMPLETE / FAIL) -> `rootline.report/v1` reports, so existing
 * Airflow, Spark, dbt and Flink OpenLineage integrations feed the monitor. docs/emitters.md lists
 * what maps to what.
 */
export { convertRunEvent, createRunEventConverter, type ConvertOptions, type ConvertResult } from './convert.js';
export { OPENLINEAGE_UUID_NAMESPACE, openLineageEventId, uuidV5 } from './uuid.js';
