/**
 * The training settings: what each option means, its default, and the one
 * function that checks a caller's options and fills in the defaults.
 *
 * @module
 */

import type { MatrixInput } from './data/tensor.js';
import { BackpropError } from './errors.js';
import {
  checkLossFits,
  defaultLoss,
  type LossName,
  type LossSpec,
  type Reduction,
  resolveLoss,
} from './losses.js';
import type { Network } from './network.js';
import {
  defaultLearningRate,
  OPTIMIZER_DEFAULTS,
  OPTIMIZER_NAMES,
  type OptimizerName,
  type OptimizerSettings,
} from './optimizers.js';

/** How examples are grouped into updates. */
export type Mode = 'batch' | 'sequential' | 'minibatch';

/** Every mode name. */
export const MODES: readonly Mode[] = ['batch', 'sequential', 'minibatch'];

/** Options of training; every one has a default. */
export interface TrainOptions {
  /** Loss name or `sse`/`mse`; default from the output activation (cross-entropy for softmax, binary cross-entropy for sigmoid, mse otherwise). */
  loss?: LossSpec;
  /** `mean` (default) or `sum`. */
  reduction?: Reduction;
  /** `batch`, `sequential` or `minibatch` (default). */
  mode?: Mode;
  /** B of minibatch mode; default min(32, n). */
  batchSize?: number;
  /** eta: one number, or one per layer (eta^(1), ..., eta^(N)); default 0.1 for sgd/momentum/nesterov, 0.001 for adam/rmsprop. */
  learningRate?: number | readonly number[];
  /** Default `sgd`, plain steepest descent. */
  optimizer?: OptimizerName;
  /** mu of momentum/Nesterov; default 0.9. */
  momentum?: number;
  /** Adam's beta1; default 0.9. */
  beta1?: number;
  /** Adam's beta2; default 0.999. */
  beta2?: number;
  /** eps of Adam/RMSProp; default 1e-8. */
  epsilon?: number;
  /** RMSProp's rho; default 0.99. */
  rho?: number;
  /** L2 weight decay lambda, added to every gradient as lambda w; default 0. */
  weightDecay?: number;
  /** Shuffle the examples at the start of each epoch (seeded); default true. Batch mode never needs it. */
  shuffle?: boolean;
  /** Seed of shuffling and of the validation split; default the network's seed. */
  seed?: number;
  /** Maximum number of epochs; default 100. */
  epochs?: number;
  /** Stop when the monitored cost (validation if any, else training) is at or below this. */
  tolerance?: number;
  /** Fraction of the examples held out for validation, chosen at random (seeded); default 0. */
  validationSplit?: number;
  /** Examples for validation, instead of a split. */
  validationData?: { inputs: MatrixInput; targets: MatrixInput };
  /** Stop after this many epochs without an improvement of at least `minDelta`, and restore the best weights. */
  patience?: number;
  /** Improvement that counts for `patience`; default 0. */
  minDelta?: number;
  /**
   * Let small networks trained one example at a time with plain sgd skip kernel
   * dispatch (same results to the bit): `true` (default) runs whole runs of
   * updates in the WebAssembly small-network kernel where it compiles, else the
   * TypeScript inline path; `'wasm'` or `'js'` asks for one of them; `false`
   * uses the general kernels, to compare.
   */
  inlineSmallNetworks?: boolean | 'wasm' | 'js';
}

/** Settings after defaults, as saved in a model file. */
export interface ResolvedSettings {
  loss: LossName;
  reduction: Reduction;
  mode: Mode;
  batchSize: number;
  learningRate: number[];
  optimizer: OptimizerSettings;
  shuffle: boolean;
  seed: number;
  epochs: number;
  tolerance?: number;
  patience?: number;
  minDelta: number;
  validationSplit: number;
}

function positiveNumber(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) {
    throw new BackpropError(`${what}: expected a positive number, got ${String(x)}`);
  }
  return x;
}

function wholeNumber(x: unknown, what: string, min = 1): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min) {
    throw new BackpropError(`${what}: expected a whole number of at least ${min}, got ${String(x)}`);
  }
  return x;
}

/**
 * Checks options against the network and the number of examples n (unknown for
 * a stream) and fills in the defaults.
 */
