export * from './graph.js';
export * from './rca.js';
