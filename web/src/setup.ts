/**
 * The playground's whole setup as one plain record, and its round trip through
 * the page's URL, so that a link reproduces the same data, network and seed.
 * Pure: no DOM, so Node tests can check the round trip.
 *
 * @module
 */

import {
  ACTIVATION_NAMES as ACTIVATIONS,
  type ActivationName as Activation,
  INIT_NAMES,
  type InitName,
  LOSS_NAMES as LOSSES,
  type LossName as Loss,
  MODES,
  type Mode,
  OPTIMIZER_NAMES as OPTIMIZERS,
  type OptimizerName as Optimizer,
  REDUCTIONS,
  type Reduction,
} from 'backprop-mlp';

export type { Activation, Loss, Mode, Optimizer, Reduction };
// The names are the library's own lists: the page offers exactly what it accepts.
export { ACTIVATIONS, LOSSES, MODES, OPTIMIZERS, REDUCTIONS };

/** The generated data sets (classes, then the 2-D regressions), the notes' noisy line, and a user's CSV file. */
export const DATASETS = [
  'xor',
  'circles',
  'moons',
  'spirals',
  'blobs',
  'plane',
  'gauss',
  'line',
  'csv',
] as const;
export type Dataset = (typeof DATASETS)[number];

/** The data sets whose target is a number over the plane (a heat map, no accuracy). */
export const REGRESSIONS: readonly Dataset[] = ['plane', 'gauss'];

/** Features of a 2-D point that can feed an input node, as TensorFlow Playground offers them. */
export const FEATURES = ['x1', 'x2', 'x1sq', 'x2sq', 'x1x2', 'sinx1', 'sinx2', 'cosx1', 'cosx2'] as const;
export type Feature = (typeof FEATURES)[number];

/** Initial weights: the library's choice per activation (`auto`), or one of its schemes. */
export const INITS = ['auto', ...INIT_NAMES] as const;
export type Init = 'auto' | InitName;

/**
 * Controls a teacher can hide through the link (`loss_hide=true`), so that a
 * link becomes a focused exercise: the URL keys of the setup, and parts of the page.
 */
export const HIDEABLE = [
  'data',
  'n',
  'noise',
  'test',
  'seed',
  'feat',
  'layers',
  'eta',
  'loss',
  'red',
  'mode',
  'batch',
  'opt',
  'l2',
  'tol',
  'init',
  'disc',
  'explain',
  'files',
] as const;
export type Hideable = (typeof HIDEABLE)[number];

/** One layer of the network: m_n nodes, psi^(n) and eta^(n). */
export interface LayerSetup {
  units: number;
  activation: Activation;
  learningRate: number;
}

/** Everything the page needs to rebuild the same experiment. */
export interface Setup {
  dataset: Dataset;
  /** Number of generated examples, train and test together. */
  size: number;
  /** Noise of the generator (its standard deviation, in the generator's units). */
  noise: number;
  /** Fraction of the examples held out as the test set. */
  testFraction: number;
  /** Hidden layers, then the output layer last; the output's units follow the data. */
  layers: LayerSetup[];
  loss: Loss;
  reduction: Reduction;
  mode: Mode;
  batchSize: number;
  optimizer: Optimizer;
  /** Regularisation lambda: w <- w - eta (g + lambda w). */
  weightDecay: number;
  /** Stop when the training cost is at or below this; 0 never stops. */
  tolerance: number;
  /** Seeds the data generator, the initial weights and the shuffling. */
  seed: number;
  /** Initial weights: `auto` is the library's choice per activation; `zeros` shows why symmetry must be broken. */
  init: Init;
  /** The features of a 2-D point that feed the input nodes (generated 2-D data only). */
  features: Feature[];
  /** Draw the output as its class (or sign) only, not as a shade. */
  discretize: boolean;
  /** Controls hidden from the learner (a teacher's focused link). */
  hidden: Hideable[];
}

