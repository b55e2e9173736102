import type { TestProject } from 'vitest/node';
import {
  describeAddresses,
  harnessConfig,
  servicesDown,
  servicesUp,
  type ServiceAddresses,
} from '../../../src/dev/services/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServiceAddresses;
  }
}

/**
 * Starts the real services once for the integration project (or reuses ones already running,
 * e.g. from `npm run services:up`), and stops at the end only those it started itself.
 * A service that cannot start fails the whole run with its reason; nothing is skipped.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cfg = harnessConfig();
  const t0 = Date.now();
  const log = (m: string) => process.stderr.write(`[services] ${m}\n`);
  const up = await servicesUp({ cfg, log });
  log(
    `ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (started: ${up.started.join(', ') || 'none'}; reused: ${up.reused.join(', ') || 'none'})\n${describeAddresses(up.addresses)}`,
  );
  project.provide('services', up.addresses);
  return async () => {
    if (up.started.length > 0) await servicesDown({ cfg, log, only: up.started });
  };
}
