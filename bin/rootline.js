#!/usr/bin/env node
// The `rootline` command. The TypeScript sources are compiled to dist/ by `npm ci` (the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    'rootline: dist/ is missing; run `npm run build` (npm ci does it) in the rootline folder first.\n',
  );
  process.exit(2);
}
const { main, quietOnEpipe } = await import(entry.href);
quietOnEpipe();
process.exitCode = await main(process.argv.slice(2));
