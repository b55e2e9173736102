/**
 * Rootline on the independent pandas evaluation set (bench/eval/pandas/README.md): generate (size, seed),
 * replay every scenario with `rootline replay --incidents-out`, score, and write a report per situation
 * (culprit right, incidents per fault, false incidents per 1,000 healthy node-runs) beside the simulator's
 * figures (bench/rca.ts, read from its results file).
 * Usage: npx tsx bench/eval-pandas.ts [--size small|full] [--seed 1] [--per-situation N] [--situations a,b]
 *        [--data DIR (reuse a generated set)] [--work DIR] [--workers 2] [--rca bench/results/rca.md]
 *        [--out bench/results/eval-pandas.md]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ROOT,
  TARGETS,
  generateSet,
  meetsTargets,
  projectPython,
  replaySet,
  scenariosOf,
  scoreSet,
  type SituationScore,
} from './eval-pandas-lib.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'small' },
    seed: { type: 'string', default: '1' },
    'per-situation': { type: 'string' },
    situations: { type: 'string' },
    sketch: { type: 'string', default: 'kll' },
    data: { type: 'string' },
    work: { type: 'string' },
    workers: { type: 'string', default: '2' },
    rca: { type: 'string', default: 'bench/results/rca.md' },
    out: { type: 'string', default: 'bench/results/eval-pandas.md' },
  },
});
const size = values.size === 'full' ? 'full' : 'small';
const seed = Number(values.seed);
const perSituation = values['per-situation'] !== undefined ? Number(values['per-situation']) : undefined;
const work = values.work ?? join(tmpdir(), `rootline-eval-pandas-${size}-${seed}`);
const data = values.data ?? join(work, 'data');
const results = join(work, 'results');

const python = await projectPython();
const t0 = performance.now();
let generateS: number | undefined;
if (values.data === undefined) {
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data, { recursive: true });
  process.stderr.write(`generating the ${size} set (seed ${seed}) into ${data}\n`);
  await generateSet(python, data, {
    size,
    seed,
    ...(perSituation !== undefined ? { perSituation } : {}),
    ...(values.situations !== undefined ? { situations: values.situations.split(',') } : {}),
    sketch: values.sketch === 'sample' ? 'sample' : 'kll',
  });
  generateS = (performance.now() - t0) / 1000;
}
rmSync(results, { recursive: true, force: true });
const total = scenariosOf(data).length;
let done = 0;
const t1 = performance.now();
await replaySet(data, results, Number(values.workers), (s, ms) =>
  process.stderr.write(`replayed ${++done}/${total} ${s} in ${(ms / 1000).toFixed(1)} s\n`),
);
const replayS = (performance.now() - t1) / 1000;
const { score, markdown } = await scoreSet(python, data, results);

const git = (args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
const commit = git(['rev-parse', '--short', 'HEAD']);
const dirty = git(['status', '--porcelain', '--', 'src', 'rules']) !== '' ? ' (with uncommitted changes)' : '';
const pct = (m: SituationScore) =>
  m.faults_expected > 0
    ? `${m.culprit_right}/${m.faults_expected} (${((100 * m.culprit_right) / m.faults_expected).toFixed(0)}%)`
    : '-';
const fmt = (v: number | null) => (v === null ? '-' : String(v));

/** The simulator's headline figures from bench/rca.ts's results file. */
function simulator(): { accuracy: string; perFault: string; falses: string; run: string } | undefined {
  if (!existsSync(values.rca)) return undefined;
  const md = readFileSync(values.rca, 'utf8');
  const cell = (re: RegExp) => re.exec(md)?.[1]?.replace(/\*\*/g, '').trim() ?? '?';
  return {
    accuracy: cell(/\| top-1 culprit accuracy \| ([^|]+) \|/),
    perFault: cell(/\| incidents per fault \| ([^|]+) \|/),
    falses: cell(/\| false incidents on healthy runs \| ([^|]+) \|/),
    run: cell(/^Run: (.+)$/m),
  };
}

