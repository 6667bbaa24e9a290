/**
 * The table of training settings: one row per setting, and each row says
 * everything about it: its type, the library's default, its range, a one-line
 * doc, its command-line flag (and the command line's own default where it
 * deliberately differs), its key in the playground's link, and its name in a
 * model file's training record. The library's checks and defaults, the
 * optimizer's hyperparameters, the command line's flags and help, the
 * playground's link and limits, and the model file's training record are all
 * read from here: a new setting is a new row.
 *
 * Adding a setting:
 * 1. a row here (`field<T>()({ type, doc, range, default, record, cli, page })`);
 *    `TrainOptions`, the checks, the `train` flag and its help, `TrainArgs`, the
 *    training record and, with `page.key`, the playground's link, limits,
 *    `Setup` field and the options its worker passes all follow from it;
 * 2. the code that uses the value (for an optimizer row, `optimizer: true`
 *    puts it in `OptimizerSettings`: the optimizer's update reads it there);
 * 3. on the page, its control (web/src/controls.ts), if it has a `page` entry.
 * A type other than number, integer, boolean, enum and rates also needs its
 * check in `fieldProblem` (settings/check.ts) and a `cli.parse`.
 *
 * @module
 */

import { LOSS_NAMES, LOSS_SPECS, type LossSpec, REDUCTIONS, type Reduction } from '../losses.js';
import { parseSchedule, type ResolvedSchedule, type ScheduleName, type ScheduleSpec } from '../schedules.js';

/** How a value is written down. */
export type FieldType =
  /** a finite number within `range` */
  | 'number'
  /** a whole number within `range` */
  | 'integer'
  /** true or false */
  | 'boolean'
  /** one of `values` */
  | 'enum'
  /** eta: one positive number, or one per layer (eta^(1), ..., eta^(N)) */
  | 'rates'
  /** a schedule of eta: a name, or `{ name, ...parameters }` (see `schedules.ts`) */
  | 'schedule'
  /** weights of the classes: `balanced`, or `{ label or class index: w }` */
  | 'class-weights';

/** One setting. `V` is the type a library caller gives, `C` the type the command line parses to. */
export interface Field<V = unknown, C = V> {
  type: FieldType;
  /** One line in the notes' terms: the library's doc, the command line's help, the page's tooltip. */
  doc: string;
  /** The names an `enum` takes. */
  values?: readonly string[];
  /** Interval of a `number`, `integer` or `rates` value, e.g. `[0, 1)` or `(0, inf)`. */
  range?: string;
  /** The library's default when the setting is not given. */
  default?: V;
  /** Other names a library caller may give it by (the same setting: giving two that disagree is refused). */
  aliases?: readonly string[];
  /** The library's default in words, when it depends on the network or the data. */
  defaultText?: string;
  /** A hyperparameter of the optimizer: a field of `OptimizerSettings`. */
  optimizer?: true;
  /** Saved in a model file's training record, under this name (`true`: its own). */
  record?: true | string;
  /**
   * `backprop train --<kebab-name> <arg>`; `default` where the command line
   * differs from the library; `parse` reads the flag's text for a type other
   * than number, integer, boolean, enum and rates (throwing an Error that says
   * what was expected).
   */
  cli?: { arg?: string; default?: C; defaultText?: string; parse?: (text: string) => C };
  /**
   * In the playground: `key` in its link (absent: not in the link on its own),
   * the page's `default` and `range` where narrower than the library's, the
   * `values` it offers, and the page value that means "not set" (`off`).
   */
  page?: {
    key?: string;
    default?: V;
    range?: readonly [number, number];
    values?: readonly string[];
    off?: V;
  };
}

declare const types: unique symbol;
/** Carries a row's value types for the types derived from the table (no value at run time). */
export interface Typed<V, C> {
  readonly [types]?: { value: V; cli: C };
}

/**
 * A row of value type `V` (command-line type `C`), its literal type kept for the
 * derived types: `field<number>()({ type: 'number', ... })`. The playground
 * writes its own rows (data set size, noise) with it too.
 */
export function field<V, C = V>() {
  return <const R extends Field<V, C>>(row: R): R & Typed<V, C> => row;
}

/** How examples are grouped into updates. */
export const MODES = ['batch', 'sequential', 'minibatch'] as const;
/** Names of the optimizers. */
export const OPTIMIZER_NAMES = ['sgd', 'momentum', 'nesterov', 'adam', 'rmsprop'] as const;
export type Mode = (typeof MODES)[number];
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** The default learning rate of each optimizer when none is given. */
export function defaultLearningRate(name: OptimizerName): number {
  return name === 'adam' || name === 'rmsprop' ? 0.001 : 0.1;
}

