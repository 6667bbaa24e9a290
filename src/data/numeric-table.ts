/**
 * A numeric CSV file (see csv-numeric.ts) profiled and encoded from its numbers,
 * with no string per cell: the same {@link TableProfile} and the same encoded
 * inputs and targets as profiling and encoding its rows of text would give,
 * bit for bit, when the columns that hold class labels are spelled as
 * `String(x)` spells them (whole numbers; see `NumericTable.canonical`).
 *
 * @module
 */

import type { DType } from '../backend/backend.js';
import { classTargets } from '../classification.js';
import type { NumericTable } from './csv-numeric.js';
import type { Encoding, Task } from './encoding.js';
import { MAX_CATEGORIES, TableProfile } from './profile.js';
import { floatArray } from './tensor.js';

/** Whole numbers in [-SMALL, SMALL] are counted in an array rather than a map. */
const SMALL = 1024;

/**
 * The profile of numeric rows added a table (or a chunk of a stream) at a
 * time: the same running statistics and distinct values as
 * `ColumnProfile.add` accumulates from the rows' text.
 */
export class NumberProfiler {
  readonly #cols: number;
  #rows = 0;
  // Counts of whole numbers near zero are laid out value-major (value v of column j
  // at (v + SMALL) * counted + slot[j]): a row of pixels then touches neighbouring counters,
  // where column-major rows of counters 8 KB apart would all fall in the same cache sets.
  readonly #small: Int32Array;
  readonly #other: Map<number, number>[];
  readonly #order: number[][];
  /** The columns still counting distinct values (at most MAX_CATEGORIES seen), first #openCount of them. */
  readonly #open: Int32Array;
  #openCount: number;
  readonly #mean: Float64Array;
  readonly #m2: Float64Array;
  readonly #min: Float64Array;
  readonly #max: Float64Array;
  readonly #slot: Int32Array;

  /**
   * Distinct values are counted for the columns named in `counted` (default
   * all): their profiles' `values` are those the rows of text give, the others'
   * undefined. A file of numbers needs them only for its targets (classes or
   * numbers); counting them for a thousand pixel columns is most of the work.
   */
  constructor(
    readonly columns: string[],
    counted: readonly string[] = columns,
  ) {
    const cols = columns.length;
    this.#cols = cols;
    this.#other = Array.from({ length: cols }, () => new Map<number, number>());
    this.#order = Array.from({ length: cols }, (): number[] => []);
    this.#open = Int32Array.from(new Set(counted.map((c) => columns.indexOf(c)).filter((j) => j >= 0)));
    this.#openCount = this.#open.length;
    // Counters only for the counted columns: column j's are at slot[j] in each value's row of them.
    this.#slot = new Int32Array(cols).fill(-1);
    this.#open.forEach((j, k) => {
      this.#slot[j] = k;
    });
    this.#small = new Int32Array(this.#open.length * (2 * SMALL + 1));
    this.#mean = new Float64Array(cols);
    this.#m2 = new Float64Array(cols);
    this.#min = new Float64Array(cols).fill(Number.POSITIVE_INFINITY);
    this.#max = new Float64Array(cols).fill(Number.NEGATIVE_INFINITY);
  }

  /** Adds every row of `table`, or the rows at `indices`, in that order. */
  add(table: NumericTable, indices?: ArrayLike<number>): this {
    const cols = this.#cols;
    const n = indices ? indices.length : table.rows;
    const values = table.values;
    const [small, other, order, open, slot] = [this.#small, this.#other, this.#order, this.#open, this.#slot];
    const width = this.#open.length;
    const [mean, m2, min, max] = [this.#mean, this.#m2, this.#min, this.#max];
    const before = this.#rows;
    let openCount = this.#openCount;
    for (let k = 0; k < n; k++) {
      const row = (indices ? indices[k] : k) * cols;
      const count = before + k + 1;
      // Row by row (the memory's order), every column's running state side by side.
      for (let j = 0; j < cols; j++) {
        const x = values[row + j];
        // Welford's running mean and squared deviations, as ColumnProfile.add computes them.
        const d = x - mean[j];
        mean[j] += d / count;
        m2[j] += d * (x - mean[j]);
        if (x < min[j]) min[j] = x;
        if (x > max[j]) max[j] = x;
      }
      // Distinct values counted by number, in the order first seen, named as their text at
      // the end: whole numbers near zero (pixels, labels) in an array, others in a map.
      // Only the columns still open are visited: most close within a few rows.
      for (let o = 0; o < openCount; o++) {
        const j = open[o];
        const x = values[row + j];
        if (x === (x | 0) && x >= -SMALL && x <= SMALL) {
          if (small[(x + SMALL) * width + slot[j]]++ === 0) order[j].push(x);
        } else {
          const c = other[j].get(x);
          if (c === undefined) order[j].push(x);
          other[j].set(x, (c ?? 0) + 1);
        }
        if (order[j].length > MAX_CATEGORIES) {
          // Closed: the last open column takes its place, and is visited next.
          open[o--] = open[--openCount];
        }
      }
    }
    this.#rows = before + n;
    this.#openCount = openCount;
    return this;
  }

  /** The profile of the rows added so far. */
  profile(): TableProfile {
    const cols = this.#cols;
    const profile = new TableProfile(this.columns);
    profile.rows = this.#rows;
    const isSmall = (x: number) => x === (x | 0) && x >= -SMALL && x <= SMALL;
    for (let j = 0; j < cols; j++) {
      const p = profile.columns[j];
      p.count = this.#rows;
      p.numbers = this.#rows;
      p.mean = this.#mean[j];
      p.m2 = this.#m2[j];
      p.min = this.#min[j];
      p.max = this.#max[j];
      p.values =
        this.#slot[j] < 0 || this.#order[j].length > MAX_CATEGORIES
          ? undefined
          : new Map(
              this.#order[j].map(
                (x) =>
                  [
                    String(x),
                    isSmall(x)
                      ? this.#small[(x + SMALL) * this.#open.length + this.#slot[j]]
                      : this.#other[j].get(x)!,
                  ] as const,
              ),
            );
    }
    return profile;
  }
}

