import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { fileLines } from '../../src/cli/replay.js';
import { seededRandom } from '../../src/sketch/index.js';

const dir = mkdtempSync(join(tmpdir(), 'rootline-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function viaReadline(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const line of createInterface({
    input: createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Infinity,
  }))
    out.push(line);
  return out;
}

async function viaFileLines(file: string, chunk: number): Promise<string[]> {
  const out: string[] = [];
  let expected = 1;
  for await (const [n, line] of fileLines(file, chunk)) {
    expect(n).toBe(expected++);
    out.push(line);
  }
  return out;
}

describe('replay: lines as readline splits them', () => {
  const pieces = ['{"a":1}', '\n', '\r\n', '\r', '', 'é', '日本', '😀', 'x'.repeat(37), ' ', '\n\n'];
  it.each([1, 2, 3, 7, 64, 1 << 20])(
    'random files with \\n, \\r\\n, lone \\r and multi-byte text, chunks of %i bytes',
    async (chunk) => {
      const rnd = seededRandom(chunk);
      for (let f = 0; f < 25; f++) {
        let text = '';
        const parts = Math.floor(rnd() * 40);
        for (let i = 0; i < parts; i++) text += pieces[Math.floor(rnd() * pieces.length)]!;
        const file = join(dir, `f${chunk}-${f}.txt`);
        writeFileSync(file, text);
        expect(await viaFileLines(file, chunk)).toEqual(await viaReadline(file));
      }
    },
  );
});
