/**
 * How the raw columns of a CSV file become the numbers a network sees, and back:
 * numeric input columns scaled (`standard`: (x - mean) / std; `minmax`:
 * (x - min) / (max - min); `none`), text input columns one-hot encoded, a class
 * target one-hot encoded over its labels in a stable order (or one 0/1 output
 * for two classes with a sigmoid), numeric targets scaled by the same method
 * when the output activation is unbounded.
 * The whole recipe is a plain JSON object kept in the model file, so `predict`
 * and `evaluate` take raw files. No Node import: the playground uses it too.
 *
 * @module
 */

import { type ActivationName, isBounded } from '../activations.js';
import { classIndex, classTargets } from '../classification.js';
import { BackpropError, ModelFormatError } from '../errors.js';
import { DataError } from './errors.js';
import { type ColumnProfile, parseCell, type TableProfile } from './profile.js';

/** How numeric input columns are scaled. */
export type Scaling = 'standard' | 'minmax' | 'none';

/** One input column: a number x fed as (x - offset) / scale, or a one-hot over categories. */
export type InputEncoding =
  | { column: string; kind: 'number'; offset: number; scale: number }
  | { column: string; kind: 'category'; categories: string[] };

/**
 * The target: class labels (one output per class, or one sigmoid output giving
 * P(classes[1]) when `binary`), or numbers d fed as (d - offset) / scale.
 */
export type TargetEncoding =
  | { kind: 'classes'; column: string; classes: string[]; binary: boolean }
  | { kind: 'numbers'; columns: string[]; offset: number[]; scale: number[] };

/** The full recipe from a CSV row to the network's inputs and targets. */
export interface Encoding {
  scaling: Scaling;
  inputs: InputEncoding[];
  target: TargetEncoding;
}

/** Number of network inputs an encoding produces (m_0). */
export function inputWidth(enc: Pick<Encoding, 'inputs'>): number {
  let n = 0;
  for (const c of enc.inputs) n += c.kind === 'number' ? 1 : c.categories.length;
  return n;
}

/** Number of network outputs the target needs (m_N). */
export function targetWidth(target: TargetEncoding): number {
  if (target.kind === 'numbers') return target.columns.length;
  return target.binary ? 1 : target.classes.length;
}

/** Names of the network's inputs: the column, or `column=category` for one-hot inputs. */
export function featureNames(enc: Pick<Encoding, 'inputs'>): string[] {
  return enc.inputs.flatMap((c) =>
    c.kind === 'number' ? [c.column] : c.categories.map((k) => `${c.column}=${k}`),
  );
}

/** Which columns are inputs and which are targets. */
export interface ColumnChoice {
  inputColumns: string[];
  targetColumns: string[];
}

/**
 * Picks the target columns (`--target a,b`) and the input columns: those given by
 * `inputs`, or every other column not in `ignore`.
 *
 * @throws DataError naming the file and the option when a column is missing.
 */
export function chooseColumns(
  header: readonly string[],
  file: string,
  options: { target: readonly string[]; inputs?: readonly string[]; ignore?: readonly string[] },
): ColumnChoice {
  const need = (name: string, option: string): void => {
    if (!header.includes(name)) {
      throw new DataError(
        { file },
        `${option} names column '${name}', which the header does not have; expected one of: ${header.join(', ')}`,
      );
    }
  };
  if (options.target.length === 0) throw new BackpropError('--target: expected at least one column name');
  for (const t of options.target) need(t, '--target');
  for (const c of options.inputs ?? []) need(c, '--inputs');
  for (const c of options.ignore ?? []) need(c, '--ignore');
  const targetColumns = [...options.target];
  const inputColumns = (options.inputs ?? header).filter(
    (c) => !targetColumns.includes(c) && !(options.ignore ?? []).includes(c),
  );
  if (inputColumns.length === 0) {
    throw new DataError({ file }, 'no input columns are left besides the target; expected at least one');
  }
  return { inputColumns, targetColumns };
}