/**
 * The profile of every column over all rows, or the rows at `indices`, in that
 * order, with distinct values counted for the `counted` columns (default all).
 */
export function profileNumbers(
  table: NumericTable,
  indices?: ArrayLike<number>,
  counted?: readonly string[],
): TableProfile {
  return new NumberProfiler(table.columns, counted).add(table, indices).profile();
}

/**
 * The table's numbers when a reader took the fast path and they stand for its
 * text: every target column spelled as numbers print (so that class labels can
 * be rebuilt from them), or targets that are numbers however they are spelled
 * (see {@link targetsAreNumbers}). Else undefined: read the rows of text then.
 */
export function numericView(
  table: { numbers?: NumericTable },
  targetColumns: readonly string[],
  options: { task?: Task; loss?: string } = {},
): NumericTable | undefined {
  const t = table.numbers;
  if (t === undefined) return undefined;
  if (targetColumns.every((c) => t.canonical[t.columns.indexOf(c)] === 1)) return t;
  return targetsAreNumbers(targetColumns, options, () => notWhole(t, targetColumns[0])) ? t : undefined;
}

/**
 * Whether the targets are numbers, not classes, whichever way they are spelled,
 * as `chooseTask` decides it: `--task numbers`, several target columns, or a
 * single one with a value that is not whole (`someNotWhole()`, asked only then).
 * (Classes' labels are their spellings: `1.0` is not `1`.)
 */
export function targetsAreNumbers(
  targetColumns: readonly string[],
  { task, loss }: { task?: Task; loss?: string },
  someNotWhole: () => boolean,
): boolean {
  if (task === 'numbers') return true;
  if (task === 'classes' || classTargets(loss)) return false;
  return targetColumns.length > 1 || someNotWhole();
}

/** Whether some value of `column` is not a whole number. */
export function notWhole(t: NumericTable, column: string): boolean {
  const cols = t.columns.length;
  const values = t.values;
  for (let i = t.columns.indexOf(column); i < values.length; i += cols) {
    if (!Number.isInteger(values[i])) return true;
  }
  return false;
}

/** Column `col` of the rows as group numbers, by the label each value spells (stratified splits). */
export function groupsOf(table: NumericTable, col: number, index: Map<string, number>): Uint32Array {
  const cols = table.columns.length;
  return Uint32Array.from(
    { length: table.rows },
    (_, i) => index.get(String(table.values[i * cols + col])) ?? 0,
  );
}

/** The rows at `indices` as text, for pictures. */
export function rowsAsText(table: NumericTable, indices: ArrayLike<number>): string[][] {
  const cols = table.columns.length;
  return Array.from({ length: indices.length }, (_, k) =>
    Array.from(table.values.subarray(indices[k] * cols, (indices[k] + 1) * cols), String),
  );
}

/**
 * Whether rows of `table` encode from their numbers exactly as the row encoder
 * of encoding.ts encodes their text: every input is a number and, for classes,
 * the target column and the class names are spelled as numbers print
 * (`String(x)`), so that a label's number names its class.
 */
export function encodesFromNumbers(
  table: Pick<NumericTable, 'columns' | 'canonical'>,
  encoding: Encoding,
  targets: boolean,
): boolean {
  if (!encoding.inputs.every((c) => c.kind === 'number')) return false;
  const t = encoding.target;
  if (!targets || t.kind !== 'classes') return true;
  return (
    table.canonical[table.columns.indexOf(t.column)] === 1 && t.classes.every((k) => String(Number(k)) === k)
  );
}

