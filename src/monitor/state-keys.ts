import { compositeKey, splitKey } from '../keys.js';

/**
 * The monitor's state record keys (| is U+001F, see src/keys.ts): `p|<pipeline>` (graph, incidents),
 * `n|<pipeline>|<node>` (baselines, counters), `h|<pipeline>|<node>|<i>` (one run of the history ring),
 * `s|<pipeline>|<node>|<role>|<dataset>|<i>` (one baseline distribution slot), `c|<pipeline>|<node>|<i>` (one
 * candidate run of the new-normal ring).
 */
export const stateKey = {
  pipeline: (p: string) => compositeKey('p', p),
  node: (p: string, n: string) => compositeKey('n', p, n),
  run: (p: string, n: string, i: number) => compositeKey('h', p, n, i),
  slot: (p: string, n: string, role: 'out' | 'in', dataset: string, slot: number) =>
    compositeKey('s', p, n, role, dataset, slot),
  candidate: (p: string, n: string, i: number) => compositeKey('c', p, n, i),
};

/** Key of a baseline slot in the state. */
export const slotKey = stateKey.slot;

/** A state key taken apart: its kind, pipeline, node and (history ring) position. */
export interface ParsedStateKey {
  /** 'p', 'n', 'h', 's' or 'c' for a known key. */
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
