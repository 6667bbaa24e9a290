/**
 * Seeded generators of the notes' kinds of examples. The same seed gives the
 * same points everywhere.
 *
 * Each returns `inputs` (n x 2, or n x 1 for `line`), `targets` and the names of
 * the columns. Two-class sets have one target column of 0/1 (for a sigmoid
 * output); `blobs` with k > 2 centres has k one-hot columns (for softmax).
 *
 * @module
 */
import { BackpropError } from '../errors.js';
import { cos, sin } from '../math.js';
import { Random } from '../random.js';

/** A generated data set. */
export interface Dataset {
  /** n rows of input values. */
  inputs: number[][];
  /** n rows of desired outputs d. */
  targets: number[][];
  /** The class index of each row (classification sets only). */
  labels?: number[];
  /** Class names, in the order of the target columns (or of 0 and 1 for one column). */
  classes?: string[];
  /** Names of the input columns. */
  inputColumns: string[];
  /** Names of the target columns. */
  targetColumns: string[];
}

/** Options shared by the generators. */
export interface GeneratorOptions {
  /** Seed of the generator; default 0. */
  seed?: number;
  /** Standard deviation of the Gaussian noise added to each point. */
  noise?: number;
}

function count(n: number): number {
  if (!Number.isInteger(n) || n < 1)
    throw new BackpropError(`n: expected a whole number of at least 1, got ${n}`);
  return n;
}

function twoClasses(points: number[][], labels: number[]): Dataset {
  return {
    inputs: points,
    targets: labels.map((l) => [l]),
    labels,
    classes: ['0', '1'],
    inputColumns: ['x1', 'x2'],
    targetColumns: ['label'],
  };
}

/**
 * The notes' best-fit-line example: y = w1 x + w0 + noise, x uniform in [xMin, xMax].
 * Defaults: w1 = 2, w0 = 1, x in [-1, 1], noise 0.2.
 */
export function line(
  n: number,
  {
    seed = 0,
    noise = 0.2,
    slope = 2,
    intercept = 1,
    xMin = -1,
    xMax = 1,
  }: GeneratorOptions & {
    slope?: number;
    intercept?: number;
    xMin?: number;
    xMax?: number;
  } = {},
): Dataset {
  const random = new Random(seed);
  const inputs: number[][] = [];
  const targets: number[][] = [];
  for (let i = 0; i < count(n); i++) {
    const x = random.uniform(xMin, xMax);
    inputs.push([x]);
    targets.push([slope * x + intercept + noise * random.normal()]);
  }
  return { inputs, targets, inputColumns: ['x'], targetColumns: ['y'] };
}

/**
 * XOR: points around the corners of the unit square, labelled 1 where exactly
 * one coordinate is 1. With n = 4 and no noise it is the truth table.
 */
export function xor(n = 4, { seed = 0, noise = 0 }: GeneratorOptions = {}): Dataset {
  const random = new Random(seed);
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < count(n); i++) {
    const a = (i % 4) >> 1;
    const b = i % 2;
    points.push([a + noise * random.normal(), b + noise * random.normal()]);
    labels.push(a ^ b);
  }
  return twoClasses(points, labels);
}

/** Two concentric circles: the outer (radius 1) is class 0, the inner (radius `factor`) class 1. */
export function circles(
  n: number,
  { seed = 0, noise = 0.05, factor = 0.5 }: GeneratorOptions & { factor?: number } = {},
): Dataset {
  const random = new Random(seed);
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < count(n); i++) {
    const label = i % 2;
    const r = label === 1 ? factor : 1;
    const angle = random.uniform(0, 2 * Math.PI);
    points.push([r * cos(angle) + noise * random.normal(), r * sin(angle) + noise * random.normal()]);
    labels.push(label);
  }
  return twoClasses(points, labels);
}

/** Two interleaving half circles (scikit-learn's make_moons). */
export function moons(n: number, { seed = 0, noise = 0.1 }: GeneratorOptions = {}): Dataset {
  const random = new Random(seed);
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < count(n); i++) {
    const label = i % 2;
    const t = random.uniform(0, Math.PI);
    const p = label === 0 ? [cos(t), sin(t)] : [1 - cos(t), 0.5 - sin(t)];
    points.push([p[0] + noise * random.normal(), p[1] + noise * random.normal()]);
    labels.push(label);
  }
  return twoClasses(points, labels);
}

/** Two intertwined spirals of `turns` turns each. */
export function spirals(
  n: number,
  { seed = 0, noise = 0.05, turns = 1.5 }: GeneratorOptions & { turns?: number } = {},
): Dataset {
  const random = new Random(seed);
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < count(n); i++) {
    const label = i % 2;
    const r = random.uniform(0.05, 1);
    const angle = r * turns * 2 * Math.PI + label * Math.PI;
    points.push([r * cos(angle) + noise * random.normal(), r * sin(angle) + noise * random.normal()]);
    labels.push(label);
  }
  return twoClasses(points, labels);
}

/**
 * Gaussian blobs around `centers` centres spread evenly on a circle of radius
 * `radius`, each with standard deviation `std`. Two centres give one 0/1 target
 * column; more give one-hot columns.
 */
export function blobs(
  n: number,
  {
    seed = 0,
    noise = 0.35,
    centers = 3,
    radius = 1,
  }: GeneratorOptions & { centers?: number; radius?: number } = {},
): Dataset {
  if (!Number.isInteger(centers) || centers < 2)
    throw new BackpropError(`centers: expected at least 2, got ${centers}`);
  const random = new Random(seed);
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < count(n); i++) {
    const label = i % centers;
    const angle = (2 * Math.PI * label) / centers;
    points.push([
      radius * cos(angle) + noise * random.normal(),
      radius * sin(angle) + noise * random.normal(),
    ]);
    labels.push(label);
  }
  if (centers === 2) return twoClasses(points, labels);
  const classes = Array.from({ length: centers }, (_, k) => String(k));
  return {
    inputs: points,
    targets: labels.map((l) => classes.map((_, k) => (k === l ? 1 : 0))),
    labels,
    classes,
    inputColumns: ['x1', 'x2'],
    targetColumns: classes.map((c) => `class ${c}`),
  };
}

/** The generators by name, for a command line or a page that lists them. */
export const generators = { line, xor, circles, moons, spirals, blobs } as const;

/** Names of the generators. */
export type GeneratorName = keyof typeof generators;
