import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** One Dockerfile instruction: its keyword and its arguments, continuation lines joined. */
interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    let l = lines[i]!.trim();
    if (l === '' || l.startsWith('#')) continue;
    while (l.endsWith('\\') && i + 1 < lines.length) {
      l = `${l.slice(0, -1).trimEnd()} ${lines[++i]!.trim()}`;
    }
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(l);
    if (!m) throw new Error(`Dockerfile line ${first}: ${l}`);
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!, line: first });
  }
  return out;
}

interface Stage {
  image: string;
  name: string | undefined;
  body: Instruction[];
}

function stages(instructions: Instruction[]): Stage[] {
  const out: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`bad FROM: ${ins.args}`);
      out.push({ image: m[1]!, name: m[2], body: [] });
    } else {
      out.at(-1)?.body.push(ins);
    }
  }
  return out;
}

const TEXT = readFileSync('Dockerfile', 'utf8');
const INSTRUCTIONS = parseDockerfile(TEXT);
const STAGES = stages(INSTRUCTIONS);
const FINAL = STAGES.at(-1)!;
const BUILD = STAGES[0]!;
const runs = (s: Stage) => s.body.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const json = (s: Stage, keyword: string) => {
  const ins = s.body.filter((i) => i.keyword === keyword);
  return ins.length === 0 ? undefined : (JSON.parse(ins.at(-1)!.args) as unknown);
};

describe('Dockerfile', () => {
  it('is multi-stage: a build stage and a runtime stage, both on a pinned Node 20 image', () => {
    expect(INSTRUCTIONS.filter((i) => i.keyword === 'FROM').length).toBeGreaterThanOrEqual(2);
    for (const s of STAGES) {
      expect(s.image, 'no ARG-built or untagged image').toMatch(/^node:20-(bookworm-slim|alpine[\d.]*)$/);
      expect(s.image).not.toMatch(/:latest$|^[^:]+$/);
    }
    expect(BUILD.name).toBe('build');
    expect(TEXT).not.toMatch(/:latest\b/);
  });

  it('compiles in the build stage with npm ci and npm run build', () => {
    expect(runs(BUILD).some((r) => /^npm ci\b/.test(r))).toBe(true);
    expect(runs(BUILD)).toContain('npm run build');
  });

  it('installs only production dependencies in the runtime stage, without install scripts', () => {
    const install = runs(FINAL).filter((r) => /\bnpm ci\b/.test(r));
    expect(install).toHaveLength(1);
    expect(install[0]).toMatch(/npm ci --omit=dev\b/);
    expect(install[0]).toMatch(/--ignore-scripts\b/);
    expect(runs(FINAL).join('\n')).not.toMatch(/npm (install|i) |npm run build|tsc\b/);
  });

  it('copies the compiled dist/ from the build stage, and bin/ and rules/', () => {
    const copies = FINAL.body.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toContain('--from=build /src/dist ./dist');
    expect(copies).toContain('bin ./bin');
    expect(copies).toContain('rules ./rules');
    expect(copies.some((c) => /\bsrc\b/.test(c) && !c.startsWith('--from'))).toBe(false);
  });

  it('runs as the non-root node user, `node bin/rootline.js monitor` by default', () => {
    const users = FINAL.body.filter((i) => i.keyword === 'USER');
    expect(users.at(-1)?.args).toBe('node');
    // nothing after USER switches back
    const userAt = FINAL.body.lastIndexOf(users.at(-1)!);
    expect(FINAL.body.slice(userAt + 1).some((i) => i.keyword === 'RUN')).toBe(false);
    expect(json(FINAL, 'ENTRYPOINT')).toEqual(['node', 'bin/rootline.js']);
    expect(json(FINAL, 'CMD')).toEqual(['monitor']);
    expect(FINAL.body.filter((i) => i.keyword === 'EXPOSE').map((i) => i.args)).toEqual(['8080']);
  });

  it('listens on all interfaces and checks /healthz with node (no curl in the slim image)', () => {
    const env = FINAL.body
      .filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/\bROOTLINE_HTTP_HOST=0\.0\.0\.0\b/);
    expect(env).toMatch(/\bROOTLINE_HTTP_PORT=8080\b/);
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    // V8's young generation kept small in the image too (docs/deploy.md), with an option Node accepts there.
    expect(env).toMatch(/\bNODE_OPTIONS=--max-semi-space-size=4\b/);
    const hc = FINAL.body.filter((i) => i.keyword === 'HEALTHCHECK');
    expect(hc).toHaveLength(1);
    expect(hc[0]!.args).toMatch(/--interval=\d+s/);
    expect(hc[0]!.args).toMatch(/CMD \["node", "-e", ".*\/healthz/);
    expect(hc[0]!.args).not.toMatch(/curl|wget/);
  });

  it('bakes in no secret', () => {
    for (const ins of INSTRUCTIONS.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')) {
      expect(ins.args, `line ${ins.line}`).not.toMatch(/TOKEN|PASSWORD|SECRET/i);
    }
    expect(INSTRUCTIONS.some((i) => i.keyword === 'COPY' && /\.env\b|\.npmrc/.test(i.args))).toBe(false);
  });

  it('has a .dockerignore that allows only what the Dockerfile copies', () => {
    const ignore = readFileSync('.dockerignore', 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignore[0]).toBe('**');
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
    const sources = INSTRUCTIONS.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from')).flatMap((i) =>
      i.args
        .replace(/--\S+\s+/g, '')
        .split(/\s+/)
        .slice(0, -1),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) {
      expect(allowed, `COPY ${s}`).toContain(s);
      expect(existsSync(s), s).toBe(true);
    }
    expect(allowed).not.toContain('.env');
    expect(allowed).not.toContain('node_modules');
  });

  it('needs only files the build stage has: the build config and the sources', () => {
    const cfg = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as {
      extends?: string;
      include?: string[];
      compilerOptions?: { outDir?: string };
    };
    expect(cfg.include).toEqual(['src']);
    expect(cfg.compilerOptions?.outDir).toBe('dist');
    const copied = BUILD.body
      .filter((i) => i.keyword === 'COPY')
      .map((i) => i.args)
      .join(' ');
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src'])
      expect(copied).toContain(f);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      scripts: Record<string, string>;
      bin: Record<string, string>;
    };
    expect(pkg.scripts.build).toMatch(/tsc -p tsconfig\.build\.json/);
    expect(pkg.bin.rootline).toBe('bin/rootline.js');
  });
});
