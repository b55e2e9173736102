import { describe, expect, it } from 'vitest';
import {
  SLACK_LIMITS,
  grafanaLink,
  headline,
  renderIncident,
  renderIncidentPlain,
  renderThreadReply,
  type Block,
} from '../../src/actions/index.js';
import { esc } from '../../src/actions/mrkdwn.js';
import { checkMessage } from '../../src/dev/slack/limits.js';
import type { Incident } from '../../src/monitor/index.js';
import { scenarioEvents } from './fixtures.js';

const TEMPLATE =
  'http://grafana.local/d/node?var-pipeline={pipeline}&var-node={node}&var-column={column}&inc={incident_id}&from={from}&to={to}&x={unknown}';
const textOf = (blocks: Block[]) => JSON.stringify(blocks);
const section = (blocks: Block[], title: string) => {
  const b = blocks.find((x) => JSON.stringify(x).includes(title));
  expect(b, title).toBeDefined();
  return JSON.stringify(b);
};

describe('renderIncident', () => {
  const events = scenarioEvents({ bad: 1, after: 3 }).flat();
  const incident = events.find((e) => e.type === 'opened')!.incident;
  const resolved = events.find((e) => e.type === 'resolved')!.incident;

  it('the scenario is what the message describes', () => {
    expect(incident).toMatchObject({
      culprit: 'n01',
      pipeline: 'churn',
      metric: 'null_ratio',
      column: 'amount',
      cause: { kind: 'transformation' },
    });
  });

  it('names the culprit transformation and the pipeline, in the text and the header', () => {
    const { text, blocks } = renderIncident(incident);
    expect(text).toMatch(/^INCIDENT: null ratio of amount changed 0\.00 -> 0\.1\d at n01 \(pipeline churn\)$/);
    expect(blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'INCIDENT: n01 (churn)', emoji: true },
    });
    expect(section(blocks, 'Culprit transformation')).toContain('`n01` in pipeline `churn`');
  });

  it('shows the metric, its baseline and its current value', () => {
    const { blocks } = renderIncident(incident);
    const f = incident.findings[0]!;
    expect(section(blocks, 'Failing metric')).toContain(
      `null ratio of \`amount\`: baseline ${f.baseline!.toFixed(2)} vs current ${f.value.toFixed(2)}`,
    );
    expect(JSON.stringify(blocks[1])).toContain(':red_circle: INCIDENT null ratio of `amount` changed');
  });

  it('gives the likely cause and the confidence', () => {
    const { blocks } = renderIncident(incident);
    expect(section(blocks, 'Likely cause')).toContain(
      'n01 broke the data: its inputs were healthy and its output is not',
    );
    expect(section(blocks, 'Confidence')).toContain('90%');
  });

  it('lays out the evidence path: the root and its healthy input', () => {
    const evidence = section(renderIncident(incident).blocks, 'Evidence path');
    expect(evidence).toContain('• `n01` (root): null ratio of `amount`: baseline 0.00, now 0.1');
    expect(evidence).toMatch(/• `n00` healthy \(input, run 2026-11-01T08:00:00\.000Z\)/);
  });

  it('gives the blast radius and the symptoms seen', () => {
    const blast = section(renderIncident(incident).blocks, 'Blast radius');
    expect(blast).toContain('*Blast radius*: 2 downstream nodes: `n02`, `n03`');
    expect(blast).toContain('*Symptoms seen*: `n02`, `n03`');
  });

  it('says what action was taken', () => {
    const action = section(renderIncident(incident).blocks, 'Action taken');
    expect(action).toContain(
      'alerted in Slack; rollback of n01 to data_version n01@2026-11-01T07:00:00.000Z (dry run, not dispatched)',
    );
  });

  it('links to Grafana from the template, with the incident window', () => {
    const { blocks } = renderIncident(incident, { grafanaUrlTemplate: TEMPLATE });
    const from = Date.parse(incident.opened_at) - 3_600_000;
    const link = `http://grafana.local/d/node?var-pipeline=churn&var-node=n01&var-column=amount&inc=${incident.incident_id}&from=${from}&to=now&x={unknown}`;
    expect(grafanaLink(incident, TEMPLATE)).toBe(link);
    expect(blocks.at(-1)).toEqual({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open in Grafana' },
          url: link,
          action_id: 'rootline_grafana',
        },
      ],
    });
    expect(textOf(blocks)).toContain(`<${link}|Grafana drill-down>`);
    expect(textOf(renderIncident(incident).blocks)).not.toContain('Grafana');
  });

  it('a resolved incident says so, and its link ends an hour after the resolution', () => {
    const { text, blocks } = renderIncident(resolved, { grafanaUrlTemplate: TEMPLATE });
    expect(text).toMatch(/^RESOLVED: /);
    expect(textOf(blocks)).toContain(':white_check_mark: RESOLVED');
    expect(textOf(blocks)).toContain(`resolved ${resolved.resolved_at}`);
    expect(grafanaLink(resolved, TEMPLATE)).toContain(`&to=${Date.parse(resolved.resolved_at!) + 3_600_000}&`);
  });

  it('an ambiguous root shows every candidate and is escalated', () => {
    const ambiguous: Incident = { ...incident, candidates: ['n01', 'n00'], confidence: 0.5, escalated: true };
    const { text, blocks } = renderIncident(ambiguous);
    expect(text).toMatch(/^ESCALATED: /);
    expect(section(blocks, 'Culprit transformation')).toContain('one of `n01`, `n00` (ambiguous)');
    expect(section(blocks, 'Confidence')).toContain('50% (escalated: root ambiguous)');
  });

  it('escapes Slack mrkdwn control characters in free text', () => {
    expect(esc('a < b && c > d')).toBe('a &lt; b &amp;&amp; c &gt; d');
    const nasty: Incident = {
      ...incident,
      cause: { kind: 'code_change', summary: 'code changed at n01: <v1> -> <!channel>' },
    };
    const cause = section(renderIncident(nasty).blocks, 'Likely cause');
    expect(cause).toContain('&lt;!channel&gt;');
    expect(cause).not.toContain('<!channel>');
  });

  it("the header fits Slack's 150 characters", () => {
    const long: Incident = { ...incident, culprit: 'x'.repeat(300) };
    const header = renderIncident(long).blocks[0] as { text: { text: string } };
    expect(header.text.text.length).toBeLessThanOrEqual(150);
  });
});

