/** Runs the local Slack Web API server as its own process: `node main.js <port>`. */
import { startSlackMockServer } from './server.js';

const port = Number(process.argv[2] ?? process.env.ROOTLINE_SLACK_PORT ?? 18090);
startSlackMockServer({ port }).then(
  (s) => {
    process.stdout.write(`slack mock listening on ${s.url}\n`);
    const stop = () => void s.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  },
  (err: unknown) => {
    process.stderr.write(`slack mock could not start on port ${port}: ${String(err)}\n`);
    process.exit(1);
  },
);
