import type { Report } from '../../src/contract/index.js';
import { MonitorCore, emptyOutput, type CoreOutput, type MonitorCoreOptions } from '../../src/monitor/index.js';
import { loadRules, type RuleSet } from '../../src/rules/index.js';
import { PipelineSim, makeDag, type Fault, type SimDag } from '../../src/sim/index.js';

/** The shipped rules, loaded once per test file. */
export const RULES: RuleSet = loadRules('rules');

/** Healthy runs before a fault: the seed rules arm at 5 healthy runs. */
export const WARMUP = 8;

export function newCore(options: Partial<MonitorCoreOptions> = {}): MonitorCore {
  return new MonitorCore({ rules: RULES, ...options });
}

/** A simulated pipeline and its reports, run by run, with faults by run number. */
export class Scenario {
  readonly sim: PipelineSim;
  readonly dag: SimDag;
  private readonly cache = new Map<string, Report[]>();

  constructor(dag: SimDag, seed = 1, intervalMs?: number) {
    this.dag = dag;
    this.sim = new PipelineSim(dag, { seed, ...(intervalMs !== undefined ? { intervalMs } : {}) });
  }

  static of(
    shape: Parameters<typeof makeDag>[0],
    size: number,
    seed = 1,
    pipeline = `${shape}-${size}-${seed}`,
  ): Scenario {
    return new Scenario(makeDag(shape, size, pipeline, seed), seed);
  }

  /** The reports of pipeline run `run` (memoized: tests replay the same runs into several cores). */
  reports(run: number, faults: readonly Fault[] = []): Report[] {
    const key = `${run}/${JSON.stringify(faults)}`;
    let r = this.cache.get(key);
    if (!r) this.cache.set(key, (r = this.sim.run(run, faults)));
    return r;
  }

  /** The batches of runs `from` .. `to - 1`, with `faults(run)` injected. */
  batches(from: number, to: number, faults: (run: number) => Fault[] = () => []): Report[][] {
    const out: Report[][] = [];
    for (let r = from; r < to; r++) out.push(this.reports(r, faults(r)));
    return out;
  }

  get nodes(): string[] {
    return this.dag.nodes.map((n) => n.name);
  }

  /** Nodes downstream of `node` in the simulated DAG. */
  descendants(node: string): string[] {
    const out = new Set<string>();
    let frontier = [node];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const n of this.dag.nodes)
        if (n.parents.some((p) => frontier.includes(p)) && !out.has(n.name)) next.push(n.name);
      for (const n of next) out.add(n);
      frontier = next;
    }
    return [...out].sort();
  }
}

/** Feeds batches into a core, one output per batch. */
export function feed(core: MonitorCore, batches: readonly Report[][]): CoreOutput[] {
  return batches.map((b) => core.processBatch(b, emptyOutput()));
}

/** All records of a core's state, sorted by key (the order of a snapshot is not part of its meaning). */
export function snapshot(core: MonitorCore): { key: string; value: string | undefined }[] {
  return core.exportState(core.allStateKeys()).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A batch output as comparable JSON (the dirty set sorted). */
export function comparable(out: CoreOutput): string {
  return JSON.stringify({ ...out, dirty: [...out.dirty].sort() });
}