describe('headline', () => {
  const i = scenarioEvents({ bad: 1 }).flat()[0]!.incident;

  it('per metric', () => {
    const { column: _column, ...noColumn } = i;
    expect(
      headline({
        ...noColumn,
        metric: 'row_count',
        findings: [{ ...i.findings[0]!, metric: 'row_count', value: 700, baseline: 1000 }],
      }),
    ).toBe('row count changed 1,000 -> 700 at `n01`');
    expect(headline({ ...i, metric: 'drift', findings: [{ ...i.findings[0]!, metric: 'drift', value: 0.3456 }] })).toBe(
      'distribution drift of `amount` shifted (D = 0.35) at `n01`',
    );
    expect(
      headline({
        ...noColumn,
        metric: 'schema',
        findings: [{ ...i.findings[0]!, metric: 'schema', message: 'schema changed (breaking): removed score' }],
      }),
    ).toBe('schema at `n01`: schema changed (breaking): removed score');
    expect(headline({ ...noColumn, metric: 'freshness', findings: [] })).toBe('freshness at `n01`');
    expect(
      headline({
        ...i,
        metric: 'repeats',
        findings: [{ ...i.findings[0]!, metric: 'repeats', value: 0.27, baseline: 0.055 }],
      }),
    ).toBe('repeated values of `amount` changed 0.06 -> 0.27 at `n01`');
  });
});

