import { Catalog } from '../../../src/adapters/catalog/index.js';
import { catalogSuite } from './suite.js';

// The same suite runs against the harness's PostgreSQL in test/integration/catalog/catalog.test.ts.
catalogSuite('PGlite (embedded)', () => Catalog.open({ driver: 'pglite' }));
