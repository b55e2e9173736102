import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { Writable } from 'node:stream';
import { Kafka, logLevel } from 'kafkajs';
import { renderIncident, renderThreadReply } from '../actions/index.js';
import { loadConfig } from '../config/index.js';
import { DEMO_DAG, DEMO_FAULT, blocksToText, renderReport, reportData } from '../demo/index.js';
import { describeAddresses, localMonitorConfig, servicesDown, servicesUp } from '../dev/services/index.js';
import type { RecordedCall } from '../dev/slack/server.js';
import { RootlineError } from '../errors/index.js';
import { InfluxSink } from '../adapters/influx/sink.js';
import { createLogger } from '../service/log.js';
import { MEASUREMENTS, MonitorCore, type Incident, type IncidentEvent } from '../monitor/index.js';
import { MemoryPointStore } from '../monitor/memory-store.js';
import { DEFAULT_RULES_DIR, loadRules } from '../rules/index.js';
import { PipelineSim, type Fault } from '../sim/index.js';
import { startInProcess } from '../service/monitor.js';
import { Catalog } from '../adapters/catalog/index.js';
import { catalogRunsOf } from '../service/catalog.js';

const USAGE = `usage: rootline demo [--stack embedded|local] [--runs 36] [--fault-at 18] [--fault-runs 4] [--out out/rootline-demo.html]

Runs Rootline on a sample 8-node pipeline (a churn model's features): healthy runs, then a bad deploy
at compute_avg_amount writes nulls into a column for a few runs, then the fix. Shows live progress,
prints the incident as the Slack message reads, and writes a self-contained HTML report of the lineage
colored by health, with the metric series.
  --stack embedded   (default) the monitor's core in this process, with an in-process store; needs only Node
  --stack local      the real local services (Kafka, schema registry, InfluxDB, the local Slack server),
                     started by the project's harness if they are not running`;

interface Printer {
  progress(run: number, total: number, text: string): void;
  line(s: string): void;
  done(): void;
}

function printer(quiet: boolean): Printer {
  const tty = process.stderr.isTTY === true;
  let last = '';
  return {
    progress(run, total, text) {
      if (quiet) return;
      const width = 24;
      const filled = Math.round((run / total) * width);
      const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
      const s = `run ${String(run).padStart(2)}/${total} [${bar}] ${text}`;
      if (tty) process.stderr.write(`\r${s.padEnd(last.length)}`);
      else process.stderr.write(`${s}\n`);
      last = s;
    },
    line(s) {
      if (tty && last) process.stderr.write('\n');
      last = '';
      process.stdout.write(`${s}\n`);
    },
    done() {
      if (tty && last) process.stderr.write('\n');
    },
  };
}

function faultsFor(run: number, faultAt: number, faultRuns: number): Fault[] {
  return run >= faultAt && run < faultAt + faultRuns ? [{ ...DEMO_FAULT }] : [];
}

function printEvent(p: Printer, e: IncidentEvent, grafana: string | undefined): void {
  if (e.type === 'opened') {
    const msg = renderIncident(e.incident, { grafanaUrlTemplate: grafana });
    p.line(`\n${'-'.repeat(78)}\nSlack #data-incidents (new message):\n${blocksToText(msg.blocks)}\n${'-'.repeat(78)}`);
  } else {
    const reply = renderThreadReply(e);
    if (reply) p.line(`Slack thread reply (${e.incident.incident_id}): ${reply.text.replace(/:[a-z_]+: /g, '')}`);
  }
}

function summary(inc: Incident[]): string {
  if (inc.length === 0) return 'no incident was raised';
  return inc
    .map(
      (i) =>
        `${i.incident_id}: culprit ${i.culprit} (pipeline ${i.pipeline}), ${i.metric}${i.column ? ` of ${i.column}` : ''}, cause: ${i.cause.summary}; ${i.status}`,
    )
    .join('\n');
}

/** What both demo stacks take from the command line. */
interface DemoOptions {
  runs: number;
  faultAt: number;
  faultRuns: number;
  out: string;
  quiet: boolean;
}

async function embedded(o: DemoOptions): Promise<Incident[]> {
  const t0 = Date.now();
  const p = printer(o.quiet);
  const core = new MonitorCore({ rules: loadRules(DEFAULT_RULES_DIR) });
  const store = new MemoryPointStore();
  const sim = new PipelineSim(DEMO_DAG, {
    seed: 42,
    startTime: Math.floor(Date.now() / 3_600_000) * 3_600_000 - o.runs * 3_600_000,
    contentHashes: true,
  });
  const catalog = await Catalog.open({ driver: 'pglite' });
  try {
    return await embeddedRuns(o, t0, p, core, store, sim, catalog);
  } finally {
    await catalog.close();
  }
}

