/** Runs the CLI from the TypeScript sources (tests, `tsx src/cli/entry.ts ...`); bin/rootline.js runs the compiled one. */
import { main, quietOnEpipe } from './main.js';

quietOnEpipe();

process.exitCode = await main(process.argv.slice(2));
