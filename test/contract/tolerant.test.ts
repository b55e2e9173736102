import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseReport, validateReport, type Report } from '../../src/contract/index.js';
import { decodeMessage } from '../../src/adapters/decode/decode.js';

const example = JSON.parse(readFileSync('test/vectors/reports/valid/contract-example.json', 'utf8')) as Report;

function withExtras(r: Report): Record<string, unknown> {
  const copy = structuredClone(r) as unknown as Record<string, unknown>;
  copy.new_optional_field = { added: 'in a later v1 emitter' };
  const out = (copy.outputs as Record<string, unknown>[])[0]!;
  (out.profile as Record<string, unknown>).histogram = [1, 2, 3];
  return copy;
}

describe('strict writers, tolerant readers', () => {
  it('emitters (the default) reject keys the contract does not define, naming each', () => {
    const v = validateReport(withExtras(example));
    expect(v.ok).toBe(false);
    if (!v.ok)
      expect(v.errors.map((e) => e.path).sort()).toEqual(['/new_optional_field', '/outputs/0/profile/histogram']);
  });

  it('the monitor accepts a report with keys added by a newer emitter, and still rejects real problems', async () => {
    expect(validateReport(withExtras(example), { unknownKeys: 'allow' }).ok).toBe(true);
    expect(parseReport(JSON.stringify(withExtras(example)), { unknownKeys: 'allow' }).ok).toBe(true);
    const decoded = await decodeMessage(Buffer.from(JSON.stringify(withExtras(example))), { maxMessageBytes: 1 << 20 });
    expect(decoded[0]!.kind).toBe('report');
    const broken = { ...withExtras(example), outputs: [{ dataset: '' }] };
    const bad = validateReport(broken, { unknownKeys: 'allow' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.map((e) => e.path)).toContain('/outputs/0/dataset');
  });
});
