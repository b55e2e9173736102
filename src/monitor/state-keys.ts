import { compositeKey, splitKey } from '../keys.js';

/**
 * The monitor's state record keys (| is U+001F, see src/keys.ts): `p|<pipeline>` (graph, incidents),
 * `n|<pipeline>|<node>` (baselines, counters), `h|<pipeline>|<node>|<i>` (one run of the history ring),
 * `e|<pipeline>|<node>|<role>|<dataset>|<i>` (one epoch of a dataset's distribution baseline,
 * baseline-epochs.ts), `c|<pipeline>|<node>|<i>` (one candidate run of the new-normal ring). `s|...|<i>` keys
 * (one healthy run's distributions each) are what state written before the epochs held: recognized, ignored.
 */
export const stateKey = {
  pipeline: (p: string) => compositeKey('p', p),
  node: (p: string, n: string) => compositeKey('n', p, n),
  run: (p: string, n: string, i: number) => compositeKey('h', p, n, i),
  epoch: (p: string, n: string, role: 'out' | 'in', dataset: string, pos: number) =>
    compositeKey('e', p, n, role, dataset, pos),
  /** A baseline slot of state written before the epochs (no longer written, ignored when read). */
  slot: (p: string, n: string, role: 'out' | 'in', dataset: string, slot: number) =>
    compositeKey('s', p, n, role, dataset, slot),
  candidate: (p: string, n: string, i: number) => compositeKey('c', p, n, i),
};

/** Key of a baseline slot in state written before the epochs. */
export const slotKey = stateKey.slot;

/** A state key taken apart: its kind, pipeline, node and (history ring) position. */
export interface ParsedStateKey {
  /** 'p', 'n', 'h', 'e' or 'c' (or a legacy 's') for a known key. */
  kind: string;
  pipeline: string | undefined;
  node: string | undefined;
  /** For `h` and `c` keys: the ring position. */
  pos: string | undefined;
}

export function parseStateKey(key: string): ParsedStateKey {
  const [kind = '', pipeline, node, pos] = splitKey(key);
  return { kind, pipeline, node, pos };
}

/** The pipeline a state key belongs to. */
export function pipelineOfKey(key: string): string {
  return splitKey(key)[1] ?? '';
}
