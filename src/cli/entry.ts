/** Runs the CLI from the TypeScript sources (tests, `tsx src/cli/entry.ts ...`); bin/rootline.js runs the compiled one. */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
