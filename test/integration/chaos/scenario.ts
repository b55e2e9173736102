/**
 * The chaos run of issue 14, shared by the CI test (test/integration/chaos/chaos.test.ts, short) and the
 * benchmark (bench/chaos.ts, long): a stream of reports (several pipelines, JSON and Confluent-framed Avro, data
 * faults that open incidents, re-sent duplicates) into a `rootline monitor` child process, while one dependency
 * fault after another hits it: an InfluxDB outage (the process stopped, then started on its data), a broker
 * restart, SIGKILL of the monitor with a schema-registry outage over its restart (so its schema cache is empty),
 * and the Slack server answering 429 with a long Retry-After. Then it drains and counts.
 *
 * The services are the project's harness's own (Kafka, schema registry, InfluxDB, the local Slack server) on
 * ports of their own and a fresh run directory, so stopping them disturbs no other test; they are stopped at the
 * end. The registry is reached through a TCP proxy that is switched off for its outage: the harness's registry
 * keeps schemas in memory, so a real stop would lose the ids (a different fault, UNKNOWN_SCHEMA_ID).
 *
 * No vitest here: the test asserts on the {@link ChaosResult}, the benchmark writes it down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { InfluxDB } from '@influxdata/influxdb-client';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { SETTINGS, type MonitorConfig } from '../../../src/config/index.js';
import { REPORT_AVRO_SCHEMA, encodeReportAvro, type Report } from '../../../src/contract/index.js';
import {
  addresses,
  harnessConfig,
  localMonitorConfig,
  servicesDown,
  servicesUp,
  type HarnessConfig,
} from '../../../src/dev/services/index.js';
import { PipelineSim, makeDag, type Fault, type FaultKind } from '../../../src/sim/index.js';

export interface ChaosOptions {
  pipelines: number;
  nodesPerPipeline: number;
  /** The first this many pipelines are sent as Confluent-framed Avro, the others as JSON. */
  avroPipelines: number;
  partitions: number;
  /** One run of every pipeline this often (event times follow the same pace). */
  runIntervalMs: number;
  /** Healthy runs before the first injected data fault (the baselines). */
  warmupRuns: number;
  /** A data fault (one incident) every this many runs, pipelines and kinds in turn. */
  incidentEveryRuns: number;
  /** Every this many runs, the previous run of one pipeline is sent again (same event_ids). */
  resendEveryRuns: number;
  /** Quiet time between two faults (the stream goes on). */
  gapMs: number;
  influxDownMs: number;
  brokerDownMs: number;
  /** The monitor is restarted this long after its SIGKILL. */
  restartAfterMs: number;
  registryDownMs: number;
  /** Slack answers every call 429 with `Retry-After: retryAfterSec` for this long. */
  slack429Ms: number;
  retryAfterSec: number;
  sessionTimeoutMs: number;
  /** Runs sent after the last fault ended. */
  tailRuns: number;
  /** How long the monitor may take to catch up after the last report. */
  drainMs: number;
  log: (m: string) => void;
}

/** One injected dependency fault and what the monitor did. */
export interface FaultRecord {
  id: 'influxdb-stopped' | 'broker-restart' | 'monitor-sigkill' | 'registry-outage' | 'slack-429';
  /** When it started, from the first report (ms). */
  atMs: number;
  /** How long the dependency was actually away (ms). */
  downMs: number;
  /** From its start until /healthz first said not ok (503 or no answer), or undefined if it never did. */
  detectedMs: number | undefined;
  /** Samples of /healthz that answered 200 after it was detected and before it ended (should be 0). */
  okWhileDown: number;
  /** From its end until /healthz was 200 again (ms), or undefined if it never was. */
  recoveredMs: number | undefined;
  /** Distinct /healthz statuses seen while it lasted (0 = no answer). */
  statuses: number[];
  /** Components /healthz showed not ok while it lasted (name:state). */
  components: string[];
  /** Anything else worth a line. */
  note?: string;
}

