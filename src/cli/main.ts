import { RootlineError, errorMessage } from '../errors/index.js';
import { demoCommand } from './demo.js';
import { configCommand, monitorCommand, serveCommand } from './monitor.js';
import { lineageCommand } from './lineage.js';
import { replayCommand } from './replay.js';
import { rulesCommand } from './rules.js';
import { servicesCommand } from './services.js';

export interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  demo: {
    summary: 'run Rootline end to end on a sample pipeline',
    usage: 'rootline demo',
    run: demoCommand,
  },
  monitor: {
    summary: 'run the stream monitor (Kafka -> evaluation -> InfluxDB, incidents -> Slack/rollback, HTTP API)',
    usage: 'rootline monitor [--config FILE]',
    run: monitorCommand,
  },
  serve: {
    summary: 'run the monitor embedded: in-process bus and state store, no Kafka or InfluxDB (HTTP ingest and API)',
    usage: 'rootline serve --embedded [--config FILE] [--data DIR] [--port N]',
    run: serveCommand,
  },
  config: {
    summary: 'print the effective configuration (secrets redacted), or --docs for the reference',
    usage: 'rootline config [--config FILE] [--docs]',
    run: configCommand,
  },
  replay: {
    summary: 'run the monitor offline on a file of reports (JSON lines); prints findings and incidents',
    usage: 'rootline replay FILE.jsonl [--rules DIR]',
    run: replayCommand,
  },
  profile: {
    summary: 'profile a CSV, JSON Lines or Parquet file into a report (print or send it)',
    usage: 'rootline profile FILE [options]',
    run: async (args) => (await import('./profile.js')).profileCommand(args),
  },
  simulate: {
    summary: 'run a simulated pipeline with injected faults; print its reports or send them to Kafka / HTTP',
    usage: 'rootline simulate [options]',
    run: async (args) => (await import('./simulate.js')).simulateCommand(args),
  },
  rules: {
    summary: 'validate rule files and show the rules in force for a node: `rootline rules check [DIR]`',
    usage: 'rootline rules check [DIR] [--pipeline P --node N [--column C]]',
    run: rulesCommand,
  },
  token: {
    summary:
      'API tokens: `rootline token create --role read --pipelines churn*` (prints the token once and its config entry)',
    usage: 'rootline token create|hash --role ROLE [--pipelines GLOBS] [--name NAME]',
    run: async (args) => (await import('./token.js')).tokenCommand(args),
  },
  lineage: {
    summary: 'lineage queries: upstream|downstream NODE, graph, runs (--at TIME for time travel)',
    usage: 'rootline lineage upstream|downstream NODE --pipeline P [--at TIME]',
    run: lineageCommand,
  },
  incident: {
    summary: 'act on an incident: ack|snooze|accept|resolve|reopen ID [--why] [--for 4h]; `audit ID` for its log',
    usage: 'rootline incident ack|snooze|accept|resolve|reopen|audit ID [--why TEXT] [--for 4h]',
    run: async (args) => (await import('./incident.js')).incidentCommand(args),
  },
  dev: {
    summary: 'developer tools: `rootline dev services up|down|status`',
    usage: 'rootline dev services up|down|status',
    run: async (args) => {
      if (args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
        process.stdout.write('usage: rootline dev services up|down|status\n');
        return 0;
      }
      if (args[0] !== 'services') {
        process.stderr.write('usage: rootline dev services up|down|status\n');
        return 2;
      }
      return servicesCommand(args.slice(1));
    },
  },
};

function help(): string {
  const lines = [
    'rootline: find the pipeline step that broke your data',
    '',
    'usage: rootline <command> [options]',
    '',
    'commands:',
  ];
  for (const [name, cmd] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${cmd.summary}`);
  lines.push('', "Run `rootline <command> --help` for a command's options.");
  return lines.join('\n');
}

/**
 * A reader that closed the pipe early (`rootline lineage ... | head -1`) is not an error: stop quietly.
 * Installed by the entry points before running a command.
 */
export function quietOnEpipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`rootline: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (err: unknown) {
    if (err instanceof RootlineError) {
      process.stderr.write(`rootline ${name}: ${err.message}\n`);
      return err.code === 'CONFIG_INVALID' || err.code === 'FILE_INVALID' || err.code === 'RULES_INVALID' ? 2 : 1;
    }
    process.stderr.write(
      `rootline ${name}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}\n`,
    );
    return 1;
  }
}
