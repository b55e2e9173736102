/**
 * Objects keyed by user-provided names (datasets, columns, nodes, category values, params keys).
 *
 * A name such as `__proto__`, `constructor` or `toString` must behave like any other name: on a plain
 * object `o[name]` reads `Object.prototype`'s members and `o['__proto__'] = v` replaces the prototype
 * (or, through a nested write, changes `Object.prototype` for the whole process). Objects made here have
 * no prototype, so every key is an ordinary own property; reads from objects of unknown origin (a report
 * as `JSON.parse` made it) go through {@link own}.
 */

/** An empty object without a prototype, safe to key by any string. */
export function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A prototype-free copy of `entries` (later entries win). */
export function dictFrom<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const out = dict<T>();
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/** The own property `key` of `obj`, never an inherited member such as `constructor`. */
export function own<T>(obj: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * `JSON.parse` whose objects have no prototype: state read back from storage keeps names such as
 * `constructor` as ordinary keys. (`JSON.parse` itself defines `__proto__` as an own property, which
 * is safe; its other objects still inherit `Object.prototype`'s members.)
 */
export function parseJsonDict(text: string): unknown {
  // The parsed object itself loses its prototype (its own keys, `__proto__` included, stay as they are):
  // V8 keeps it in fast mode, sharing one hidden class among objects of the same shape, whereas a copy
  // into Object.create(null) is a dictionary-mode object with its own hash table. A reloaded state is
  // mostly such objects (every column's baseline, every run record): the copy made it ~40% larger on the
  // heap than the same state built by the core (bench/results/scale.md).
  return JSON.parse(text, (_key, value: unknown) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (Object.setPrototypeOf(value, null) as object)
      : value,
  );
}
