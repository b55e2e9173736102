import { readFileSync } from 'node:fs';

/** The shipped rules. */
export const shipped = { file: 'rules/defaults.yaml', text: readFileSync('rules/defaults.yaml', 'utf8') };

/** A rules file turning the long-horizon rule on or off for every node (or only for one column). */
export function longHorizonOverride(enabled: boolean, column?: string): { file: string; text: string } {
  const match = column === undefined ? '{ node: "*" }' : `{ node: "*", column: ${column} }`;
  return {
    file: `long-horizon-${enabled ? 'on' : 'off'}${column === undefined ? '' : `-${column}`}.yaml`,
    text: `version: 1\noverrides:\n  - match: ${match}\n    rules: { long_horizon_drift: { enabled: ${enabled} } }\n`,
  };
}