/**
 * Every training setting, in the order of the command line's help and the
 * playground's link.
 */
export const FIELDS = {
  loss: field<LossSpec>()({
    type: 'enum',
    values: LOSS_SPECS,
    doc: 'loss L of one example (sse = squared with sum, mse = squared with mean)',
    defaultText: 'cross-entropy for a softmax output, binary-cross-entropy for sigmoid, mse otherwise',
    record: true,
    cli: { arg: 'name', defaultText: 'cross-entropy for classes, mse for numbers' },
    page: { key: 'loss', values: LOSS_NAMES },
  }),
  reduction: field<Reduction>()({
    type: 'enum',
    values: REDUCTIONS,
    doc: 'cost J: the mean or the sum of the losses of the examples',
    defaultText: 'mean (sum for sse)',
    record: true,
    cli: { arg: 'r' },
    page: { key: 'red' },
  }),
  mode: field<Mode>()({
    type: 'enum',
    values: MODES,
    doc: 'batch (one update an epoch), sequential (one an example) or minibatch (one a batch)',
    default: 'minibatch',
    record: true,
    cli: { arg: 'mode', default: 'minibatch' },
    page: { key: 'mode' },
  }),
  batchSize: field<number>()({
    type: 'integer',
    doc: 'B: examples per update in minibatch mode',
    range: '[1, inf)',
    defaultText: 'min(32, n)',
    record: true,
    cli: { arg: 'B', default: 32 },
    page: { key: 'batch', default: 10, range: [1, 2000] },
  }),
  learningRate: field<number | readonly number[], number[]>()({
    type: 'rates',
    doc: 'eta, or one per layer: eta1,eta2,...',
    range: '(0, inf)',
    defaultText: `${defaultLearningRate('adam')} for adam and rmsprop, ${defaultLearningRate('sgd')} otherwise`,
    record: true,
    cli: { arg: 'eta' },
    page: { range: [1e-6, 1e6] },
  }),
  optimizer: field<OptimizerName>()({
    type: 'enum',
    values: OPTIMIZER_NAMES,
    doc: 'sgd (plain steepest descent), momentum, nesterov, adam or rmsprop',
    default: 'sgd',
    record: true,
    cli: { arg: 'name', default: 'adam' },
    page: { key: 'opt' },
  }),
  momentum: field<number>()({
    type: 'number',
    doc: 'mu of momentum and nesterov: b <- mu b + g',
    range: '[0, 1)',
    default: 0.9,
    optimizer: true,
    record: true,
    cli: { arg: 'mu' },
  }),
  beta1: field<number>()({
    type: 'number',
    doc: "beta1 of adam: decay of the gradient's moving average m",
    range: '[0, 1)',
    default: 0.9,
    optimizer: true,
    record: true,
    cli: { arg: 'beta1' },
  }),
  beta2: field<number>()({
    type: 'number',
    doc: "beta2 of adam: decay of the squared gradient's moving average s",
    range: '[0, 1)',
    default: 0.999,
    optimizer: true,
    record: true,
    cli: { arg: 'beta2' },
  }),
  epsilon: field<number>()({
    type: 'number',
    doc: 'eps of adam and rmsprop, added to sqrt(s) in the denominator',
    range: '(0, inf)',
    default: 1e-8,
    optimizer: true,
    record: true,
    cli: { arg: 'eps' },
  }),
  rho: field<number>()({
    type: 'number',
    doc: "rho of rmsprop (PyTorch's alpha): s <- rho s + (1 - rho) g^2",
    range: '[0, 1)',
    default: 0.99,
    optimizer: true,
    record: true,
    cli: { arg: 'rho' },
  }),
  weightDecay: field<number>()({
    type: 'number',
    doc: 'lambda of L2 weight decay (also named l2), added to every gradient as lambda w',
    range: '[0, inf)',
    default: 0,
    aliases: ['l2'],
    optimizer: true,
    record: true,
    cli: { arg: 'lambda' }, // the command line's default: src/cli/train/defaults.ts
    page: { key: 'l2', range: [0, 10] },
  }),
  l1: field<number>()({
    type: 'number',
    doc: 'lambda1 of L1 regularisation, added to every gradient as lambda1 sign(w) (sign(0) = 0)',
    range: '[0, inf)',
    default: 0,
    optimizer: true,
    record: true,
    cli: { arg: 'lambda1', default: 0 },
    page: { key: 'l1', range: [0, 10] },
  }),
  schedule: field<ScheduleSpec | ScheduleName, ResolvedSchedule>()({
    type: 'schedule',
    doc: 'schedule of eta, stepped after each epoch: constant, step, exponential, invscaling, cosine, cosine-restarts or plateau, then key=value parameters, e.g. cosine,epochs=50,warmup=5',
    default: 'constant',
    record: true,
    cli: { arg: 'spec', parse: parseSchedule },
    page: { key: 'sched' },
  }),
  classWeights: field<'balanced' | Readonly<Record<string, number>>>()({
    type: 'class-weights',
    doc: "weight of each class in the cost: balanced (n / (classes x count of the class)) or { class index: w }; each example's loss is multiplied by its class's weight",
    record: true,
    page: { key: 'cw', values: ['none', 'balanced'] },
  }),
  shuffle: field<boolean>()({
    type: 'boolean',
    doc: 'shuffle the examples at the start of each epoch (seeded; batch mode never needs it)',
    default: true,
    record: true,
    cli: { default: true },
  }),
  epochs: field<number>()({
    type: 'integer',
    doc: 'maximum number of epochs',
    range: '[1, inf)',
    default: 100,
    record: 'maxEpochs',
    cli: { arg: 'n' },
  }),
  tolerance: field<number>()({
    type: 'number',
    doc: 'stop when the cost (the validation cost if any) is at or below this',
    range: '[0, inf)',
    record: true,
    cli: { arg: 'J' },
    page: { key: 'tol', default: 0, range: [0, 1e6], off: 0 },
  }),
  patience: field<number>()({
    type: 'integer',
    doc: 'stop after this many epochs without an improvement of minDelta, and restore the best weights',
    range: '[1, inf)',
    record: true,
    cli: { arg: 'k' },
  }),
  minDelta: field<number>()({
    type: 'number',
    doc: 'improvement of the cost that counts for patience',
    range: '[0, inf)',
    default: 0,
    record: true,
    cli: { arg: 'd' },
  }),
  validationSplit: field<number>()({
    type: 'number',
    doc: 'fraction of the examples held out for validation, chosen at random (seeded)',
    range: '[0, 1)',
    default: 0,
    record: true,
    cli: { arg: 'f' },
  }),
  seed: field<number>()({
    type: 'integer',
    doc: 'seed of the shuffling, the splits and the dropout masks (and of the initial weights, on the command line and the page)',
    range: '[0, inf)',
    defaultText: "the network's seed",
    record: true,
    cli: { arg: 'n', default: 1 },
    page: { key: 'seed', default: 1, range: [0, 2 ** 31 - 1] },
  }),
} as const;

