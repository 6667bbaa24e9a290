// Helpers shared by the core tests: plain-number views of a network, finite
// differences, and tolerant comparisons whose failure messages name the entry.
import { expect } from 'vitest';
import type { Network } from '../../src/index.js';

/** Every weight and bias of `net`, layer by layer (w^(1), b^(1), w^(2), ...), as one plain array. */
export function flatParams(net: Network): number[] {
  return net.layers.flatMap((l) => [...Array.from(l.weights.data), ...Array.from(l.biases.data)]);
}

/** A deep copy of the weights and biases of `net` as plain arrays. */
export function snapshot(net: Network): { weights: number[][]; biases: number[] }[] {
  return net.getWeights();
}

/**
 * Central difference (f(p + h) - f(p - h)) / 2h of `f` with respect to element
 * `i` of `data` (changed in place and put back).
 */
export function centralDifference(
  data: Float32Array | Float64Array,
  i: number,
  h: number,
  f: () => number,
): number {
  const old = data[i];
  data[i] = old + h;
  const plus = f();
  data[i] = old - h;
  const minus = f();
  data[i] = old;
  return (plus - minus) / (2 * h);
}

/**
 * Asserts |actual - expected| <= rel * max(|actual|, |expected|) + abs for each
 * element, naming the first entry that fails.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rel = 1e-9, abs = 0, what = 'value' }: { rel?: number; abs?: number; what?: string } = {},
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const bound = rel * Math.max(Math.abs(a), Math.abs(e)) + abs;
    if (!(Math.abs(a - e) <= bound)) {
      expect.fail(`${what}[${i}]: got ${a}, expected ${e} (difference ${Math.abs(a - e)} > ${bound})`);
    }
  }
}

/** Rows of a number[][] flattened. */
export function flat(rows: readonly (readonly number[])[]): number[] {
  return rows.flat();
}

/** Deterministic pseudo-random numbers for test data (a tiny LCG, independent of the library). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** An n x cols matrix of numbers uniform in [low, high). */
export function randomRows(next: () => number, n: number, cols: number, low = -1, high = 1): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: cols }, () => low + (high - low) * next()));
}

/** A one-hot row per label. */
export function oneHot(labels: readonly number[], classes: number): number[][] {
  return labels.map((l) => Array.from({ length: classes }, (_, k) => (k === l ? 1 : 0)));
}

/** Share of rows whose largest output is at the same place as the largest target (or both >= 0.5 for one column). */
export function accuracy(outputs: number[][], targets: number[][]): number {
  let right = 0;
  outputs.forEach((y, r) => {
    const d = targets[r];
    if (y.length === 1) {
      if (y[0] >= 0.5 === d[0] >= 0.5) right++;
      return;
    }
    const argmax = (a: number[]) => a.reduce((best, v, k) => (v > a[best] ? k : best), 0);
    if (argmax(y) === argmax(d)) right++;
  });
  return right / outputs.length;
}
