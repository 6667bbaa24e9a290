/**
 * The playground's data: the library's generators or a user's CSV file, split
 * into training and test sets with the setup's seed, with the plotted region
 * and the grid of points at which the page draws every node's output.
 *
 * @module
 */
import { classIndex, datasets } from 'backprop-mlp';
import { parse } from 'csv-parse/browser/esm/sync';
import type { Bounds } from './draw.js';
import type { Examples } from './protocol.js';
import { type Feature, REGRESSIONS, type Setup } from './setup.js';

/** Side of the grid of the heat maps: g x g points over the plotted region. */
export const GRID = 48;

/** Examples ready for the network, and how to draw them. */
export interface PlaygroundData {
  /** `classes` draws regions; `numbers` draws a fitted curve (one input) or nothing. */
  kind: 'classes' | 'numbers';
  train: Examples;
  test: Examples;
  inputColumns: string[];
  targetColumns: string[];
  /** Class labels, one per output node (two for one 0/1 output). */
  classes?: string[];
  /** The plotted region for one or two inputs; null for more. */
  bounds: Bounds | null;
  /** Grid points for the heat maps (two inputs) or the fitted curve (one input). */
  grid: number[][] | null;
  /** How CSV inputs were scaled, kept in an exported model: x' = (x - offset) / scale. */
  scaling?: { offset: number[]; scale: number[] };
  /** CSV columns left out of the inputs because they are not numbers. */
  dropped?: string[];
}

/** A tiny seeded generator (mulberry32) for the split; the library seeds everything else. */
function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits examples into training and test sets, shuffled by `seed`; at least one training example. */
export function split(
  all: Examples,
  testFraction: number,
  seed: number,
): { train: Examples; test: Examples } {
  const n = all.inputs.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const random = mulberry(seed ^ 0x5eed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nTest = Math.min(n - 1, Math.round(n * testFraction));
  const pick = (idx: number[]): Examples => ({
    inputs: idx.map((i) => all.inputs[i]),
    targets: idx.map((i) => all.targets[i]),
  });
  return { train: pick(order.slice(nTest)), test: pick(order.slice(0, nTest)) };
}

/** The smallest region holding every point, padded, with equal x and y spans for 2-D data. */
export function boundsOf(inputs: number[][], outputs?: number[][], square = true): Bounds {
  let x0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i][0];
    const y = outputs ? outputs[i][0] : inputs[i][1];
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  if (!Number.isFinite(x0)) return { x: [-1, 1], y: [-1, 1] };
  const pad = (a: number, b: number): [number, number] => {
    const span = Math.max(b - a, 1e-6);
    return [a - 0.1 * span, b + 0.1 * span];
  };
  let bx = pad(x0, x1);
  let by = pad(y0, y1);
  if (square) {
    const half = Math.max(bx[1] - bx[0], by[1] - by[0]) / 2;
    const cx = (bx[0] + bx[1]) / 2;
    const cy = (by[0] + by[1]) / 2;
    bx = [cx - half, cx + half];
    by = [cy - half, cy + half];
  }
  return { x: bx, y: by };
}

/** g x g points covering the region, row by row from the bottom (y increasing), x increasing in a row. */
export function grid2d(b: Bounds, g = GRID): number[][] {
  const points: number[][] = [];
  for (let row = 0; row < g; row++) {
    const y = b.y[0] + ((row + 0.5) / g) * (b.y[1] - b.y[0]);
    for (let col = 0; col < g; col++) points.push([b.x[0] + ((col + 0.5) / g) * (b.x[1] - b.x[0]), y]);
  }
  return points;
}

/** n points along x for a fitted curve. */
export function grid1d(b: Bounds, n = 120): number[][] {
  return Array.from({ length: n }, (_, k) => [b.x[0] + (k / (n - 1)) * (b.x[1] - b.x[0])]);
}

/**
 * Reshapes class targets to suit the output layer: one 0/1 column for one
 * output node, one-hot columns for a softmax (or several sigmoid) outputs.
 */
