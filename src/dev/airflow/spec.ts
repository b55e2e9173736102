import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { RootlineError, errorMessage } from '../../errors/index.js';
import { run, withLock, type Log } from '../services/proc.js';

/**
 * Airflow's published OpenAPI spec of the stable REST API (v1), taken from the `apache-airflow` wheel on
 * PyPI (airflow/api_connexion/openapi/v1.yaml): fetched once with pip into the cache folder, checked
 * against the pinned sha256, never committed.
 */
export const AIRFLOW_VERSION = '2.10.5';
export const AIRFLOW_WHEEL = `apache_airflow-${AIRFLOW_VERSION}-py3-none-any.whl`;
export const AIRFLOW_WHEEL_SHA256 = '4c6d19159bcd85f496fbea70db72ef55d32335f80e4ffb82ae3c252782079ca0';
const SPEC_MEMBER = 'airflow/api_connexion/openapi/v1.yaml';

/** The parts of an OpenAPI 3.0 document the local server reads. */
export interface OpenApiSpec {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, unknown>;
    responses: Record<string, unknown>;
    parameters: Record<string, unknown>;
  };
}

/** Where the spec is kept: `<cacheDir>/airflow-openapi-<version>/v1.yaml`. */
export function airflowSpecPath(cacheDir: string): string {
  return join(cacheDir, `airflow-openapi-${AIRFLOW_VERSION}`, 'v1.yaml');
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

/**
 * The spec, downloaded on first use (`python3 -m pip download apache-airflow==<version> --no-deps`, then
 * the sha256 of the wheel checked and v1.yaml extracted); later calls read the cached copy.
 */
export async function ensureAirflowSpec(cacheDir: string, log: Log = () => undefined): Promise<string> {
  const target = airflowSpecPath(cacheDir);
  if (existsSync(target)) return target;
  const dir = join(target, '..');
  await mkdir(dir, { recursive: true });
  await withLock(join(dir, '.lock'), 'downloading the Airflow OpenAPI spec', log, async () => {
    if (existsSync(target)) return;
    const work = join(dir, `.work-${process.pid}`);
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    try {
      log(`downloading apache-airflow ${AIRFLOW_VERSION} from PyPI for its OpenAPI spec (once; ~13 MB)`);
      await run('python3', [
        '-m',
        'pip',
        'download',
        `apache-airflow==${AIRFLOW_VERSION}`,
        '--no-deps',
        '--only-binary=:all:',
        '--disable-pip-version-check',
        '-q',
        '-d',
        work,
      ]);
      const wheel = join(work, AIRFLOW_WHEEL);
      if (!existsSync(wheel))
        throw new Error(`pip finished but ${AIRFLOW_WHEEL} is missing (got ${(await readdir(work)).join(', ')})`);
      const sum = await sha256(wheel);
      if (sum !== AIRFLOW_WHEEL_SHA256)
        throw new Error(`${AIRFLOW_WHEEL} has sha256 ${sum}, expected ${AIRFLOW_WHEEL_SHA256}`);
      const { stdout } = await run('python3', [
        '-c',
        'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode("utf-8"))',
        wheel,
        SPEC_MEMBER,
      ]);
      await writeFile(join(work, 'v1.yaml'), stdout);
      await rename(join(work, 'v1.yaml'), target);
    } catch (err: unknown) {
      throw new RootlineError(
        'SERVICE_INSTALL_FAILED',
        `could not get Airflow's OpenAPI spec (needs python3 with pip and PyPI): ${errorMessage(err)}`,
        { cause: err },
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
  return target;
}

/** Reads and parses a spec file. */
export function loadAirflowSpec(file: string): OpenApiSpec {
  const spec = parse(readFileSync(file, 'utf8'), { maxAliasCount: -1 }) as OpenApiSpec;
  if (!spec?.openapi?.startsWith('3.') || !spec.paths || !spec.components?.schemas)
    throw new RootlineError('FILE_INVALID', `${file} is not an OpenAPI 3 document`);
  return spec;
}
