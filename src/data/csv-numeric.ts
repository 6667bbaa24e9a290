/**
 * The fast path of the CSV readers: a file of numbers only (a header line, then
 * rows of plain decimal numbers such as `-1.5e3`, no quotes, no spaces, no
 * blanks) read from its bytes straight into one row-major Float64Array, with no
 * string per cell. Anything else (a quote, a text cell, a blank, NaN, a ragged
 * row, an empty file) makes it give up and say where, and the caller reads the
 * file with the general reader, whose checks and messages then apply unchanged:
 * this path never decides that input is bad.
 *
 * Every value is the double that `Number(cell)` gives: numbers of at most 15
 * significant digits and a decimal exponent within +-22 are one exact integer
 * times or divided by an exact power of ten, a single correctly rounded
 * operation (Clinger's fast path); longer ones go through `Number`.
 *
 * @module
 */

import { checkHeader } from './csv-records.js';

/** A numeric CSV file (or a part of one) in memory. */
export interface NumericTable {
  /** The file's name, for messages. */
  file: string;
  /** Column names from the header line. */
  columns: string[];
  /** Data rows read. */
  rows: number;
  /**
   * `rows * columns.length` values, row-major: in a Float32Array while float32
   * holds every one of them exactly (whole numbers such as pixels, labels), in
   * half the memory; else in a Float64Array. Either way each reads back as the
   * double that `Number(cell)` gives.
   */
  values: Float32Array | Float64Array;
  /** The 1-based line of each row in the file. */
  lines: Uint32Array;
  /** Per column, 1 when every cell is a whole number spelled as `String(x)` spells it. */
  canonical: Uint8Array;
}

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const LOWER_E = 101;
const UPPER_E = 69;

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Gives a zeroed array of `length` values where a reader's numbers are to land (see NumericCsvParser). */
export type Allocate = (length: number) => Float32Array;

/** Where the fast path stopped: the line it could not read as numbers. */
export class NotNumeric {
  constructor(readonly line: number) {}
}

const latin1 = new TextDecoder('latin1');

/**
 * Reads the numbers of complete lines, one call per block of bytes, keeping
 * the header, the line count and the values between calls.
 */
export class NumericCsvParser {
  columns: string[] | undefined;
  /** Lines consumed so far (the next line is `line + 1`). */
  line = 0;
  values: Float32Array | Float64Array;
  lines: Uint32Array;
  rows = 0;
  /**
   * Per column, 1 while every cell is a whole number spelled as `String(x)`
   * spells it (`12`, `-3`, not `012`, `+3`, `3.0` or `-0`): its text can then be
   * rebuilt from its number, as class labels need.
   */
  canonical = new Uint8Array(0);
  #failed: NotNumeric | undefined;
  #allocate: Allocate | undefined;

  /**
   * A `bounded` parser holds at most `capacityRows` rows: `feed` stops at the
   * row that would not fit (take the rows, then feed on from there); else it
   * grows its buffers. `allocate` gives an array of values (zeroed, of the
   * length asked) where the caller wants the numbers to land: the parser moves
   * there once a first block of lines has been read as numbers (a file that is
   * not numbers never asks for it), and moves on to arrays of its own if it
   * outgrows it or must widen to float64.
   */
  constructor(
    readonly file: string,
    capacityRows = 1024,
    readonly bounded = false,
    allocate?: Allocate,
  ) {
    this.#allocate = allocate;
    this.values = new Float32Array(0);
    this.lines = new Uint32Array(capacityRows);
  }

  /** Why the fast path gave up, or undefined while it reads. */
  get failed(): NotNumeric | undefined {
    return this.#failed;
  }