describe('renderThreadReply', () => {
  it('new symptoms and findings; nothing new gives no reply', () => {
    const events = scenarioEvents({ bad: 2, oneByOne: true }).flat();
    const withSymptom = events.find((e) => e.type === 'updated' && e.changes.new_symptoms)!;
    expect(renderThreadReply(withSymptom)!.text).toMatch(
      /^:arrow_down: Symptom downstream at `n02`: null ratio of amount/,
    );
    expect(renderThreadReply({ ...withSymptom, changes: { new_findings: ['row count dropped <30%>'] } })!.text).toBe(
      ':warning: Also at `n01`: row count dropped &lt;30%&gt;',
    );
    expect(renderThreadReply({ ...withSymptom, changes: { runs_affected: 2 } })).toBeUndefined();
  });

  it('a symptom joined below an open incident says why', () => {
    const events = scenarioEvents({ bad: 2, oneByOne: true }).flat();
    const withSymptom = events.find((e) => e.type === 'updated' && e.changes.new_symptoms)!;
    const why = 'n03 changed with healthy inputs and no change of its own while n01 upstream is open (run r9)';
    const text = renderThreadReply({
      ...withSymptom,
      changes: {
        ...withSymptom.changes,
        audit: [
          { at: '2026-12-05T00:00:00.000Z', who: 'rootline-monitor', source: 'auto', action: 'symptom_attached', why },
        ],
      },
    })!.text;
    expect(text.split('\n')[0]).toBe(`:link: Joined to this incident: ${why}`);
    expect(text).toContain(':arrow_down: Symptom downstream at `n02`');
  });

  it('the resolution', () => {
    const resolved = scenarioEvents({ bad: 2, after: 3 })
      .flat()
      .find((e) => e.type === 'resolved')!;
    expect(renderThreadReply(resolved)!.text).toBe(
      ':white_check_mark: Resolved: `n01` has had 3 healthy runs in a row (after 2 bad runs).',
    );
  });
});