/** The example a fresh page starts with: XOR on a 2-4-1 network. */
export function defaultSetup(dataset: Dataset = 'xor'): Setup {
  const base: Setup = {
    dataset,
    size: 200,
    noise: 0.1,
    testFraction: 0.5,
    layers: [
      { units: 4, activation: 'tanh', learningRate: 0.3 },
      { units: 1, activation: 'sigmoid', learningRate: 0.3 },
    ],
    loss: 'binary-cross-entropy',
    reduction: 'mean',
    mode: 'minibatch',
    batchSize: 10,
    optimizer: 'sgd',
    weightDecay: 0,
    tolerance: 0,
    seed: 1,
    init: 'auto',
    features: ['x1', 'x2'],
    discretize: false,
    hidden: [],
  };
  if (REGRESSIONS.includes(dataset)) {
    // TensorFlow Playground's regressions: a number over the plane, a linear output.
    return {
      ...base,
      noise: 0,
      testFraction: 0.5,
      layers: [
        { units: 4, activation: 'tanh', learningRate: 0.03 },
        { units: 1, activation: 'linear', learningRate: 0.03 },
      ],
      loss: 'squared',
    };
  }
  if (dataset === 'line') {
    // The notes' first example: one linear neuron fitted by least squares.
    return {
      ...base,
      size: 20,
      noise: 0.2,
      testFraction: 0,
      layers: [{ units: 1, activation: 'linear', learningRate: 0.03 }],
      loss: 'squared',
      reduction: 'sum',
      mode: 'batch',
    };
  }
  if (dataset === 'spirals') {
    return {
      ...base,
      size: 400,
      noise: 0.05,
      layers: [
        { units: 8, activation: 'tanh', learningRate: 0.02 },
        { units: 8, activation: 'tanh', learningRate: 0.02 },
        { units: 1, activation: 'sigmoid', learningRate: 0.02 },
      ],
      optimizer: 'adam',
    };
  }
  if (dataset === 'blobs') {
    return {
      ...base,
      noise: 0.3,
      layers: [
        { units: 4, activation: 'tanh', learningRate: 0.3 },
        { units: 3, activation: 'softmax', learningRate: 0.3 },
      ],
      loss: 'cross-entropy',
    };
  }
  if (dataset === 'csv') {
    return {
      ...base,
      testFraction: 0.2,
      layers: [
        { units: 8, activation: 'tanh', learningRate: 0.1 },
        { units: 1, activation: 'softmax', learningRate: 0.1 },
      ],
      loss: 'cross-entropy',
    };
  }
  return base;
}

const SCALARS = [
  'size',
  'noise',
  'testFraction',
  'loss',
  'reduction',
  'mode',
  'batchSize',
  'optimizer',
  'weightDecay',
  'tolerance',
  'seed',
] as const;

/** Short URL keys, so a link stays readable. */
const KEYS: Record<(typeof SCALARS)[number], string> = {
  size: 'n',
  noise: 'noise',
  testFraction: 'test',
  loss: 'loss',
  reduction: 'red',
  mode: 'mode',
  batchSize: 'batch',
  optimizer: 'opt',
  weightDecay: 'l2',
  tolerance: 'tol',
  seed: 'seed',
};

/** A number as short as it can be written and still read back the same. */
function num(x: number): string {
  return String(x);
}

/** Leaves `: , . -` readable in the URL; everything else as encodeURIComponent does. */
function enc(s: string): string {
  return encodeURIComponent(s).replace(/%3A/g, ':').replace(/%2C/g, ',');
}

/**
 * The setup as a query string (without the `?`), e.g.
 * `data=xor&layers=4:tanh:0.3,1:sigmoid:0.3&loss=binary-cross-entropy&...`.
 * Every field is written, so a link does not change meaning when defaults change.
 */
export function encodeSetup(s: Setup): string {
  const parts = [`data=${s.dataset}`];
  parts.push(
    `layers=${enc(s.layers.map((l) => `${l.units}:${l.activation}:${num(l.learningRate)}`).join(','))}`,
  );
  for (const k of SCALARS) parts.push(`${KEYS[k]}=${enc(String(s[k]))}`);
  parts.push(`init=${s.init}`, `feat=${s.features.join(',')}`, `disc=${s.discretize}`);
  for (const h of s.hidden) parts.push(`${h}_hide=true`);
  return parts.join('&');
}

function pick<T extends string>(options: readonly T[], value: string | null, fallback: T): T {
  return value !== null && (options as readonly string[]).includes(value) ? (value as T) : fallback;
}

