import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/contract/index.js';
import { eventually } from '../helpers.js';
import { monitorConfig, recentSim, startMonitor } from './harness.js';

async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/api/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('HTTP ingest against the broker limit (real Kafka)', () => {
  it('a report over the Kafka message limit is a 413; a body of many large reports is sent in pieces and processed', async () => {
    const cfg = monitorConfig();
    expect(cfg.kafka.maxMessageBytes).toBe(1_048_576);
    expect(cfg.http.maxBodyBytes).toBeGreaterThan(3_000_000);
    const m = await startMonitor(cfg);
    const { run } = recentSim('chain', 8, 'big-http', 5);
    const pad = (r: Report, bytes: number): Report => ({ ...r, params: { pad: 'x'.repeat(bytes) } });

    const [first, ...rest] = run(0);
    const tooBig = await post(m.httpUrl!, pad(first!, 1_500_000));
    expect(tooBig.status).toBe(413);
    expect(JSON.stringify(tooBig.body)).toContain('a Kafka message may carry');

    // Eight reports of 300 KB: 2.4 MB in one body, more than one produce request may carry.
    const many = await post(
      m.httpUrl!,
      [first!, ...rest].map((r) => pad(r, 300_000)),
    );
    expect(many).toMatchObject({ status: 202, body: { accepted: 8, rejected: [] } });
    await eventually(() => (m.metrics.reports.total() === 8 ? true : undefined), 60_000, 'the 8 reports processed');
    expect(m.metrics.deadLetters.total()).toBe(0);
  });
});
