import { createHash, randomBytes } from 'node:crypto';
import { globToRegExp } from '../rules/glob.js';

/**
 * Roles of an API token. `admin` implies every role, `operate` implies `read`; `ingest` is on its own
 * (an emitter's token reads nothing).
 */
export const ROLES = ['read', 'ingest', 'operate', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** One entry of `http.tokens`: the token is never stored, only its hash. */
export interface TokenEntry {
  /** Who holds it (shown in logs and `rootline config`; not secret). */
  name: string;
  /** `sha256:<64 hex>` of the token. */
  hash: string;
  roles: Role[];
  /** Pipeline globs the token may touch; absent = every pipeline. */
  pipelines?: string[];
}

const HASH = /^sha256:[0-9a-f]{64}$/;
const NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/** `sha256:<hex>` of a token: the form stored in `http.tokens`. */
export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

/** A new random token: `rl_` and 32 random bytes in base64url (256 bits, so a plain SHA-256 is a safe store). */
export function newToken(): string {
  return `rl_${randomBytes(32).toString('base64url')}`;
}

/** Whether `role` is granted by a token holding `roles`. */
export function grants(roles: readonly Role[], role: Role): boolean {
  return roles.some((r) => r === role || r === 'admin' || (r === 'operate' && role === 'read'));
}

/**
 * Validates `http.tokens` (a YAML list of mappings, or JSON in ROOTLINE_HTTP_TOKENS). Messages never
 * quote a `hash` value: a plain token pasted there by mistake must not reach a log line.
 */
export function parseTokenEntries(raw: unknown): { entries?: TokenEntry[]; errors: string[] } {
  const errors: string[] = [];
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return { errors: ['http.tokens must be a JSON array of {name, hash, roles, pipelines} in the environment'] };
    }
  }
  if (!Array.isArray(value)) return { errors: ['http.tokens must be a list of {name, hash, roles, pipelines}'] };
  const entries: TokenEntry[] = [];
  const names = new Set<string>();
  const hashes = new Set<string>();
  value.forEach((item: unknown, i) => {
    const at = `http.tokens[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      errors.push(`${at} must be a mapping {name, hash, roles, pipelines}`);
      return;
    }
    const e = item as Record<string, unknown>;
    for (const k of Object.keys(e))
      if (!['name', 'hash', 'roles', 'pipelines'].includes(k))
        errors.push(`${at}: unknown key "${k}" (expected name, hash, roles, pipelines)`);
    const name = e.name;
    if (typeof name !== 'string' || !NAME.test(name)) {
      errors.push(`${at}.name must be 1-64 characters of letters, digits, . _ @ -`);
      return;
    }
    if (names.has(name)) errors.push(`${at}: the name ${name} is used twice`);
    names.add(name);
    const hash = e.hash;
    if (typeof hash !== 'string' || !HASH.test(hash)) {
      errors.push(
        `${at} (${name}).hash must be sha256:<64 lowercase hex> (the hash, never the token: \`rootline token hash\` prints it)`,
      );
      return;
    }
    if (hashes.has(hash)) errors.push(`${at} (${name}): the same token hash is listed twice`);
    hashes.add(hash);
    const roles = e.roles;
    if (
      !Array.isArray(roles) ||
      roles.length === 0 ||
      !roles.every((r): r is Role => typeof r === 'string' && (ROLES as readonly string[]).includes(r))
    ) {
      errors.push(`${at} (${name}).roles must be a non-empty list of ${ROLES.join(', ')}`);
      return;
    }
    const entry: TokenEntry = { name, hash, roles: [...new Set(roles)] };
    if (e.pipelines !== undefined && e.pipelines !== null) {
      const p = e.pipelines;
      if (!Array.isArray(p) || p.length === 0 || !p.every((g): g is string => typeof g === 'string' && g !== '')) {
        errors.push(
          `${at} (${name}).pipelines must be a non-empty list of pipeline globs (omit it for every pipeline)`,
        );
        return;
      }
      for (const g of p) {
        try {
          globToRegExp(g);
        } catch (err: unknown) {
          errors.push(`${at} (${name}).pipelines: ${(err as Error).message}`);
        }
      }
      entry.pipelines = [...p];
    }
    entries.push(entry);
  });
  return errors.length > 0 ? { errors } : { entries, errors };
}

/** The `http.tokens` entry for a token, as YAML lines (indented for the `http:` section). */
export function tokenEntryYaml(entry: TokenEntry): string {
  const lines = [`  - name: ${entry.name}`, `    hash: ${entry.hash}`, `    roles: [${entry.roles.join(', ')}]`];
  if (entry.pipelines) lines.push(`    pipelines: [${entry.pipelines.map((p) => JSON.stringify(p)).join(', ')}]`);
  return lines.join('\n');
}

/** How a token entry shows in `rootline config` (no hash). */
export function describeTokenEntry(entry: TokenEntry): string {
  return `${entry.name} (${entry.roles.join('+')}${entry.pipelines ? `; pipelines ${entry.pipelines.join(',')}` : ''})`;
}
