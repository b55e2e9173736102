import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { DEFAULT_ROLLBACK_POLICY } from '../../src/monitor/incidents.js';
import { compileCoreOptions } from '../../src/monitor/options.js';

describe('config defaults are stated once', () => {
  it("the settings table's monitor and rollback defaults are the core's", () => {
    const cfg = loadConfig({ env: {} });
    const core = compileCoreOptions();
    expect(cfg.monitor.baselineRuns).toBe(core.baselineRuns);
    expect(cfg.monitor.runHistory).toBe(core.runHistory);
    expect(cfg.monitor.resolveAfterHealthyRuns).toBe(core.resolveAfterHealthyRuns);
    expect(cfg.monitor.newNormalRuns).toBe(core.newNormalRuns);
    expect({
      dryRun: cfg.rollback.dryRun,
      cooldownMs: cfg.rollback.cooldownMs,
      allowAmbiguous: cfg.rollback.allowAmbiguous,
    }).toEqual(DEFAULT_ROLLBACK_POLICY);
  });

  it('the default rollback policy is a dry run, as documented', () => {
    expect(DEFAULT_ROLLBACK_POLICY.dryRun).toBe(true);
  });
});
