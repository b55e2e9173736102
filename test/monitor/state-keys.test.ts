import { describe, expect, it } from 'vitest';
import { KEY_SEP, compositeKey, splitKey } from '../../src/keys.js';
import { nodeKey, parseNodeKey } from '../../src/lineage/index.js';
import { parseStateKey, pipelineOfKey, slotKey, stateKey } from '../../src/monitor/state-keys.js';

describe('one key encoding', () => {
  it('joins with U+001F, splits back, and the state keys keep their persisted form', () => {
    expect(KEY_SEP).toBe('\u001f');
    expect(splitKey(compositeKey('a', 'b c', 3))).toEqual(['a', 'b c', '3']);
    expect(stateKey.node('churn', 'n1')).toBe('n\u001fchurn\u001fn1');
    expect(stateKey.run('churn', 'n1', 4)).toBe('h\u001fchurn\u001fn1\u001f4');
    expect(slotKey('churn', 'n1', 'out', 'lake/x', 2)).toBe('s\u001fchurn\u001fn1\u001fout\u001flake/x\u001f2');
    expect(stateKey.epoch('churn', 'n1', 'in', 'lake/x', 1)).toBe('e\u001fchurn\u001fn1\u001fin\u001flake/x\u001f1');
    expect(parseStateKey(stateKey.run('churn', 'n1', 4))).toEqual({
      kind: 'h',
      pipeline: 'churn',
      node: 'n1',
      pos: '4',
    });
    expect(pipelineOfKey(stateKey.pipeline('churn'))).toBe('churn');
    expect(nodeKey({ pipeline: 'p', node: 'n' })).toBe(compositeKey('p', 'n'));
    expect(parseNodeKey(compositeKey('p', 'n'))).toEqual({ pipeline: 'p', node: 'n' });
  });
});
