import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, rm, symlink, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { RootlineError, errorMessage } from '../../errors/index.js';
import { POSTGRES_MAJOR, POSTGRES_USER, postgresUrl, type HarnessConfig } from './config.js';
import { run, withLock, type Log } from './proc.js';

/** The unprivileged account the server runs as when the harness runs as root (Debian's package creates it). */
export const POSTGRES_OS_USER = 'postgres';

const isRoot = () => process.getuid?.() === 0;

/**
 * Installs Debian's PostgreSQL when its binaries are missing (`apt-get update`, then
 * `apt-get install -y postgresql`), like .ci/run installs Chromium. Needs root or sudo.
 */
export async function installPostgres(
  cfg: HarnessConfig,
  log: Log,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  if (existsSync(join(cfg.postgresBin, 'postgres'))) return;
  await mkdir(cfg.cacheDir, { recursive: true });
  await withLock(join(cfg.cacheDir, '.install-postgres.lock'), 'installing PostgreSQL', log, async () => {
    if (existsSync(join(cfg.postgresBin, 'postgres'))) return;
    log(`installing Debian's PostgreSQL ${POSTGRES_MAJOR} with apt-get (once; ${cfg.postgresBin} is missing)`);
    const sudo = isRoot() ? [] : ['sudo', '-n'];
    const apt = (args: string[]) =>
      run(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), ...args], {
        env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    try {
      await apt(['update', '-q']);
      await apt(['install', '-y', '-q', 'postgresql']);
    } catch (err: unknown) {
      throw new RootlineError(
        'SERVICE_INSTALL_FAILED',
        `PostgreSQL is not installed (${cfg.postgresBin} is missing) and apt-get could not install it: ${errorMessage(err)}\n` +
          `Install it by hand (as root: apt-get update && apt-get install -y postgresql), or point ROOTLINE_POSTGRES_BIN at a folder holding initdb and postgres.`,
        { cause: err },
      );
    }
    if (!existsSync(join(cfg.postgresBin, 'postgres'))) {
      throw new RootlineError(
        'SERVICE_INSTALL_FAILED',
        `apt-get installed postgresql but ${cfg.postgresBin}/postgres is still missing (another major version?). Set ROOTLINE_POSTGRES_BIN to its bin folder.`,
      );
    }
    log(`PostgreSQL ${POSTGRES_MAJOR} installed`);
  });
}

/** Runs a PostgreSQL binary as the account that owns the data folder. */
function asServerUser(cmd: string, args: string[]): { cmd: string; args: string[] } {
  if (!isRoot()) return { cmd, args };
  // setpriv execs (no intermediate process), so the recorded pid is the postmaster's own.
  return {
    cmd: 'setpriv',
    args: [`--reuid=${POSTGRES_OS_USER}`, `--regid=${POSTGRES_OS_USER}`, '--init-groups', '--', cmd, ...args],
  };
}

async function serverUserCanReach(dir: string): Promise<boolean> {
  if (!isRoot()) return true;
  try {
    await run('setpriv', [
      `--reuid=${POSTGRES_OS_USER}`,
      `--regid=${POSTGRES_OS_USER}`,
      '--init-groups',
      'test',
      '-x',
      dir,
    ]);
    return true;
  } catch {
    return false;
  }
}

async function ownedByServerUser(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!isRoot()) return;
  const { stdout } = await run('id', ['-u', POSTGRES_OS_USER]).catch((err: unknown) => {
    throw new RootlineError(
      'PREREQUISITE_MISSING',
      `PostgreSQL refuses to run as root and there is no "${POSTGRES_OS_USER}" account to run it as (Debian's postgresql package creates it).`,
      { cause: err },
    );
  });
  const { stdout: gid } = await run('id', ['-g', POSTGRES_OS_USER]);
  await chown(dir, Number(stdout.trim()), Number(gid.trim()));
}

/**
 * The data folder: `<run folder>/postgres/data`, unless the server's account cannot reach the run
 * folder (root's home is private): then a folder under the system temp dir named after the run folder,
 * linked from `<run folder>/postgres/data`.
 */
async function dataDir(cfg: HarnessConfig, dir: string): Promise<string> {
  const inRun = join(dir, 'data');
  if (await serverUserCanReach(dir)) return inRun;
  const key = createHash('sha256').update(cfg.runDir).digest('hex').slice(0, 12);
  const outside = join(tmpdir(), `rootline-postgres-${key}`);
  const link = await lstat(inRun).catch(() => undefined);
  if (!link?.isSymbolicLink()) {
    await rm(inRun, { recursive: true, force: true });
    await symlink(outside, inRun);
  }
  return outside;
}

/** initdb once (trust auth for the `rootline` superuser on 127.0.0.1), then the postgres command line. */
export async function preparePostgres(
  cfg: HarnessConfig,
  dir: string,
): Promise<{ cmd: string; args: string[]; cwd: string }> {
  if (isRoot()) await ownedByServerUser(dir);
  const data = await dataDir(cfg, dir);
  await ownedByServerUser(data);
  if (!existsSync(join(data, 'PG_VERSION'))) {
    const init = asServerUser(join(cfg.postgresBin, 'initdb'), [
      '-D',
      data,
      '-U',
      POSTGRES_USER,
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C',
      // A throwaway test cluster: skipping the fsyncs makes initdb take well under a second.
      '--no-sync',
    ]);
    await run(init.cmd, init.args, { cwd: dir });
  }
  const server = asServerUser(join(cfg.postgresBin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(cfg.ports.postgres),
    '-c',
    'listen_addresses=127.0.0.1',
    '-k',
    data,
    // Durability is not wanted from a test server; speed is.
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
  ]);
  return { ...server, cwd: dir };
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Healthy when the server accepts a connection from the `rootline` superuser and answers a query. */
export async function postgresHealthy(cfg: HarnessConfig): Promise<boolean> {
  try {
    const version = await withClient(postgresUrl(cfg, 'postgres'), async (c) => {
      const res = await c.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
      return Number(res.rows[0]?.v);
    });
    return version >= 100000;
  } catch {
    return false;
  }
}

/** Creates the catalog database when it does not exist yet. */
export async function createPostgresDatabase(cfg: HarnessConfig): Promise<void> {
  await withClient(postgresUrl(cfg, 'postgres'), async (c) => {
    const found = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [cfg.postgresDatabase]);
    if (found.rowCount !== 0) return;
    await c.query(`CREATE DATABASE "${cfg.postgresDatabase.replace(/"/g, '""')}"`).catch((err: unknown) => {
      // Two harness runs racing to create it: the loser's duplicate_database is fine.
      if ((err as { code?: string }).code !== '42P04') throw err;
    });
  });
}
