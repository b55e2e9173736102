/**
 * The pandas evaluation set (bench/eval/pandas/) run against Rootline: generate the set with its Python
 * generator, replay every scenario's reports through `rootline replay --incidents-out`, score with its
 * scorer. Shared by bench/eval-pandas.ts (the benchmark) and test/eval/pandas.test.ts (CI at small size).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const EVAL_DIR = join(ROOT, 'bench', 'eval', 'pandas');

/** The scorer's figures for one situation (or all), as score.py's `aggregate` writes them. */
export interface SituationScore {
  scenarios: number;
  faults_expected: number;
  detected: number;
  culprit_right: number;
  culprit_right_rate: number | null;
  incidents_per_fault: number | null;
  median_delay_runs: number | null;
  optional_faults: number;
  optional_flagged: number;
  intended_changes: number;
  change_violations: number;
  healthy_node_runs: number;
  false_incidents: number;
  false_per_1000: number | null;
  unmatched_other: number;
}

/** score.py's JSON (`rootline.eval.pandas.score/v1`). */
export interface SetScore {
  situations: Record<string, SituationScore>;
  overall: SituationScore;
  scenarios: {
    scenario_id: string;
    situation: string;
    faults: { id: string; culprit_right: boolean; incidents: number; named: string[] }[];
    intended_changes: { id: string; problems: string[] }[];
    false_incidents: { incident_id: string; pipeline: string; culprit: string; opened_run_id: string }[];
  }[];
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(file: string, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : -1
        : 0;
      resolve({ code, stdout, stderr: err && code === -1 ? `${stderr}\n${err.message}` : stderr });
    });
  });
}

function must(what: string, r: Run): string {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  return r.stdout;
}

/** The project's Python (scripts/pyenv.sh creates the environment on first use). */
export async function projectPython(): Promise<string> {
  const out = must('scripts/pyenv.sh', await run(join(ROOT, 'scripts', 'pyenv.sh'), [], 900_000));
  return out.trim().split('\n').pop() ?? '';
}

export interface GenerateOptions {
  size: 'small' | 'full';
  seed: number;
  perSituation?: number;
  situations?: string[];
  /** Numeric columns as KLL sketches (the default, what the emitter sends) or seeded samples (byte-identical). */
  sketch?: 'kll' | 'sample';
}

/** Generates the set into `out` (bench/eval/pandas/generate.py). */
export async function generateSet(python: string, out: string, o: GenerateOptions): Promise<void> {
  const args = [join(EVAL_DIR, 'generate.py'), '--size', o.size, '--seed', String(o.seed), '--out', out];
  if (o.perSituation !== undefined) args.push('--per-situation', String(o.perSituation));
  if (o.situations !== undefined) args.push('--situations', o.situations.join(','));
  if (o.sketch !== undefined) args.push('--sketch', o.sketch);
  must('generate.py', await run(python, args, 4 * 3600_000));
}

/** The scenario folders of a generated set (those with a truth.json), sorted. */
export function scenariosOf(data: string): string[] {
  return readdirSync(data)
    .filter((d) => existsSync(join(data, d, 'truth.json')))
    .sort();
}

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const entry = join(ROOT, 'src', 'cli', 'entry.ts');

/**
 * Replays every scenario with `rootline replay FILE --incidents-out RESULTS/<scenario>/incidents.jsonl`
 * (the CLI from the sources, shipped rules), `workers` at a time. Returns the wall time per scenario.
 */
export async function replaySet(
  data: string,
  results: string,
  workers: number,
  progress?: (scenario: string, ms: number) => void,
): Promise<Map<string, number>> {
  const queue = scenariosOf(data);
  const times = new Map<string, number>();
  const worker = async () => {
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
      mkdirSync(join(results, s), { recursive: true });
      const t0 = performance.now();
      const r = await run(
        process.execPath,
        [
          '--import',
          tsx,
          entry,
          'replay',
          join(data, s, 'reports.jsonl'),
          '--no-findings',
          '--quiet',
          '--incidents-out',
          join(results, s, 'incidents.jsonl'),
        ],
        3600_000,
      );
      // stdout (the incidents at the end) is not needed: the incidents file is the result.
      if (r.code !== 0) throw new Error(`rootline replay ${s} exited ${r.code}\n${r.stderr.slice(-4000)}`);
      const ms = performance.now() - t0;
      times.set(s, ms);
      progress?.(s, ms);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, workers) }, worker));
  return times;
}

/** Scores the results with bench/eval/pandas/score.py; returns its JSON and Markdown table. */
export async function scoreSet(
  python: string,
  data: string,
  results: string,
): Promise<{ score: SetScore; markdown: string }> {
  const json = join(results, 'score.json');
  const md = join(results, 'score.md');
  must(
    'score.py',
    await run(
      python,
      [join(EVAL_DIR, 'score.py'), '--data', data, '--results', results, '--json', json, '--markdown', md],
      600_000,
    ),
  );
  return { score: JSON.parse(readFileSync(json, 'utf8')) as SetScore, markdown: readFileSync(md, 'utf8') };
}

/** Targets of issue 10 for every situation. */
export const TARGETS = { culpritRight: 0.99, incidentsPerFault: 1.0, falseIncidents: 0 };

/** Whether a situation's figures meet every target (changes: no violation). */
export function meetsTargets(m: SituationScore): boolean {
  return (
    (m.faults_expected === 0 || (m.culprit_right_rate ?? 0) >= TARGETS.culpritRight) &&
    (m.incidents_per_fault === null || m.incidents_per_fault === TARGETS.incidentsPerFault) &&
    m.false_incidents === TARGETS.falseIncidents &&
    m.change_violations === 0
  );
}