async function embeddedRuns(
  o: DemoOptions,
  t0: number,
  p: Printer,
  core: MonitorCore,
  store: MemoryPointStore,
  sim: PipelineSim,
  catalog: Catalog,
): Promise<Incident[]> {
  const grafana = loadConfig({ env: {} }).slack.grafanaUrlTemplate;
  p.line(
    `Rootline demo (embedded): pipeline ${DEMO_DAG.pipeline}, ${DEMO_DAG.nodes.length} nodes, ${o.runs} runs; a bad deploy at ${DEMO_FAULT.node} from run ${o.faultAt} for ${o.faultRuns} runs.`,
  );
  for (let r = 0; r < o.runs; r++) {
    const reports = sim.run(r, faultsFor(r, o.faultAt, o.faultRuns));
    const out = core.processBatch(reports);
    await store.write(out.points);
    await catalog.writeRuns(catalogRunsOf(reports, out, (ref, at) => core.latestRun(ref, at)?.outputs));
    const healthy = out.runs.filter((x) => x.run.healthy).length;
    const open = core.incidents({ status: 'open' }).length;
    p.progress(
      r + 1,
      o.runs,
      `${out.processed} reports, ${healthy}/${out.runs.length} nodes healthy, ${open} open incident${open === 1 ? '' : 's'}`,
    );
    for (const e of out.incidentEvents) {
      printEvent(p, e, grafana);
      if (e.type === 'resolved')
        p.line(
          `Incident ${e.incident.incident_id} resolved at run ${r + 1}: ${e.incident.culprit} healthy for ${e.incident.healthy_streak} runs.`,
        );
    }
  }
  p.done();
  const data = reportData({
    core,
    dag: DEMO_DAG,
    runs: o.runs,
    column: DEMO_FAULT.column,
    nullRatio: (node, runId) => {
      const pt = store
        .query(MEASUREMENTS.column, { pipeline: DEMO_DAG.pipeline, node, column: DEMO_FAULT.column })
        .find((x) => x.fields.run_id === runId);
      return typeof pt?.fields.null_ratio === 'number' ? pt.fields.null_ratio : null;
    },
    mode: 'embedded core, in-process store',
  });
  data.incidents = core.incidents().map((i) => ({
    title: `${i.culprit}: ${i.metric}${i.column ? ` of ${i.column}` : ''}`,
    text: blocksToText(renderIncident(i, { grafanaUrlTemplate: grafana }).blocks),
    status: i.status,
  }));
  writeReport(o.out, renderReport(data));
  p.line(await provenanceLine(catalog, core));
  p.line(
    `\nHTML report: ${o.out}\nDone in ${((Date.now() - t0) / 1000).toFixed(1)} s. Incidents:\n${summary(core.incidents())}`,
  );
  return core.incidents();
}

/** One line on the provenance of the model's latest output, from the catalog. */
async function provenanceLine(catalog: Catalog, core: MonitorCore): Promise<string> {
  const last = DEMO_DAG.nodes[DEMO_DAG.nodes.length - 1]!.name;
  const run = await catalog.getRun({
    pipeline: DEMO_DAG.pipeline,
    node: last,
    run_id: core.latestRun({ pipeline: DEMO_DAG.pipeline, node: last }, Infinity)?.run_id ?? '',
  });
  const hash = run?.outputs[0]?.content_hash;
  if (hash === undefined) return `\nProvenance catalog: no output of ${last} stored.`;
  const prov = await catalog.provenance(hash);
  const runs = Object.values(prov.runs);
  return `\nProvenance catalog (embedded): ${last}'s latest output ${hash} comes from ${runs.length} runs of ${new Set(runs.map((r) => r.node)).size} nodes and ${prov.sources.length} source datasets (${prov.sources.map((s) => `${s.dataset}@${s.version ?? s.content_hash ?? '?'}`).join(', ')}); \`rootline lineage provenance\` shows the tree.`;
}

function writeReport(path: string, html: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, html);
}

