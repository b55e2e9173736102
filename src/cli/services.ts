import { describeAddresses, harnessConfig, servicesDown, servicesStatus, servicesUp } from '../dev/services/index.js';

export async function servicesCommand(args: string[]): Promise<number> {
  const [action] = args;
  const cfg = harnessConfig();
  switch (action) {
    case 'up': {
      const t0 = Date.now();
      const res = await servicesUp({ cfg });
      process.stdout.write(
        `Services up in ${((Date.now() - t0) / 1000).toFixed(1)} s (started: ${res.started.join(', ') || 'none'}; already running: ${res.reused.join(', ') || 'none'}).\n` +
          `${describeAddresses(res.addresses)}\n  Logs and data         ${cfg.runDir}\nStop them with: npm run services:down\n`,
      );
      return 0;
    }
    case 'down':
      await servicesDown({ cfg });
      process.stdout.write('Services stopped.\n');
      return 0;
    case 'status': {
      const all = await servicesStatus(cfg);
      for (const s of all) {
        process.stdout.write(
          `${s.name.padEnd(9)} ${s.state.padEnd(10)} ${s.pid ? `pid ${s.pid}`.padEnd(11) : ''.padEnd(11)} ports ${s.ports.join(',')}  log ${s.logFile}\n`,
        );
      }
      return all.every((s) => s.state === 'running') ? 0 : 1;
    }
    default:
      process.stderr.write('usage: rootline dev services up|down|status\n');
      return 2;
  }
}
