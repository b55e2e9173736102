// Issue 14's chaos test, short enough for CI (about four minutes with the services' start): a stream of JSON and
// Avro reports of several pipelines with data faults that open incidents and re-sent duplicates, while InfluxDB
// is stopped and started, the broker restarted, the monitor SIGKILLed and restarted over a schema-registry
// outage, and Slack answers 429 with a Retry-After longer than the consumer's session. The longer run and its
// figures: bench/chaos.ts, bench/results/chaos.md.
import { describe, expect, it } from 'vitest';
import { runChaos } from './scenario.js';

describe('chaos: dependency faults one after another under a steady stream (issue 14)', () => {
  it('every report recorded once, every incident posted once, /healthz truthful, no crash', async () => {
    const r = await runChaos({
      pipelines: 4,
      nodesPerPipeline: 4,
      avroPipelines: 2,
      partitions: 4,
      runIntervalMs: 1500,
      warmupRuns: 8,
      incidentEveryRuns: 6,
      resendEveryRuns: 7,
      gapMs: 6000,
      influxDownMs: 12_000,
      brokerDownMs: 6000,
      restartAfterMs: 3000,
      registryDownMs: 12_000,
      slack429Ms: 20_000,
      retryAfterSec: 12,
      sessionTimeoutMs: 6000,
      tailRuns: 10,
      drainMs: 90_000,
      log: (m) => process.stderr.write(`[chaos] ${m}\n`),
    });
    process.stderr.write(
      `[chaos] ${JSON.stringify({ ...r, injectedIncidents: r.injectedIncidents.length, monitorWarnings: r.monitorWarnings.length })}\n`,
    );
    if (!r.drained || r.unposted.length > 0 || r.unexpectedExits.length > 0)
      process.stderr.write(`[chaos] monitor warnings:\n${r.monitorWarnings.join('\n')}\n`);

    expect(r.unexpectedExits).toEqual([]);
    expect(r.drained).toBe(true);
    // Reports produced = runs recorded, in InfluxDB and in the monitor's state; nothing counted twice.
    expect(r.produced).toBeGreaterThan(400);
    expect(r.recordedInflux).toBe(r.produced);
    expect(r.recordedApi).toBe(r.produced);
    expect(r.nodeMismatches).toEqual([]);
    expect(r.duplicateRuns).toBe(0);
    expect(r.resent).toBeGreaterThan(0);
    expect(r.duplicatesDropped).toBeGreaterThanOrEqual(r.resentSinceRestart);
    expect(r.deadLetters).toBe(0);
    // Incidents opened = top-level Slack messages, one each.
    expect(r.injectedIncidents.length).toBeGreaterThanOrEqual(4);
    expect(r.injectedMissed).toEqual([]);
    expect(r.unposted).toEqual([]);
    expect(r.duplicateMessages).toBe(0);
    expect(r.slackMessages).toBe(r.incidentsOpened);
    // /healthz: not ok while InfluxDB or the broker is away (and never ok again before they are back), ok after.
    const fault = (id: string) => r.faults.find((f) => f.id === id)!;
    for (const id of ['influxdb-stopped', 'broker-restart', 'monitor-sigkill'] as const) {
      expect(fault(id).detectedMs, id).toBeDefined();
      expect(fault(id).detectedMs!, id).toBeLessThan(15_000);
      expect(fault(id).okWhileDown, id).toBe(0);
    }
    // The registry outage only holds Avro partitions: degraded, named, not down.
    expect(fault('registry-outage').components).toContain('schema-registry:degraded');
    expect(fault('influxdb-stopped').components.some((c) => c.startsWith('influxdb:'))).toBe(true);
    expect(fault('broker-restart').components.some((c) => c.startsWith('kafka:'))).toBe(true);
    for (const f of r.faults) expect(f.recoveredMs, f.id).toBeDefined();
    expect(r.finalHealth).toBe(200);
  }, 600_000);
});