export function resolveSettings(net: Network, options: TrainOptions, n: number | null): ResolvedSettings {
  if (typeof options !== 'object' || options === null) throw new BackpropError('options: expected an object');
  const output = net.outputActivation;
  const { loss, reduction } = resolveLoss(options.loss ?? defaultLoss(output), options.reduction);
  checkLossFits(loss, output);
  const mode = options.mode ?? 'minibatch';
  if (!MODES.includes(mode))
    throw new BackpropError(`mode: unknown '${String(mode)}', expected batch, sequential or minibatch`);
  const optimizerName = options.optimizer ?? 'sgd';
  if (!OPTIMIZER_NAMES.includes(optimizerName)) {
    throw new BackpropError(
      `optimizer: unknown '${String(optimizerName)}', expected one of ${OPTIMIZER_NAMES.join(', ')}`,
    );
  }
  let batchSize: number;
  if (mode === 'sequential') batchSize = 1;
  else if (mode === 'batch') {
    if (n === null)
      throw new BackpropError(
        'mode: batch mode needs the whole data set in memory; use minibatch on a stream',
      );
    batchSize = n;
  } else {
    batchSize = wholeNumber(options.batchSize ?? Math.min(32, n ?? 32), 'batchSize');
    if (n !== null && batchSize > n) {
      throw new BackpropError(`batchSize: ${batchSize} is more than the ${n} training examples`);
    }
  }
  const rate = options.learningRate ?? defaultLearningRate(optimizerName);
  const layers = net.layers.length;
  let learningRate: number[];
  if (typeof rate === 'number') learningRate = new Array(layers).fill(positiveNumber(rate, 'learningRate'));
  else if (Array.isArray(rate)) {
    if (rate.length !== layers) {
      throw new BackpropError(
        `learningRate: expected one number or ${layers} (one per layer), got ${rate.length}`,
      );
    }
    learningRate = rate.map((r, i) => positiveNumber(r, `learningRate[${i}] (eta^(${i + 1}))`));
  } else
    throw new BackpropError(`learningRate: expected a number or an array of numbers, got ${String(rate)}`);
  const optimizer: OptimizerSettings = {
    name: optimizerName,
    momentum: options.momentum ?? OPTIMIZER_DEFAULTS.momentum,
    beta1: options.beta1 ?? OPTIMIZER_DEFAULTS.beta1,
    beta2: options.beta2 ?? OPTIMIZER_DEFAULTS.beta2,
    epsilon: options.epsilon ?? OPTIMIZER_DEFAULTS.epsilon,
    rho: options.rho ?? OPTIMIZER_DEFAULTS.rho,
    weightDecay: options.weightDecay ?? OPTIMIZER_DEFAULTS.weightDecay,
  };
  const validationSplit = options.validationSplit ?? 0;
  if (typeof validationSplit !== 'number' || !(validationSplit >= 0 && validationSplit < 1)) {
    throw new BackpropError(`validationSplit: expected a fraction in [0, 1), got ${String(validationSplit)}`);
  }
  if (validationSplit > 0 && options.validationData) {
    throw new BackpropError('validationSplit: give either validationSplit or validationData, not both');
  }
  const tolerance = options.tolerance;
  if (tolerance !== undefined && (typeof tolerance !== 'number' || !(tolerance >= 0))) {
    throw new BackpropError(`tolerance: expected a number of at least 0, got ${String(tolerance)}`);
  }
  const minDelta = options.minDelta ?? 0;
  if (typeof minDelta !== 'number' || !(minDelta >= 0)) {
    throw new BackpropError(`minDelta: expected a number of at least 0, got ${String(minDelta)}`);
  }
  const shuffle = options.shuffle ?? true;
  if (typeof shuffle !== 'boolean')
    throw new BackpropError(`shuffle: expected true or false, got ${String(shuffle)}`);
  return {
    loss,
    reduction,
    mode,
    batchSize,
    learningRate,
    optimizer,
    shuffle,
    seed: options.seed === undefined ? (net.seed ?? 0) : wholeNumber(options.seed, 'seed', 0),
    epochs: wholeNumber(options.epochs ?? 100, 'epochs'),
    tolerance,
    patience: options.patience === undefined ? undefined : wholeNumber(options.patience, 'patience'),
    minDelta,
    validationSplit,
  };
}
