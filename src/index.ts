/**
 * Rootline as a library: the report contract, profiling and the emitter SDK for pipelines written in
 * TypeScript/JavaScript. Subpaths: `rootline/emitter`, `rootline/profile`, `rootline/contract`,
 * `rootline/sketch`, `rootline/stats`, `rootline/openlineage`.
 */
export * from './contract/index.js';
export * from './emitter/index.js';
export * from './profile/index.js';
