import type { Profile, Report } from '../../src/contract/index.js';

/** Event time (ms) of minute `m` after a fixed origin. */
export const T0 = Date.parse('2026-11-01T00:00:00.000Z');
export const at = (minute: number) => T0 + minute * 60_000;

export interface ReportSpec {
  node: string;
  minute: number;
  pipeline?: string;
  run_id?: string;
  upstream?: (string | { node: string; pipeline?: string; run_id?: string })[];
  inputs?: string[];
  outputs?: string[];
  code_version?: string;
  data_version?: string;
  params?: Record<string, unknown>;
  fingerprint?: string;
}

/** A minimal report for lineage tests (profiles carry only what the graph reads). */
export function report(s: ReportSpec): Report {
  const pipeline = s.pipeline ?? 'p';
  const profile = (): Profile => ({
    row_count: 10,
    ...(s.fingerprint !== undefined ? { schema_fingerprint: s.fingerprint } : {}),
  });
  const r: Report = {
    spec: 'rootline.report/v1',
    event_id: `${pipeline}/${s.node}/${s.minute}`,
    pipeline,
    node: s.node,
    run_id: s.run_id ?? `run-${s.minute}`,
    event_time: new Date(at(s.minute)).toISOString(),
    outputs: (s.outputs ?? [`ds/${s.node}`]).map((dataset) => ({ dataset, profile: profile() })),
  };
  if (s.upstream) r.upstream = s.upstream.map((u) => (typeof u === 'string' ? { node: u } : u));
  if (s.inputs) r.inputs = s.inputs.map((dataset) => ({ dataset }));
  if (s.code_version !== undefined) r.code_version = s.code_version;
  if (s.data_version !== undefined) r.data_version = s.data_version;
  if (s.params !== undefined) r.params = s.params;
  return r;
}