/** Which rows {@link encodeNumbers} encodes, and where to. */
export interface EncodeOptions {
  /** The rows to encode, in this order (default: all). */
  indices?: ArrayLike<number>;
  /** Whether to encode the targets too (default: true). */
  targets?: boolean;
  /** Arrays to write into (from their start, for as many rows as are encoded), else new ones. */
  into?: { x: Float32Array | Float64Array; d: Float64Array };
  /**
   * Write the inputs over the table's own values where that is safe (values
   * already in `dtype`, rows in increasing order, input columns in the table's
   * order): the table is spent then, so encode it last. Saves a copy of the
   * data's size, which is most of the time a fresh array costs.
   */
  inPlace?: boolean;
}

/** Whether the inputs of rows `indices` can be written over the table's values (see EncodeOptions.inPlace). */
function canEncodeInPlace(
  table: NumericTable,
  dtype: DType,
  indices: ArrayLike<number> | undefined,
  inputCols: number[],
): boolean {
  if (!(table.values instanceof (dtype === 'float32' ? Float32Array : Float64Array))) return false;
  // Row k's inputs land at k * m0 + i, read from row indices[k] >= k at column inputCols[i] >= i:
  // every write is at or before what it reads, and before all that is still to be read.
  for (let i = 1; i < inputCols.length; i++) if (inputCols[i] <= inputCols[i - 1]) return false;
  if (indices) for (let k = 1; k < indices.length; k++) if (indices[k] <= indices[k - 1]) return false;
  return true;
}

/**
 * The inputs x (in `dtype`) and, unless told not to, the targets d of the
 * rows (all, or those at `indices`), as the row encoder of encoding.ts writes them:
 * (x - offset) / scale per numeric input; a class one-hot (or its index, for
 * one sigmoid output); numeric targets scaled. The table and encoding must
 * pass {@link encodesFromNumbers}. Undefined when a row's label is none of the
 * encoding's classes (a file scored by a model that never saw that class):
 * the row encoder of its text then says where.
 */
export function encodeNumbers(
  table: NumericTable,
  encoding: Encoding,
  dtype: DType,
  { indices, targets = true, into, inPlace = false }: EncodeOptions = {},
):
  | {
      x: { data: Float32Array | Float64Array; shape: [number, number] };
      d?: { data: Float64Array; shape: [number, number] };
      rows: number;
    }
  | undefined {
  const cols = table.columns.length;
  const n = indices ? indices.length : table.rows;
  const values = table.values;
  const inputCols = encoding.inputs.map((c) => table.columns.indexOf(c.column));
  const offsets = encoding.inputs.map((c) => (c.kind === 'number' ? c.offset : 0));
  const scales = encoding.inputs.map((c) => (c.kind === 'number' ? c.scale : 1));
  const m0 = inputCols.length;
  // The targets first: encoding the inputs in place overwrites what they are read from.
  const d = targets ? encodeTargets(table, encoding, indices, n, into?.d) : undefined;
  if (d === null) return undefined;
  const x = into
    ? into.x.subarray(0, n * m0)
    : inPlace && canEncodeInPlace(table, dtype, indices, inputCols)
      ? values.subarray(0, n * m0)
      : floatArray(dtype, n * m0);
  for (let k = 0; k < n; k++) {
    const row = (indices ? indices[k] : k) * cols;
    const at = k * m0;
    for (let i = 0; i < m0; i++) x[at + i] = (values[row + inputCols[i]] - offsets[i]) / scales[i];
  }
  return { x: { data: x, shape: [n, m0] }, d, rows: n };
}

/** The encoded targets of the rows (see encodeNumbers), or null when a label is none of the classes. */
function encodeTargets(
  table: NumericTable,
  encoding: Encoding,
  indices: ArrayLike<number> | undefined,
  n: number,
  into: Float64Array | undefined,
): { data: Float64Array; shape: [number, number] } | null {
  const cols = table.columns.length;
  const values = table.values;
  const t = encoding.target;
  const mN = t.kind === 'classes' ? (t.binary ? 1 : t.classes.length) : t.columns.length;
  const d = into ? into.subarray(0, n * mN).fill(0) : new Float64Array(n * mN);
  if (t.kind === 'classes') {
    const classOf = new Map(t.classes.map((k, i) => [Number(k), i] as const));
    const col = table.columns.indexOf(t.column);
    for (let k = 0; k < n; k++) {
      const at = classOf.get(values[(indices ? indices[k] : k) * cols + col]);
      if (at === undefined) return null;
      if (t.binary) d[k] = at;
      else d[k * mN + at] = 1;
    }
  } else {
    const targetCols = t.columns.map((c) => table.columns.indexOf(c));
    for (let k = 0; k < n; k++) {
      const row = (indices ? indices[k] : k) * cols;
      for (let i = 0; i < mN; i++) d[k * mN + i] = (values[row + targetCols[i]] - t.offset[i]) / t.scale[i];
    }
  }
  return { data: d, shape: [n, mN] };
}