function number(value: string | null, fallback: number, low: number, high: number, integer = false): number {
  if (value === null || value.trim() === '') return fallback;
  const x = Number(value);
  if (!Number.isFinite(x)) return fallback;
  const y = Math.min(high, Math.max(low, x));
  return integer ? Math.round(y) : y;
}

/** Bounds of what the page lets a user choose. */
export const LIMITS = {
  units: [1, 16],
  layers: 6,
  size: [10, 2000],
  noise: [0, 2],
  testFraction: [0, 0.9],
  batchSize: [1, 2000],
  learningRate: [1e-6, 1e6],
  weightDecay: [0, 10],
  tolerance: [0, 1e6],
  seed: [0, 2 ** 31 - 1],
} as const;

function parseLayers(value: string | null, fallback: LayerSetup[]): LayerSetup[] {
  if (value === null || value === '') return fallback;
  const layers: LayerSetup[] = [];
  for (const part of value.split(',').slice(0, LIMITS.layers + 1)) {
    const [units, activation, rate] = part.split(':');
    const previous = layers[layers.length - 1] ?? fallback[fallback.length - 1];
    layers.push({
      units: number(units ?? null, 4, LIMITS.units[0], LIMITS.units[1], true),
      activation: pick(ACTIVATIONS, activation ?? null, 'tanh'),
      learningRate: number(
        rate ?? null,
        previous.learningRate,
        LIMITS.learningRate[0],
        LIMITS.learningRate[1],
      ),
    });
  }
  return layers.length > 0 ? layers : fallback;
}

/**
 * Reads a setup from a query string (with or without `?`). Missing or invalid
 * fields take the data set's defaults and numbers are clamped to {@link LIMITS},
 * so any link gives a working page.
 */
export function decodeSetup(query: string): Setup {
  const q = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
  const dataset = pick(DATASETS, q.get('data'), 'xor');
  const d = defaultSetup(dataset);
  return {
    dataset,
    layers: parseLayers(q.get('layers'), d.layers),
    size: number(q.get(KEYS.size), d.size, LIMITS.size[0], LIMITS.size[1], true),
    noise: number(q.get(KEYS.noise), d.noise, LIMITS.noise[0], LIMITS.noise[1]),
    testFraction: number(
      q.get(KEYS.testFraction),
      d.testFraction,
      LIMITS.testFraction[0],
      LIMITS.testFraction[1],
    ),
    loss: pick(LOSSES, q.get(KEYS.loss), d.loss),
    reduction: pick(REDUCTIONS, q.get(KEYS.reduction), d.reduction),
    mode: pick(MODES, q.get(KEYS.mode), d.mode),
    batchSize: number(q.get(KEYS.batchSize), d.batchSize, LIMITS.batchSize[0], LIMITS.batchSize[1], true),
    optimizer: pick(OPTIMIZERS, q.get(KEYS.optimizer), d.optimizer),
    weightDecay: number(q.get(KEYS.weightDecay), d.weightDecay, LIMITS.weightDecay[0], LIMITS.weightDecay[1]),
    tolerance: number(q.get(KEYS.tolerance), d.tolerance, LIMITS.tolerance[0], LIMITS.tolerance[1]),
    seed: number(q.get(KEYS.seed), d.seed, LIMITS.seed[0], LIMITS.seed[1], true),
    init: pick(INITS, q.get('init'), d.init),
    features: parseFeatures(q.get('feat'), d.features),
    discretize: q.get('disc') === null ? d.discretize : q.get('disc') === 'true',
    hidden: HIDEABLE.filter((h) => q.get(`${h}_hide`) === 'true'),
  };
}

/** Known features in the order of {@link FEATURES}, at least one; else the fallback. */
function parseFeatures(value: string | null, fallback: Feature[]): Feature[] {
  if (value === null) return fallback;
  const names = value.split(',');
  const features = FEATURES.filter((f) => names.includes(f));
  return features.length > 0 ? features : fallback;
}

/** The learning rate of every layer, eta^(1..N), as the library takes it. */
export function learningRates(s: Setup): number[] {
  return s.layers.map((l) => l.learningRate);
}