/**
 * Throws a {@link DataError} unless every cell of the column is a finite number
 * (checked on its profile, naming the first bad cell).
 */
export function requireNumbers(p: ColumnProfile, file: string): void {
  const bad = [p.firstText, p.firstNonFinite, p.firstBlank]
    .filter((c) => c !== undefined)
    .sort((a, b) => a.line - b.line)[0];
  if (bad !== undefined) throw cellError(file, bad.line, p.name, bad.value);
}

function cellError(file: string, line: number, column: string, value: string): DataError {
  const x = parseCell(value);
  const found = value.trim() === '' ? 'an empty cell' : `'${value}'`;
  const what = x !== undefined && Number.isNaN(x) ? 'a finite number (no NaN or infinity)' : 'a number';
  return new DataError({ file, line, column }, `expected ${what}, found ${found}`);
}

/** What a target is: `auto` follows {@link chooseTask}. */
export type Task = 'auto' | 'classes' | 'numbers';

/** A whole-numbered target with at most this many distinct values (and fewer than half the rows) holds classes. */
export const MAX_CLASS_VALUES = 20;

/** What the target holds, and why, in words for the user. */
export interface TaskChoice {
  kind: 'classes' | 'numbers';
  reason: string;
}

/**
 * Decides whether the target holds classes or numbers. A single target column
 * holds classes when its values are not all numbers; or when they are whole
 * numbers with at most {@link MAX_CLASS_VALUES} distinct values, fewer than half
 * the rows (a `digit` or `label` column); or when the loss is a cross-entropy.
 * Otherwise, and for several target columns, numbers. `task` overrides the rule.
 */
export function chooseTask(
  targets: readonly ColumnProfile[],
  rows: number,
  task: Task = 'auto',
  loss?: string,
): TaskChoice {
  if (task !== 'auto') return { kind: task, reason: `--task ${task} was given` };
  if (targets.length > 1) return { kind: 'numbers', reason: 'several target columns are numbers' };
  const p = targets[0];
  if (p.kind === 'text') return { kind: 'classes', reason: 'its values are not all numbers' };
  if (classTargets(loss)) return { kind: 'classes', reason: `--loss ${loss} compares classes` };
  const values = p.sortedValues();
  if (values === undefined) return { kind: 'numbers', reason: 'it holds more than 1000 distinct numbers' };
  if (!values.every((v) => Number.isInteger(parseCell(v)))) {
    return { kind: 'numbers', reason: 'its values are numbers, not all whole' };
  }
  const n = values.length;
  if (n <= MAX_CLASS_VALUES && n * 2 < rows) {
    return {
      kind: 'classes',
      reason: `its ${n} distinct values are whole numbers, at most ${MAX_CLASS_VALUES} and fewer than half the ${rows} rows`,
    };
  }
  return {
    kind: 'numbers',
    reason: `its ${n} distinct whole numbers are ${n > MAX_CLASS_VALUES ? `more than ${MAX_CLASS_VALUES}` : `not fewer than half the ${rows} rows`}`,
  };
}

/** Options of {@link buildEncoding}. */
export interface EncodingOptions extends ColumnChoice {
  file: string;
  scaling: Scaling;
  /** `auto` follows {@link chooseTask}. */
  task?: Task;
  /** The loss the user asked for, if any. */
  loss?: string;
  /**
   * The output activation the network will have (default linear). Numeric targets
   * are scaled by `scaling` (predictions scaled back) only when it is unbounded:
   * a bounded output's range is the targets' own.
   */
  outputActivation?: ActivationName;
}

/**
 * Builds an {@link Encoding}. `all` profiles every row (column types, categories,
 * class labels come from it, so no split meets an unseen label); `fit` profiles
 * the training rows, whose statistics scale the data (the same object when there
 * is no split).
 *
 * @throws DataError naming file, line and column for a cell that is not a number
 *   in a numeric column, NaN or infinity, or a target that cannot be used.
 */
