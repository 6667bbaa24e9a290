/**
 * Classification in one place: when the outputs are classes, and how a row of
 * outputs names its class. A single output node is one probability (class 1
 * when y >= 0.5); several output nodes name the class of their largest value
 * (the first one on a tie). The Trainer, the command line's scores and the
 * playground all count right answers with {@link countCorrect}.
 *
 * @module
 */
import { type ActivationName, activation } from './activations.js';
import { LOSS_NAMES, type LossName, loss } from './losses.js';

/**
 * Whether training `lossName` into an `output` activation is classification
 * (so that accuracy applies): a loss whose targets are classes (the
 * cross-entropies), or an output activation whose outputs are the
 * probabilities of classes (softmax), whatever the loss.
 */
export function isClassification(lossName: LossName, output: ActivationName): boolean {
  return classTargets(lossName) || activation(output).classes;
}

/**
 * Whether the loss named `name` (any string, e.g. from a command line; `sse`
 * and `mse` are squared) takes classes as targets: the cross-entropies.
 */
export function classTargets(name: string | undefined): boolean {
  return LOSS_NAMES.includes(name as LossName) && loss(name as LossName).targets === 'classes';
}

/**
 * The class of the row y[offset .. offset+width-1]: 0 or 1 for one column
 * (y >= 0.5 is class 1), else the index of the largest value, the first on a tie.
 */
export function classIndex(y: ArrayLike<number>, offset: number, width: number): number {
  if (width === 1) return y[offset] >= 0.5 ? 1 : 0;
  let best = 0;
  for (let k = 1; k < width; k++) if (y[offset + k] > y[offset + best]) best = k;
  return best;
}

/**
 * How many of the first `rows` rows of outputs `y` name the class of targets
 * `d` (both row-major, `width` columns). Allocates nothing.
 */
export function countCorrect(
  y: ArrayLike<number>,
  d: ArrayLike<number>,
  width: number,
  rows: number,
): number {
  let correct = 0;
  for (let r = 0, o = 0; r < rows; r++, o += width) {
    if (classIndex(y, o, width) === classIndex(d, o, width)) correct++;
  }
  return correct;
}
