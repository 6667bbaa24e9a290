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
  FIELD_NAMES,
  FIELDS,
  type Field,
  type FieldName,
  type FieldOptions,
  field,
  INIT_NAMES,
  type InitName,
  interval,
  LOSS_NAMES as LOSSES,
  type LossName as Loss,
  MODES,
  type Mode,
  OPTIMIZER_NAMES as OPTIMIZERS,
  type OptimizerName as Optimizer,
  parseSchedule,
  REDUCTIONS,
  type Reduction,
  SCHEDULE_NAMES as SCHEDULES,
  type ScheduleName,
  type ScheduleSpec,
  type ValueOf,
} from 'backprop-mlp';

export type { Activation, Loss, Mode, Optimizer, Reduction, ScheduleName, ScheduleSpec };
// The names are the library's own lists: the page offers exactly what it accepts.
export { ACTIVATIONS, LOSSES, MODES, OPTIMIZERS, REDUCTIONS, SCHEDULES };

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
  'l1',
  'sched',
  'cw',
  'imb',
  'dropout',
  'tol',
  'init',
  'disc',
  'explain',
  'files',
] as const;
export type Hideable = (typeof HIDEABLE)[number];

/** One layer of the network: m_n nodes, psi^(n), eta^(n), and its dropout rate p (hidden layers only; 0 = none). */
export interface LayerSetup {
  units: number;
  activation: Activation;
  learningRate: number;
  dropout: number;
}

/** The highest dropout rate the page offers (the library takes any p < 1). */
export const MAX_DROPOUT = 0.9;

/**
 * The page's own settings, rows of the same shape as the library's settings
 * table: the generated data. Each has its key in the link and its range.
 */
export const PAGE_FIELDS = {
  size: field<number>()({
    type: 'integer',
    doc: 'number of generated examples, train and test together',
    range: '[10, 2000]',
    page: { key: 'n' },
  }),
  noise: field<number>()({
    type: 'number',
    doc: "noise of the generator (its standard deviation, in the generator's units)",
    range: '[0, 2]',
    page: { key: 'noise' },
  }),
  testFraction: field<number>()({
    type: 'number',
    doc: 'fraction of the examples held out as the test set',
    range: '[0, 0.9]',
    page: { key: 'test' },
  }),
  imbalanced: field<boolean>()({
    type: 'boolean',
    doc: 'cut the second class of a generated 2-class set to a tenth of its examples',
    page: { key: 'imb' },
  }),
} as const;

type PageName = keyof typeof PAGE_FIELDS;
type Rows = typeof FIELDS & typeof PAGE_FIELDS;
/** The library's rows with a key in the page's link. */
type LinkedLibraryName = {
  [K in FieldName]: (typeof FIELDS)[K] extends { page: { key: string } } ? K : never;
}[FieldName];
/** Every setting in the link, the page's and the library's. */
export type LinkedName = PageName | LinkedLibraryName;
/** A linked row's value on the page: one of the values the page offers, else the row's type. */
type PageValue<R> = R extends { page: { values: readonly (infer T)[] } } ? T : ValueOf<R>;
/** The linked settings, each as the page holds it. */
export type LinkedSetup = { -readonly [K in LinkedName]: PageValue<Rows[K]> };

/** Everything the page needs to rebuild the same experiment: the linked settings, and the rest. */
export interface Setup extends LinkedSetup {
  dataset: Dataset;
  /** Hidden layers, then the output layer last; the output's units follow the data. */
  layers: LayerSetup[];
  /** Initial weights: `auto` is the library's choice per activation; `zeros` shows why symmetry must be broken. */
  init: Init;
  /** The features of a 2-D point that feed the input nodes (generated 2-D data only). */
  features: Feature[];
  /** Draw the output as its class (or sign) only, not as a shade. */
  discretize: boolean;
  /** Controls hidden from the learner (a teacher's focused link). */
  hidden: Hideable[];
}