/** The name of a setting. */
export type FieldName = keyof typeof FIELDS;
/** Every setting's name, in the table's order. */
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

/** The value a library caller gives for a row. */
export type ValueOf<F> = F extends Typed<infer V, unknown> ? V : never;
/** The value the command line parses a row's flag to. */
export type CliValueOf<F> = F extends Typed<unknown, infer C> ? C : never;

/** The options every row stands for, each optional, as a library caller gives them. */
export type FieldOptions = { -readonly [K in FieldName]?: ValueOf<(typeof FIELDS)[K]> };

/** The names of the optimizer's hyperparameters. */
export type OptimizerField = {
  [K in FieldName]: (typeof FIELDS)[K] extends { optimizer: true } ? K : never;
}[FieldName];
/** The optimizer's hyperparameters, in the table's order. */
export const OPTIMIZER_FIELDS = FIELD_NAMES.filter(
  (k) => (FIELDS[k] as Field).optimizer === true,
) as OptimizerField[];

/** A parsed `range`: lo and hi, each closed or open. */
export interface Interval {
  lo: number;
  hi: number;
  loOpen: boolean;
  hiOpen: boolean;
}

/** Reads `[0, 1)`, `(0, inf)` and the like. */
export function interval(range: string): Interval {
  const m = /^([[(])\s*(-?[\w.+-]+)\s*,\s*(-?[\w.+-]+)\s*([\])])$/.exec(range);
  if (!m) throw new Error(`range '${range}': expected an interval such as [0, 1)`);
  const bound = (s: string) => (s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s));
  return { lo: bound(m[2]), hi: bound(m[3]), loOpen: m[1] === '(', hiOpen: m[4] === ')' };
}

/** The row of a setting, widened to the plain row type. */
export function fieldOf(name: FieldName): Field {
  return FIELDS[name] as Field;
}

/** The nearest known name to `key` (edit distance), for a "did you mean" hint; null when none is close. */
export function nearestName(key: string, names: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const name of names) {
    const d = editDistance(key.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = name;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}
