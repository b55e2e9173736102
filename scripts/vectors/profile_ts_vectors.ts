// The reverse direction of the cross-language profile check: TypeScript's profile of
// test/vectors/profile/dataset.json (the dataset python/scripts/make_profile_vectors.py wrote, read as
// test/profile/dataset-vectors.ts describes), for python/tests/test_ts_profile_vectors.py to check with
// pandas and datasketches: the same fingerprint, and TypeScript's KLL sketches deserialize with the
// same n, min and max. The sketches' compactions are seeded (ProfileOptions.seed = 0), so a re-run
// writes an identical file; test/profile/profile.vectors.test.ts checks the committed file is current.
//
// Run: npx tsx scripts/vectors/profile_ts_vectors.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { profileColumns } from '../../src/profile/index.js';
import type { Profile } from '../../src/contract/index.js';
import { VECTORS, datasetColumns, readDataset, type Dataset } from '../../test/profile/dataset-vectors.js';

export const TS_PROFILE_PATH = join(VECTORS, 'ts_profile.json');

/** TypeScript's profile of dataset.json with the dataset's profile options. */
export function tsProfileOf(ds: Dataset): Profile {
  const { columns, schema } = datasetColumns(ds);
  const o = ds.profile_options;
  return profileColumns(columns, { schema, sketch: o.sketch, k: o.k, topK: o.top_k, seed: 0 });
}

/** The file's content. */
export function tsProfileDocument(ds: Dataset): string {
  const doc = {
    generated_by: 'scripts/vectors/profile_ts_vectors.ts',
    dataset: 'test/vectors/profile/dataset.json',
    profile_options: ds.profile_options,
    profile: tsProfileOf(ds),
  };
  return `${JSON.stringify(doc, null, 1)}\n`;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const ds = readDataset();
  writeFileSync(TS_PROFILE_PATH, tsProfileDocument(ds));
  console.log(`wrote ${TS_PROFILE_PATH}`);
}
