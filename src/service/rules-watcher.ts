import { watch, type FSWatcher } from 'node:fs';
import type { RootlineError } from '../errors/index.js';
import { errorMessage } from '../errors/index.js';
import { formatProblems, loadRules, type RuleProblem } from '../rules/index.js';
import type { Logger } from './log.js';

/** Watches the rules folder and swaps the rules in when they change and are valid. */
export function watchRules(
  dir: string,
  onRules: (r: ReturnType<typeof loadRules>) => void,
  log: Logger,
): FSWatcher | undefined {
  let timer: NodeJS.Timeout | undefined;
  try {
    return watch(dir, () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        try {
          const rules = loadRules(dir);
          onRules(rules);
          log.info({ rules: rules.rules.length, files: rules.files }, 'rules reloaded');
        } catch (err: unknown) {
          const problems = (err as RootlineError).details?.problems as RuleProblem[] | undefined;
          log.error(
            { problems: problems ? formatProblems(problems) : errorMessage(err) },
            'rules changed but are invalid; keeping the previous rules',
          );
        }
      }, 300);
    });
  } catch (err: unknown) {
    log.warn({ dir, err: errorMessage(err) }, 'cannot watch the rules folder; rules will not reload');
    return undefined;
  }
}
