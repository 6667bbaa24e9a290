/**
 * Losses and the cost (docs/design.md, "Losses and cost"). A loss L(i) is per example and sums over
 * the output nodes k; the cost J reduces the losses of a set of n examples:
 * `mean` J = (1/n) sum_i L(i) (the notes' cost function), `sum` J = sum_i L(i).
 *
 * | name | L(i) |
 * |---|---|
 * | `squared` | sum_k (d_k - y_k)^2 |
 * | `half-squared` | 1/2 sum_k (d_k - y_k)^2 (the notes' instantaneous error E) |
 * | `binary-cross-entropy` | -sum_k [d_k log y_k + (1 - d_k) log(1 - y_k)] |
 * | `cross-entropy` | -sum_k d_k log y_k |
 *
 * Shorthands: `sse` is squared + sum (the notes' SSE), `mse` is squared + mean.
 *
 * @module
 */
import { type ActivationName, activation } from './activations.js';
import type { LossName } from './backend/backend.js';
import {
  binaryCrossEntropyGradient,
  binaryCrossEntropyValue,
  crossEntropyGradient,
  crossEntropyValue,
  halfSquaredGradient,
  halfSquaredValue,
  squaredGradient,
  squaredValue,
} from './elementwise.js';
import { BackpropError } from './errors.js';

export type { LossName };

/** How the losses of a set of examples are reduced to the cost J. */
export type Reduction = 'mean' | 'sum';

/** Every reduction name. */
export const REDUCTIONS: readonly Reduction[] = ['mean', 'sum'];

/** A loss name or one of the shorthands `sse` and `mse`. */
export type LossSpec = LossName | 'sse' | 'mse';

/** One loss: its per-element value and derivative, and which outputs it fits. */
export interface Loss {
  readonly name: LossName;
  /** The contribution of output k to L(i), given d_k and y_k. */
  readonly value: (d: number, y: number) => number;
  /** dL/dy_k. */
  readonly gradient: (d: number, y: number) => number;
  /** L(i) in the notes' notation. */
  readonly formula: string;
  /** The activation whose pairing with this loss is computed from v (delta = d - y), if any. */
  readonly fusedWith?: ActivationName;
  /** Output activations this loss is defined for; undefined means any. */
  readonly fits?: readonly ActivationName[];
  /** What its targets d are: classes (0/1 or one-hot) or numbers. */
  readonly targets: 'classes' | 'numbers';
  /** L(i) in TeX, the right-hand side, for the playground's trace. */
  readonly tex: string;
}

const records: Record<LossName, Loss> = {
  squared: {
    name: 'squared',
    value: squaredValue,
    gradient: squaredGradient,
    formula: 'L = sum_k (d_k - y_k)^2',
    targets: 'numbers',
    tex: '\\sum_k (d_k - y_k)^2',
  },
  'half-squared': {
    name: 'half-squared',
    value: halfSquaredValue,
    gradient: halfSquaredGradient,
    formula: 'L = 1/2 sum_k (d_k - y_k)^2',
    targets: 'numbers',
    tex: '\\tfrac12 \\sum_k (d_k - y_k)^2',
  },
  'binary-cross-entropy': {
    name: 'binary-cross-entropy',
    value: binaryCrossEntropyValue,
    gradient: binaryCrossEntropyGradient,
    formula: 'L = -sum_k [d_k ln y_k + (1 - d_k) ln(1 - y_k)]',
    fusedWith: 'sigmoid',
    fits: ['sigmoid', 'softmax'],
    targets: 'classes',
    tex: '-\\sum_k [d_k \\log y_k + (1 - d_k)\\log(1 - y_k)]',
  },
  'cross-entropy': {
    name: 'cross-entropy',
    value: crossEntropyValue,
    gradient: crossEntropyGradient,
    formula: 'L = -sum_k d_k ln y_k',
    fusedWith: 'softmax',
    fits: ['softmax', 'sigmoid'],
    targets: 'classes',
    tex: '-\\sum_k d_k \\log y_k',
  },
};

/**
 * Whether `lossName` on an `output` activation is a fused pair, computed from v
 * (delta = scale (d - y), the cost by log-sum-exp so that it stays finite):
 * sigmoid with binary cross-entropy, softmax with cross-entropy, as the loss
 * records' `fusedWith` say.
 */
export function fusedPair(lossName: LossName, output: ActivationName): boolean {
  return loss(lossName).fusedWith === output;
}

/** Every loss name. */
export const LOSS_NAMES = Object.keys(records) as LossName[];

/** Every name a user may give for a loss, shorthands included. */
export const LOSS_SPECS: readonly LossSpec[] = [...LOSS_NAMES, 'sse', 'mse'];

/** The record of loss `name`. */
export function loss(name: LossName): Loss {
  const record = Object.hasOwn(records, name) ? records[name] : undefined;
  if (!record)
    throw new BackpropError(`unknown loss '${String(name)}': expected one of ${LOSS_SPECS.join(', ')}`);
  return record;
}

/**
 * Resolves a loss name or shorthand and a reduction to the pair used in
 * training. `sse` and `mse` fix the reduction; giving them with the other
 * reduction is refused rather than silently overridden.
 */
export function resolveLoss(spec: LossSpec, reduction?: Reduction): { loss: LossName; reduction: Reduction } {
  if (reduction !== undefined && reduction !== 'mean' && reduction !== 'sum') {
    throw new BackpropError(`unknown reduction '${String(reduction)}': expected mean or sum`);
  }
  if (spec === 'sse' || spec === 'mse') {
    const implied: Reduction = spec === 'sse' ? 'sum' : 'mean';
    if (reduction !== undefined && reduction !== implied) {
      throw new BackpropError(`loss '${spec}' means squared with reduction '${implied}', not '${reduction}'`);
    }
    return { loss: 'squared', reduction: implied };
  }
  return { loss: loss(spec).name, reduction: reduction ?? 'mean' };
}

/** Refuses a loss that cannot fit the output activation, e.g. binary cross-entropy on a linear output. */
export function checkLossFits(name: LossName, output: ActivationName): void {
  const record = loss(name);
  activation(output);
  if (record.fits && !record.fits.includes(output)) {
    throw new BackpropError(
      `loss '${name}' needs outputs in (0, 1), but the output activation is '${output}': ` +
        `use ${record.fits.map((a) => `'${a}'`).join(' or ')} on the output layer, or a squared loss`,
    );
  }
}

/** The default loss for an output activation: the fused pairs for sigmoid and softmax, `mse` otherwise. */
export function defaultLoss(output: ActivationName): LossSpec {
  if (output === 'softmax') return 'cross-entropy';
  if (output === 'sigmoid') return 'binary-cross-entropy';
  return 'mse';
}

/** The factor that turns sum_i L(i) into J: 1/n for a mean, 1 for a sum. */
export function reductionScale(reduction: Reduction, n: number): number {
  return reduction === 'mean' ? 1 / n : 1;
}
