// Runs `rootline profile ...` from the TypeScript sources (for bench/profile.ts, which measures its peak
// memory with /usr/bin/time -v): npx tsx bench/profile_cli.ts FILE [options]
import { profileCommand } from '../src/cli/profile.js';

process.exitCode = await profileCommand(process.argv.slice(2));