export function buildEncoding(all: TableProfile, fit: TableProfile, options: EncodingOptions): Encoding {
  const { file } = options;
  const inputs: InputEncoding[] = options.inputColumns.map((name) => {
    const p = all.get(name);
    if (p.kind === 'text') {
      const categories = p.sortedValues();
      if (categories === undefined) {
        throw new DataError(
          { file, column: name },
          `holds text with more than 1000 distinct values; expected numbers or a few categories (leave it out with --ignore ${name})`,
        );
      }
      return { column: name, kind: 'category', categories };
    }
    requireNumbers(p, file);
    const s = fit.get(name);
    return { column: name, kind: 'number', ...scaleOf(s, options.scaling) };
  });

  const targets = options.targetColumns.map((name) => all.get(name));
  const classes = chooseTask(targets, all.rows, options.task, options.loss).kind === 'classes';
  let target: TargetEncoding;
  if (classes) {
    if (targets.length !== 1) {
      throw new BackpropError(
        `--target: class labels come from one column, found ${targets.length} (${options.targetColumns.join(', ')})`,
      );
    }
    const p = targets[0];
    if (p.firstBlank !== undefined) {
      throw new DataError(
        { file, line: p.firstBlank.line, column: p.name },
        'expected a class label, found an empty cell',
      );
    }
    const labels = p.sortedValues();
    if (labels === undefined) {
      throw new DataError(
        { file, column: p.name },
        'has more than 1000 distinct class labels; expected a few classes',
      );
    }
    if (labels.length < 2) {
      throw new DataError(
        { file, column: p.name },
        `has only one class label ('${labels[0]}'); expected at least two`,
      );
    }
    // Two classes make one output (0 and 1) under binary cross-entropy or a given sigmoid output.
    const binary =
      labels.length === 2 &&
      (options.loss === 'binary-cross-entropy' || options.outputActivation === 'sigmoid');
    if (options.loss === 'binary-cross-entropy' && labels.length > 2) {
      throw new BackpropError(
        `--loss binary-cross-entropy: the target '${p.name}' has ${labels.length} classes; expected two (use cross-entropy for more)`,
      );
    }
    target = { kind: 'classes', column: p.name, classes: labels, binary };
  } else {
    for (const p of targets) requireNumbers(p, file);
    const offset: number[] = [];
    const scale: number[] = [];
    const scaling = isBounded(options.outputActivation ?? 'linear') ? 'none' : options.scaling;
    for (const name of options.targetColumns) {
      const st = scaleOf(fit.get(name), scaling);
      offset.push(st.offset);
      scale.push(st.scale);
    }
    target = { kind: 'numbers', columns: [...options.targetColumns], offset, scale };
  }
  return { scaling: options.scaling, inputs, target };
}

function scaleOf(p: ColumnProfile, scaling: Scaling): { offset: number; scale: number } {
  if (scaling === 'none' || p.numbers === 0) return { offset: 0, scale: 1 };
  if (scaling === 'minmax') {
    const range = p.max - p.min;
    return { offset: p.min, scale: range > 0 ? range : 1 };
  }
  const std = p.std;
  return { offset: p.mean, scale: std > 0 ? std : 1 };
}

/** Encodes raw rows into a preallocated row-major inputs / targets buffer. */
export interface RowEncoder {
  /** m_0: numbers written per row into `x`. */
  readonly inputs: number;
  /** m_N: numbers written per row into `d` (0 without targets). */
  readonly outputs: number;
  /**
   * Writes row `row` (fields in the header's order) at `x[xi..]` and, when the
   * encoder has targets, at `d[di..]`. Throws {@link DataError} for a bad cell.
   */
  encode(
    row: readonly string[],
    line: number,
    x: Float32Array | Float64Array,
    xi: number,
    d?: Float32Array | Float64Array,
    di?: number,
  ): void;
  /** Text values seen in input columns that the model did not know (encoded as all zeros). */
  readonly unknown: Map<string, string>;
}

