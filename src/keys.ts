/**
 * Composite keys, one encoding for the whole code base: parts joined by U+001F (the unit separator,
 * which never occurs in pipeline, node, dataset or column names). The monitor's state keys
 * (monitor/state-keys.ts), the lineage graph's node keys, the rules' memo keys and the incident
 * signatures are all built here.
 */
export const KEY_SEP = '\u001f';

/** The parts joined into one key. */
export function compositeKey(...parts: readonly (string | number)[]): string {
  return parts.join(KEY_SEP);
}

/** The parts of a composite key. */
export function splitKey(key: string): string[] {
  return key.split(KEY_SEP);
}
