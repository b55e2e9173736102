import { parseArgs } from 'node:util';
import { RootlineError } from '../errors/index.js';
import { ROLES, hashToken, newToken, parseTokenEntries, tokenEntryYaml, type TokenEntry } from '../config/tokens.js';

const USAGE = `usage: rootline token create --role ROLE [--role ROLE] [--pipelines GLOBS] [--name NAME] [--json]
       rootline token hash   --role ROLE [--role ROLE] [--pipelines GLOBS] [--name NAME] [--json] < token

create: makes a new random token, prints it ONCE and the http.tokens entry (its SHA-256 hash) for the
        monitor's config. The token itself is stored nowhere.
hash:   the http.tokens entry for a token you already have, read from stdin (not from the command line,
        which other users can see in the process list).

  --role ROLE         read, ingest, operate or admin (repeatable, or comma-separated); admin implies every
                      role, operate implies read
  --pipelines GLOBS   the pipelines the token may touch, comma-separated globs ('churn*,billing_{a,b}');
                      default every pipeline
  --name NAME         who holds it (logs and \`rootline config\` show it); default <roles>-<hash prefix>
  --json              print {token, entry} as JSON (entry as for ROOTLINE_HTTP_TOKENS)`;

/** Splits on commas outside `{...}` (a glob's alternatives keep theirs). */
function splitGlobs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '{') depth++;
    if (c === '}' && depth > 0) depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out.filter((g) => g !== '');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `rootline token create|hash`. */
export async function tokenCommand(args: string[], stdin: () => Promise<string> = readStdin): Promise<number> {
  const [what, ...rest] = args;
  if (what === '--help' || what === '-h' || what === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (what !== 'create' && what !== 'hash') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      role: { type: 'string', multiple: true },
      pipelines: { type: 'string', multiple: true },
      name: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const roles = (values.role ?? []).flatMap((r) => r.split(',').map((x) => x.trim())).filter((r) => r !== '');
  if (roles.length === 0) throw new RootlineError('CONFIG_INVALID', `--role is required (${ROLES.join(', ')})`);
  let token: string;
  if (what === 'create') token = newToken();
  else {
    token = (await stdin()).trim();
    if (token === '' || /\s/.test(token))
      throw new RootlineError('CONFIG_INVALID', 'give the token on stdin: one line, no spaces');
  }
  const hash = hashToken(token);
  const pipelines = (values.pipelines ?? []).flatMap(splitGlobs);
  const candidate: Record<string, unknown> = {
    name: values.name ?? `${[...new Set(roles)].join('-')}-${hash.slice('sha256:'.length, 'sha256:'.length + 8)}`,
    hash,
    roles,
    ...(pipelines.length > 0 ? { pipelines } : {}),
  };
  const parsed = parseTokenEntries([candidate]);
  if (!parsed.entries) throw new RootlineError('CONFIG_INVALID', parsed.errors.join('; '));
  const entry: TokenEntry = parsed.entries[0]!;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ...(what === 'create' ? { token } : {}), entry })}\n`);
    return 0;
  }
  const out: string[] = [];
  if (what === 'create')
    out.push(
      'Token (shown once: give it to its holder now; Rootline keeps only its hash):',
      `  ${token}`,
      '',
      `Sent as: Authorization: Bearer ${token.slice(0, 6)}...`,
      '',
    );
  out.push(
    'Add to the monitor config (http.tokens), then restart the monitor:',
    '',
    'http:',
    '  tokens:',
    tokenEntryYaml(entry),
    '',
    `or in the environment: ROOTLINE_HTTP_TOKENS='${JSON.stringify([entry])}'`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
