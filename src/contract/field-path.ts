import type { ElementType, SchemaField } from './types.js';

/**
 * One step of a field path: a named field, an array's items (`[]`), a map's keys (`{key}`) or a
 * map's values (`{value}`).
 */
export type FieldPathStep = { field: string } | 'items' | 'key' | 'value';

const PLAIN = /^[^.`[\]{}]+$/;

/** A field name as written in a path: as is, or in backticks (doubled inside) when it has `.`, `` ` ``, brackets or braces, or is empty. */
export function quoteFieldName(name: string): string {
  return PLAIN.test(name) ? name : `\`${name.replace(/`/g, '``')}\``;
}

/**
 * A field path as text: `address.zip`, `tags[]`, `attrs{key}`, `attrs{value}.score`,
 * `` `a.b`.c `` (a name with a dot, quoted).
 */
export function formatFieldPath(steps: readonly FieldPathStep[]): string {
  let out = '';
  for (const step of steps) {
    if (step === 'items') out += '[]';
    else if (step === 'key') out += '{key}';
    else if (step === 'value') out += '{value}';
    else out += (out === '' ? '' : '.') + quoteFieldName(step.field);
  }
  return out;
}

/** Parses a field path written by {@link formatFieldPath}; undefined when it is not one. */
export function parseFieldPath(path: string): FieldPathStep[] | undefined {
  const steps: FieldPathStep[] = [];
  let i = 0;
  let needName = true;
  while (i < path.length) {
    if (needName) {
      let name = '';
      if (path.charAt(i) === '`') {
        i++;
        for (;;) {
          if (i >= path.length) return undefined;
          const c = path.charAt(i);
          if (c === '`') {
            if (path.charAt(i + 1) !== '`') break;
            i++;
          }
          name += c;
          i++;
        }
        i++;
      } else {
        const start = i;
        while (i < path.length && !'.`[]{}'.includes(path.charAt(i))) i++;
        name = path.slice(start, i);
        if (name === '') return undefined;
      }
      steps.push({ field: name });
      needName = false;
    } else if (path.startsWith('[]', i)) {
      steps.push('items');
      i += 2;
    } else if (path.startsWith('{key}', i)) {
      steps.push('key');
      i += 5;
    } else if (path.startsWith('{value}', i)) {
      steps.push('value');
      i += 7;
    } else if (path.charAt(i) === '.') {
      i++;
      needName = true;
    } else {
      return undefined;
    }
  }
  return needName ? undefined : steps;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type FindField = (list: readonly unknown[], name: string) => SchemaField | undefined;

const findLinear: FindField = (list, name) => list.find((f): f is SchemaField => isObject(f) && f['name'] === name);

/**
 * Finds the field or element a path names in a schema: a top-level name taken literally first (so a
 * column called `a.b` is found without quotes), then the path syntax of {@link formatFieldPath}.
 */
export function resolveFieldPath(schema: readonly SchemaField[], path: string): ElementType | undefined {
  return resolveWith(schema, path, findLinear);
}

/**
 * {@link resolveFieldPath} for many paths over one schema that is not changed meanwhile: each level's
 * names are indexed on first use, so resolving every column of a wide profile is linear, not quadratic.
 */
export function fieldPathResolver(schema: readonly SchemaField[]): (path: string) => ElementType | undefined {
  const index = new Map<readonly unknown[], Map<string, SchemaField>>();
  const find: FindField = (list, name) => {
    let byName = index.get(list);
    if (byName === undefined) {
      byName = new Map();
      for (const f of list) {
        // The first field of a name, as a search from the front finds it.
        if (isObject(f) && typeof f['name'] === 'string' && !byName.has(f['name']))
          byName.set(f['name'], f as unknown as SchemaField);
      }
      index.set(list, byName);
    }
    return byName.get(name);
  };
  return (path) => resolveWith(schema, path, find);
}

function resolveWith(schema: readonly SchemaField[], path: string, find: FindField): ElementType | undefined {
  const direct = find(schema, path);
  if (direct !== undefined) return direct;
  const steps = parseFieldPath(path);
  if (steps === undefined) return undefined;
  let current: ElementType | undefined;
  for (const step of steps) {
    if (typeof step === 'object') {
      const list: unknown = current === undefined ? schema : current.type === 'struct' ? current.fields : undefined;
      if (!Array.isArray(list)) return undefined;
      current = find(list as unknown[], step.field);
    } else if (step === 'items') {
      current = current?.type === 'array' ? (current.items ?? { type: 'unknown' }) : undefined;
    } else {
      current =
        current?.type === 'map' ? ((step === 'key' ? current.keys : current.values) ?? { type: 'unknown' }) : undefined;
    }
    if (!isObject(current)) return undefined;
  }
  return current;
}
