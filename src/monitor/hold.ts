import { nodeKey, type NodeRef } from '../lineage/index.js';
import { compositeKey } from '../keys.js';
import type { SymptomMessage } from './symptom-forward.js';

/**
 * Held verdicts: an anomalous run whose RCA needs an upstream run that the report names (by run id)
 * but that has not arrived yet. Deciding at once would compare against the parent's previous run and
 * blame the wrong node, so the verdict waits, bounded by event time and by count, and is decided when
 * the named run lands (or, when the bound passes, with the missing run as unobserved: escalated, never
 * a guess). Held verdicts live in the pipeline's state record, so they survive restarts.
 *
 * A waited-for run is named by (pipeline, node, run id): the same key serves an upstream in another
 * pipeline, held here or seen through another instance's health events (remote-view.ts).
 */
export interface HeldVerdict {
  /** The held run's node (in the pipeline whose state holds the verdict). */
  node: string;
  run_id: string;
  /** The run's seq in the node's history (to find the record again). */
  seq: number;
  event_time: number;
  /** Upstream runs named by the walk and not yet arrived. */
  waiting: (NodeRef & { run_id: string })[];
  /** Symptoms other instances forwarded to this run while it was held: they follow its verdict. */
  symptoms?: SymptomMessage[];
}

/** Key of an upstream run a held verdict waits for. */
export function awaitedKey(ref: NodeRef, runId: string): string {
  return compositeKey(nodeKey(ref), runId);
}

/** Deterministic decision order: event time, then node, then run id. */
export function heldOrder(a: HeldVerdict, b: HeldVerdict): number {
  if (a.event_time !== b.event_time) return a.event_time - b.event_time;
  if (a.node !== b.node) return a.node < b.node ? -1 : 1;
  if (a.run_id !== b.run_id) return a.run_id < b.run_id ? -1 : 1;
  return a.seq - b.seq;
}
