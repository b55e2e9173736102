/**
 * Fetches a pinned archive with its registry's ordinary client, checks its sha256 and extracts the wanted files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** sha256 of a file, hex. */
export function sha256File(/** @type {string} */ path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A python with pip: python3 from PATH, else the project's venv (scripts/pyenv.sh). */
function pythonWithPip() {
  const probe = spawnSync('python3', ['-m', 'pip', '--version'], { stdio: 'ignore' });
  if (probe.status === 0) return 'python3';
  return execFileSync(join(REPO_ROOT, 'scripts', 'pyenv.sh'), { encoding: 'utf8' }).trim();
}

/**
 * Downloads an sdist with `pip download` (no dependencies, no wheels) into dir.
 * @param {import('./sources.mjs').CorpusSource} source
 * @param {string} dir
 */
function pipDownload(source, dir) {
  const python = pythonWithPip();
  const args = ['-m', 'pip', 'download', '--no-deps', '--no-binary', ':all:', '-q', '-d', dir];
  execFileSync(python, [...args, `${source.name}==${source.version}`], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * Downloads a .crate with cargo. `cargo install` fetches and unpacks the package before it notices the crate has no
 * binary and stops, so its exit status is ignored and the archive is taken from the private CARGO_HOME's cache.
 * @param {import('./sources.mjs').CorpusSource} source
 * @param {string} dir
 */
function cargoDownload(source, dir) {
  const cargoHome = join(dir, 'cargo-home');
  spawnSync('cargo', ['install', '-q', source.name, '--version', source.version, '--root', join(dir, 'cargo-root')], {
    env: { ...process.env, CARGO_HOME: cargoHome },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const cache = join(cargoHome, 'registry', 'cache');
  const found = existsSync(cache)
    ? readdirSync(cache)
        .map((index) => join(cache, index, source.archive))
        .find((p) => existsSync(p))
    : undefined;
  if (!found) throw new Error(`cargo did not download ${source.name}@${source.version} (is cargo installed?)`);
  execFileSync('cp', [found, join(dir, source.archive)]);
  rmSync(cargoHome, { recursive: true, force: true });
}

/**
 * Makes sure the pinned archive of a source is in downloadsDir, with the pinned digest; returns its path.
 * @param {import('./sources.mjs').CorpusSource} source
 * @param {string} downloadsDir
 */
export function fetchArchive(source, downloadsDir) {
  mkdirSync(downloadsDir, { recursive: true });
  const path = join(downloadsDir, source.archive);
  if (!existsSync(path)) {
    const tmp = join(downloadsDir, `.tmp-${source.id}-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      if (source.registry === 'pypi') pipDownload(source, tmp);
      else cargoDownload(source, tmp);
      const got = join(tmp, source.archive);
      if (!existsSync(got)) throw new Error(`${source.registry} client saved no ${source.archive}`);
      execFileSync('mv', [got, path]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const digest = sha256File(path);
  if (digest !== source.sha256) {
    rmSync(path, { force: true });
    throw new Error(`${source.archive}: sha256 ${digest} is not the pinned ${source.sha256}; the file was removed`);
  }
  return path;
}

/** Every file below dir, as paths relative to dir with forward slashes. */
function listFiles(/** @type {string} */ dir) {
  /** @type {string[]} */
  const out = [];
  const walk = (/** @type {string} */ d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out;
}

/**
 * Extracts an archive into rawDir/<source.id> and returns the included files (paths below the archive root).
 * @param {import('./sources.mjs').CorpusSource} source
 * @param {string} archive
 * @param {string} rawDir
 */
export function extractArchive(source, archive, rawDir) {
  const dest = join(rawDir, source.id);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['-xzf', archive, '-C', dest, '--no-same-owner', '--no-same-permissions']);
  const root = join(dest, source.root);
  return listFiles(root)
    .filter((p) => source.include.test(p))
    .map((p) => ({ path: p, file: join(root, p) }));
}