/** Every linked row, the page's first and then the library's in the table's order: the order of the link. */
export const LINKED: readonly [LinkedName, Field][] = [
  ...(Object.entries(PAGE_FIELDS) as [PageName, Field][]),
  ...FIELD_NAMES.filter((k) => (FIELDS[k] as Field).page?.key !== undefined).map(
    (k) => [k, FIELDS[k] as Field] as [LinkedLibraryName, Field],
  ),
];

/** The rows the page gives a default from the table (the page's default, else the library's). */
type TableDefaulted = {
  [K in LinkedLibraryName]: (typeof FIELDS)[K] extends { page: { default: unknown } } | { default: unknown }
    ? K
    : never;
}[LinkedLibraryName];

/** The page's default of each linked library row that has one. */
const TABLE_DEFAULTS = Object.fromEntries(
  LINKED.flatMap(([k, row]) => {
    const value = row.page?.default ?? row.default;
    return k in FIELDS && value !== undefined ? [[k, value]] : [];
  }),
) as Pick<Setup, TableDefaulted>;

/** The example a fresh page starts with: XOR on a 2-4-1 network. */
export function defaultSetup(dataset: Dataset = 'xor'): Setup {
  const base: Setup = {
    ...TABLE_DEFAULTS,
    dataset,
    size: 200,
    noise: 0.1,
    testFraction: 0.5,
    imbalanced: false,
    classWeights: 'none',
    layers: [
      { units: 4, activation: 'tanh', learningRate: 0.3, dropout: 0 },
      { units: 1, activation: 'sigmoid', learningRate: 0.3, dropout: 0 },
    ],
    loss: 'binary-cross-entropy',
    reduction: 'mean',
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
        { units: 4, activation: 'tanh', learningRate: 0.03, dropout: 0 },
        { units: 1, activation: 'linear', learningRate: 0.03, dropout: 0 },
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
      layers: [{ units: 1, activation: 'linear', learningRate: 0.03, dropout: 0 }],
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
        { units: 8, activation: 'tanh', learningRate: 0.02, dropout: 0 },
        { units: 8, activation: 'tanh', learningRate: 0.02, dropout: 0 },
        { units: 1, activation: 'sigmoid', learningRate: 0.02, dropout: 0 },
      ],
      optimizer: 'adam',
    };
  }
  if (dataset === 'blobs') {
    return {
      ...base,
      noise: 0.3,
      layers: [
        { units: 4, activation: 'tanh', learningRate: 0.3, dropout: 0 },
        { units: 3, activation: 'softmax', learningRate: 0.3, dropout: 0 },
      ],
      loss: 'cross-entropy',
    };
  }
  if (dataset === 'csv') {
    return {
      ...base,
      testFraction: 0.2,
      layers: [
        { units: 8, activation: 'tanh', learningRate: 0.1, dropout: 0 },
        { units: 1, activation: 'softmax', learningRate: 0.1, dropout: 0 },
      ],
      loss: 'cross-entropy',
    };
  }
  return base;
}

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
  // A layer's dropout is a 4th part, written only when on: older links read the same.
  const layer = (l: LayerSetup) =>
    `${l.units}:${l.activation}:${num(l.learningRate)}${l.dropout > 0 ? `:${num(l.dropout)}` : ''}`;
  parts.push(`layers=${enc(s.layers.map(layer).join(','))}`);
  for (const [k, row] of LINKED) {
    const text = row.type === 'schedule' ? scheduleText(s[k] as Setup['schedule']) : String(s[k]);
    parts.push(`${row.page!.key}=${enc(text).replace(/%3D/g, '=')}`);
  }
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

/** The linked rows that hold numbers (and eta's row): the ones with limits. */
type NumberName = {
  [K in LinkedName | 'learningRate']: (K extends keyof Rows ? Rows[K] : never) extends {
    type: 'number' | 'integer' | 'rates';
  }
    ? K
    : never;
}[LinkedName | 'learningRate'];

/** What the page lets a user choose for a row: its page range, else its own range. */
function limitsOf(row: Field): readonly [number, number] {
  if (row.page?.range) return row.page.range;
  const r = interval(row.range ?? '(-inf, inf)');
  return [r.lo, r.hi];
}

