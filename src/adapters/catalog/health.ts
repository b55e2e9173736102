import { RootlineError } from '../../errors/index.js';
import { lineageHealth } from './queries.js';
import { iso, msOf } from './runs.js';
import type { SqlQueryable } from './sql.js';
import type { LineageHealth } from './types.js';

/** Fewest intervals between runs before a node's usual interval is trusted to count missed runs. */
export const GAP_MIN_INTERVALS = 4;
/** A pause longer than this many usual intervals holds missed runs (round(pause / interval) - 1 of them). */
export const GAP_FACTOR = 1.5;

/** A node whose expected runs did not all come. */
export interface LineageGap {
  pipeline: string;
  node: string;
  /** Runs stored in the window. */
  runs: number;
  /** The node's usual interval between runs: the median of its intervals in the window (ms). */
  interval_ms: number;
  /** Runs expected inside the pauses between stored runs that never came. */
  missed_runs: number;
  /** The longest pause between two stored runs (ms). */
  longest_pause_ms: number;
  /** The newest stored run (ms). */
  last_run: number;
  /** Runs expected since the newest one, up to `at`, that have not come (0 when the node is on time). */
  overdue_runs: number;
}

/** An upstream edge of a node that appeared or disappeared between two of its consecutive runs. */
export interface LineageEdgeChange {
  pipeline: string;
  node: string;
  upstream: string;
  change: 'appeared' | 'disappeared';
  /** The run whose edges differ from the run before it. */
  run_id: string;
  at: number;
}

/** A lineage-health finding: lineage changes are info, missed runs a warning. */
export interface LineageHealthFinding {
  severity: 'info' | 'warning';
  kind: 'edge_appeared' | 'edge_disappeared' | 'missed_runs' | 'overdue';
  pipeline: string;
  node: string;
  message: string;
  at: number;
}

/** Lineage health over the catalog: coverage, gaps, orphans and lineage changes. */
export interface LineageHealthReport extends LineageHealth {
  /** From: gaps and changes are counted over the runs with event time in [since, at]. */
  since: number;
  coverage: {
    /** Nodes with a stored run. */
    nodes_reporting: number;
    /** Nodes reporting, and nodes other runs name as upstream: every node the lineage knows. */
    nodes_known: number;
    /** nodes_reporting / nodes_known (1 when nothing is known). */
    node_coverage: number;
    /** datasetsWithProducer / datasets (1 when there is no dataset). */
    dataset_coverage: number;
  };
  /** Nodes other runs name as upstream that never reported a run themselves (`pipeline/node`). */
  silent_nodes: string[];
  gaps: LineageGap[];
  missed_runs: number;
  orphans: {
    read_never_produced: string[];
    produced_never_read: string[];
    /** Reporting nodes no owner entry of the rules matches (`pipeline/node`); empty when owners are not known. */
    nodes_without_owner: string[];
  };
  changes: LineageEdgeChange[];
  findings: LineageHealthFinding[];
}

export interface LineageHealthOptions {
  /** Default now. */
  at?: number;
  /** Default 7 days before `at`. */
  since?: number;
  /** The owner of a node, when the caller knows the rules; nodes without one are orphans. */
  ownerOf?: (target: { pipeline: string; node: string }) => string | undefined;
}

const DAY_MS = 86_400_000;

/**
 * Lineage health: coverage (nodes that report among the nodes the lineage names; datasets with a known producer),
 * gaps (expected runs that never came, from each node's usual interval), orphans (datasets read but never produced,
 * produced but never read, nodes without an owner) and lineage changes (an upstream edge that appears or disappears
 * between two consecutive runs of a node, an info finding).
 */
