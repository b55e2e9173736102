import type { SimDag } from '../sim/index.js';

/** The demo's sample pipeline: a churn model's feature pipeline, 8 nodes (two sources, a join, a fan-out). */
export const DEMO_DAG: SimDag = {
  pipeline: 'churn',
  shape: 'demo',
  nodes: [
    { name: 'raw_transactions', parents: [], baseRows: 48_000 },
    { name: 'raw_customers', parents: [], baseRows: 12_000 },
    { name: 'clean_transactions', parents: ['raw_transactions'], baseRows: 47_500 },
    { name: 'clean_customers', parents: ['raw_customers'], baseRows: 11_900 },
    { name: 'join_customer_txn', parents: ['clean_transactions', 'clean_customers'], baseRows: 47_000 },
    { name: 'compute_avg_amount', parents: ['join_customer_txn'], baseRows: 11_800 },
    { name: 'churn_features', parents: ['compute_avg_amount', 'clean_customers'], baseRows: 11_800 },
    { name: 'churn_model_scores', parents: ['churn_features'], baseRows: 11_800 },
  ],
};

/** The fault the demo injects: compute_avg_amount starts writing nulls into `amount` (a bad deploy). */
export const DEMO_FAULT = {
  node: 'compute_avg_amount',
  kind: 'code_change',
  column: 'amount',
  magnitude: 0.1,
} as const;
