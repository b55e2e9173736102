/**
 * Hashes everything the core decides on a file of reports, to show that a change to the hot path leaves the
 * verdicts as they were: every metric point, finding, incident event and run record, the state records the
 * monitor would commit after each batch (the dirty keys, exported as the batch loop exports them), and at the
 * end every state record. Lines are decoded as the monitor decodes a Kafka message (JSON, validation).
 *
 * Usage: npx tsx bench/verdict-hash.ts [--src DIR] [--batch 100] [--reload] FILE.jsonl...
 * --src DIR: the source tree to load (default this checkout's src/): run the same script against a copy of
 *   another commit to compare the two. --reload: also exports every state record in the middle of the file,
 *   loads them into a fresh core and goes on with it (what a restart does).
 * Prints one line per file: its reports and the hashes (sha256, first 8 hex digits) of each kind and of all.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type * as DecodeModule from '../src/adapters/decode/decode.js';
import type * as MonitorModule from '../src/monitor/index.js';
import type * as RulesModule from '../src/rules/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    src: { type: 'string', default: join(import.meta.dirname, '..', 'src') },
    batch: { type: 'string', default: '100' },
    reload: { type: 'boolean', default: false },
  },
});
const src = isAbsolute(values.src) ? values.src : resolve(values.src);
const load = (p: string): Promise<unknown> => import(pathToFileURL(join(src, p)).href);
// The other tree's modules, typed as this tree's (the same API).
const { decodeMessage } = (await load('adapters/decode/decode.ts')) as typeof DecodeModule;
const { MonitorCore, emptyOutput } = (await load('monitor/index.ts')) as typeof MonitorModule;
const { loadRules } = (await load('rules/index.ts')) as typeof RulesModule;
const BATCH = Number(values.batch);

// Sets and Maps as sorted arrays, so the hash does not depend on insertion order where order carries nothing.
function canonical(_k: string, v: unknown): unknown {
  if (v instanceof Set) return [...v].sort();
  if (v instanceof Map) return [...v.entries()].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1));
  return v;
}

for (const file of positionals) {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  const rules = loadRules(join(src, '..', 'rules'));
  let core = new MonitorCore({ rules });
  const h: Record<string, ReturnType<typeof createHash>> = {};
  for (const k of ['points', 'findings', 'events', 'runs', 'dirty', 'final']) h[k] = createHash('sha256');
  const all = createHash('sha256');
  const put = (k: string, v: unknown) => {
    const s = JSON.stringify(v, canonical);
    h[k]!.update(s);
    all.update(s);
  };
  let reports = 0;
  for (let at = 0; at < lines.length; at += BATCH) {
    const out = emptyOutput();
    for (const line of lines.slice(at, at + BATCH)) {
      const d = await decodeMessage(Buffer.from(line), { maxMessageBytes: 16 * 1024 * 1024 });
      if (d[0]?.kind !== 'report') throw new Error(`${file}: not a report: ${JSON.stringify(d[0]).slice(0, 200)}`);
      core.processReport(d[0].report, out);
      reports++;
    }
    put('points', out.points);
    put('findings', out.findings);
    put('events', out.incidentEvents);
    put('runs', out.runs);
    put('dirty', core.exportState([...out.dirty].sort()));
    if (values.reload && at < lines.length / 2 && at + BATCH >= lines.length / 2) {
      const records = core.exportState(core.allStateKeys());
      core = new MonitorCore({ rules });
      core.importState(records);
    }
  }
  put('final', core.exportState(core.allStateKeys().sort()));
  const hex = (x: ReturnType<typeof createHash>) => x.digest('hex').slice(0, 8);
  const parts = Object.entries(h).map(([k, v]) => `${k} ${hex(v)}`);
  process.stdout.write(`${file}: ${reports} reports, ${parts.join(', ')}, all ${hex(all)}\n`);
}