async function localStack(o: DemoOptions): Promise<Incident[]> {
  const t0 = Date.now();
  const p = printer(o.quiet);
  p.line('Rootline demo on the local services (starting them if needed)...');
  const up = await servicesUp({ log: (m) => p.line(`[services] ${m}`) });
  p.line(describeAddresses(up.addresses));
  const id = `demo${Date.now().toString(36)}`;
  const cfg = localMonitorConfig(up.addresses, id, {
    'slack.channel': 'C0DEMO',
    'monitor.rules': DEFAULT_RULES_DIR,
    'catalog.url': 'pglite:',
  });
  const h = await startInProcess(cfg, createLogger('error', new Writable({ write: (_c, _e, cb) => cb() })));
  const kafka = new Kafka({
    clientId: 'rootline-demo',
    brokers: up.addresses.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  await producer.connect();
  const sim = new PipelineSim(DEMO_DAG, { seed: 42, contentHashes: true });
  const base = Date.now() - o.runs * 60_000;
  const seenCalls = new Set<number>();
  const slackCalls = async (): Promise<RecordedCall[]> =>
    (await (await fetch(`${up.addresses.slackControlUrl}/calls?token=${cfg.slack.token!}`)).json()) as RecordedCall[];
  try {
    for (let r = 0; r < o.runs; r++) {
      const reports = sim.run(r, faultsFor(r, o.faultAt, o.faultRuns), base + r * 60_000);
      await producer.send({
        topic: cfg.kafka.topics.reports,
        messages: reports.map((x) => ({ key: x.pipeline, value: JSON.stringify(x) })),
      });
      const want = (r + 1) * DEMO_DAG.nodes.length;
      const deadline = Date.now() + 60_000;
      while (h.metrics.reports.total() < want) {
        if (Date.now() > deadline)
          throw new RootlineError('SERVICE_UNAVAILABLE', `the monitor did not process run ${r + 1} within 60 s`);
        await new Promise((res) => setTimeout(res, 20));
      }
      await h.dispatcher.drain();
      const open = h.core.incidents({ status: 'open' }).length;
      p.progress(r + 1, o.runs, `${want} reports through Kafka, ${open} open incident${open === 1 ? '' : 's'}`);
      for (const c of await slackCalls()) {
        if (seenCalls.has(c.seq) || c.status !== 200) continue;
        seenCalls.add(c.seq);
        if (c.method === 'chat.postMessage' && c.args.thread_ts === undefined)
          p.line(
            `\n${'-'.repeat(78)}\nSlack (local server) received chat.postMessage:\n${blocksToText((c.args.blocks ?? []) as never)}\n${'-'.repeat(78)}`,
          );
        else if (c.method === 'chat.postMessage')
          p.line(`Slack thread reply: ${String(c.args.text).replace(/:[a-z_]+: /g, '')}`);
      }
    }
    p.done();
    // The column series from InfluxDB.
    const influx = new InfluxSink({
      url: cfg.influx.url,
      token: cfg.influx.token,
      org: cfg.influx.org,
      bucket: cfg.influx.bucket,
    });
    const series = await influx.query<{ node: string; run_id: string; null_ratio: number }>(
      `from(bucket: "${cfg.influx.bucket}") |> range(start: -30d, stop: 1d) |> filter(fn: (r) => r._measurement == "${MEASUREMENTS.column}" and r.pipeline == "${DEMO_DAG.pipeline}" and r.column == "${DEMO_FAULT.column}" and (r._field == "null_ratio" or r._field == "run_id")) |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
    );
    const data = reportData({
      core: h.core,
      dag: DEMO_DAG,
      runs: o.runs,
      column: DEMO_FAULT.column,
      nullRatio: (node, runId) => series.find((s) => s.node === node && s.run_id === runId)?.null_ratio ?? null,
      mode: 'local services: Kafka, InfluxDB, Slack Web API server',
    });
    data.incidents = h.core.incidents().map((i) => ({
      title: `${i.culprit}: ${i.metric}${i.column ? ` of ${i.column}` : ''}`,
      text: blocksToText(renderIncident(i, { grafanaUrlTemplate: cfg.slack.grafanaUrlTemplate }).blocks),
      status: i.status,
    }));
    writeReport(o.out, renderReport(data));
    if (h.catalog) p.line(await provenanceLine(h.catalog, h.core));
    p.line(
      `\nHTML report: ${o.out}\nDone in ${((Date.now() - t0) / 1000).toFixed(1)} s. Incidents:\n${summary(h.core.incidents())}`,
    );
    return h.core.incidents();
  } finally {
    await producer.disconnect().catch(() => undefined);
    await h.stop();
    if (up.started.length > 0) await servicesDown({ only: up.started, log: () => undefined });
  }
}

/** `rootline demo`. Exit 0 when an incident names the injected culprit. */
export async function demoCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      stack: { type: 'string', default: 'embedded' },
      runs: { type: 'string', default: '36' },
      'fault-at': { type: 'string', default: '18' },
      'fault-runs': { type: 'string', default: '4' },
      out: { type: 'string', default: 'out/rootline-demo.html' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const num = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new RootlineError('CONFIG_INVALID', `--${name} must be an integer >= ${min}, got ${v}`);
    return n;
  };
  const o = {
    runs: num('runs', values.runs, 10),
    faultAt: num('fault-at', values['fault-at'], 7),
    faultRuns: num('fault-runs', values['fault-runs'], 1),
    out: values.out,
    quiet: values.quiet,
  };
  if (o.faultAt + o.faultRuns >= o.runs)
    throw new RootlineError(
      'CONFIG_INVALID',
      `--fault-at + --fault-runs must leave healthy runs before --runs (${o.runs})`,
    );
  if (values.stack !== 'embedded' && values.stack !== 'local')
    throw new RootlineError('CONFIG_INVALID', `--stack must be embedded or local, got ${values.stack}`);
  const incidents = values.stack === 'local' ? await localStack(o) : await embedded(o);
  const named = incidents.some((i) => i.culprit === DEMO_FAULT.node);
  if (!named) process.stderr.write(`demo: no incident named the injected culprit ${DEMO_FAULT.node}\n`);
  return named ? 0 : 1;
}
