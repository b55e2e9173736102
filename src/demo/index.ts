export { DEMO_DAG, DEMO_FAULT } from './pipeline.js';
export { blocksToText, mrkdwnToText } from './text.js';
export { renderReport, graphSvg, layout, type ReportData, type NodeHealth } from './html.js';
export { reportData } from './data.js';
