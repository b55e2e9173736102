export * from './graph.js';
export * from './rca.js';
export * from './queries.js';
export * from './run.js';
