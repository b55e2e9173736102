import { RootlineError } from '../errors/index.js';
import { formatFieldPath, type FieldPathStep } from './field-path.js';
import type { ElementType, FieldType, Schema, SchemaField } from './types.js';

/** What happened to one field (or element type) between two schemas. */
export type SchemaChangeKind = 'added' | 'removed' | 'type_changed' | 'nullability_changed';

interface ChangeBase {
  /** Field path (docs/contract.md): `amount`, `address.zip`, `tags[]`, `attrs{key}`, `attrs{value}`, `` `a.b` ``. */
  path: string;
  /** True when data valid under the old schema may not fit the new one (docs/contract.md, "Schema changes"). */
  breaking: boolean;
  /** One sentence for an alert: what changed and why it is (not) breaking. */
  reason: string;
}

/** One difference found by {@link diffSchemas}. */
export type SchemaChange =
  | (ChangeBase & { kind: 'added'; after: SchemaField })
  | (ChangeBase & { kind: 'removed'; before: SchemaField })
  | (ChangeBase & { kind: 'type_changed'; before: FieldType; after: FieldType })
  | (ChangeBase & { kind: 'nullability_changed'; before: boolean; after: boolean });

/** Totals over a list of schema changes. */
export interface SchemaDiffSummary {
  /** True when any change is breaking. */
  breaking: boolean;
  total: number;
  breakingCount: number;
  compatibleCount: number;
  byKind: Record<SchemaChangeKind, number>;
}

/**
 * Type changes that keep every value of the old type exactly (docs/contract.md, "Schema changes").
 * Anything else between two known types is breaking; decimals are not in the table because the
 * vocabulary has no precision, so `int -> decimal` might not fit.
 */
export const TYPE_WIDENINGS: Readonly<Partial<Record<FieldType, readonly FieldType[]>>> = {
  int: ['long', 'double'],
  float: ['double'],
  date: ['timestamp'],
};

const UNKNOWN: ElementType = { type: 'unknown' };

/**
 * Compares two schemas field by field at every depth (order does not matter, names are matched
 * exactly). Changes come in the order of `before`'s fields, then fields only in `after`; within a
 * field, the type change before the nullability change, then nested changes. When a field's type
 * changes, its nested fields are not compared.
 * @throws RootlineError `REPORT_INVALID` when a level of either schema has a duplicate field name.
 */
export function diffSchemas(before: Schema, after: Schema): SchemaChange[] {
  const out: SchemaChange[] = [];
  diffFields(before, after, [], out);
  return out;
}

/** Counts changes by kind and says whether any is breaking. */
export function summarizeSchemaChanges(changes: readonly SchemaChange[]): SchemaDiffSummary {
  const byKind: Record<SchemaChangeKind, number> = { added: 0, removed: 0, type_changed: 0, nullability_changed: 0 };
  let breakingCount = 0;
  for (const c of changes) {
    byKind[c.kind]++;
    if (c.breaking) breakingCount++;
  }
  return {
    breaking: breakingCount > 0,
    total: changes.length,
    breakingCount,
    compatibleCount: changes.length - breakingCount,
    byKind,
  };
}

function byName(fields: readonly SchemaField[], steps: readonly FieldPathStep[]): Map<string, SchemaField> {
  const map = new Map<string, SchemaField>();
  for (const f of fields) {
    if (map.has(f.name)) {
      const where = formatFieldPath([...steps, { field: f.name }]);
      throw new RootlineError('REPORT_INVALID', `schema has a duplicate field ${where}`, { details: { path: where } });
    }
    map.set(f.name, f);
  }
  return map;
}

function diffFields(
  before: readonly SchemaField[],
  after: readonly SchemaField[],
  steps: FieldPathStep[],
  out: SchemaChange[],
): void {
  const b = byName(before, steps);
  const a = byName(after, steps);
  const what = steps.length === 0 ? 'column' : 'field';
  for (const [name, field] of b) {
    const path = [...steps, { field: name }];
    const other = a.get(name);
    if (other === undefined) {
      out.push({
        kind: 'removed',
        path: formatFieldPath(path),
        before: field,
        breaking: true,
        reason: `${what} removed`,
      });
    } else {
      diffElement(field, other, path, out);
    }
  }
  for (const [name, field] of a) {
    if (b.has(name)) continue;
    out.push({
      kind: 'added',
      path: formatFieldPath([...steps, { field: name }]),
      after: field,
      breaking: false,
      reason: `${what} added (${field.type}${field.nullable === false ? ', not null' : ''}): compatible`,
    });
  }
}

function diffElement(before: ElementType, after: ElementType, steps: FieldPathStep[], out: SchemaChange[]): void {
  const path = formatFieldPath(steps);
  if (before.type !== after.type) {
    out.push({
      kind: 'type_changed',
      path,
      before: before.type,
      after: after.type,
      ...classifyTypeChange(before.type, after.type),
    });
  }
  const nb = before.nullable !== false;
  const na = after.nullable !== false;
  if (nb !== na) {
    out.push(
      nb
        ? {
            kind: 'nullability_changed',
            path,
            before: true,
            after: false,
            breaking: true,
            reason: 'nullable -> not null: the nulls the old schema allowed no longer fit',
          }
        : {
            kind: 'nullability_changed',
            path,
            before: false,
            after: true,
            breaking: false,
            reason:
              'not null -> nullable: every old value still fits (readers may now see nulls; null-ratio rules watch for them)',
          },
    );
  }
  if (before.type !== after.type) return;
  if (before.type === 'struct') {
    diffFields(before.fields ?? [], after.fields ?? [], steps, out);
  } else if (before.type === 'array') {
    diffElement(before.items ?? UNKNOWN, after.items ?? UNKNOWN, [...steps, 'items'], out);
  } else if (before.type === 'map') {
    diffElement(before.keys ?? UNKNOWN, after.keys ?? UNKNOWN, [...steps, 'key'], out);
    diffElement(before.values ?? UNKNOWN, after.values ?? UNKNOWN, [...steps, 'value'], out);
  }
}

/**
 * Whether changing a field's type from `before` to `after` is breaking, with the reason: widenings in
 * {@link TYPE_WIDENINGS} are compatible, a change from or to `unknown` is not counted as breaking,
 * every other change is breaking.
 */
export function classifyTypeChange(before: FieldType, after: FieldType): { breaking: boolean; reason: string } {
  if (before === after) return { breaking: false, reason: `type unchanged (${before})` };
  if (before === 'unknown' || after === 'unknown') {
    return {
      breaking: false,
      reason: `type changed from ${before} to ${after}: one side is unknown, so compatibility cannot be judged (not counted as breaking)`,
    };
  }
  if (TYPE_WIDENINGS[before]?.includes(after) === true) {
    return { breaking: false, reason: `type widened from ${before} to ${after}: every old value fits` };
  }
  if (TYPE_WIDENINGS[after]?.includes(before) === true) {
    return { breaking: true, reason: `type narrowed from ${before} to ${after}: old values may not fit` };
  }
  return { breaking: true, reason: `type changed from ${before} to ${after}: not a widening, old values may not fit` };
}
