import { describe, expect, it } from 'vitest';
import { pytest } from './run.js';

describe('Python emitter and cross-language vectors (pytest)', () => {
  // The first run on a new machine creates the Python environment, hence the long timeout.
  it('python/tests passes (unit tests: fingerprint and profile vectors, KLL vectors read by datasketches, transports)', { timeout: 1_200_000 }, async () => {
    const out = await pytest(['python/tests', '-m', 'not integration']);
    expect(out).toMatch(/passed/);
  });
});
