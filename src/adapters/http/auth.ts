import { createHash, timingSafeEqual } from 'node:crypto';
import { grants, type Role, type TokenEntry } from '../../config/tokens.js';
import { RootlineError } from '../../errors/index.js';
import { globMatch } from '../../rules/glob.js';

/** Who made a request: the token entry's name, roles and pipeline scope (never the token). */
export interface Principal {
  name: string;
  roles: readonly Role[];
  /** Pipeline globs; undefined = every pipeline. */
  pipelines: readonly string[] | undefined;
}

/** Which pipelines a request may see or write. */
export interface PipelineAccess {
  allows(pipeline: string): boolean;
}

/** Access to every pipeline (no scope, or access control off). */
export const ALL_PIPELINES: PipelineAccess = { allows: () => true };

export function pipelineAccess(p: Principal | undefined): PipelineAccess {
  const globs = p?.pipelines;
  if (!globs) return ALL_PIPELINES;
  return { allows: (pipeline) => globs.some((g) => globMatch(g, pipeline)) };
}

export type AuthOutcome =
  { kind: 'off' } | { kind: 'missing' } | { kind: 'invalid' } | { kind: 'ok'; principal: Principal };

interface Held {
  digest: Buffer;
  principal: Principal;
}

/**
 * The API's tokens, held as SHA-256 digests. `http.token` (plain text, the setting before roles
 * existed) is held as an admin token named `http.token`. With no token configured, access control is
 * off.
 */
export class TokenStore {
  private readonly held: Held[];

  constructor(entries: readonly TokenEntry[], legacyToken?: string) {
    this.held = entries.map((e) => {
      const digest = Buffer.from(e.hash.slice('sha256:'.length), 'hex');
      if (!e.hash.startsWith('sha256:') || digest.length !== 32)
        throw new RootlineError('CONFIG_INVALID', `the token ${e.name} has no sha256:<64 hex> hash`);
      return { digest, principal: { name: e.name, roles: e.roles, pipelines: e.pipelines } };
    });
    if (legacyToken)
      this.held.push({
        digest: sha256(legacyToken),
        principal: { name: 'http.token', roles: ['admin'], pipelines: undefined },
      });
  }

  get enabled(): boolean {
    return this.held.length > 0;
  }

  /**
   * Resolves an `Authorization` header. Every held digest is compared (constant time, no early
   * exit), so the time taken does not depend on which token, if any, matched.
   */
  authenticate(header: string | undefined): AuthOutcome {
    if (!this.enabled) return { kind: 'off' };
    if (header === undefined || header === '') return { kind: 'missing' };
    const m = /^Bearer +(\S+) *$/i.exec(header);
    if (!m) return { kind: 'invalid' };
    const given = sha256(m[1]!);
    let found: Principal | undefined;
    for (const h of this.held) if (timingSafeEqual(given, h.digest) && !found) found = h.principal;
    return found ? { kind: 'ok', principal: found } : { kind: 'invalid' };
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Whether a principal holds `role` (admin implies every role, operate implies read). */
export function hasRole(p: Principal, role: Role): boolean {
  return grants(p.roles, role);
}