/** Bounds of what the page lets a user choose: the network's shape, and each numeric row's range. */
export const LIMITS = {
  units: [1, 16] as const,
  layers: 6,
  ...(Object.fromEntries(
    [...LINKED, ['learningRate', FIELDS.learningRate as Field] as const]
      .filter(([, row]) => row.type === 'number' || row.type === 'integer' || row.type === 'rates')
      .map(([k, row]) => [k, limitsOf(row)]),
  ) as Record<NumberName, readonly [number, number]>),
};

function parseLayers(value: string | null, fallback: LayerSetup[]): LayerSetup[] {
  if (value === null || value === '') return fallback;
  const layers: LayerSetup[] = [];
  const parts = value.split(',').slice(0, LIMITS.layers + 1);
  for (const [n, part] of parts.entries()) {
    const [units, activation, rate, dropout] = part.split(':');
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
      // The output layer never drops nodes.
      dropout: n === parts.length - 1 ? 0 : number(dropout ?? null, 0, 0, MAX_DROPOUT),
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
    ...decodeLinked(q, d),
    init: pick(INITS, q.get('init'), d.init),
    features: parseFeatures(q.get('feat'), d.features),
    discretize: q.get('disc') === null ? d.discretize : q.get('disc') === 'true',
    hidden: HIDEABLE.filter((h) => q.get(`${h}_hide`) === 'true'),
  };
}

/** The linked settings from the link: each row's value, else the data set's default; numbers clamped to {@link LIMITS}. */
function decodeLinked(q: URLSearchParams, d: Setup): LinkedSetup {
  const out: Record<string, unknown> = {};
  for (const [k, row] of LINKED) {
    const value = q.get(row.page!.key!);
    const fallback = d[k];
    if (row.type === 'enum' || row.type === 'class-weights')
      out[k] = pick(row.page?.values ?? row.values ?? [], value, fallback as string);
    else if (row.type === 'schedule') out[k] = readSchedule(value, fallback as Setup['schedule']);
    else if (row.type === 'boolean') out[k] = value === null ? fallback : value === 'true';
    else {
      const [low, high] = limitsOf(row);
      out[k] = number(value, fallback as number, low, high, row.type === 'integer');
    }
  }
  return out as LinkedSetup;
}

/** A schedule as the link writes it, the command line's form: `cosine,epochs=50,warmup=5`. */
export function scheduleText(spec: Setup['schedule']): string {
  if (typeof spec === 'string') return spec;
  const { name, ...rest } = spec;
  return [name, ...Object.entries(rest).map(([k, v]) => `${k}=${num(v as number)}`)].join(',');
}

/**
 * A schedule from the link: the parameters as written (checked by the
 * library's own reader), else the fallback when the library refuses it.
 */
function readSchedule(value: string | null, fallback: Setup['schedule']): Setup['schedule'] {
  if (value === null || value === '') return fallback;
  try {
    const resolved = parseSchedule(value) as ScheduleSpec & Record<string, number>;
    const written = value
      .split(',')
      .slice(1)
      .map((p) => p.slice(0, p.indexOf('=')).trim());
    if (written.length === 0) return resolved.name;
    return Object.fromEntries([
      ['name', resolved.name],
      ...written.map((k) => [k, resolved[k]]),
    ]) as ScheduleSpec;
  } catch {
    return fallback;
  }
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

/** A page value that means the setting is not given (no class weights). */
const NONE = 'none';

/**
 * The library's training options of a setup, for `rows` training examples:
 * every linked library row (a page value meaning "off", such as tolerance 0,
 * left out), the rates of the layers, and the batch size capped at the rows.
 */
export function trainOptions(s: Setup, rows: number): FieldOptions {
  const options: Record<string, unknown> = {};
  for (const [k, row] of LINKED) {
    if (!(k in FIELDS) || (row.page?.off !== undefined && s[k] === row.page.off) || s[k] === NONE) continue;
    options[k] = s[k];
  }
  return { ...options, learningRate: learningRates(s), batchSize: Math.min(s.batchSize, rows) };
}
