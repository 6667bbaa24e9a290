/**
 * Initial weights, drawn from a seeded {@link Random} so that the same seed gives
 * the same network everywhere. Biases start at zero.
 *
 * | name | w^(n)_mi drawn from |
 * |---|---|
 * | `xavier` (Glorot) | U(-a, a), a = sqrt(6 / (fan-in + units)) |
 * | `he` | U(-a, a), a = sqrt(6 / fan-in) |
 * | `uniform` | U(-a, a), a = 1 / sqrt(fan-in) (PyTorch's `nn.Linear` default) |
 * | `zeros` | 0: every node of a layer then stays the same, the lesson of why symmetry must be broken |
 *
 * Uniform draws (not normal ones) keep initialisation free of transcendental
 * functions, so it is bit-identical on every JavaScript engine.
 *
 * @module
 */
import type { Random } from './random.js';

/** Names of the initialisation schemes. */
export type InitName = 'xavier' | 'he' | 'uniform' | 'zeros';

/** Every initialisation name. */
export const INIT_NAMES: readonly InitName[] = ['xavier', 'he', 'uniform', 'zeros'];

/** The bound a of U(-a, a) for a layer of `fanIn` inputs and `units` nodes. */
export function initBound(scheme: InitName, fanIn: number, units: number): number {
  switch (scheme) {
    case 'xavier':
      return Math.sqrt(6 / (fanIn + units));
    case 'he':
      return Math.sqrt(6 / fanIn);
    case 'uniform':
      return 1 / Math.sqrt(fanIn);
    case 'zeros':
      return 0;
    default:
      throw new Error(`unknown init '${String(scheme)}': expected one of ${INIT_NAMES.join(', ')}`);
  }
}

/** Fills `weights` (fan-in x units, row-major) with draws for `scheme`. */
export function initWeights(
  weights: { [i: number]: number; length: number },
  fanIn: number,
  units: number,
  scheme: InitName,
  random: Random,
): void {
  const a = initBound(scheme, fanIn, units);
  // Zeros draw nothing, so they leave the generator where it was.
  if (a === 0) {
    for (let i = 0; i < weights.length; i++) weights[i] = 0;
    return;
  }
  for (let i = 0; i < weights.length; i++) weights[i] = random.uniform(-a, a);
}