export function shapeTargets(targets: number[][], classes: number, outputUnits: number): number[][] {
  if (outputUnits === 1) return targets.map((t) => [t.length === 1 ? t[0] : (t[1] ?? 0)]);
  return targets.map((t) => {
    const label = classIndex(t, 0, t.length);
    const row = new Array(Math.max(outputUnits, classes)).fill(0);
    row[label] = 1;
    return row.slice(0, outputUnits);
  });
}

/** TensorFlow Playground's Gaussians of the multi-Gaussian regression, scaled to [-1, 1]: x, y, sign. */
const GAUSSIANS = [
  [-2 / 3, 5 / 12, 1],
  [0, 5 / 12, -1],
  [2 / 3, 5 / 12, 1],
  [-2 / 3, -5 / 12, -1],
  [0, -5 / 12, 1],
  [2 / 3, -5 / 12, -1],
] as const;

/**
 * The 2-D regressions of TensorFlow Playground on [-1, 1]^2: `plane` is
 * d = (x1 + x2) / 2; `gauss` is the strongest of six signed bumps, each
 * falling linearly from 1 at its centre to 0 at distance 1/3. Noise moves the
 * point at which d is read by up to `noise` in each direction (seeded).
 */
export function regression(kind: 'plane' | 'gauss', n: number, seed: number, noise: number): Examples {
  const random = mulberry(seed ^ 0x9e55);
  const inputs: number[][] = [];
  const targets: number[][] = [];
  for (let k = 0; k < n; k++) {
    const x1 = 2 * random() - 1;
    const x2 = 2 * random() - 1;
    const a = x1 + noise * (2 * random() - 1);
    const b = x2 + noise * (2 * random() - 1);
    let d = 0;
    if (kind === 'plane') d = (a + b) / 2;
    else
      for (const [cx, cy, sign] of GAUSSIANS) {
        const bump = sign * Math.max(0, 1 - 3 * Math.hypot(a - cx, b - cy));
        if (Math.abs(bump) > Math.abs(d)) d = bump;
      }
    inputs.push([x1, x2]);
    targets.push([d]);
  }
  return { inputs, targets };
}

/** TeX-free labels of the features, for the diagram and the data panel. */
export const FEATURE_LABELS: Record<Feature, string> = {
  x1: 'x₁',
  x2: 'x₂',
  x1sq: 'x₁²',
  x2sq: 'x₂²',
  x1x2: 'x₁x₂',
  sinx1: 'sin x₁',
  sinx2: 'sin x₂',
  cosx1: 'cos x₁',
  cosx2: 'cos x₂',
};

/** The value of feature `f` at the point (x1, x2). */
export function featureValue(f: Feature, x1: number, x2: number): number {
  switch (f) {
    case 'x1':
      return x1;
    case 'x2':
      return x2;
    case 'x1sq':
      return x1 * x1;
    case 'x2sq':
      return x2 * x2;
    case 'x1x2':
      return x1 * x2;
    case 'sinx1':
      return Math.sin(x1);
    case 'sinx2':
      return Math.sin(x2);
    case 'cosx1':
      return Math.cos(x1);
    case 'cosx2':
      return Math.cos(x2);
  }
}

/** The network's inputs for 2-D points: one column per chosen feature. */
export function featurize(points: number[][], features: readonly Feature[]): number[][] {
  return points.map((p) => features.map((f) => featureValue(f, p[0], p[1])));
}

/** Whether the data set is 2-D points whose features can be chosen (not the line, not a CSV file). */
export function hasFeatures(setup: Setup): boolean {
  return setup.dataset !== 'csv' && setup.dataset !== 'line';
}

