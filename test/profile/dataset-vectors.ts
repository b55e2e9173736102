// Reads test/vectors/profile/dataset.json (written by python/scripts/make_profile_vectors.py: one column per
// entry with its pandas dtype) into the TypeScript form a user would have for the same data, so that the
// TypeScript profiler can be compared with the Python emitter's python_profile.json.
//
// pandas dtype -> TypeScript column:
//   int64 -> BigInt64Array (long, not nullable: a typed array declares it)
//   float64 -> Float64Array with NaN for missing values (double, nullable)
//   Int64, string, category, object -> a JavaScript array with nulls (inferred, nullable)
//   datetime64[..] -> Date objects and nulls (timestamp)
//   bool -> booleans, declared { type: 'boolean', nullable: false } (JavaScript arrays cannot say "never null")
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Profile, SchemaField } from '../../src/contract/index.js';
import type { ColumnValues } from '../../src/profile/index.js';

export const VECTORS = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'profile');

export interface DatasetColumn {
  name: string;
  dtype: string;
  values: unknown[];
  categories?: string[];
}

export interface Dataset {
  row_count: number;
  profile_options: { sketch: 'kll' | 'sample'; k: number; top_k: number };
  columns: DatasetColumn[];
}

export interface PythonProfileFile {
  profile_options: { sketch: 'kll' | 'sample'; k: number; top_k: number };
  profile: Profile;
}

export function readDataset(): Dataset {
  return JSON.parse(readFileSync(join(VECTORS, 'dataset.json'), 'utf8')) as Dataset;
}

export function readPythonProfile(): PythonProfileFile {
  return JSON.parse(readFileSync(join(VECTORS, 'python_profile.json'), 'utf8')) as PythonProfileFile;
}

/** The dataset as TypeScript columns, plus the fields that must be declared (see the table above). */
export function datasetColumns(ds: Dataset): { columns: Record<string, ColumnValues>; schema: SchemaField[] } {
  const columns: Record<string, ColumnValues> = {};
  const schema: SchemaField[] = [];
  for (const col of ds.columns) {
    const { name, dtype, values } = col;
    if (dtype === 'int64') {
      columns[name] = BigInt64Array.from(values.map((v) => BigInt(v as number)));
    } else if (dtype === 'float64') {
      columns[name] = Float64Array.from(values.map((v) => (v === null ? NaN : (v as number))));
    } else if (dtype.startsWith('datetime64')) {
      columns[name] = values.map((v) => (v === null ? null : new Date(v as string)));
    } else if (dtype === 'bool') {
      columns[name] = values;
      schema.push({ name, type: 'boolean', nullable: false });
    } else if (dtype === 'Int64' || dtype === 'string' || dtype === 'category' || dtype === 'object') {
      columns[name] = values;
    } else {
      throw new Error(`dataset.json: column ${name} has dtype ${dtype}, which this reader does not know`);
    }
  }
  return { columns, schema };
}
