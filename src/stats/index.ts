/**
 * Statistics for drift and anomaly decisions: two-sample Kolmogorov-Smirnov (raw samples and
 * distribution summaries such as KLL sketches), chi-squared and total variation for categorical columns,
 * robust baselines, and Benjamini-Hochberg false discovery control. Numbers match scipy (vectors in
 * test/vectors/stats). See docs/statistics.md.
 */
export { ks2samp, ks2sampSorted, KS_MAX_EXACT_N } from './ks.js';
export type { Ks2sampOptions, Ks2sampResult, KsMethod, NumericSample } from './ks.js';
export { kstwoIsf, kstwoSf } from './kolmogorov.js';
export {
  sampleSummary,
  weightedSummary,
  ksSummaries,
  driftEvidence,
  driftVerdict,
  driftVerdicts,
  KLL_K200_RANK_ERROR,
  DEFAULT_EFFECT_FLOOR,
  DEFAULT_DRIFT_ALPHA,
  DEFAULT_DRIFT_CONFIDENCE,
} from './drift.js';
export type {
  CdfSummary,
  KsSummariesResult,
  DriftInput,
  DriftVerdict,
  DriftVerdictsOptions,
  DriftEvidence,
} from './drift.js';
export {
  chiSquaredTest,
  totalVariationDistance,
  alignCategories,
  categoricalCounts,
  DEFAULT_OTHER_KEY,
} from './chi2.js';
export type { CategoryCounts, CategoricalOptions, ChiSquaredResult } from './chi2.js';
export { gammaincc, gammainc, lgamma, chi2Ppf, chi2Sf } from './gamma.js';
export { betainc, fSf, normalSf, tIsf, tSf } from './beta.js';
export {
  binomialSf,
  compareCategorical,
  FrequentBounds,
  MAX_CANDIDATES,
  MAX_SHIFTS,
  tvdSamplingMargin,
  type FrequentBoundsState,
} from './frequent-bounds.js';
export type { CategoricalComparison, CategoryShift, FrequentList } from './frequent-bounds.js';
export {
  median,
  mad,
  robustZ,
  relativeDeviation,
  RollingWindow,
  DEFAULT_BASELINE_RUNS,
  MAD_NORMAL_SCALE,
  MEANAD_NORMAL_SCALE,
} from './baseline.js';
export type { MadOptions, RollingWindowState } from './baseline.js';
export { benjaminiHochberg, DEFAULT_FDR_Q } from './fdr.js';
export {
  poissonLogSd,
  ROUNDING_SD,
  rowExpectations,
  monthEdge,
  edgeLabels,
  type EdgeLabel,
  pushMonthEdge,
  pushWeekdayLevel,
  weekdayBaseExpected,
  subDaily,
  MONTH_EDGE_RUNS,
  youngMonthEdge,
  youngHour,
  youngWeek,
  runsDaily,
  pushSeasonal,
  seasonSlot,
  seasonalFit,
  smallSampleFactor,
  detectSeasonality,
  DEFAULT_ROW_MIN_Z,
  ROWS_PER_SEASON_SLOT,
} from './seasonal.js';
export type {
  MonthEdges,
  WeekdayLevels,
  RowExpectation,
  Seasonality,
  SeasonGrouping,
  SeasonalFit,
} from './seasonal.js';
export type { BenjaminiHochbergResult } from './fdr.js';