/** Examples from the library's generator named by the setup, split and ready to draw. */
export function generate(setup: Setup): PlaygroundData {
  if (setup.dataset === 'csv') throw new Error('generate: a CSV file is not generated');
  const dataset = setup.dataset;
  if (dataset === 'plane' || dataset === 'gauss') {
    const all = regression(dataset, setup.size, setup.seed, setup.noise);
    const { train, test } = split(all, setup.testFraction, setup.seed);
    return withGrid({ kind: 'numbers', train, test, inputColumns: ['x1', 'x2'], targetColumns: ['d'] });
  }
  const options = { seed: setup.seed, noise: setup.noise };
  const d =
    dataset === 'blobs'
      ? datasets.blobs(setup.size, { ...options, centers: 3 })
      : datasets.generators[dataset](setup.size, options);
  const all = { inputs: d.inputs, targets: d.targets };
  const { train, test } = split(
    setup.imbalanced && d.classes ? imbalance(all) : all,
    setup.testFraction,
    setup.seed,
  );
  return withGrid({
    kind: setup.dataset === 'line' || REGRESSIONS.includes(setup.dataset) ? 'numbers' : 'classes',
    train,
    test,
    inputColumns: d.inputColumns,
    targetColumns: d.targetColumns,
    classes: d.classes,
  });
}

/** The class of a target row: the class index of one column, else the hot one. */
function labelOf(t: readonly number[]): number {
  return t.length === 1 ? t[0] : classIndex(t, 0, t.length);
}

/**
 * The imbalanced variant of a class set: the second class (label 1) keeps
 * every tenth of its examples, the others all of theirs, in their order.
 */
export function imbalance(all: Examples): Examples {
  let seen = 0;
  const keep = all.targets.map((t) => labelOf(t) !== 1 || seen++ % 10 === 0);
  return {
    inputs: all.inputs.filter((_, i) => keep[i]),
    targets: all.targets.filter((_, i) => keep[i]),
  };
}

/** A CSV file read into columns of strings. */
export interface CsvTable {
  file: string;
  columns: string[];
  rows: string[][];
  /** The line of the file each row starts on (the header is line 1). */
  lines: number[];
  /** The field separator found in the header line. */
  delimiter: string;
}

/** Field separators a CSV file may use; the header line's most frequent one wins (a comma on a tie). */
const DELIMITERS = [',', ';', '\t', '|'] as const;

/** The separator of `text`: the one that occurs most often in its first line outside quotes. */
export function detectDelimiter(text: string): string {
  const first =
    text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .find((l) => l.trim() !== '') ?? '';
  const bare = first.replace(/"[^"]*"/g, '');
  let best: string = ',';
  let most = 0;
  for (const d of DELIMITERS) {
    const count = bare.split(d).length - 1;
    if (count > most) {
      best = d;
      most = count;
    }
  }
  return best;
}

/** Parses CSV text (a header line, then rows); throws an Error naming the line of a ragged row. */
export function parseCsvText(text: string, file: string): CsvTable {
  const delimiter = detectDelimiter(text);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true,
      delimiter,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  if (records.length < 2) throw new Error(`${file}: expected a header line and at least one row`);
  const [head, ...body] = records;
  const columns = head.record;
  if (columns.length < 2) {
    throw new Error(
      `${file}: line 1 has one column ('${columns[0]}'); expected at least an input and a target separated by , ; tab or |`,
    );
  }
  for (const r of body) {
    if (r.record.length !== columns.length) {
      throw new Error(
        `${file}: line ${r.info.lines} has ${r.record.length} fields, the header has ${columns.length}`,
      );
    }
  }
  return { file, columns, rows: body.map((r) => r.record), lines: body.map((r) => r.info.lines), delimiter };
}

const isNumber = (s: string): boolean => s.trim() !== '' && Number.isFinite(Number(s));

/** "line 4, column 'x2': 'abc'", the first cell of column j that is not a number. */
function badCell(table: CsvTable, j: number): string {
  const i = table.rows.findIndex((r) => !isNumber(r[j]));
  return `line ${table.lines[i]}, column '${table.columns[j]}': '${table.rows[i][j]}' is not a number`;
}

/**
 * Examples from a CSV table: every numeric column but the target is an input,
 * standardized with the training set's mean and deviation; a target of labels
 * (or any target when `asClasses`) becomes classes, otherwise a number.
 */
