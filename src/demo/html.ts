/**
 * The demo's self-contained HTML report: the lineage graph colored by health (SVG), a health timeline
 * per node and run, row count and null ratio series, and the incidents as the Slack messages read.
 * No script, no external resource: a file a person can open anywhere.
 */

export type NodeHealth = 'healthy' | 'culprit' | 'symptom' | 'unhealthy' | 'none';

export interface ReportData {
  pipeline: string;
  generatedAt: string;
  /** Nodes in topological order. */
  nodes: string[];
  edges: { source: string; target: string }[];
  /** One label per run. */
  runs: string[];
  /** node -> health per run. */
  health: Record<string, NodeHealth[]>;
  rowCounts: Record<string, (number | null)[]>;
  /** Null ratio of `column`, node -> per run. */
  nullRatios: Record<string, (number | null)[]>;
  column: string;
  /** The run the graph shows. */
  snapshotRun: number;
  incidents: { title: string; text: string; status: string }[];
  mode: string;
}

const COLORS: Record<NodeHealth, string> = {
  healthy: '#2e9d57',
  culprit: '#d1332e',
  symptom: '#f08c2e',
  unhealthy: '#e0b020',
  none: '#9aa3ad',
};
const LABELS: Record<NodeHealth, string> = {
  healthy: 'healthy',
  culprit: 'culprit (root cause)',
  symptom: 'symptom (downstream)',
  unhealthy: 'unhealthy',
  none: 'no report',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Layered layout: x by longest path from a source, y by order within the layer. */
export function layout(
  nodes: string[],
  edges: { source: string; target: string }[],
): Map<string, { x: number; y: number }> {
  const depth = new Map<string, number>();
  for (const n of nodes) {
    const parents = edges.filter((e) => e.target === n).map((e) => depth.get(e.source) ?? 0);
    depth.set(n, parents.length ? Math.max(...parents) + 1 : 0);
  }
  const layers = new Map<number, string[]>();
  for (const n of nodes) {
    const d = depth.get(n)!;
    layers.set(d, [...(layers.get(d) ?? []), n]);
  }
  const maxLayer = Math.max(...[...layers.values()].map((l) => l.length));
  const pos = new Map<string, { x: number; y: number }>();
  for (const [d, ns] of layers) {
    const offset = ((maxLayer - ns.length) * 90) / 2;
    ns.forEach((n, i) => pos.set(n, { x: 20 + d * 215, y: 20 + offset + i * 80 }));
  }
  return pos;
}

export function graphSvg(d: ReportData, run: number, width = 0): string {
  const pos = layout(d.nodes, d.edges);
  const W = width || Math.max(...[...pos.values()].map((p) => p.x)) + 205;
  const H = Math.max(...[...pos.values()].map((p) => p.y)) + 75;
  const boxW = 182;
  const boxH = 54;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="lineage" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="lineage graph of ${esc(d.pipeline)}">`,
  );
  parts.push(
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#7b8794"/></marker></defs>',
  );
  for (const e of d.edges) {
    const a = pos.get(e.source);
    const b = pos.get(e.target);
    if (!a || !b) continue;
    const x1 = a.x + boxW;
    const y1 = a.y + boxH / 2;
    const x2 = b.x;
    const y2 = b.y + boxH / 2;
    const mx = (x1 + x2) / 2;
    parts.push(
      `<path class="edge" data-source="${esc(e.source)}" data-target="${esc(e.target)}" d="M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}" fill="none" stroke="#7b8794" stroke-width="1.6" marker-end="url(#arrow)"/>`,
    );
  }
  for (const n of d.nodes) {
    const p = pos.get(n)!;
    const h = d.health[n]?.[run] ?? 'none';
    const rows = d.rowCounts[n]?.[run];
    const nulls = d.nullRatios[n]?.[run];
    parts.push(
      `<g class="node" data-node="${esc(n)}" data-health="${h}"><title>${esc(n)}: ${LABELS[h]}</title>` +
        `<rect x="${p.x}" y="${p.y}" width="${boxW}" height="${boxH}" rx="8" fill="${COLORS[h]}" stroke="#1f2933" stroke-opacity="0.25"/>` +
        `<text x="${p.x + 10}" y="${p.y + 21}" font-size="13" font-weight="600" fill="#fff">${esc(n)}</text>` +
        `<text x="${p.x + 10}" y="${p.y + 40}" font-size="11" fill="#fff">${rows != null ? `${rows.toLocaleString('en-US')} rows` : 'no run'}${nulls != null ? ` · ${(nulls * 100).toFixed(1)}% null` : ''}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function sparkline(values: (number | null)[], color: string, fmt: (v: number) => string, mark: number): string {
  const W = 260;
  const H = 46;
  const xs = values.map((_, i) => 4 + (i * (W - 8)) / Math.max(1, values.length - 1));
  const nums = values.filter((v): v is number => v != null);
  if (nums.length === 0) return '<svg width="260" height="46"></svg>';
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  const y = (v: number) => H - 6 - ((v - lo) / (hi - lo || 1)) * (H - 12);
  let dpath = '';
  values.forEach((v, i) => {
    if (v == null) return;
    dpath += `${dpath === '' ? 'M' : 'L'} ${xs[i]!.toFixed(1)} ${y(v).toFixed(1)} `;
  });
  const mx = xs[mark] ?? 0;
  return `<svg class="series" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"><line x1="${mx}" x2="${mx}" y1="0" y2="${H}" stroke="#d1332e" stroke-dasharray="3 3" stroke-width="1"/><path d="${dpath}" fill="none" stroke="${color}" stroke-width="1.8"/><text x="${W - 4}" y="11" text-anchor="end" font-size="10" fill="#52606d">max ${fmt(hi)}</text><text x="${W - 4}" y="${H - 2}" text-anchor="end" font-size="10" fill="#52606d">min ${fmt(lo)}</text></svg>`;
}

export function renderReport(d: ReportData): string {
  const timeline = d.nodes
    .map(
      (n) =>
        `<tr><th>${esc(n)}</th>${(d.health[n] ?? []).map((h, i) => `<td class="cell" style="background:${COLORS[h]}" title="run ${esc(d.runs[i] ?? String(i))}: ${LABELS[h]}"></td>`).join('')}</tr>`,
    )
    .join('\n');
  const series = d.nodes
    .map(
      (n) =>
        `<tr><th>${esc(n)}</th><td>${sparkline(d.rowCounts[n] ?? [], '#3468c0', (v) => Math.round(v).toLocaleString('en-US'), d.snapshotRun)}</td><td>${sparkline(d.nullRatios[n] ?? [], '#d1332e', (v) => `${(v * 100).toFixed(1)}%`, d.snapshotRun)}</td></tr>`,
    )
    .join('\n');
  const incidents = d.incidents.length
    ? d.incidents
        .map(
          (i) =>
            `<div class="incident"><h3>${esc(i.title)} <span class="status">${esc(i.status)}</span></h3><pre>${esc(i.text)}</pre></div>`,
        )
        .join('\n')
    : '<p>No incident.</p>';
  const legend = (Object.keys(COLORS) as NodeHealth[])
    .map((h) => `<span class="key"><i style="background:${COLORS[h]}"></i>${LABELS[h]}</span>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rootline: lineage health of ${esc(d.pipeline)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1f2933;background:#f5f7fa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.sub{color:#52606d;font-size:13px}
.card{background:#fff;border-radius:10px;padding:16px;box-shadow:0 1px 3px rgba(0,0,0,.12);margin-top:12px;overflow-x:auto}
.key{margin-right:16px;font-size:12px}.key i{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:5px;vertical-align:-1px}
table{border-collapse:collapse}th{text-align:left;font-weight:500;font-size:12px;padding:2px 10px 2px 0;white-space:nowrap}
td.cell{width:14px;height:16px;border:1px solid #fff}
.incident pre{white-space:pre-wrap;background:#1f2933;color:#e4e7eb;padding:12px;border-radius:8px;font-size:12px}
.status{font-size:12px;padding:2px 8px;border-radius:10px;background:#e4e7eb;margin-left:6px}
</style></head>
<body>
<h1>Rootline: lineage health of pipeline <code>${esc(d.pipeline)}</code></h1>
<div class="sub">${esc(d.mode)} · ${d.runs.length} runs · generated ${esc(d.generatedAt)}</div>
<h2>Lineage at run ${esc(d.runs[d.snapshotRun] ?? String(d.snapshotRun))} (when the incident opened)</h2>
<div class="card">${graphSvg(d, d.snapshotRun)}<div>${legend}</div></div>
<h2>Health over time (one column per run)</h2>
<div class="card"><table class="timeline">${timeline}</table></div>
<h2>Row count and null ratio of <code>${esc(d.column)}</code> per node (dashed line: the incident)</h2>
<div class="card"><table>${series}</table></div>
<h2>Incidents, as the Slack message reads</h2>
<div class="card">${incidents}</div>
</body></html>
`;
}
