import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The rules shipped with Rootline: the package's own `rules/` folder, found relative to this module
 * (src/rules or dist/rules), so it does not depend on the current directory. The offline commands
 * (`replay`, `lineage --from`, `rules check`) use it when no folder is given; pass a folder to use your own.
 */
export const DEFAULT_RULES_DIR = resolve(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'rules'));
