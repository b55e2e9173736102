import pg from 'pg';
import { afterAll } from 'vitest';
import { Catalog } from '../../../src/adapters/catalog/index.js';
import { catalogSuite } from '../../adapters/catalog/suite.js';
import { services, unique } from '../helpers.js';

// The unit project runs the same suite on PGlite: identical assertions on both drivers.
const schemas: string[] = [];

catalogSuite('PostgreSQL (harness)', () => {
  const schema = unique('catalog').replace(/-/g, '_');
  schemas.push(schema);
  return Catalog.open({ driver: 'pg', connectionString: services().postgresUrl, schema });
});

afterAll(async () => {
  const client = new pg.Client({ connectionString: services().postgresUrl });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});