  #grow(rows: number): void {
    const cols = this.columns!.length;
    if (rows <= this.lines.length && this.values.length >= rows * cols) return;
    const capacity = Math.max(rows, this.lines.length * 2, 16);
    const values = new (this.values instanceof Float32Array ? Float32Array : Float64Array)(capacity * cols);
    values.set(this.values.subarray(0, this.rows * cols));
    const lines = new Uint32Array(capacity);
    lines.set(this.lines.subarray(0, this.rows));
    this.values = values;
    this.lines = lines;
  }

  /** Moves the rows read so far into the array `allocate` gives, where the rest will land too. */
  #relocate(allocate: Allocate): void {
    this.#allocate = undefined;
    if (!(this.values instanceof Float32Array)) return;
    const values = allocate(this.values.length);
    values.set(this.values.subarray(0, this.rows * this.columns!.length));
    this.values = values;
  }

  /** From here on values are kept as float64: one just read is not a float32. */
  #widen(): void {
    if (this.values instanceof Float32Array) this.values = Float64Array.from(this.values);
  }

  /**
   * Hands over the rows read so far (views of the buffers, not copies) and,
   * unless `last` or `reuse`, starts new buffers; with `reuse` the next rows
   * overwrite these.
   */
  take(last = false, reuse = false): NumericTable {
    const cols = this.columns?.length ?? 0;
    const out: NumericTable = {
      file: this.file,
      columns: this.columns ?? [],
      rows: this.rows,
      values: this.values.subarray(0, this.rows * cols),
      lines: this.lines.subarray(0, this.rows),
      canonical: this.canonical.slice(),
    };
    if (!last && !reuse) {
      this.values = new (this.values instanceof Float32Array ? Float32Array : Float64Array)(
        this.values.length,
      );
      this.lines = new Uint32Array(this.lines.length);
    }
    this.rows = 0;
    return out;
  }

  /**
   * Reads every line of `bytes[start, end)` that is complete: all of them when
   * `final`, else up to the last line end. Returns the offset where it stopped
   * (the start of an incomplete line, or of the first row a full bounded parser
   * has no room for), or -1 once it has given up.
   */
  feed(bytes: Uint8Array, start: number, end: number, final: boolean): number {
    if (this.#failed) return -1;
    if (this.#allocate && this.rows > 0) this.#relocate(this.#allocate);
    let stop = end;
    if (!final) {
      // Only whole lines: up to the last LF, or the last CR that cannot be the first half of a CRLF.
      stop = bytes.lastIndexOf(LF, end - 1) + 1;
      if (stop <= start) {
        const cr = bytes.lastIndexOf(CR, end - 2);
        stop = cr >= start ? cr + 1 : start;
      }
      if (stop <= start) return start;
    }
    let pos = start;
    let columns = this.columns;
    if (columns === undefined) {
      pos = this.#readHeader(bytes, pos, stop);
      if (pos < 0) return -1;
      columns = this.columns as string[] | undefined;
      if (columns === undefined) return pos;
      if (!this.bounded && this.lines.length < 16) this.lines = new Uint32Array(16);
      this.values = new Float32Array(this.lines.length * columns.length);
      this.canonical = new Uint8Array(columns.length).fill(1);
    }
    const cols = columns.length;
    let values = this.values;
    let lines = this.lines;
    let at = this.rows * cols;
    let line = this.line;
    const canonical = this.canonical;
    while (pos < stop) {
      const c = bytes[pos];
      line++;
      if (c === LF || c === CR) {
        // An empty line: skipped, as the general reader skips it.
        pos += c === CR && pos + 1 < stop && bytes[pos + 1] === LF ? 2 : 1;
        continue;
      }
      if (this.rows === lines.length) {
        // Full: a bounded parser stops before this row (the caller takes the rows and feeds on from here).
        if (this.bounded) {
          this.line = line - 1;
          return pos;
        }
        this.#grow(this.rows + 1);
        values = this.values;
        lines = this.lines;
      }
      for (let j = 0; j < cols; j++) {
        // One number: [+-]digits[.digits][(e|E)[+-]digits], or [+-].digits...
        let p = pos;
        let negative = false;
        let b = bytes[p];
        if (b === MINUS || b === PLUS) {
          negative = b === MINUS;
          b = bytes[++p];
        }
        let mantissa = 0;
        let digits = 0;
        let significant = 0;
        let scale = 0;
        while (b >= ZERO && b <= NINE && p < stop) {
          if (significant > 0 || b !== ZERO) significant++;
          mantissa = mantissa * 10 + (b - ZERO);
          digits++;
          b = bytes[++p];
        }
        if (b === DOT && p < stop) {
          b = bytes[++p];
          while (b >= ZERO && b <= NINE && p < stop) {
            if (significant > 0 || b !== ZERO) significant++;
            mantissa = mantissa * 10 + (b - ZERO);
            digits++;
            scale++;
            b = bytes[++p];
          }
        }
        if (digits === 0) return this.#fail(line);
        let exponent = 0;
        if ((b === LOWER_E || b === UPPER_E) && p < stop) {
          b = bytes[++p];
          let expNegative = false;
          if ((b === MINUS || b === PLUS) && p < stop) {
            expNegative = b === MINUS;
            b = bytes[++p];
          }
          let expDigits = 0;
          while (b >= ZERO && b <= NINE && p < stop) {
            if (exponent < 100_000) exponent = exponent * 10 + (b - ZERO);
            expDigits++;
            b = bytes[++p];
          }
          if (expDigits === 0) return this.#fail(line);
          if (expNegative) exponent = -exponent;
        }
        const e10 = exponent - scale;
        let x: number;
        if (significant <= 15 && e10 >= -22 && e10 <= 22) {
          x = e10 >= 0 ? mantissa * POW10[e10] : mantissa / POW10[-e10];
          if (negative) x = -x;
        } else {
          x = Number(latin1.decode(bytes.subarray(pos, p)));
          if (!Number.isFinite(x)) return this.#fail(line);
        }
        values[at] = x;
        if (values[at] !== x) {
          this.#widen();
          values = this.values;
          values[at] = x;
        }
        at++;
        // Spelled as String(x) spells it: a whole number, no sign but a minus, no leading zero, not -0.
        if (
          p - pos !== digits + (negative ? 1 : 0) ||
          digits > 15 ||
          (digits > 1 && bytes[negative ? pos + 1 : pos] === ZERO) ||
          (negative && mantissa === 0)
        )
          canonical[j] = 0;
        // The field must end here: a comma between fields, a line end (or the end) after the last.
        if (j < cols - 1) {
          if (b !== COMMA || p >= stop) return this.#fail(line);
          pos = p + 1;
        } else {
          if (p < stop && b !== LF && b !== CR) return this.#fail(line);
          pos = p < stop ? p + (b === CR && p + 1 < stop && bytes[p + 1] === LF ? 2 : 1) : p;
        }
      }
      lines[this.rows++] = line;
    }
    this.line = line;
    return pos;
  }

  #fail(line: number): -1 {
    this.#failed = new NotNumeric(line);
    return -1;
  }

  /** The header line (after a byte-order mark and empty lines), or -1 when it is not plain names. */
  #readHeader(bytes: Uint8Array, pos: number, stop: number): number {
    if (this.line === 0 && bytes[pos] === 0xef && bytes[pos + 1] === 0xbb && bytes[pos + 2] === 0xbf)
      pos += 3;
    while (pos < stop && (bytes[pos] === LF || bytes[pos] === CR)) {
      this.line++;
      pos += bytes[pos] === CR && bytes[pos + 1] === LF ? 2 : 1;
    }
    if (pos >= stop) return pos;
    let end = pos;
    while (end < stop && bytes[end] !== LF && bytes[end] !== CR) {
      if (bytes[end] === QUOTE) return this.#fail(this.line + 1);
      end++;
    }
    this.line++;
    const record = new TextDecoder('utf-8').decode(bytes.subarray(pos, end)).split(',');
    // A header of blank names is a blank line to the general reader: leave it that case.
    if (record.every((f) => f.trim() === '')) return this.#fail(this.line);
    this.columns = checkHeader(record, this.file, this.line);
    return end < stop ? end + (bytes[end] === CR && bytes[end + 1] === LF ? 2 : 1) : end;
  }
}

/**
 * Reads a whole CSV file of numbers into a {@link NumericTable}, or returns
 * {@link NotNumeric} (with the first line it could not read) when the file is
 * not plain numbers; read it with `parseCsv` then, which checks it.
 *
 * @example parseNumericCsv(new TextEncoder().encode('x,y\n1,2\n3,4e-1\n')) // { columns: ['x','y'], rows: 2, values: [1, 2, 3, 0.4], lines: [2, 3] }
 */
export function parseNumericCsv(input: Uint8Array | string, file = '<input>'): NumericTable | NotNumeric {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  // Row capacity from the line count: one pass, no regrowing.
  let newlines = 1;
  for (let i = bytes.indexOf(LF); i >= 0; i = bytes.indexOf(LF, i + 1)) newlines++;
  const parser = new NumericCsvParser(file, newlines);
  parser.feed(bytes, 0, bytes.length, true);
  if (parser.failed) return parser.failed;
  // No header (an empty file) or no rows: the general reader says which.
  if (parser.columns === undefined || parser.rows === 0) return new NotNumeric(parser.line);
  return parser.take(true);
}