const o = score.overall;
const sim = simulator();
const lines: string[] = [
  '# Rootline on the independent pandas evaluation set',
  '',
  `Run: \`npx tsx bench/eval-pandas.ts --size ${size} --seed ${seed}${perSituation !== undefined ? ` --per-situation ${perSituation}` : ''}${values.situations !== undefined ? ` --situations ${values.situations}` : ''}${values.sketch === 'sample' ? ' --sketch sample' : ''}\` on ${new Date().toISOString().slice(0, 10)}, commit ${commit}${dirty}; ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GB, shared with other jobs.`,
  `${total} scenarios; ${generateS !== undefined ? `generation ${generateS.toFixed(0)} s, ` : ''}replay ${replayS.toFixed(0)} s wall (${values.workers} worker processes).`,
  '',
  'The set (bench/eval/pandas/README.md) is pandas pipelines reported through the Python emitter, in arrival order',
  '(late and duplicate reports included), with faults at known nodes and runs. Every scenario is replayed with',
  '`rootline replay reports.jsonl --incidents-out incidents.jsonl` (the shipped rules, core defaults) and scored',
  "by the set's own `score.py`. Targets (issue 10): culprit right >= 99%, 1.0 incidents per fault, 0 false incidents.",
  '',
  '## Both evaluation sets',
  '',
  '| measure | simulator (bench/rca.ts) | pandas set | target |',
  '|---|---|---|---|',
  `| culprit right | ${sim?.accuracy ?? '-'} | ${pct(o)} | >= ${TARGETS.culpritRight * 100}% |`,
  `| incidents per fault | ${sim?.perFault ?? '-'} | ${fmt(o.incidents_per_fault)} | 1.0 |`,
  `| false incidents | ${sim?.falses ?? '-'} | ${o.false_incidents} in ${o.healthy_node_runs} healthy node-runs (${fmt(o.false_per_1000)} per 1,000) | 0 in 10,000 |`,
  '',
  sim ? `Simulator figures from ${values.rca} (${sim.run}).` : `No simulator results at ${values.rca}.`,
  '',
  '## Per situation',
  '',
  '| situation | culprit right | incidents / fault | false / 1k healthy node-runs | change violations | meets targets |',
  '|---|---|---|---|---|---|',
  ...Object.entries(score.situations)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(
      ([name, m]) =>
        `| ${name} | ${pct(m)} | ${fmt(m.incidents_per_fault)} | ${fmt(m.false_per_1000)} (${m.false_incidents}) | ${m.intended_changes > 0 ? m.change_violations : '-'} | ${meetsTargets(m) ? 'yes' : 'no'} |`,
    ),
  `| **all** | ${pct(o)} | ${fmt(o.incidents_per_fault)} | ${fmt(o.false_per_1000)} (${o.false_incidents}) | ${o.change_violations} | ${meetsTargets(o) ? 'yes' : 'no'} |`,
  '',
  "## The scorer's table",
  '',
  markdown.trim(),
  '',
  '## What went wrong, per scenario',
  '',
];
for (const s of score.scenarios) {
  const wrong = s.faults.filter((f) => !f.culprit_right || f.incidents !== 1);
  const problems = s.intended_changes.flatMap((c) => c.problems);
  if (wrong.length === 0 && problems.length === 0 && s.false_incidents.length === 0) continue;
  const parts: string[] = [];
  for (const f of wrong)
    parts.push(`fault ${f.id}: ${f.incidents} incident(s) naming ${f.named.join(', ') || 'nothing'}`);
  for (const p of problems) parts.push(`change: ${p}`);
  if (s.false_incidents.length > 0) {
    const byNode = new Map<string, number>();
    for (const f of s.false_incidents)
      byNode.set(`${f.pipeline}/${f.culprit}`, (byNode.get(`${f.pipeline}/${f.culprit}`) ?? 0) + 1);
    parts.push(`false: ${[...byNode].map(([n, c]) => `${n} x${c}`).join(', ')}`);
  }
  lines.push(`- ${s.scenario_id}: ${parts.join('; ')}`);
}
lines.push('');
writeFileSync(values.out, `${lines.join('\n')}\n`);
process.stdout.write(`${lines.join('\n')}\n`);
