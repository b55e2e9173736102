import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseJsonDict } from '../../src/dict.js';

/** Reloaded state in memory (issue 15 item 2): what parseJsonDict makes of the state topic's records. */
describe('parseJsonDict', () => {
  it('gives objects without a prototype at every depth; names like __proto__ and constructor are own keys', () => {
    type Obj = Record<string, unknown>;
    const v = parseJsonDict('{"a":{"__proto__":{"x":1},"constructor":2,"b":[{"c":3}]}}') as { a: Obj & { b: Obj[] } };
    const b0 = v.a.b[0]!;
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(Object.getPrototypeOf(v.a)).toBeNull();
    expect(Object.getPrototypeOf(b0)).toBeNull();
    expect(Object.keys(v.a)).toEqual(['__proto__', 'constructor', 'b']);
    expect(Object.hasOwn(v.a, '__proto__')).toBe(true);
    expect(v.a['__proto__']).toEqual(Object.assign(Object.create(null) as Obj, { x: 1 }));
    expect(v.a.constructor).toBe(2);
    // Writing a name such as __proto__ makes an own key, never a prototype.
    b0['__proto__'] = { polluted: true };
    expect(Object.getPrototypeOf(b0)).toBeNull();
    expect(({} as Obj).polluted).toBeUndefined();
  });

  it('keeps its objects in V8 fast mode (a shared hidden class, not a hash table per object)', () => {
    // A column baseline as the state topic holds it; %HasFastProperties needs --allow-natives-syntax.
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const dict = pathToFileURL(`${process.cwd()}/src/dict.ts`).href;
    const script = `
      const { parseJsonDict } = await import(${JSON.stringify(dict)});
      const v = parseJsonDict('{"columns":{"c0":{"kind":"numeric","null_ratios":[0],"horizon":{"up":0,"down":0,"ref":{"mean":1,"sd":0,"sigma":1,"n":5,"runs":20}}}}}');
      const c = v.columns.c0;
      console.log(JSON.stringify([v, v.columns, c, c.horizon, c.horizon.ref].map((o) => %HasFastProperties(o))));`;
    const r = spawnSync(
      process.execPath,
      ['--allow-natives-syntax', '--import', tsx, '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim())).toEqual([true, true, true, true, true]);
  });
});