export async function lineageHealthReport(
  q: SqlQueryable,
  options: LineageHealthOptions = {},
): Promise<LineageHealthReport> {
  const at = options.at ?? Date.now();
  const since = options.since ?? at - 7 * DAY_MS;
  if (!Number.isFinite(at) || !Number.isFinite(since) || since > at)
    throw new RootlineError('INVALID_ARGUMENT', `the health window must be since <= at, got ${since} .. ${at}`);
  const base = await lineageHealth(q, { at });

  const nodes = await q.query<{ pipeline: string; node: string; reporting: boolean }>(
    `SELECT pipeline, node, true AS reporting FROM runs WHERE event_time <= $1 GROUP BY pipeline, node
     UNION
     SELECT e.upstream_pipeline, e.upstream_node, false FROM lineage_edges e JOIN runs r ON r.id = e.run_pk
       WHERE r.event_time <= $1 GROUP BY e.upstream_pipeline, e.upstream_node`,
    [iso(at)],
  );
  const reporting = new Set<string>();
  const known = new Set<string>();
  for (const n of nodes) {
    const name = `${n.pipeline}/${n.node}`;
    known.add(name);
    if (n.reporting) reporting.add(name);
  }
  const silent = [...known].filter((n) => !reporting.has(n)).sort();

  const gapRows = await q.query<{
    pipeline: string;
    node: string;
    runs: number;
    intervals: number;
    interval: number | null;
    longest: number | null;
    last: number;
    missed: number;
  }>(
    `WITH r AS (
       SELECT pipeline, node, event_time,
              ${msOf('event_time')} - ${msOf('lag(event_time) OVER (PARTITION BY pipeline, node ORDER BY event_time, id)')} AS gap
       FROM runs WHERE event_time <= $1 AND event_time >= $2),
     m AS (
       SELECT pipeline, node, count(*)::float8 AS runs, count(gap)::float8 AS intervals,
              (percentile_cont(0.5) WITHIN GROUP (ORDER BY gap))::float8 AS interval,
              max(gap)::float8 AS longest, ${msOf('max(event_time)')} AS last
       FROM r GROUP BY pipeline, node)
     SELECT m.pipeline, m.node, m.runs, m.intervals, m.interval, m.longest, m.last,
            coalesce((SELECT sum(round(r.gap / m.interval) - 1) FROM r
                      WHERE r.pipeline = m.pipeline AND r.node = m.node AND m.interval > 0
                        AND r.gap > $3 * m.interval), 0)::float8 AS missed
     FROM m ORDER BY m.pipeline, m.node`,
    [iso(at), iso(since), GAP_FACTOR],
  );
  const gaps: LineageGap[] = [];
  for (const g of gapRows) {
    if (g.intervals < GAP_MIN_INTERVALS || g.interval === null || g.interval <= 0) continue;
    const pause = at - g.last;
    const overdue = pause > GAP_FACTOR * g.interval ? Math.max(0, Math.floor(pause / g.interval)) : 0;
    if (g.missed === 0 && overdue === 0) continue;
    gaps.push({
      pipeline: g.pipeline,
      node: g.node,
      runs: g.runs,
      interval_ms: g.interval,
      missed_runs: g.missed,
      longest_pause_ms: g.longest ?? 0,
      last_run: g.last,
      overdue_runs: overdue,
    });
  }

  const changeRows = await q.query<{
    pipeline: string;
    node: string;
    run_id: string;
    at: number;
    ups: string[];
    prev: string[];
  }>(
    `WITH e AS (
       SELECT r.id, r.pipeline, r.node, r.run_id, r.event_time,
              coalesce((SELECT array_agg(l.upstream_pipeline || '/' || l.upstream_node
                                         ORDER BY l.upstream_pipeline, l.upstream_node)
                        FROM lineage_edges l WHERE l.run_pk = r.id), ARRAY[]::text[]) AS ups
       FROM runs r WHERE r.event_time <= $1),
     w AS (SELECT *, lag(ups) OVER (PARTITION BY pipeline, node ORDER BY event_time, id) AS prev FROM e)
     SELECT pipeline, node, run_id, ${msOf('event_time')} AS at, to_json(ups) AS ups, to_json(prev) AS prev
     FROM w WHERE prev IS NOT NULL AND ups <> prev AND event_time >= $2
     ORDER BY event_time, id`,
    [iso(at), iso(since)],
  );
  const changes: LineageEdgeChange[] = [];
  for (const c of changeRows) {
    const now = new Set(c.ups);
    const before = new Set(c.prev);
    for (const u of c.ups)
      if (!before.has(u))
        changes.push({
          pipeline: c.pipeline,
          node: c.node,
          upstream: u,
          change: 'appeared',
          run_id: c.run_id,
          at: c.at,
        });
    for (const u of c.prev)
      if (!now.has(u))
        changes.push({
          pipeline: c.pipeline,
          node: c.node,
          upstream: u,
          change: 'disappeared',
          run_id: c.run_id,
          at: c.at,
        });
  }

  const withoutOwner = options.ownerOf
    ? [...reporting]
        .filter((name) => {
          const i = name.indexOf('/');
          return options.ownerOf!({ pipeline: name.slice(0, i), node: name.slice(i + 1) }) === undefined;
        })
        .sort()
    : [];

  const findings: LineageHealthFinding[] = [
    ...changes.map((c): LineageHealthFinding => ({
      severity: 'info',
      kind: c.change === 'appeared' ? 'edge_appeared' : 'edge_disappeared',
      pipeline: c.pipeline,
      node: c.node,
      message: `${c.node} ${c.change === 'appeared' ? 'reads from a new upstream' : 'no longer reads from'} ${c.upstream} (run ${c.run_id})`,
      at: c.at,
    })),
    ...gaps.flatMap((g): LineageHealthFinding[] => [
      ...(g.missed_runs > 0
        ? [
            {
              severity: 'warning' as const,
              kind: 'missed_runs' as const,
              pipeline: g.pipeline,
              node: g.node,
              message: `${g.node} missed ${g.missed_runs} expected run(s) (usually every ${Math.round(g.interval_ms / 1000)} s; longest pause ${Math.round(g.longest_pause_ms / 1000)} s)`,
              at: g.last_run,
            },
          ]
        : []),
      ...(g.overdue_runs > 0
        ? [
            {
              severity: 'warning' as const,
              kind: 'overdue' as const,
              pipeline: g.pipeline,
              node: g.node,
              message: `${g.node} has not run for ${Math.round((at - g.last_run) / 1000)} s, ${g.overdue_runs} usual interval(s)`,
              at,
            },
          ]
        : []),
    ]),
  ];

  return {
    ...base,
    since,
    coverage: {
      nodes_reporting: reporting.size,
      nodes_known: known.size,
      node_coverage: known.size === 0 ? 1 : reporting.size / known.size,
      dataset_coverage: base.datasets === 0 ? 1 : base.datasetsWithProducer / base.datasets,
    },
    silent_nodes: silent,
    gaps,
    missed_runs: gaps.reduce((a, g) => a + g.missed_runs, 0),
    orphans: {
      read_never_produced: base.readNeverProduced,
      produced_never_read: base.producedNeverRead,
      nodes_without_owner: withoutOwner,
    },
    changes,
    findings,
  };
}
