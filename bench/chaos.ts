/**
 * Issue 14's chaos run, the long version of test/integration/chaos/chaos.test.ts, with the faults of the
 * fault-injection suite's CHAOS_SCENARIO (test/integration/faults/attacks.ts): 6 pipelines of 5 nodes on 6
 * partitions, about 10 reports a second, a third of the pipelines as Avro; InfluxDB stopped for 40 s, the broker
 * stopped for 10 s, the monitor SIGKILLed and restarted after 5 s over a 30 s schema-registry outage, Slack
 * answering 429 with Retry-After 45 for 100 s (longer than the 30 s default session timeout). Writes the figures
 * to bench/results/chaos.md.
 *
 * Usage: npx tsx bench/chaos.ts [--out bench/results/chaos.md] [--scale 1]
 * (`--scale 0.5` halves every duration.) The services are the harness's, started on ports of their own.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, freemem, totalmem, type as osType, release } from 'node:os';
import { parseArgs } from 'node:util';
import { runChaos, type ChaosResult } from '../test/integration/chaos/scenario.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'bench/results/chaos.md' },
    scale: { type: 'string', default: '1' },
  },
});
const k = Number(values.scale);
const ms = (n: number) => Math.round(n * k);

const options = {
  pipelines: 6,
  nodesPerPipeline: 5,
  avroPipelines: 2,
  partitions: 6,
  runIntervalMs: 3000,
  warmupRuns: 8,
  incidentEveryRuns: 5,
  resendEveryRuns: 7,
  gapMs: ms(20_000),
  influxDownMs: ms(40_000),
  brokerDownMs: ms(10_000),
  restartAfterMs: ms(5000),
  registryDownMs: ms(30_000),
  slack429Ms: ms(100_000),
  retryAfterSec: 45,
  sessionTimeoutMs: 30_000,
  tailRuns: 10,
  drainMs: 240_000,
  log: (m: string) => process.stderr.write(`[chaos] ${m}\n`),
};

const r = await runChaos(options);

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();
const s = (n: number | undefined) => (n === undefined ? 'never' : `${(n / 1000).toFixed(1)} s`);
const check = (ok: boolean) => (ok ? 'yes' : '**NO**');

function report(r: ChaosResult): string {
  const fault = (id: string) => r.faults.find((f) => f.id === id);
  const held = {
    runs: r.recordedInflux === r.produced && r.recordedApi === r.produced && r.nodeMismatches.length === 0,
    duplicates: r.duplicateRuns === 0 && r.duplicateMessages === 0,
    messages: r.slackMessages === r.incidentsOpened && r.unposted.length === 0,
    health: ['influxdb-stopped', 'broker-restart', 'monitor-sigkill'].every(
      (id) => fault(id)?.detectedMs !== undefined && fault(id)?.okWhileDown === 0,
    ),
  };
  return `# Chaos run (issue 14)

A steady stream of reports into \`rootline monitor\` (a child process) while dependency faults hit it one after
another, on the real services of the harness (Kafka 3.9 KRaft, Apicurio schema registry, InfluxDB 1.8, the local
Slack server), each on ports of its own. Produced by \`npx tsx bench/chaos.ts\` (the CI version, shorter:
test/integration/chaos/chaos.test.ts). Commit ${commit}, ${r.startedAt}.

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM (${(freemem() / 2 ** 30).toFixed(0)} GiB free at the end), ${osType()} ${release()}, Node ${process.version}. The machine is shared with other jobs: times are upper bounds.

## Stream

| | |
|---|---|
| pipelines × nodes | ${options.pipelines} × ${options.nodesPerPipeline} (chains), ${options.partitions} partitions |
| pace | one run of every pipeline every ${options.runIntervalMs / 1000} s (${((options.pipelines * options.nodesPerPipeline) / (options.runIntervalMs / 1000)).toFixed(0)} reports/s) |
| stream length | ${s(r.streamMs)} (whole run with the services' start and the drain: ${s(r.durationMs)}) |
| reports produced (distinct event_ids) | ${r.produced} |
| messages sent | ${r.sent} (${r.avro} Confluent-framed Avro, the rest JSON; ${r.resent} re-sent duplicates) |
| data faults injected (row drop, null spike, shift) | ${r.injectedIncidents.length} |

## Results

| invariant | figure | held |
|---|---|---|
| reports produced = runs recorded in InfluxDB (\`rootline_node_run\` points) | ${r.produced} = ${r.recordedInflux} | ${check(r.recordedInflux === r.produced)} |
| reports produced = runs in the monitor's state (\`GET /api/v1/nodes\`, every node) | ${r.produced} = ${r.recordedApi} | ${check(held.runs)} |
| runs counted twice | ${r.duplicateRuns} | ${check(r.duplicateRuns === 0)} |
| duplicates dropped by the last monitor process (\`rootline_duplicates_total\`) | ${r.duplicatesDropped} (≥ ${r.resentSinceRestart} re-sent since its start) | ${check(r.duplicatesDropped >= r.resentSinceRestart)} |
| incidents opened (\`opened\` events on the incidents topic) | ${r.incidentsOpened} | |
| top-level Slack messages | ${r.slackMessages} | ${check(held.messages)} |
| incidents with two messages | ${r.duplicateMessages} | ${check(r.duplicateMessages === 0)} |
| injected faults without an incident naming the node | ${r.injectedMissed.length} | ${check(r.injectedMissed.length === 0)} |
| dead letters (nothing here is invalid) | ${r.deadLetters} | ${check(r.deadLetters === 0)} |
| monitor exits other than the SIGKILL | ${r.unexpectedExits.length} | ${check(r.unexpectedExits.length === 0)} |
| caught up after the last report | ${s(r.drainedMs)} | ${check(r.drained)} |
| \`/healthz\` at the end | ${r.finalHealth} | ${check(r.finalHealth === 200)} |

## Faults

Times from the first report. *Told* = until \`/healthz\` first said not ok (503, or no answer while the process
is dead); *200 while down* = samples (every 250 ms) that said 200 after that and before the dependency was
started again; *recovered* = from the restart's begin until \`/healthz\` was 200 again (for Slack: until the first
message Slack took after the 429s).

| fault | at | down | told | 200 while down | recovered | /healthz statuses | components not ok |
|---|---|---|---|---|---|---|---|
${r.faults
  .map(
    (f) =>
      `| ${f.id} | ${s(f.atMs)} | ${s(f.downMs)} | ${s(f.detectedMs)} | ${f.okWhileDown} | ${s(f.recoveredMs)} | ${f.statuses.join(', ')} | ${f.components.join(', ')} |`,
  )
  .join('\n')}

${r.faults
  .filter((f) => f.note)
  .map((f) => `- ${f.id}: ${f.note}`)
  .join('\n')}
- registry-outage: the registry's probe is *degraded* (only Avro partitions wait for it), so \`/healthz\` stays 200
  and names \`schema-registry\`; no Avro report was dead-lettered, all were processed once it answered again.
- slack-429: \`/healthz\` stays 200 by design: the actions consumer waits out each Retry-After heartbeating (it
  keeps its partitions, no eviction, no restart) and the reports consumer never waits for Slack; the messages
  of the incidents opened meanwhile go out once Slack answers again (up to one Retry-After later).

Held overall: runs ${check(held.runs)}, no duplicates ${check(held.duplicates)}, one message per incident
${check(held.messages)}, truthful health ${check(held.health)}.
${r.unposted.length > 0 ? `\nIncidents without a message: ${r.unposted.join(', ')}\n` : ''}${r.nodeMismatches.length > 0 ? `\nNodes whose runs differ: ${r.nodeMismatches.join('; ')}\n` : ''}${r.unexpectedExits.length > 0 ? `\nUnexpected exits:\n\n\`\`\`\n${r.unexpectedExits.join('\n')}\n\`\`\`\n` : ''}`;
}

writeFileSync(values.out, report(r));
process.stderr.write(`[chaos] written to ${values.out}\n`);