/**
 * Makes a {@link RowEncoder} for a file with this header.
 *
 * @param withTargets - encode the target columns too (train, evaluate); predict does not.
 * @throws DataError naming the file and the missing column when the header lacks one the model needs.
 */
export function rowEncoder(
  enc: Encoding,
  header: readonly string[],
  file: string,
  withTargets: boolean,
): RowEncoder {
  const index = (name: string, what: string): number => {
    const j = header.indexOf(name);
    if (j < 0) {
      throw new DataError(
        { file, column: name },
        `is missing; the model expects ${what} '${name}' in the header`,
      );
    }
    return j;
  };
  const cols = enc.inputs.map((c) => index(c.column, 'the input column'));
  const catIndex = enc.inputs.map((c) =>
    c.kind === 'category' ? new Map(c.categories.map((k, i) => [k, i] as const)) : undefined,
  );
  const target = enc.target;
  const targetCols = !withTargets
    ? []
    : target.kind === 'classes'
      ? [index(target.column, 'the target column')]
      : target.columns.map((c) => index(c, 'the target column'));
  const classIndex =
    target.kind === 'classes' ? new Map(target.classes.map((k, i) => [k, i] as const)) : undefined;
  const unknown = new Map<string, string>();
  const number = (row: readonly string[], j: number, line: number): number => {
    const x = parseCell(row[j]);
    if (x === undefined || Number.isNaN(x)) throw cellError(file, line, header[j], row[j]);
    return x;
  };
  return {
    inputs: inputWidth(enc),
    outputs: withTargets ? targetWidth(target) : 0,
    unknown,
    encode(row, line, x, xi, d, di = 0) {
      for (let k = 0; k < cols.length; k++) {
        const c = enc.inputs[k];
        const j = cols[k];
        if (c.kind === 'number') {
          x[xi++] = (number(row, j, line) - c.offset) / c.scale;
        } else {
          const s = row[j].trim();
          const at = catIndex[k]!.get(s);
          for (let i = 0; i < c.categories.length; i++) x[xi + i] = i === at ? 1 : 0;
          if (at === undefined && !unknown.has(c.column)) unknown.set(c.column, `line ${line}: '${s}'`);
          xi += c.categories.length;
        }
      }
      if (!withTargets || d === undefined) return;
      if (target.kind === 'classes') {
        const s = row[targetCols[0]].trim();
        const at = classIndex!.get(s);
        if (at === undefined) {
          throw new DataError(
            { file, line, column: target.column },
            `expected one of the classes ${target.classes.map((k) => `'${k}'`).join(', ')}, found '${s}'`,
          );
        }
        if (target.binary) d[di] = at;
        else for (let i = 0; i < target.classes.length; i++) d[di + i] = i === at ? 1 : 0;
      } else {
        for (let k = 0; k < targetCols.length; k++) {
          d[di + k] = (number(row, targetCols[k], line) - target.offset[k]) / target.scale[k];
        }
      }
    },
  };
}

/** A network's output row read back in the data's terms. */
export type Decoded =
  | { kind: 'classes'; label: string; index: number; probabilities: number[] }
  | { kind: 'numbers'; values: number[] };

/**
 * Reads one output row y of the network: the most probable class and every
 * class's probability, or the numeric targets scaled back to the data's units.
 */
export function decodeOutput(target: TargetEncoding, y: ArrayLike<number>, offset = 0): Decoded {
  if (target.kind === 'classes') {
    const probabilities = target.binary
      ? [1 - y[offset], y[offset]]
      : Array.from({ length: target.classes.length }, (_, i) => y[offset + i]);
    const index = classIndex(y, offset, targetWidth(target));
    return { kind: 'classes', label: target.classes[index], index, probabilities };
  }
  return {
    kind: 'numbers',
    values: target.columns.map((_, k) => y[offset + k] * target.scale[k] + target.offset[k]),
  };
}

