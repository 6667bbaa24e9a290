/**
 * The data of a `train` run held in memory: exact stratified splits, scaling
 * statistics from the training rows.
 *
 * @module
 */

import type { Table } from '../../data/csv.js';
import { buildEncoding, chooseColumns, type Encoding, rowEncoder } from '../../data/encoding.js';
import { profileRows, type TableProfile } from '../../data/profile.js';
import { splitRows } from '../../data/split.js';
import type { Reduction } from '../../losses.js';
import type { Network } from '../../network.js';
import { Random } from '../../random.js';
import type { DataChunk, TrainOptions } from '../../train/trainer.js';
import { type Encoded, encodeRows, type Scores, scoreEncoded } from '../run-model.js';
import type { TrainArgs } from '../train.js';

/** The parts of a run that the final steps need, for in-memory and streamed data alike. */
export interface Prepared {
  encoding: Encoding;
  rows: number;
  /** In-memory rows, or a stream of chunks for epoch `epoch` (0-based; it seeds the shuffle). */
  train: Encoded | ((epoch: number) => AsyncIterable<DataChunk>);
  trainRows: number;
  /** Rows held out for testing (scored at the end). */
  testRows: number;
  validation?: Encoded;
  test?: Encoded;
  /** Scores of the training rows (and of test rows, streamed) after training. */
  finalScores: (
    net: Network,
    options: TrainOptions & { loss: string; reduction: Reduction },
  ) => Promise<Record<string, Scores>>;
  /** Up to a few thousand raw rows for pictures. */
  sample: { columns: string[]; rows: string[][] };
  streamed: boolean;
}

/** Reads the whole file: exact stratified splits, scaling statistics from the training rows. */
export function prepareTable(table: Table, args: TrainArgs): Prepared & { classHint?: string } {
  const { file, columns, rows, lines } = table;
  const choice = chooseColumns(columns, file, {
    target: args.target,
    inputs: args.inputs,
    ignore: args.ignore,
  });
  const all = profileRows(columns, rows, lines);
  const options = {
    ...choice,
    file,
    scaling: args.scale,
    task: args.task,
    loss: args.loss,
    scaleTargets: args.targetScale === 'standard',
  };
  // First the target alone (for stratifying), then the scaling from the training rows.
  const draft = buildEncoding(all, all, options);
  let groups: Uint32Array | undefined;
  if (draft.target.kind === 'classes') {
    const col = columns.indexOf(draft.target.column);
    const index = new Map(draft.target.classes.map((k, i) => [k, i] as const));
    groups = Uint32Array.from(rows, (r) => index.get(r[col].trim()) ?? 0);
  }
  // SPEC section 6: --validation-split defaults to 0, whatever the target.
  const validationFraction = args.validationSplit ?? 0;
  const split = splitRows(rows.length, {
    validation: validationFraction,
    test: args.testSplit,
    seed: args.seed,
    groups,
  });
  const fit =
    split.validation.length + split.test.length > 0 ? profileRows(columns, rows, lines, split.train) : all;
  const encoding = buildEncoding(all, fit, options);
  const encoder = rowEncoder(encoding, columns, file, true);
  const train = encodeRows(encoder, rows, lines, split.train);
  const validation =
    split.validation.length > 0 ? encodeRows(encoder, rows, lines, split.validation) : undefined;
  const test = split.test.length > 0 ? encodeRows(encoder, rows, lines, split.test) : undefined;
  const sampleIdx = sampleIndices(rows.length, 3000, args.seed);
  return {
    encoding,
    rows: rows.length,
    train,
    trainRows: train.rows,
    testRows: test?.rows ?? 0,
    validation,
    test,
    streamed: false,
    sample: { columns, rows: Array.from(sampleIdx, (i) => rows[i]) },
    classHint: classHint(all, encoding),
    finalScores: async (net, o) => ({
      train: scoreEncoded(net, encoding, train, o.loss as never, o.reduction),
    }),
  };
}

export function classHint(all: TableProfile, encoding: Encoding): string | undefined {
  if (encoding.target.kind !== 'numbers') return undefined;
  const p = all.get(encoding.target.columns[0]);
  const values = p.sortedValues();
  if (values && values.length <= 50 && values.every((v) => Number.isInteger(Number(v)))) {
    return (
      `note: target '${p.name}' holds numbers, so it is fitted as a number (linear output, mse); ` +
      `give --task classes or --loss cross-entropy to treat its ${values.length} distinct values as classes`
    );
  }
  return undefined;
}

function sampleIndices(n: number, k: number, seed: number): Uint32Array {
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  if (n <= k) return all;
  return new Random(seed ^ 0x51a7).shuffle(all).slice(0, k).sort();
}
