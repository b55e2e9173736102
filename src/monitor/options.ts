/**
 * Options of the monitor core (transport-independent). Every option has a DEFAULT_* constant: THE
 * default, which the settings table (config/spec.ts) imports rather than restates.
 */
export interface CoreOptions {
  /** Healthy runs kept in a node's baseline (median/MAD, merged distributions). Default {@link DEFAULT_BASELINE_RUNS}. */
  baselineRuns?: number;
  /** Runs kept per node in its run history (lineage queries, RCA). Default {@link DEFAULT_RUN_HISTORY}. */
  runHistory?: number;
  /** Event ids remembered per node to drop duplicates (redeliveries and retries arrive close together). Default {@link DEFAULT_EVENT_ID_MEMORY}. */
  eventIdMemory?: number;
  /** Healthy runs of the culprit after which an incident resolves. Default {@link DEFAULT_RESOLVE_AFTER_HEALTHY_RUNS}. */
  resolveAfterHealthyRuns?: number;
  /** Confidence below which an incident is escalated (ambiguous root). Default {@link DEFAULT_ESCALATE_BELOW_CONFIDENCE}. */
  escalateBelowConfidence?: number;
  /**
   * How far (event time, ms) the pipeline's watermark must pass a held verdict's run before it is decided
   * without the upstream run it waits for, at least (the node's usual interval between runs is used when
   * longer). Default {@link DEFAULT_HOLD_GRACE_MS}.
   */
  holdGraceMs?: number;
  /** Held verdicts per pipeline; beyond it the oldest is decided at once. Default {@link DEFAULT_MAX_HELD_VERDICTS}. */
  maxHeldVerdicts?: number;
  /** KLL k used when the monitor builds sketches itself (merging baselines). Default {@link DEFAULT_SKETCH_K}. */
  sketchK?: number;
  /**
   * Consecutive unlearned runs kept per node for an accepted change to learn from, and the runs that
   * must agree after a code or parameter change before it becomes the new normal on its own (0: never
   * automatically). Default {@link DEFAULT_NEW_NORMAL_RUNS}.
   */
  newNormalRuns?: number;
}

export const DEFAULT_BASELINE_RUNS = 20;
export const DEFAULT_RUN_HISTORY = 50;
export const DEFAULT_EVENT_ID_MEMORY = 64;
export const DEFAULT_RESOLVE_AFTER_HEALTHY_RUNS = 3;
export const DEFAULT_ESCALATE_BELOW_CONFIDENCE = 0.7;
export const DEFAULT_SKETCH_K = 200;
export const DEFAULT_HOLD_GRACE_MS = 600_000;
export const DEFAULT_MAX_HELD_VERDICTS = 1000;
export const DEFAULT_NEW_NORMAL_RUNS = 5;

export type CompiledCoreOptions = Readonly<Required<CoreOptions>>;

export function compileCoreOptions(o: CoreOptions = {}): CompiledCoreOptions {
  return Object.freeze({
    baselineRuns: o.baselineRuns ?? DEFAULT_BASELINE_RUNS,
    runHistory: o.runHistory ?? DEFAULT_RUN_HISTORY,
    eventIdMemory: o.eventIdMemory ?? DEFAULT_EVENT_ID_MEMORY,
    resolveAfterHealthyRuns: o.resolveAfterHealthyRuns ?? DEFAULT_RESOLVE_AFTER_HEALTHY_RUNS,
    escalateBelowConfidence: o.escalateBelowConfidence ?? DEFAULT_ESCALATE_BELOW_CONFIDENCE,
    sketchK: o.sketchK ?? DEFAULT_SKETCH_K,
    holdGraceMs: o.holdGraceMs ?? DEFAULT_HOLD_GRACE_MS,
    maxHeldVerdicts: o.maxHeldVerdicts ?? DEFAULT_MAX_HELD_VERDICTS,
    newNormalRuns: o.newNormalRuns ?? DEFAULT_NEW_NORMAL_RUNS,
  });
}