/**
 * Checks a JSON value read from a model file's metadata and returns it as an
 * {@link Encoding}.
 *
 * @throws ModelFormatError naming the field that is wrong.
 */
export function parseEncoding(json: unknown, field = 'meta.encoding'): Encoding {
  const obj = (v: unknown, f: string): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new ModelFormatError(f, 'expected an object');
    return v as Record<string, unknown>;
  };
  const str = (v: unknown, f: string): string => {
    if (typeof v !== 'string') throw new ModelFormatError(f, 'expected a string');
    return v;
  };
  const num = (v: unknown, f: string, positive = false): number => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ModelFormatError(f, 'expected a finite number');
    if (positive && !(v > 0)) throw new ModelFormatError(f, 'expected a positive number');
    return v;
  };
  const arr = (v: unknown, f: string): unknown[] => {
    if (!Array.isArray(v)) throw new ModelFormatError(f, 'expected an array');
    return v;
  };
  const o = obj(json, field);
  const scaling = str(o.scaling, `${field}.scaling`);
  if (scaling !== 'standard' && scaling !== 'minmax' && scaling !== 'none') {
    throw new ModelFormatError(`${field}.scaling`, `expected standard, minmax or none, found '${scaling}'`);
  }
  const inputs = arr(o.inputs, `${field}.inputs`).map((v, i): InputEncoding => {
    const f = `${field}.inputs[${i}]`;
    const c = obj(v, f);
    const column = str(c.column, `${f}.column`);
    if (c.kind === 'number') {
      return {
        column,
        kind: 'number',
        offset: num(c.offset, `${f}.offset`),
        scale: num(c.scale, `${f}.scale`, true),
      };
    }
    if (c.kind === 'category') {
      const categories = arr(c.categories, `${f}.categories`).map((k, j) => str(k, `${f}.categories[${j}]`));
      return { column, kind: 'category', categories };
    }
    throw new ModelFormatError(`${f}.kind`, 'expected number or category');
  });
  if (inputs.length === 0)
    throw new ModelFormatError(`${field}.inputs`, 'expected at least one input column');
  const t = obj(o.target, `${field}.target`);
  let target: TargetEncoding;
  if (t.kind === 'classes') {
    const classes = arr(t.classes, `${field}.target.classes`).map((k, j) =>
      str(k, `${field}.target.classes[${j}]`),
    );
    if (classes.length < 2)
      throw new ModelFormatError(`${field}.target.classes`, 'expected at least two classes');
    if (typeof t.binary !== 'boolean')
      throw new ModelFormatError(`${field}.target.binary`, 'expected true or false');
    if (t.binary && classes.length !== 2)
      throw new ModelFormatError(`${field}.target.binary`, 'expected two classes');
    target = { kind: 'classes', column: str(t.column, `${field}.target.column`), classes, binary: t.binary };
  } else if (t.kind === 'numbers') {
    const columns = arr(t.columns, `${field}.target.columns`).map((k, j) =>
      str(k, `${field}.target.columns[${j}]`),
    );
    const offset = arr(t.offset, `${field}.target.offset`).map((k, j) =>
      num(k, `${field}.target.offset[${j}]`),
    );
    const scale = arr(t.scale, `${field}.target.scale`).map((k, j) =>
      num(k, `${field}.target.scale[${j}]`, true),
    );
    if (columns.length === 0 || offset.length !== columns.length || scale.length !== columns.length) {
      throw new ModelFormatError(
        `${field}.target`,
        'expected columns, offset and scale of the same non-zero length',
      );
    }
    target = { kind: 'numbers', columns, offset, scale };
  } else {
    throw new ModelFormatError(`${field}.target.kind`, 'expected classes or numbers');
  }
  return { scaling, inputs, target };
}