export function csvExamples(
  table: CsvTable,
  target: string,
  asClasses: boolean,
): {
  all: Examples;
  inputColumns: string[];
  classes?: string[];
  kind: 'classes' | 'numbers';
  dropped: string[];
} {
  const t = table.columns.indexOf(target);
  if (t < 0) throw new Error(`${table.file}: no column '${target}'`);
  const numeric = table.columns.map((_, j) => table.rows.every((r) => isNumber(r[j])));
  // A column of numbers with a few bad cells is a mistake in the file, not a column of text.
  table.columns.forEach((_, j) => {
    const good = table.rows.filter((r) => isNumber(r[j])).length;
    if (j !== t && !numeric[j] && good >= table.rows.length / 2)
      throw new Error(`${table.file}: ${badCell(table, j)}`);
  });
  const inputIdx = table.columns.map((_, j) => j).filter((j) => j !== t && numeric[j]);
  const dropped = table.columns.filter((_, j) => j !== t && !numeric[j]);
  if (inputIdx.length === 0) {
    const j = table.columns.findIndex((_, k) => k !== t);
    throw new Error(`${table.file}: no numeric input column besides '${target}' (${badCell(table, j)})`);
  }
  const inputs = table.rows.map((r) => inputIdx.map((j) => Number(r[j])));
  const classesTask = asClasses || !numeric[t];
  if (!classesTask) {
    return {
      all: { inputs, targets: table.rows.map((r) => [Number(r[t])]) },
      inputColumns: inputIdx.map((j) => table.columns[j]),
      kind: 'numbers',
      dropped,
    };
  }
  const labels = [...new Set(table.rows.map((r) => r[t]))].sort((a, b) =>
    numeric[t] ? Number(a) - Number(b) : a.localeCompare(b),
  );
  if (labels.length > 20)
    throw new Error(`${table.file}: '${target}' has ${labels.length} labels; at most 20 classes`);
  const targets = table.rows.map((r) => {
    const k = labels.indexOf(r[t]);
    return labels.length === 2 ? [k] : labels.map((_, j) => (j === k ? 1 : 0));
  });
  return {
    all: { inputs, targets },
    inputColumns: inputIdx.map((j) => table.columns[j]),
    classes: labels,
    kind: 'classes',
    dropped,
  };
}

/** Standardizes inputs in place with the training set's mean and standard deviation. */
export function standardize(train: Examples, test: Examples): { offset: number[]; scale: number[] } {
  const m = train.inputs[0]?.length ?? 0;
  const offset = new Array(m).fill(0);
  const scale = new Array(m).fill(1);
  for (let j = 0; j < m; j++) {
    let sum = 0;
    for (const r of train.inputs) sum += r[j];
    const mean = sum / train.inputs.length;
    let ss = 0;
    for (const r of train.inputs) ss += (r[j] - mean) ** 2;
    const sd = Math.sqrt(ss / train.inputs.length);
    offset[j] = mean;
    scale[j] = sd > 0 ? sd : 1;
  }
  const apply = (rows: number[][]) => rows.map((r) => r.map((x, j) => (x - offset[j]) / scale[j]));
  train.inputs = apply(train.inputs);
  test.inputs = apply(test.inputs);
  return { offset, scale };
}

/** Adds the drawing region and grid for one or two inputs. */
export function withGrid(d: Omit<PlaygroundData, 'bounds' | 'grid'>): PlaygroundData {
  const allInputs = [...d.train.inputs, ...d.test.inputs];
  const m = allInputs[0]?.length ?? 0;
  if (m === 2) {
    const bounds = boundsOf(allInputs);
    return { ...d, bounds, grid: grid2d(bounds) };
  }
  if (m === 1 && d.kind === 'numbers') {
    const bounds = boundsOf(allInputs, [...d.train.targets, ...d.test.targets], false);
    return { ...d, bounds, grid: grid1d(bounds) };
  }
  return { ...d, bounds: null, grid: null };
}

/** The number of classes of a data set (0 for numbers). */
export function classCount(d: PlaygroundData): number {
  return d.kind === 'classes' ? (d.classes?.length ?? Math.max(2, d.train.targets[0]?.length ?? 2)) : 0;
}

/** The setup fields that change the data (the rest only change the network). */
export function dataKey(s: Setup): string {
  return [s.dataset, s.size, s.noise, s.testFraction, s.seed].join('|');
}