export interface ChaosResult {
  startedAt: string;
  durationMs: number;
  streamMs: number;
  /** Distinct valid reports produced (event_ids). */
  produced: number;
  /** Messages sent, re-sent duplicates included. */
  sent: number;
  resent: number;
  /** Of which sent since the last restart of the monitor. */
  resentSinceRestart: number;
  avro: number;
  /** rootline_node_run points in InfluxDB. */
  recordedInflux: number;
  /** Sum of the runs of every node, from GET /api/v1/nodes. */
  recordedApi: number;
  /** Nodes whose run count in the API differs from what was produced for them. */
  nodeMismatches: string[];
  /** Points or runs beyond the reports produced (reports counted twice). */
  duplicateRuns: number;
  /** rootline_duplicates_total of the monitor running at the end. */
  duplicatesDropped: number;
  injectedIncidents: { pipeline: string; node: string; run: number; kind: FaultKind }[];
  /** Injected faults without an incident naming that node as culprit. */
  injectedMissed: string[];
  /** Distinct incident ids with an `opened` event on the incidents topic. */
  incidentsOpened: number;
  /** Top-level Slack messages posted (answered ok). */
  slackMessages: number;
  /** Incident ids with more than one top-level message, and the extra messages. */
  duplicateMessages: number;
  /** Incidents opened without a top-level message. */
  unposted: string[];
  /** Warnings and errors the monitor logged (the last ones, both processes). */
  monitorWarnings: string[];
  deadLetters: number;
  /** The monitor processes: exits other than the deliberate SIGKILL. */
  unexpectedExits: string[];
  faults: FaultRecord[];
  /** /healthz at the end. */
  finalHealth: number;
  /** How long the drain took after the last report. */
  drainedMs: number;
  drained: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ports nobody listens on now (the OS picks them). */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    servers.push(s);
    ports.push((s.address() as { port: number }).port);
  }
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A TCP proxy to `port` that can be switched off (connections refused, open ones cut) and on again. */
async function switchableProxy(
  port: number,
): Promise<{ port: number; off: () => Promise<void>; on: () => Promise<void> }> {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  let own = 0;
  const on = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(port, '127.0.0.1');
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const close = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', close).on('close', close);
        upstream.on('error', close).on('close', close);
      });
      server.listen(own, '127.0.0.1', () => {
        own = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const off = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await on();
  return { port: own, off, on };
}

/** Environment variables that reproduce a configuration (for the monitor child process). */
function envOf(cfg: MonitorConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of SETTINGS) {
    const v = s.key.split('.').reduce<unknown>((acc, k) => (acc as Record<string, unknown> | undefined)?.[k], cfg);
    if (v === undefined) continue;
    if (Array.isArray(v)) env[s.env] = v.join(',');
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') env[s.env] = String(v);
  }
  return env;
}

