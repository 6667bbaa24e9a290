/**
 * Messages between the page and the training worker. The worker owns the
 * network and the library's Trainer; the page only draws what it is sent.
 *
 * @module
 */
import type { StepTrace } from 'backprop-mlp';
import type { Setup } from './setup.js';

/** A set of examples, one row per example. */
export interface Examples {
  inputs: number[][];
  targets: number[][];
}

/** One layer's weights as the model file has them: fan-in x units, and the biases. */
export interface LayerWeights {
  units: number;
  activation: string;
  weights: number[][];
  biases: number[];
}

/** Starts (or restarts) an experiment; the worker builds a fresh network. */
export interface InitMessage {
  type: 'init';
  /** Numbers the experiment; every message back carries it, so the page drops stale ones. */
  id: number;
  setup: Setup;
  train: Examples;
  test: Examples;
  /** Points at which every node's output is drawn as a heat map (2-D or 1-D inputs), or none. */
  grid: number[][] | null;
  /** Start from these weights (a loaded model file) instead of random ones. */
  model?: unknown;
  /** Optional model-file fields to keep on export: columns, scaling, classes. */
  meta?: Record<string, unknown>;
  /** The targets are classes, so accuracy is counted whatever the loss (squared on XOR too). */
  classes: boolean;
}

export type ToWorker =
  | InitMessage
  | { type: 'run' }
  | { type: 'pause' }
  | { type: 'step'; unit: 'update' | 'epoch' }
  /** Sends the model file back; `meta` replaces its optional fields (the settings may have changed since init). */
  | { type: 'export'; meta: Record<string, unknown> }
  /**
   * New training settings (rates, loss, reduction, mode, optimizer, decay,
   * tolerance) for the same network: a new Trainer continues from the current
   * weights; the optimizer's state starts afresh.
   */
  | { type: 'settings'; setup: Setup }
  /** Sets one weight (m = 'b' for the bias) of layer n (1-based) to `value`. */
  | { type: 'set-weight'; layer: number; m: number | 'b'; i: number; value: number }
  /** The page drew snapshot `id`'s experiment; the worker may send the next snapshot. */
  | { type: 'drawn'; id: number };

/** One point of the cost curves. */
export interface CostPoint {
  epoch: number;
  train: number;
  test: number | null;
}

/** The step trace for the update the worker will do next. */
export interface ExplainPayload {
  /** Indices (into the training set) of the examples of the next update. */
  indices: number[];
  inputs: number[][];
  targets: number[][];
  /** The trace itself, computed with plain steepest descent and the layers' rates. */
  trace: TraceJson;
  /** Weights before the step, so the page can print w_old. */
  before: LayerWeights[];
  learningRates: number[];
  /** True when the optimizer is plain sgd, so the next update is exactly this step. */
  exact: boolean;
}

/** The JSON step trace, as the library returns it. */
export type TraceJson = StepTrace;

/** What the page draws after each burst of training. */
export interface Snapshot {
  type: 'snapshot';
  id: number;
  running: boolean;
  epoch: number;
  updates: number;
  trainCost: number;
  testCost: number | null;
  trainAccuracy: number | null;
  testAccuracy: number | null;
  /** On imbalanced data: the minority class and its recall on each set (null: no example of it there). */
  minority: { label: number; train: number | null; test: number | null } | null;
  /** eta^(n) of the last epoch trained (EpochInfo.learningRate), else the layers' own rates. */
  learningRates: number[];
  /** Cost points since the last snapshot (or all of them after init). */
  costs: CostPoint[];
  /** True when `costs` replaces the curve rather than extending it. */
  resetCurve: boolean;
  layers: LayerWeights[];
  /** Per layer, the outputs over the grid: grid.length x units, row-major. */
  gridOutputs: Float64Array[] | null;
  explain: ExplainPayload | null;
  /** Outputs and targets of the test set (training set without one), when there is no plane to draw. */
  predictions: { set: 'test' | 'train'; outputs: number[][]; targets: number[][] } | null;
  /** Why training stopped by itself, if it did: then there is no next update to explain. */
  stopped: 'tolerance' | 'diverged' | null;
}

export type FromWorker =
  | Snapshot
  | { type: 'diverged'; id: number; message: string; epoch: number }
  | { type: 'error'; id: number; message: string }
  | { type: 'model'; id: number; json: unknown };
