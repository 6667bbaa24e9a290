/**
 * The data of a `train` run held in memory: exact stratified splits, scaling
 * statistics from the training rows.
 *
 * @module
 */

import type { ActivationName } from '../../activations.js';
import type { Backend, DType, Matrix } from '../../backend/backend.js';
import { getBackend } from '../../backend/index.js';
import type { NumericTable } from '../../data/csv-numeric.js';
import type { Table } from '../../data/csv-records.js';
import {
  buildEncoding,
  type ColumnChoice,
  chooseColumns,
  chooseTask,
  type Encoding,
  type EncodingOptions,
  rowEncoder,
  type TaskChoice,
} from '../../data/encoding.js';
import { readCsvFile } from '../../data/node/csv-stream.js';
import {
  encodeNumbers,
  encodesFromNumbers,
  groupsOf,
  numericView,
  profileNumbers,
  rowsAsText,
} from '../../data/numeric-table.js';
import { profileRows, type TableProfile } from '../../data/profile.js';
import { splitRows } from '../../data/split.js';
import type { Reduction } from '../../losses.js';
import type { Network } from '../../network.js';
import { Random } from '../../random.js';
import type { DataChunk, TrainOptions } from '../../train/trainer.js';
import { type Encoded, type EncodedRows, encodeRows, type Scores, scoreEncoded } from '../run-model.js';
import type { TrainArgs } from '../train.js';
import { checkWeightColumn, weightsOf } from './weights.js';

/** Raw rows kept for the pictures of a report. */
export const SAMPLE_ROWS = 3000;

/** The parts of a run that the final steps need, for in-memory and streamed data alike. */
export interface Prepared {
  encoding: Encoding;
  rows: number;
  /** In-memory rows, or a stream of chunks for epoch `epoch` (0-based; it seeds the shuffle). */
  train: EncodedRows | ((epoch: number) => AsyncIterable<DataChunk>);
  trainRows: number;
  /** Rows held out for testing (scored at the end). */
  testRows: number;
  validation?: Encoded;
  test?: Encoded;
  /** `--sample-weight`: the weight of each training row, and of each validation row. */
  weights?: { train: Float64Array; validation?: Float64Array };
  /** Scores of the training rows (and of test rows, streamed) after training. */
  finalScores: (
    net: Network,
    options: TrainOptions & { loss: string; reduction: Reduction },
  ) => Promise<Record<string, Scores>>;
  /** Up to {@link SAMPLE_ROWS} raw rows for the report's pictures (none without --report). */
  sample: { columns: string[]; rows: string[][] };
  streamed: boolean;
  /** Whether the target holds classes or numbers, and why. */
  task: TaskChoice;
  /** Gives back the backend memory the training rows were read into, once they are no longer used. */
  release?: () => void;
}

/** Backend memory a file's numbers are read into, once the reader asks for it (see prepareFile). */
interface Store {
  backend: Backend;
  matrix?: Matrix;
}

/** What the command decided before reading the data. */
export interface DataPlan {
  /** Fraction of the rows held out for validation. */
  validationSplit: number;
  /** The output activation when known (given, or from --init/--resume): it decides whether targets are scaled. */
  outputActivation?: ActivationName;
  /** The precision the network trains in: inputs are encoded in it. */
  dtype: DType;
}

/** The encoding options of a run. */
export function encodingOptions(
  args: TrainArgs,
  plan: DataPlan,
  file: string,
  choice: ColumnChoice,
): EncodingOptions {
  return {
    ...choice,
    file,
    scaling: args.scale,
    task: args.task,
    loss: args.loss,
    outputActivation: plan.outputActivation,
  };
}

/** The task chosen for the target columns of `profile`. */
export function taskOf(profile: TableProfile, choice: ColumnChoice, args: TrainArgs): TaskChoice {
  return chooseTask(
    choice.targetColumns.map((c) => profile.get(c)),
    profile.rows,
    args.task,
    args.loss,
  );
}

/**
 * Reads the file and prepares it ({@link prepareTable}). The parsed table lives
 * only in this call: held in the caller's suspended async frame, it would stay
 * in memory through training.
 *
 * A file of plain numbers for a float32 network is read straight into the
 * backend's memory, and its training rows are encoded over themselves there:
 * the trainer then reads them in place, with no copy of the data's size and no
 * second array of it to touch for the first time (the dearest part of a copy).
 */
export async function prepareFile(path: string, args: TrainArgs, plan: DataPlan): Promise<Prepared> {
  const backend = getBackend();
  const store: Store | undefined = plan.dtype === 'float32' && backend.view ? { backend } : undefined;
  const allocate = store
    ? (length: number) => (store.matrix = backend.matrix(1, length, 'float32')).data as Float32Array
    : undefined;
  return prepareTable(await readCsvFile(path, { allocate }), args, plan, store);
}

/**
 * The training rows as a view of the store's matrix when they were encoded
 * over the numbers read into it; else the rows as they are, and the store's
 * memory is given back.
 */
function inStore(train: Encoded, store: Store): EncodedRows {
  const { backend, matrix } = store;
  if (!matrix) return train;
  const { data, shape } = train.x;
  const own = matrix.data;
  if (data instanceof Float32Array && data.buffer === own.buffer && data.byteOffset === own.byteOffset) {
    return { ...train, x: backend.view!(matrix, shape[0], shape[1]) };
  }
  backend.free(matrix);
  store.matrix = undefined;
  return train;
}

