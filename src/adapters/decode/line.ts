import { isOpenLineageEvent } from './decode.js';
import {
  formatIssues,
  parseReport,
  validateReport,
  type LineageDeclaration,
  type Report,
  type RunProgress,
} from '../../contract/index.js';
import {
  INCIDENT_COMMAND_SPEC,
  isAcceptMessage,
  isIncidentCommand,
  parseAcceptMessage,
  parseIncidentCommand,
  type AcceptChangeInput,
  type IncidentCommand,
} from '../../monitor/index.js';
import { convertRunEvent } from '../../openlineage/index.js';

/** What one line of a replay file holds, decoded (see {@link decodeLine}). */
export type LineInput =
  | { kind: 'accept'; input: AcceptChangeInput }
  | { kind: 'command'; command: IncidentCommand }
  | { kind: 'progress'; progress: RunProgress }
  | { kind: 'lineage'; lineage: LineageDeclaration }
  | { kind: 'reports'; reports: Report[]; ignored: boolean }
  | { kind: 'bad'; reason: string };

/**
 * Decodes one line of a replay file (`rootline replay`): an accept-the-change line, a person's incident action, an
 * OpenLineage event (converted), or a report. The line is parsed once; a line that is not JSON is parsed again by
 * parseReport for its error message. Needs no state: it runs in the replay's decoding workers as well.
 */
export function decodeLine(line: string): LineInput {
  const accept = acceptOf(line);
  if (accept !== undefined) {
    const parsed = parseAcceptMessage(accept);
    return parsed.ok
      ? { kind: 'accept', input: parsed.input }
      : { kind: 'bad', reason: `invalid accept: ${parsed.errors.slice(0, 5).join('; ')}` };
  }
  const command = commandOf(line);
  if (command !== undefined) {
    const parsed = parseIncidentCommand(command);
    return parsed.ok
      ? { kind: 'command', command: parsed.command }
      : { kind: 'bad', reason: `invalid incident action: ${parsed.error}` };
  }
  let value: unknown;
  let json = true;
  try {
    value = JSON.parse(line);
  } catch {
    json = false;
  }
  if (json && isOpenLineageEvent(value)) {
    const res = convertRunEvent(value);
    if ('errors' in res)
      return { kind: 'bad', reason: `invalid OpenLineage event: ${res.errors.slice(0, 5).join('; ')}` };
    // a START/RUNNING: the run's start and statistics, for the report that closes it (and stalled runs)
    if (res.progress !== undefined) return { kind: 'progress', progress: res.progress };
    // a DatasetEvent or JobEvent: lineage edges without a run
    if (res.lineage !== undefined) return { kind: 'lineage', lineage: res.lineage };
    return { kind: 'reports', reports: res.reports, ignored: res.reports.length === 0 };
  }
  const parsed = json ? validateReport(value, { unknownKeys: 'allow' }) : parseReport(line, { unknownKeys: 'allow' });
  if (!parsed.ok) return { kind: 'bad', reason: `invalid report: ${formatIssues(parsed.errors, 5)}` };
  return { kind: 'reports', reports: [parsed.report], ignored: false };
}

/** The line's JSON value when it is a person's incident action (rootline.incident-action/v1), else undefined. */
function commandOf(line: string): unknown {
  if (!line.includes(INCIDENT_COMMAND_SPEC)) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return isIncidentCommand(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The line's JSON value when it is an accept-the-change line (rootline.accept/v1), else undefined. */
function acceptOf(line: string): unknown {
  if (!line.includes('rootline.accept/v1')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return isAcceptMessage(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
