/**
 * The shapes of data the library accepts, and their conversion into backend
 * matrices with a check of every number.
 *
 * @module
 */
import type { Backend, DType, Matrix } from '../backend/backend.js';
import { firstNonFiniteIn } from '../backend/js.js';
import { BackpropError } from '../errors.js';

/** A flat row-major array with its shape, e.g. `{ data: new Float32Array(6), shape: [3, 2] }`. */
export interface ShapedArray {
  readonly data: ArrayLike<number>;
  readonly shape: readonly [number, number];
}

/** Rows of numbers (`number[][]`) or a flat array with a shape. */
export type MatrixInput = readonly ArrayLike<number>[] | ShapedArray;

/** Whether `x` is a {@link ShapedArray}. */
export function isShaped(x: unknown): x is ShapedArray {
  return typeof x === 'object' && x !== null && 'data' in x && 'shape' in x;
}

/** Whether `x` is a backend {@link Matrix} (rows, cols, dtype and its storage). */
export function isMatrix(x: unknown): x is Matrix {
  return typeof x === 'object' && x !== null && 'rows' in x && 'cols' in x && 'dtype' in x && 'data' in x;
}

/**
 * `x` as a matrix of `backend` in `dtype`, checked ({@link toMatrix}): `x`
 * itself when it is one already (data on the backend, used in place: `given`,
 * the caller's to free), else a new matrix holding it (the caller frees it).
 */
export function matrixOf(
  x: MatrixInput | Matrix,
  backend: Backend,
  dtype: DType,
  what: string,
  cols?: number,
): { matrix: Matrix; given: boolean } {
  if (!isMatrix(x)) return { matrix: toMatrix(x, backend, dtype, what, cols), given: false };
  if (x.dtype !== dtype) throw new BackpropError(`${what}: a ${x.dtype} matrix for a ${dtype} network`);
  if (cols !== undefined && x.cols !== cols) {
    throw new BackpropError(`${what}: expected ${cols} columns, got ${x.cols}`);
  }
  checkMatrix(x, backend, what);
  return { matrix: x, given: true };
}

/** Throws, naming the row and column, when a number of `m` is not finite (checked by the backend where it can). */
function checkMatrix(m: Matrix, backend: Backend, what: string): void {
  if (!backend.firstNonFinite) {
    checkFinite(m.data, 0, m.rows * m.cols, m.cols, what);
    return;
  }
  const i = backend.firstNonFinite(m);
  if (i >= 0) badNumber(what, Math.floor(i / m.cols), i % m.cols, m.data[i]);
}

/** The rows x cols of an input, checking that every row has the same length. */
export function shapeOf(x: MatrixInput | Matrix, what: string): [number, number] {
  if (isMatrix(x)) return [x.rows, x.cols];
  if (isShaped(x)) {
    const [rows, cols] = x.shape;
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new BackpropError(`${what}: shape [${x.shape}] is not two whole numbers`);
    }
    if (x.data.length !== rows * cols) {
      throw new BackpropError(
        `${what}: shape [${rows}, ${cols}] needs ${rows * cols} numbers, got ${x.data.length}`,
      );
    }
    return [rows, cols];
  }
  if (!Array.isArray(x)) throw new BackpropError(`${what}: expected an array of rows or { data, shape }`);
  const rows = x.length;
  const cols = rows > 0 ? (x[0]?.length ?? -1) : 0;
  for (let r = 0; r < rows; r++) {
    const row = x[r];
    if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
      throw new BackpropError(`${what}: row ${r} is not an array of numbers`);
    }
    if (row.length !== cols) {
      throw new BackpropError(`${what}: row ${r} has ${row.length} values, but row 0 has ${cols}`);
    }
  }
  return [rows, cols];
}

/**
 * Copies rows [from, from + count) of `x` into rows at, at + 1, ... of `dst`,
 * checking that each number is finite.
 */
export function copyRows(
  x: MatrixInput,
  from: number,
  count: number,
  dst: Matrix,
  what: string,
  at = 0,
): void {
  const cols = dst.cols;
  const D = dst.data.subarray(at * cols);
  if (isShaped(x)) {
    const S = x.data;
    if (S instanceof Float32Array || S instanceof Float64Array) {
      // Numbers by type: only finiteness to check, then one copy (a memcpy between equal types).
      const start = from * cols;
      const end = start + count * cols;
      checkFinite(S, start, end, cols, what);
      D.set(S.subarray(start, end));
      return;
    }
    for (let r = 0; r < count; r++) {
      for (let c = 0; c < cols; c++) {
        const value = S[(from + r) * cols + c];
        if (typeof value !== 'number' || !Number.isFinite(value)) badNumber(what, from + r, c, value);
        D[r * cols + c] = value;
      }
    }
    return;
  }
  for (let r = 0; r < count; r++) {
    const row = x[from + r];
    for (let c = 0; c < cols; c++) {
      const value = row[c];
      if (typeof value !== 'number' || !Number.isFinite(value)) badNumber(what, from + r, c, value);
      D[r * cols + c] = value;
    }
  }
}

/** Checks that S[start..end) are finite numbers, naming the row and column (`cols` wide) of the first that is not. */
function checkFinite(
  S: Float32Array | Float64Array,
  start: number,
  end: number,
  cols: number,
  what: string,
): void {
  const i = firstNonFiniteIn(S, start, end);
  if (i >= 0) badNumber(what, Math.floor(i / cols), i % cols, S[i]);
}

function badNumber(what: string, row: number, col: number, value: unknown): never {
  throw new BackpropError(`${what}: row ${row}, column ${col} is ${String(value)}, not a finite number`);
}

/**
 * A backend matrix holding `x`, after checking that it has `cols` columns (when
 * given) and only finite numbers.
 */
export function toMatrix(
  x: MatrixInput,
  backend: Backend,
  dtype: DType,
  what: string,
  cols?: number,
): Matrix {
  const [rows, actual] = shapeOf(x, what);
  if (cols !== undefined && rows > 0 && actual !== cols) {
    throw new BackpropError(`${what}: expected ${cols} columns, got ${actual}`);
  }
  const m = backend.matrix(rows, rows > 0 ? actual : (cols ?? 0), dtype);
  if (isShaped(x) && x.data instanceof (dtype === 'float32' ? Float32Array : Float64Array)) {
    // Numbers of the matrix's own type: one copy, then the backend's check where they lie.
    m.data.set(x.data);
    try {
      checkMatrix(m, backend, what);
    } catch (err) {
      backend.free(m);
      throw err;
    }
    return m;
  }
  copyRows(x, 0, rows, m, what);
  return m;
}

/** A zeroed array of `n` numbers in the precision `dtype`. */
export function floatArray(dtype: DType, n: number): Float32Array | Float64Array {
  return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
}

/** A matrix as rows of plain numbers. */
export function toRows(m: Matrix, rows = m.rows): number[][] {
  const out: number[][] = new Array(rows);
  const D = m.data;
  for (let r = 0; r < rows; r++) out[r] = Array.from(D.subarray(r * m.cols, (r + 1) * m.cols));
  return out;
}