/** Reads the whole file: exact stratified splits, scaling statistics from the training rows. */
export function prepareTable(table: Table, args: TrainArgs, plan: DataPlan, store?: Store): Prepared {
  const { file, columns } = table;
  const weightColumn = args.sampleWeight
    ? checkWeightColumn(args.sampleWeight, columns, args.target, file)
    : -1;
  const choice = chooseColumns(columns, file, {
    target: args.target,
    inputs: args.inputs,
    // The weight column is no input.
    ignore: args.sampleWeight ? [...(args.ignore ?? []), args.sampleWeight] : args.ignore,
  });
  // A file of plain numbers is profiled and encoded from its numbers, with no string per cell.
  const numbers = numericView(table, choice.targetColumns, { task: args.task, loss: args.loss });
  const rows = numbers ? [] : table.rows;
  const lines = numbers ? [] : table.lines;
  const n = numbers ? numbers.rows : rows.length;
  // From numbers, distinct values only of the targets: all a numeric input needs is its statistics.
  const all = numbers
    ? profileNumbers(numbers, undefined, choice.targetColumns)
    : profileRows(columns, rows, lines);
  const options = encodingOptions(args, plan, file, choice);
  // First the target alone (for stratifying), then the scaling from the training rows.
  const draft = buildEncoding(all, all, options);
  let groups: Uint32Array | undefined;
  if (draft.target.kind === 'classes') {
    const col = columns.indexOf(draft.target.column);
    const index = new Map(draft.target.classes.map((k, i) => [k, i] as const));
    groups = numbers
      ? groupsOf(numbers, col, index)
      : Uint32Array.from(rows, (r) => index.get(r[col].trim()) ?? 0);
  }
  const split = splitRows(n, {
    validation: plan.validationSplit,
    test: args.testSplit,
    seed: args.seed,
    groups,
  });
  const fit =
    split.validation.length + split.test.length > 0
      ? numbers
        ? profileNumbers(numbers, split.train, choice.targetColumns)
        : profileRows(columns, rows, lines, split.train)
      : all;
  const encoding = buildEncoding(all, fit, options);
  const encoder = rowEncoder(encoding, columns, file, true);
  // The labels were listed from these very rows: encoding them from their numbers cannot miss one.
  const fromNumbers = numbers && encodesFromNumbers(numbers, encoding, true) ? numbers : undefined;
  const encode = (indices: Uint32Array, inPlace = false): Encoded =>
    fromNumbers
      ? encodeNumbers(fromNumbers, encoding, plan.dtype, { indices, inPlace })!
      : encodeRows(encoder, table.rows, table.lines, indices, plan.dtype);
  const validation = split.validation.length > 0 ? encode(split.validation) : undefined;
  const test = split.test.length > 0 ? encode(split.test) : undefined;
  let weights: Prepared['weights'];
  if (weightColumn >= 0) {
    const width = columns.length;
    const value = numbers
      ? (i: number) => numbers.values[i * width + weightColumn]
      : (i: number) => rows[i][weightColumn];
    const line = numbers ? (i: number) => numbers.lines[i] : (i: number) => lines[i];
    const read = (idx: Uint32Array) => weightsOf(idx, value, line, file, columns[weightColumn]);
    weights = {
      train: read(split.train),
      validation: split.validation.length > 0 ? read(split.validation) : undefined,
    };
  }
  const sample = { columns, rows: args.report ? sampleRows(numbers, rows, args.seed) : [] };
  // Last, since the numbers' table is spent by it: the training rows are encoded over it.
  const encoded = encode(split.train, true);
  const train = store ? inStore(encoded, store) : encoded;
  return {
    encoding,
    rows: n,
    train,
    trainRows: train.rows,
    testRows: test?.rows ?? 0,
    validation,
    test,
    weights,
    streamed: false,
    sample,
    task: taskOf(all, choice, args),
    finalScores: trainScores(encoding, train),
    release: () => {
      if (store?.matrix) store.backend.free(store.matrix);
      if (store) store.matrix = undefined;
    },
  };
}

/**
 * The scores on the training rows at the end, in a closure of its own: one
 * made inside {@link prepareTable} would share its scope and so keep the whole
 * parsed table alive through training.
 */
function trainScores(encoding: Encoding, train: EncodedRows): Prepared['finalScores'] {
  return async (net, o) => ({
    train: scoreEncoded(net, encoding, train, o.loss as never, o.reduction),
  });
}

/** Up to {@link SAMPLE_ROWS} rows as text, drawn with the run's seed, for the report's pictures. */
function sampleRows(numbers: NumericTable | undefined, rows: string[][], seed: number): string[][] {
  const n = numbers ? numbers.rows : rows.length;
  let idx = Uint32Array.from({ length: n }, (_, i) => i);
  if (n > SAMPLE_ROWS) idx = new Random(seed ^ 0x51a7).shuffle(idx).slice(0, SAMPLE_ROWS).sort();
  return numbers ? rowsAsText(numbers, idx) : Array.from(idx, (i) => rows[i]);
}
