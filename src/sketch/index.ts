export { DEFAULT_KLL_K, KLL_MAX_K, KLL_MIN_K, KllDoublesSketch } from './kll.js';
export type { KllDeserializeOptions, KllSketchOptions, KllSortedView } from './kll.js';
export { seededRandom } from './random.js';
export { decodedSketch, peekDecodedSketch, shareDecodedSketch } from './shared.js';
export type { RandomSource } from './random.js';
export {
  DEFAULT_DISTINCT_EXACT_LIMIT,
  DEFAULT_FREQUENT_CAPACITY,
  DEFAULT_HLL_PRECISION,
  DistinctCounter,
  FrequentItems,
} from './frequent.js';
export type { FrequentSummary } from './frequent.js';
