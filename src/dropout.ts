/**
 * Dropout on hidden layers, inverted: while training, node i of layer n is kept
 * with probability 1 - p (mask m_i = 1) or dropped (m_i = 0), and
 *
 *   x^(n)_out,i = m_i psi(v^(n)_i) / (1 - p),
 *   delta^(n)_i = psi'(v^(n)_i) m_i / (1 - p) sum_j delta^(n+1)_j w^(n+1)_ij,
 *
 * so a dropped node passes nothing forward and its delta is 0, and prediction,
 * which never drops, needs no rescaling.
 *
 * The masks of an update are drawn before its forward pass from one seeded
 * {@link Random}, layer by layer (n = 1..N-1, layers without dropout skipped),
 * row-major within a layer (example by example, node by node): node i of
 * example r is dropped when `random.uint32() < p * 2^32` (one 32-bit draw a
 * node, so the masks cost little beside the update). Each mask element is stored as
 * 0 or 1/(1-p) rounded to the network's dtype, and applied by one exactly
 * rounded multiplication, so every backend gives the same bits.
 *
 * @module
 */
import type { Matrix } from './backend/backend.js';
import { Random } from './random.js';

/** What is wrong with `p` as the dropout rate of a layer, or null; `output` for layer N. */
export function dropoutProblem(p: unknown, output: boolean): string | null {
  if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p >= 1) {
    return `expected a rate p with 0 <= p < 1, got ${String(p)}`;
  }
  if (output && p > 0) {
    return 'the output layer cannot drop nodes (dropout is for hidden layers); remove it there';
  }
  return null;
}

/** Whether any layer drops nodes while training. */
export function hasDropout(layers: readonly { dropout: number }[]): boolean {
  return layers.some((l) => l.dropout > 0);
}

/**
 * The generator of a training run's masks, derived from the run's seed apart
 * from the shuffles' generator, so that turning dropout on does not change the
 * order of the examples.
 */
export function dropoutRandom(seed: number): Random {
  return new Random((seed ^ 0x5bd1e995) >>> 0);
}

/** Fills `mask` (rows x units) with a fresh mask of rate `p`, row-major: 0 for dropped, 1/(1-p) for kept. */
export function drawMask(mask: Pick<Matrix, 'data'>, p: number, random: Random): void {
  const m = mask.data;
  const kept = 1 / (1 - p);
  const threshold = p * 4294967296;
  for (let k = 0; k < m.length; k++) m[k] = random.uint32() < threshold ? 0 : kept;
}

/**
 * Draws the masks of one update into a training workspace's `masks` (a layer
 * without dropout has none), layer by layer and row-major.
 */
export function drawMasks(
  layers: readonly { dropout: number }[],
  masks: readonly (Matrix | null)[],
  random: Random,
): void {
  for (let n = 0; n < layers.length; n++) {
    const mask = masks[n];
    if (mask) drawMask(mask, layers[n].dropout, random);
  }
}

/** out = a * mask element by element (also in place, out = a). */
export function applyMask(a: Matrix, mask: Matrix, out: Matrix): void {
  const x = a.data;
  const m = mask.data;
  const o = out.data;
  for (let k = 0; k < o.length; k++) o[k] = x[k] * m[k];
}
