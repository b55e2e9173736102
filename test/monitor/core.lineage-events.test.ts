// Lineage without a run (OpenLineage JobEvent and DatasetEvent): edges in the graph, kept across runs and restarts.
import { describe, expect, it } from 'vitest';
import { REPORT_SPEC, type LineageDeclaration, type Report } from '../../src/contract/index.js';
import { newCore } from './drive.js';

const P = 'etl';
const T0 = Date.parse('2026-11-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function report(node: string, at: number, inputs: string[], outputs: string[]): Report {
  return {
    spec: REPORT_SPEC,
    event_id: `${node}-${at}`,
    pipeline: P,
    node,
    run_id: `${node}-${at}`,
    event_time: iso(at),
    inputs: inputs.map((dataset) => ({ dataset })),
    outputs: outputs.map((dataset) => ({ dataset, profile: { row_count: 10 } })),
  };
}

const job = (node: string, at: number, inputs: string[], outputs: string[]): LineageDeclaration => ({
  kind: 'job',
  pipeline: P,
  node,
  event_time: iso(at),
  inputs,
  outputs,
});

const parents = (core: ReturnType<typeof newCore>, node: string) =>
  core
    .graph(P)!
    .parents({ pipeline: P, node })
    .map((e) => `${e.source.node} via ${e.datasets.join(',')}`);

describe('JobEvent: the datasets a job reads and writes, as lineage edges', () => {
  it('connects the job to the writers of its inputs and to the readers of its outputs, before any run', () => {
    const core = newCore();
    core.processReport(report('extract', T0, [], ['s3://raw']));
    core.processReport(report('publish', T0 + 1000, ['s3://clean'], ['s3://out']));
    const out = core.processLineage(job('transform', T0 + 2000, ['s3://raw'], ['s3://clean']));
    expect(parents(core, 'transform')).toEqual(['extract via s3://raw']);
    expect(parents(core, 'publish')).toEqual(['transform via s3://clean']);
    expect(out.lineageChanges.filter((c) => c.kind === 'edge_added')).toHaveLength(2);
    expect(out.dirty.has(`p\u001f${P}`)).toBe(true);
  });

  it("stays the job's lineage across its runs (a run that names no datasets keeps the edges) and restarts", () => {
    const core = newCore();
    core.processReport(report('extract', T0, [], ['s3://raw']));
    core.processLineage(job('transform', T0 + 1000, ['s3://raw'], ['s3://clean']));
    core.processReport(report('transform', T0 + 2000, [], []));
    expect(parents(core, 'transform')).toEqual(['extract via s3://raw']);
    const restored = newCore();
    restored.importState(core.exportState(core.allStateKeys()));
    // a reader of the declared output finds the job as its producer
    restored.processReport(report('publish', T0 + 3000, ['s3://clean'], []));
    expect(parents(restored, 'publish')).toEqual(['transform via s3://clean']);
    expect(parents(restored, 'transform')).toEqual(['extract via s3://raw']);
  });

  it('a later JobEvent replaces the declared lineage: its edges close at the next run', () => {
    const core = newCore();
    core.processReport(report('extract', T0, [], ['s3://raw']));
    core.processReport(report('extract2', T0, [], ['s3://raw2']));
    core.processLineage(job('transform', T0 + 1000, ['s3://raw'], []));
    core.processLineage(job('transform', T0 + 2000, ['s3://raw2'], []));
    core.processReport(report('transform', T0 + 3000, [], []));
    expect(parents(core, 'transform')).toEqual(['extract2 via s3://raw2']);
  });
});

describe('DatasetEvent: what a dataset is derived from (columnLineage), as edges into its writers', () => {
  it('the nodes that write the dataset read its sources', () => {
    const core = newCore();
    core.processReport(report('extract', T0, [], ['s3://raw']));
    core.processReport(report('transform', T0 + 1000, [], ['s3://clean']));
    expect(parents(core, 'transform')).toEqual([]);
    core.processLineage({
      kind: 'dataset',
      pipeline: 's3://lake',
      dataset: 's3://clean',
      event_time: iso(T0 + 2000),
      inputs: ['s3://raw'],
    });
    expect(parents(core, 'transform')).toEqual(['extract via s3://raw']);
  });
});