describe('an incident of any size renders within Slack limits', () => {
  const base = scenarioEvents({ bad: 1, after: 3 })
    .flat()
    .find((e) => e.type === 'opened')!.incident;
  const long = (prefix: string, k = 0) => `${prefix}_${k}_${'x'.repeat(10_000)}😀`;
  const huge: Incident = {
    ...base,
    culprit: long('culprit'),
    pipeline: long('pipeline'),
    column: long('column'),
    candidates: Array.from({ length: 50 }, (_, k) => long('candidate', k)),
    escalated: true,
    cause: { kind: 'code_change', summary: `code changed <&> ${'c'.repeat(2000)}` },
    findings: [{ ...base.findings[0]!, message: `null ratio <${'m'.repeat(2000)}>` }],
    blast_radius: Array.from({ length: 300 }, (_, k) => long('node', k)),
    symptoms: Array.from({ length: 500 }, (_, k) => ({ ...base.symptoms[0]!, node: `symptom_${k}` })),
    evidence: Array.from({ length: 100 }, (_, k) => ({ ...base.evidence[0]!, node: long('path', k) })),
    opened_run_id: long('run'),
  };

  it('every block and the whole message pass the limits the local Slack server enforces', () => {
    const { text, blocks } = renderIncident(huge, { grafanaUrlTemplate: TEMPLATE });
    expect(checkMessage({ text, blocks })).toBeUndefined();
    expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(textOf(blocks).length).toBeLessThan(20_000);
  });

  it('long lists end with "and N more" and a link to the full incident', () => {
    const o = {
      grafanaUrlTemplate: TEMPLATE,
      incidentUrlTemplate: 'https://rootline.local/api/v1/incidents/{incident_id}',
    };
    const { blocks } = renderIncident(huge, o);
    const link = `<https://rootline.local/api/v1/incidents/${base.incident_id}|full incident>`;
    expect(section(blocks, 'Blast radius')).toMatch(/300 downstream nodes: `node_0_x+…`.* … and \d+ more \(</);
    expect(section(blocks, 'Blast radius')).toContain(link);
    expect(section(blocks, 'Symptoms seen')).toMatch(/`symptom_0`, `symptom_1`.* … and \d+ more/);
    expect(section(blocks, 'Evidence path')).toMatch(/… and \d+ more/);
    expect(section(blocks, 'Culprit transformation')).toMatch(/one of `candidate_0_x+…`.* … and \d+ more/);
    // The Grafana link of a 10 kB node name is too long for a message: left out, not sent broken.
    expect(textOf(blocks)).not.toContain('Open in Grafana');
  });

  it('the header is cut on a character boundary', () => {
    const emoji = { ...base, culprit: `${'a'.repeat(138)}😀😀😀😀` };
    const header = (renderIncident(emoji).blocks[0] as { text: { text: string } }).text.text;
    expect(header.length).toBeLessThanOrEqual(150);
    expect(header).toBe(`INCIDENT: ${'a'.repeat(138)}…`);
    expect(header).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('the plain-text fallback and a thread reply with 500 symptoms are short', () => {
    expect(renderIncidentPlain(huge).text.length).toBeLessThanOrEqual(3000);
    const e = {
      type: 'updated' as const,
      incident: huge,
      changes: { new_symptoms: huge.symptoms },
      at: base.opened_at,
    };
    const reply = renderThreadReply(e)!.text;
    expect(reply.length).toBeLessThanOrEqual(3000);
    expect(reply).toMatch(/… and \d+ more$/);
  });
});

describe('user-provided names cannot ping or link', () => {
  const base = scenarioEvents({ bad: 1, after: 3 })
    .flat()
    .find((e) => e.type === 'opened')!.incident;
  const evil: Incident = {
    ...base,
    culprit: 'load_<!channel>_orders',
    pipeline: '<https://evil.example|click here>',
    column: 'a`*b*`<@U123>',
    candidates: ['load_<!channel>_orders', '<!here>'],
    blast_radius: ['<!everyone>', 'x&y'],
    symptoms: [{ ...base.symptoms[0]!, node: '<https://evil.example|x>', message: '<!subteam^S1>' }],
    evidence: [{ ...base.evidence[0]!, node: '<!channel>', run_id: '<https://evil.example|run>' }],
    findings: [{ ...base.findings[0]!, message: '<!channel> spike' }],
    opened_run_id: '<!channel>',
  };
  /** Every mrkdwn text object in the blocks (plain_text is shown as it is: Slack parses nothing in it). */
  const mrkdwnTexts = (x: unknown): string[] =>
    Array.isArray(x)
      ? x.flatMap(mrkdwnTexts)
      : typeof x === 'object' && x !== null
        ? (x as { type?: unknown }).type === 'mrkdwn'
          ? [String((x as { text: unknown }).text)]
          : Object.values(x).flatMap(mrkdwnTexts)
        : [];
  /** Text with our own links (`<http://grafana.local...|label>`) taken out. */
  const withoutOwnLinks = (s: string) => s.replace(/<http:\/\/grafana\.local[^|>]*\|[^>]*>/g, '');

  it('no unescaped < in any text of the message, the fallback or a thread reply', () => {
    const { text, blocks } = renderIncident(evil, { grafanaUrlTemplate: TEMPLATE });
    const texts = [
      text,
      ...mrkdwnTexts(blocks),
      renderIncidentPlain(evil, { grafanaUrlTemplate: TEMPLATE }).text,
      renderThreadReply({ type: 'updated', incident: evil, changes: { new_symptoms: evil.symptoms }, at: '' })!.text,
      renderThreadReply({ type: 'resolved', incident: evil, changes: {}, at: '' })!.text,
    ];
    for (const t of texts) {
      expect(withoutOwnLinks(t)).not.toContain('<');
      expect(t).not.toContain('<!channel>');
    }
    expect(section(blocks, 'Culprit transformation')).toContain('`load_&lt;!channel&gt;_orders`');
    expect(section(blocks, 'Culprit transformation')).toContain(
      'in pipeline `&lt;https://evil.example|click here&gt;`',
    );
    expect(section(blocks, 'Failing metric')).toContain('of `aˋ*b*ˋ&lt;@U123&gt;`');
  });

  it('the header is plain text: the name as it is, only cut', () => {
    const header = renderIncident(evil).blocks[0] as { text: { type: string; text: string } };
    expect(header.text).toMatchObject({
      type: 'plain_text',
      text: 'INCIDENT: load_<!channel>_orders (<https://evil.example|click here>)',
    });
  });
});
