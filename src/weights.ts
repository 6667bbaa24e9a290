/**
 * The weight w_i of each training example: its sample weight (given, 1 when
 * not) times the weight of its class (given per class, or scikit-learn's
 * `balanced` n / (classes x count of the class), counted over the training
 * examples; 1 for a class not named). With weights the cost of a set of n
 * examples is (1/n) sum_i w_i L(i) for `mean` and sum_i w_i L(i) for `sum`,
 * Keras's convention: a weight keeps its effect one example at a time.
 *
 * @module
 */
import { classIndex } from './classification.js';
import { BackpropError } from './errors.js';
import { plural } from './plural.js';
import type { ResolvedSettings } from './settings.js';

/** The sample weights as given, checked: one finite number of at least 0 per example. */
export function checkSampleWeights(
  weights: ArrayLike<number>,
  rows: number,
  what = 'sampleWeights',
): Float64Array {
  if (weights === null || typeof weights !== 'object' || typeof weights.length !== 'number') {
    throw new BackpropError(`${what}: expected an array of numbers, one per example`);
  }
  if (weights.length !== rows) {
    throw new BackpropError(`${what}: ${plural(weights.length, 'weight')} for ${plural(rows, 'example')}`);
  }
  const w = Float64Array.from(weights);
  for (let i = 0; i < rows; i++) {
    if (typeof weights[i] !== 'number' || !Number.isFinite(w[i]) || w[i] < 0) {
      throw new BackpropError(`${what}[${i}]: expected a number of at least 0, got ${String(weights[i])}`);
    }
  }
  return w;
}

/** The number of classes of targets with `width` columns: two for one 0/1 column. */
export function classCount(width: number): number {
  return width === 1 ? 2 : width;
}

/**
 * The weight of each class: `balanced` from the classes of the `rows` rows of
 * targets `t` listed in `rowsOf` (the training rows), or the given ones.
 */
export function classWeightsOf(
  spec: NonNullable<ResolvedSettings['classWeights']>,
  t: ArrayLike<number>,
  width: number,
  rowsOf: ArrayLike<number>,
): Float64Array {
  const classes = classCount(width);
  const weights = new Float64Array(classes).fill(1);
  if (spec === 'balanced') {
    const counts = new Float64Array(classes);
    for (let i = 0; i < rowsOf.length; i++) counts[classIndex(t, rowsOf[i] * width, width)]++;
    let present = 0;
    for (const c of counts) if (c > 0) present++;
    // scikit-learn's compute_class_weight('balanced'): n_samples / (n_classes * bincount(y)).
    for (let c = 0; c < classes; c++) if (counts[c] > 0) weights[c] = rowsOf.length / (present * counts[c]);
    return weights;
  }
  for (const [key, w] of Object.entries(spec)) {
    const c = Number(key);
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      throw new BackpropError(
        `classWeights.${key}: no such class; the targets have ${classes} classes, 0 to ${classes - 1}`,
      );
    }
    weights[c] = w;
  }
  return weights;
}

/**
 * w_i of every row of targets `t` (`width` columns): the sample weight (or 1)
 * times its class's weight (when there are class weights).
 */
export function exampleWeights(
  t: ArrayLike<number>,
  width: number,
  rows: number,
  sample: Float64Array | null,
  classWeights: Float64Array | null,
): Float64Array {
  const w = sample ? sample.slice() : new Float64Array(rows).fill(1);
  if (classWeights) for (let i = 0; i < rows; i++) w[i] *= classWeights[classIndex(t, i * width, width)];
  return w;
}
