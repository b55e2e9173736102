import { describe, expect, it } from 'vitest';
import { pytest } from '../../python/run.js';
import { services } from '../helpers.js';

describe('Python emitter against the real broker (pytest -m integration)', () => {
  it('produces reports to Kafka with the right key, header and value', { timeout: 900_000 }, async () => {
    const out = await pytest(['python/tests', '-m', 'integration'], { ...process.env, ROOTLINE_KAFKA_BROKERS: services().kafkaBrokers.join(',') });
    expect(out).toMatch(/passed/);
  });
});
