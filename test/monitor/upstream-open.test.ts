import { describe, expect, it } from 'vitest';
import type { Fault } from '../../src/sim/index.js';
import { Scenario, WARMUP, feed, newCore } from './drive.js';

/**
 * Consequences that outlive their cause (docs/architecture.md, "Root cause"): a node that changed while its
 * inputs looked healthy and nothing changed of its own joins the open incident upstream of it, instead of
 * opening one of its own: a model retrained on the bad days, a rolling window still holding them, a slow drift
 * at a source felt three steps down first.
 */
describe('a downstream change with healthy inputs below an open incident', () => {
  // n00 -> n01 -> n02 -> n03
  const s = Scenario.of('chain', 4, 17);
  const at = WARMUP;

  function drive(faults: (run: number) => Fault[], runs: number) {
    const core = newCore();
    feed(core, s.batches(0, at));
    feed(
      core,
      s.batches(at, at + runs, (r) => faults(r - at)),
    );
    return core;
  }

  const upstreamFault: Fault = { node: 'n01', kind: 'null_spike' };

  it('joins the open incident as a symptom, with an audit entry that says why', () => {
    const core = drive((i) => (i === 0 ? [upstreamFault] : i === 1 ? [{ node: 'n03', kind: 'shift' }] : []), 2);
    const incidents = core.incidents();
    expect(incidents.map((i) => i.culprit)).toEqual(['n01']);
    const [inc] = incidents;
    expect(inc!.status).toBe('open');
    const later = inc!.symptoms.filter((x) => x.node === 'n03' && x.metric === 'drift');
    expect(later.length).toBeGreaterThan(0);
    const entry = inc!.audit?.find((a) => a.action === 'symptom_attached');
    expect(entry?.why).toContain('n03 changed with healthy inputs');
    expect(entry?.why).toContain('n01 upstream is open');
  });

  it('without an open incident upstream, the same change is its own incident', () => {
    const core = drive((i) => (i === 1 ? [{ node: 'n03', kind: 'shift' }] : []), 2);
    expect(core.incidents().map((i) => [i.culprit, i.cause.kind])).toEqual([['n03', 'transformation']]);
  });

  it('a change of code downstream opens its own incident, open incident upstream or not', () => {
    const core = drive((i) => (i === 0 ? [upstreamFault] : i === 1 ? [{ node: 'n03', kind: 'code_change' }] : []), 2);
    expect(core.incidents().map((i) => [i.culprit, i.cause.kind])).toEqual([
      ['n01', expect.any(String)],
      ['n03', 'code_change'],
    ]);
  });

  it('once the upstream incident has resolved, the change opens its own', () => {
    // Three healthy runs of n01 resolve its incident (runs 1 to 3); n03 shifts on run 4.
    const core = drive((i) => (i === 0 ? [upstreamFault] : i === 4 ? [{ node: 'n03', kind: 'shift' }] : []), 5);
    const incidents = core.incidents();
    expect(incidents.map((i) => [i.culprit, i.status])).toEqual([
      ['n01', 'resolved'],
      ['n03', 'open'],
    ]);
  });
});