interface MonitorProcess {
  proc: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: string[];
  /** Its warnings and errors. */
  warnings: string[];
}

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** `rootline monitor` as a child process (from the sources); resolves once it has started. */
async function spawnMonitor(cfg: MonitorConfig, timeoutMs = 120_000): Promise<MonitorProcess> {
  const proc = spawn(process.execPath, ['--import', tsx, 'src/cli/entry.ts', 'monitor'], {
    env: { ...process.env, ...envOf(cfg), ROOTLINE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const warnings: string[] = [];
  let url: string | undefined;
  let buf = '';
  proc.stdout.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      output.push(line);
      if (output.length > 2000) output.splice(0, 1000);
      if (/"level":(40|50|60)/.test(line) && warnings.length < 1000) warnings.push(line);
      if (!url && line.includes('"monitor started"')) {
        try {
          url = String((JSON.parse(line) as { http?: unknown }).http);
        } catch {
          /* not JSON */
        }
      }
    }
  });
  proc.stderr.on('data', (d: Buffer) => output.push(d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.once('exit', (code, signal) => r({ code, signal })),
  );
  const deadline = Date.now() + timeoutMs;
  while (!url) {
    if (proc.exitCode !== null)
      throw new Error(`monitor exited with ${proc.exitCode}:\n${output.slice(-30).join('\n')}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`monitor did not start within ${timeoutMs} ms:\n${output.slice(-30).join('\n')}`);
    }
    await sleep(100);
  }
  return { proc, url, exited, output, warnings };
}

/** A Confluent-framed Avro report. */
function framed(id: number, r: Report): Buffer {
  const body = encodeReportAvro(r);
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt8(0, 0);
  out.writeUInt32BE(id, 1);
  Buffer.from(body).copy(out, 5);
  return out;
}

interface HealthSample {
  t: number;
  status: number;
  /** Components that were not ok (name:state). */
  notOk: string[];
}

const KINDS: FaultKind[] = ['row_drop', 'null_spike', 'shift'];

/** Runs the chaos scenario; always stops what it started. */
export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const t0 = Date.now();
  const cleanups: (() => Promise<unknown>)[] = [];
  const runDir = mkdtempSync(join(tmpdir(), 'rootline-chaos-'));
  const [kafkaPort, controllerPort, registryPort, influxPort, influxRpcPort, slackPort, postgresPort] =
    await freePorts(7);
  const hcfg: HarnessConfig = harnessConfig({
    ...process.env,
    ROOTLINE_RUN_DIR: runDir,
    ROOTLINE_KAFKA_PORT: String(kafkaPort),
    ROOTLINE_KAFKA_CONTROLLER_PORT: String(controllerPort),
    ROOTLINE_REGISTRY_PORT: String(registryPort),
    ROOTLINE_INFLUX_PORT: String(influxPort),
    ROOTLINE_INFLUX_RPC_PORT: String(influxRpcPort),
    ROOTLINE_SLACK_PORT: String(slackPort),
    ROOTLINE_POSTGRES_PORT: String(postgresPort),
  });
  const quiet = () => undefined;
  const log = o.log;
  try {
    log(`starting Kafka, schema registry, InfluxDB and Slack of its own in ${runDir}`);
    await servicesUp({ cfg: hcfg, log: quiet, only: ['kafka', 'registry', 'influx', 'slack'] });
    cleanups.push(async () => {
      await servicesDown({ cfg: hcfg, log: quiet, only: ['kafka', 'registry', 'influx', 'slack'] });
      rmSync(runDir, { recursive: true, force: true });
    });
    const svc = addresses(hcfg);
    const proxy = await switchableProxy(registryPort!);
    cleanups.push(proxy.off);
    const registryPath = new URL(svc.registryUrl).pathname;
    const id = `chaos-${process.pid}`;
    const cfg = localMonitorConfig(svc, id, {
      'kafka.partitions': o.partitions,
      'kafka.instanceId': `${id}-a`,
      'kafka.sessionTimeoutMs': o.sessionTimeoutMs,
      'kafka.maxWaitMs': 100,
      'schemaRegistry.url': `http://127.0.0.1:${proxy.port}${registryPath}`,
      'influx.token': 'unused',
      'influx.maxRetryDelayMs': 2000,
      'slack.channel': '#data-incidents',
      'slack.maxRetryDelayMs': Math.max(60_000, o.retryAfterSec * 2000),
      'monitor.rules': 'rules',
      'monitor.healthCheckMs': 1000,
      'log.level': 'info',
    });
    const token = cfg.slack.token!;
    const registry = new SchemaRegistry({ host: svc.registryUrl });
    const { id: schemaId } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(REPORT_AVRO_SCHEMA) },
      { subject: `${cfg.kafka.topics.reports}-value` },
    );

    // ---- the monitor process, restarted after the SIGKILL ----------------------------------------------------
    const unexpectedExits: string[] = [];
    let monitor = await spawnMonitor(cfg);
    let killing = false;
    let previousWarnings: string[] = [];
    const watchExit = (m: MonitorProcess) =>
      void m.exited.then((e) => {
        if (!(killing && e.signal === 'SIGKILL') && !stopping)
          unexpectedExits.push(`exit ${e.code ?? e.signal}: ${m.output.slice(-15).join('\n')}`);
      });
    let stopping = false;
    watchExit(monitor);
    cleanups.push(async () => {
      stopping = true;
      if (monitor.proc.exitCode === null && monitor.proc.signalCode === null) {
        monitor.proc.kill('SIGTERM');
        await Promise.race([monitor.exited, sleep(20_000)]);
        if (monitor.proc.exitCode === null) monitor.proc.kill('SIGKILL');
      }
    });
    log(`monitor started at ${monitor.url}`);

    // ---- /healthz, sampled all along -------------------------------------------------------------------------
    const samples: HealthSample[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const t = Date.now();
        let status: number;
        let notOk: string[] = [];
        try {
          const res = await fetch(`${monitor.url}/healthz`, { signal: AbortSignal.timeout(2000) });
          status = res.status;
          const body = (await res.json()) as { components?: Record<string, { state: string }> };
          notOk = Object.entries(body.components ?? {})
            .filter(([, c]) => c.state !== 'ok')
            .map(([n, c]) => `${n}:${c.state}`);
        } catch {
          status = 0; // no answer: the monitor is down
        }
        samples.push({ t, status, notOk });
        await sleep(250);
      }
    })();
    cleanups.push(async () => {
      sampling = false;
      await sampler;
    });

    // ---- the stream --------------------------------------------------------------------------------------------
    const kafka = new Kafka({
      clientId: `${id}-producer`,
      brokers: svc.kafkaBrokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 3, initialRetryTime: 200 },
    });
    const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    cleanups.push(() => producer.disconnect().catch(() => undefined));
    const sims = Array.from(
      { length: o.pipelines },
      (_, p) => new PipelineSim(makeDag('chain', o.nodesPerPipeline, `chaos-p${p}`, 100 + p), { seed: 1000 + p }),
    );
    const streamStart = Date.now();
    const produced = new Set<string>();
    const perNode = new Map<string, number>();
    const injected: ChaosResult['injectedIncidents'] = [];
    const history = new Map<number, Report[]>();
    let sent = 0;
    let resent = 0;
    /** Re-sent reports since the monitor running at the end started (its duplicates counter starts at 0). */
    let resentSinceRestart = 0;
    let avro = 0;
    let streaming = true;
    let runsAfterLastFault = -1;
    /** Sends until the broker takes it (it may be restarting). */
    const sendAll = async (messages: { key: string; value: string | Buffer }[]) => {
      for (;;) {
        try {
          await producer.send({ topic: cfg.kafka.topics.reports, acks: -1, messages });
          return;
        } catch {
          await sleep(500);
        }
      }
    };
    const encode = (p: number, r: Report) => {
      if (p < o.avroPipelines) {
        avro += 1;
        return { key: r.pipeline, value: framed(schemaId, r) };
      }
      return { key: r.pipeline, value: JSON.stringify(r) };
    };
    const stream = (async () => {
      let incidentTurn = 0;
      for (let r = 0; ; r++) {
        if (!streaming && runsAfterLastFault >= o.tailRuns) return r;
        if (!streaming) runsAfterLastFault += 1;
        const due = streamStart + r * o.runIntervalMs;
        if (due > Date.now()) await sleep(due - Date.now());
        const messages: { key: string; value: string | Buffer }[] = [];
        const faultRun = r >= o.warmupRuns && (r - o.warmupRuns) % o.incidentEveryRuns === o.incidentEveryRuns - 1;
        for (let p = 0; p < o.pipelines; p++) {
          const faults: Fault[] = [];
          if (faultRun && incidentTurn % o.pipelines === p) {
            const node = `n${String(1 + (incidentTurn % (o.nodesPerPipeline - 1))).padStart(2, '0')}`;
            const kind = KINDS[incidentTurn % KINDS.length]!;
            faults.push(kind === 'shift' ? { node, kind, column: 'amount' } : { node, kind });
            injected.push({ pipeline: `chaos-p${p}`, node, run: r, kind });
          }
          const reports = sims[p]!.run(r, faults, streamStart + r * o.runIntervalMs);
          if (p === 0) history.set(r, reports);
          for (const rep of reports) {
            produced.add(rep.event_id);
            const key = `${rep.pipeline}/${rep.node}`;
            perNode.set(key, (perNode.get(key) ?? 0) + 1);
            messages.push(encode(p, rep));
          }
        }
        if (faultRun) incidentTurn += 1;
        if (r > 0 && r % o.resendEveryRuns === 0) {
          for (const rep of history.get(r - 1) ?? []) messages.push(encode(0, rep));
          resent += history.get(r - 1)?.length ?? 0;
          resentSinceRestart += history.get(r - 1)?.length ?? 0;
        }
        history.delete(r - 2);
        sent += messages.length;
        await sendAll(messages);
      }
    })();

    // ---- the faults --------------------------------------------------------------------------------------------
    const faults: FaultRecord[] = [];
    const since = (t: number) => t - streamStart;
    /** What /healthz said between `from` and `to`, and how soon it was 200 again after `to`. */
    const judge = async (
      rec: Omit<FaultRecord, 'detectedMs' | 'okWhileDown' | 'recoveredMs' | 'statuses' | 'components'>,
      from: number,
      to: number,
    ): Promise<FaultRecord> => {
      const deadline = Date.now() + 120_000;
      let back: HealthSample | undefined;
      while (!back && Date.now() < deadline) {
        back = samples.find((s) => s.t >= to && s.status === 200);
        if (!back) await sleep(250);
      }
      const during = samples.filter((s) => s.t >= from && s.t < to);
      const detected = during.find((s) => s.status !== 200);
      const out: FaultRecord = {
        ...rec,
        detectedMs: detected ? detected.t - from : undefined,
        okWhileDown: detected ? during.filter((s) => s.t > detected.t && s.status === 200).length : 0,
        recoveredMs: back ? back.t - to : undefined,
        statuses: [...new Set(during.map((s) => s.status))].sort((a, b) => a - b),
        components: [...new Set(during.flatMap((s) => s.notOk))].sort(),
      };
      log(`fault ${out.id}: ${JSON.stringify(out)}`);
      return out;
    };

    await sleep(o.gapMs);
    {
      const from = Date.now();
      log('InfluxDB: stop');
      await servicesDown({ cfg: hcfg, log: quiet, only: ['influx'] });
      await sleep(o.influxDownMs);
      log('InfluxDB: start');
      // The outage is judged until the restart begins: from then on the service may answer again any moment.
      const to = Date.now();
      await servicesUp({ cfg: hcfg, log: quiet, only: ['influx'] });
      faults.push(await judge({ id: 'influxdb-stopped', atMs: since(from), downMs: Date.now() - from }, from, to));
    }
    await sleep(o.gapMs);
    {
      const from = Date.now();
      log('Kafka: stop');
      await servicesDown({ cfg: hcfg, log: quiet, only: ['kafka'] });
      await sleep(o.brokerDownMs);
      log('Kafka: start');
      // The outage is judged until the restart begins: from then on the service may answer again any moment.
      const to = Date.now();
      await servicesUp({ cfg: hcfg, log: quiet, only: ['kafka'] });
      faults.push(await judge({ id: 'broker-restart', atMs: since(from), downMs: Date.now() - from }, from, to));
    }
    await sleep(o.gapMs);
    {
      const from = Date.now();
      log('monitor: SIGKILL; schema registry: off');
      killing = true;
      monitor.proc.kill('SIGKILL');
      await monitor.exited;
      killing = false;
      await proxy.off();
      const registryFrom = Date.now();
      await sleep(o.restartAfterMs);
      resentSinceRestart = 0;
      previousWarnings = monitor.warnings;
      monitor = await spawnMonitor(cfg);
      watchExit(monitor);
      const to = Date.now();
      log(`monitor: restarted at ${monitor.url}`);
      const sigkill = judge({ id: 'monitor-sigkill', atMs: since(from), downMs: to - from }, from, to);
      await sleep(Math.max(0, o.registryDownMs - (Date.now() - registryFrom)));
      log('schema registry: on');
      await proxy.on();
      const registryTo = Date.now();
      faults.push(await sigkill);
      faults.push(
        await judge(
          {
            id: 'registry-outage',
            atMs: since(registryFrom),
            downMs: registryTo - registryFrom,
            note: 'the registry unreachable while the restarted monitor has no schema cached',
          },
          registryFrom,
          registryTo,
        ),
      );
    }
    await sleep(o.gapMs);
    {
      const from = Date.now();
      log(`Slack: 429 Retry-After ${o.retryAfterSec} s for ${o.slack429Ms} ms`);
      await fetch(`${svc.slackControlUrl}/faults`, {
        method: 'POST',
        body: JSON.stringify({ token, status: 429, retryAfterSec: o.retryAfterSec, durationMs: o.slack429Ms }),
      });
      await sleep(o.slack429Ms);
      const to = Date.now();
      const rec = await judge({ id: 'slack-429', atMs: since(from), downMs: to - from }, from, to);
      // Recovered: the first message Slack took after the 429s.
      let firstPost: number | undefined;
      for (const deadline = Date.now() + 120_000; firstPost === undefined && Date.now() < deadline;) {
        const calls = (await (await fetch(`${svc.slackControlUrl}/calls?token=${token}`)).json()) as {
          at: string;
          method: string;
          status: number;
        }[];
        const limited = calls.filter((c) => c.status === 429).length;
        const ok = calls.find((c) => c.method === 'chat.postMessage' && c.status === 200 && Date.parse(c.at) >= to);
        if (ok) {
          firstPost = Date.parse(ok.at) - to;
          rec.note = `Retry-After ${o.retryAfterSec} s (kafka.sessionTimeoutMs ${o.sessionTimeoutMs}); ${limited} calls answered 429; first message ${firstPost} ms after the 429s ended`;
        } else await sleep(500);
      }
      rec.recoveredMs = firstPost;
      faults.push(rec);
    }
    streaming = false;
    runsAfterLastFault = 0;
    const runs = await stream;
    const streamEnd = Date.now();
    log(`stream done: ${runs} runs, ${produced.size} reports (${sent} messages)`);

    // ---- drain and count -----------------------------------------------------------------------------------------
    const influx = new InfluxDB({ url: svc.influxUrl, token: 'unused' }).getQueryApi('o');
    const countInflux = async (): Promise<number> => {
      const rows = await influx.collectRows<{ _value: number }>(
        `from(bucket: "${cfg.influx.bucket}") |> range(start: 2020-01-01T00:00:00Z, stop: 2100-01-01T00:00:00Z) |> filter(fn: (r) => r._measurement == "rootline_node_run" and r._field == "row_count") |> group() |> count()`,
      );
      return rows[0]?._value ?? 0;
    };
    const apiRuns = async (): Promise<Map<string, number>> => {
      const out = new Map<string, number>();
      for (let p = 0; p < o.pipelines; p++) {
        const res = await fetch(`${monitor.url}/api/v1/nodes?pipeline=chaos-p${p}`);
        if (!res.ok) continue;
        const body = (await res.json()) as { nodes: { node: string; runs: number }[] };
        for (const n of body.nodes) out.set(`chaos-p${p}/${n.node}`, n.runs);
      }
      return out;
    };
    const opened = new Set<string>();
    const openedAt = new Map<string, string>();
    const incidentsKafka = new Kafka({
      clientId: `${id}-reader`,
      brokers: svc.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const reader = incidentsKafka.consumer({ groupId: `${id}-reader`, sessionTimeout: 10_000 });
    await reader.connect();
    cleanups.push(() => reader.disconnect().catch(() => undefined));
    await reader.subscribe({ topic: cfg.kafka.topics.incidents, fromBeginning: true });
    await reader.run({
      eachMessage: ({ message }) => {
        try {
          const e = JSON.parse(message.value?.toString('utf8') ?? 'null') as {
            type?: string;
            at?: string;
            incident?: { incident_id?: string };
          } | null;
          if (e?.type === 'opened' && e.incident?.incident_id) {
            opened.add(e.incident.incident_id);
            openedAt.set(e.incident.incident_id, `${e.at ?? ''} (offset ${message.offset})`);
          }
        } catch {
          /* not an event */
        }
        return Promise.resolve();
      },
    });
    let dead = 0;
    const dlqReader = incidentsKafka.consumer({ groupId: `${id}-dlq-reader`, sessionTimeout: 10_000 });
    await dlqReader.connect();
    cleanups.push(() => dlqReader.disconnect().catch(() => undefined));
    await dlqReader.subscribe({ topic: cfg.kafka.topics.dlq, fromBeginning: true });
    await dlqReader.run({ eachMessage: () => Promise.resolve(void (dead += 1)) });
    const slackPosts = async () => {
      const res = await fetch(`${svc.slackControlUrl}/calls?token=${token}&method=chat.postMessage`);
      const calls = (await res.json()) as {
        status: number;
        args: { thread_ts?: string; metadata?: { event_payload?: { incident_id?: string } } };
        response?: { ok?: boolean };
      }[];
      const top = calls.filter((c) => c.status === 200 && c.response?.ok && c.args.thread_ts === undefined);
      const byIncident = new Map<string, number>();
      for (const c of top) {
        const i = c.args.metadata?.event_payload?.incident_id ?? '(no metadata)';
        byIncident.set(i, (byIncident.get(i) ?? 0) + 1);
      }
      return { total: top.length, byIncident };
    };

    let drained = false;
    let influxCount = 0;
    let runsByNode = new Map<string, number>();
    let posts = await slackPosts();
    const drainDeadline = Date.now() + o.drainMs;
    while (Date.now() < drainDeadline) {
      influxCount = await countInflux().catch(() => -1);
      runsByNode = await apiRuns().catch(() => new Map<string, number>());
      posts = await slackPosts();
      const apiTotal = [...runsByNode.values()].reduce((s, n) => s + n, 0);
      if (
        influxCount >= produced.size &&
        apiTotal >= produced.size &&
        opened.size > 0 &&
        [...opened].every((i) => posts.byIncident.has(i))
      ) {
        drained = true;
        break;
      }
      await sleep(1000);
    }
    const drainedMs = Date.now() - streamEnd;
    // A settle period: anything counted twice would show up now.
    await sleep(3000);
    influxCount = await countInflux().catch(() => -1);
    runsByNode = await apiRuns().catch(() => new Map<string, number>());
    posts = await slackPosts();
    const recordedApi = [...runsByNode.values()].reduce((s, n) => s + n, 0);
    const nodeMismatches = [...perNode]
      .filter(([k, n]) => runsByNode.get(k) !== n)
      .map(([k, n]) => `${k}: produced ${n}, runs ${runsByNode.get(k) ?? 0}`);
    const incidents = (await (await fetch(`${monitor.url}/api/v1/incidents`)).json()) as {
      incidents: { pipeline: string; culprit: string }[];
    };
    const injectedMissed = injected
      .filter((f) => !incidents.incidents.some((i) => i.pipeline === f.pipeline && i.culprit === f.node))
      .map((f) => `${f.pipeline}/${f.node} (${f.kind} at run ${f.run})`);
    const metrics = await (await fetch(`${monitor.url}/metrics`)).text();
    const duplicatesDropped = Number(/^rootline_duplicates_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? 0);
    const health = await fetch(`${monitor.url}/healthz`);
    const finalHealth = health.status;
    await health.body?.cancel();
    const duplicateMessages = [...posts.byIncident.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
    return {
      startedAt: new Date(t0).toISOString(),
      durationMs: Date.now() - t0,
      streamMs: streamEnd - streamStart,
      produced: produced.size,
      sent,
      resent,
      resentSinceRestart,
      avro,
      recordedInflux: influxCount,
      recordedApi,
      nodeMismatches,
      duplicateRuns: Math.max(0, influxCount - produced.size) + Math.max(0, recordedApi - produced.size),
      duplicatesDropped,
      injectedIncidents: injected,
      injectedMissed,
      incidentsOpened: opened.size,
      slackMessages: posts.total,
      duplicateMessages,
      unposted: [...opened].filter((i) => !posts.byIncident.has(i)).map((i) => `${i} opened ${openedAt.get(i)}`),
      monitorWarnings: [...previousWarnings, ...monitor.warnings].map((l) => l.slice(0, 600)),
      deadLetters: dead,
      unexpectedExits,
      faults,
      finalHealth,
      drainedMs,
      drained,
    };
  } finally {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => log(`cleanup: ${String(err)}`));
  }
}
