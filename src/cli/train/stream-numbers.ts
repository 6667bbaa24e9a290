/**
 * A streamed `train` run over a file of plain numbers, read as numbers: the
 * same passes, splits, shuffles and encoded rows as the text stream of
 * stream.ts, to the bit, without a string per cell.
 *
 * @module
 */

import { NotNumeric, type NumericTable } from '../../data/csv-numeric.js';
import { buildEncoding, chooseColumns, type Encoding, inputWidth, targetWidth } from '../../data/encoding.js';
import { DataError } from '../../data/errors.js';
import { numericCsvChunks } from '../../data/node/csv-stream.js';
import {
  encodeNumbers,
  encodesFromNumbers,
  NumberProfiler,
  notWhole,
  rowsAsText,
  targetsAreNumbers,
} from '../../data/numeric-table.js';
import { streamPart } from '../../data/split.js';
import { floatArray } from '../../data/tensor.js';
import { Random } from '../../random.js';
import type { DataChunk } from '../../train/trainer.js';
import { runNetwork, Scorer, type Scores } from '../run-model.js';
import type { TrainArgs } from '../train.js';
import { type DataPlan, encodingOptions, type Prepared, SAMPLE_ROWS, taskOf } from './prepare.js';

/** The chunks of a file already read once as numbers; a later pass that is not means the file changed. */
async function* numbers(file: string, size: number): AsyncGenerator<NumericTable> {
  for await (const part of numericCsvChunks(file, size, true)) {
    if (part instanceof NotNumeric) {
      throw new DataError(
        { file, line: part.line },
        'the file changed while training; expected it to stay as it was read',
      );
    }
    yield part;
  }
}

/**
 * Prepares a streamed run from the file's numbers, or undefined when they
 * cannot stand for its text (a cell that is not a plain number, a target
 * column not spelled as numbers print): the text stream reads it then. The
 * first pass stops at the first such cell.
 */
export async function prepareNumberStream(
  file: string,
  args: TrainArgs,
  plan: DataPlan,
  noTrainingRows: () => Error,
  validationRows: number,
): Promise<Prepared | undefined> {
  const size = args.chunkSize;
  const part = (i: number) => streamPart(i, args.seed, plan.validationSplit, args.testSplit);
  let profiler: NumberProfiler | undefined;
  let columns: string[] = [];
  let targetColumns: string[] = [];
  let targets: number[] = [];
  let someNotWhole = false;
  const options = { task: args.task, loss: args.loss };
  const spelled = (canonical: Uint8Array) => targets.every((t) => canonical[t] === 1);
  let canonical: Uint8Array = new Uint8Array(0);
  let index = 0;
  let trainRows = 0;
  let testRows = 0;
  // Validation rows are copied out of the chunks (whose arrays the next chunk reuses).
  let validation = new Float64Array(0);
  let validationCount = 0;
  const sample: string[][] = [];
  for await (const table of numericCsvChunks(file, size, true)) {
    if (table instanceof NotNumeric) return undefined;
    if (!profiler) {
      columns = table.columns;
      const choice = chooseColumns(columns, file, {
        target: args.target,
        inputs: args.inputs,
        ignore: args.ignore,
      });
      targetColumns = choice.targetColumns;
      targets = targetColumns.map((c) => columns.indexOf(c));
      profiler = new NumberProfiler(columns);
      validation = new Float64Array(Math.min(validationRows, 1024) * columns.length);
    }
    canonical = table.canonical;
    if (targets.length === 1 && !someNotWhole) someNotWhole = notWhole(table, columns[targets[0]]);
    // Targets that must be classes need their labels spelled as numbers print: stop at the first other spelling.
    if (!spelled(canonical) && !targetsAreNumbers(targetColumns, options, () => true)) return undefined;
    profiler.add(table);
    const cols = columns.length;
    for (let r = 0; r < table.rows; r++, index++) {
      const p = part(index);
      if (p === 'validation' && validationCount < validationRows) {
        if ((validationCount + 1) * cols > validation.length) {
          const grown = new Float64Array(Math.min(validationRows, validationCount * 2) * cols);
          grown.set(validation);
          validation = grown;
        }
        validation.set(table.values.subarray(r * cols, (r + 1) * cols), validationCount * cols);
        validationCount++;
      } else if (p === 'train') {
        trainRows++;
        if (args.report && sample.length < SAMPLE_ROWS) sample.push(rowsAsText(table, [r])[0]);
      } else if (p === 'test') testRows++;
    }
  }
  if (!profiler) return undefined;
  // Numbers however spelled, or labels spelled as numbers print (see numericView).
  if (!spelled(canonical) && !targetsAreNumbers(targetColumns, options, () => someNotWhole)) return undefined;
  const profile = profiler.profile();
  const choice = chooseColumns(columns, file, {
    target: args.target,
    inputs: args.inputs,
    ignore: args.ignore,
  });
  const encoding = buildEncoding(profile, profile, encodingOptions(args, plan, file, choice));
  if (!encodesFromNumbers({ columns, canonical }, encoding, true)) return undefined;
  if (trainRows === 0) throw noTrainingRows();
  const held: NumericTable = {
    file,
    columns,
    canonical,
    rows: validationCount,
    values: validation.subarray(0, validationCount * columns.length),
    lines: new Uint32Array(validationCount),
  };
  return {
    encoding,
    rows: index,
    train: (epoch) => epochChunks(file, size, encoding, plan, args, epoch, part),
    trainRows,
    testRows,
    validation: validationCount > 0 ? encodeNumbers(held, encoding, plan.dtype) : undefined,
    streamed: true,
    sample: { columns, rows: sample },
    task: taskOf(profile, choice, args),
    finalScores: async (net, o) => {
      const scorers = { train: new Scorer(encoding.target), test: new Scorer(encoding.target) };
      let i = 0;
      for await (const table of numbers(file, size)) {
        const parts = Array.from({ length: table.rows }, () => part(i++));
        for (const which of ['train', 'test'] as const) {
          const indices = parts.flatMap((p, r) => (p === which ? [r] : []));
          if (indices.length === 0) continue;
          const enc = encodeNumbers(table, encoding, net.dtype, { indices })!;
          const { outputs, lossSum } = runNetwork(net, enc.x, enc.d, o.loss as never);
          scorers[which].add(outputs, enc.d!.data, net.outputs, enc.rows, lossSum);
        }
      }
      const result: Record<string, Scores> = { train: scorers.train.result(o.reduction) };
      if (testRows > 0) result.test = scorers.test.result(o.reduction);
      return result;
    },
  };
}

/** One epoch's training rows: shuffled within each chunk (seeded per epoch), encoded into reused arrays. */
async function* epochChunks(
  file: string,
  size: number,
  encoding: Encoding,
  plan: DataPlan,
  args: TrainArgs,
  epoch: number,
  part: (i: number) => string,
): AsyncGenerator<DataChunk> {
  const random = new Random((args.seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
  const m0 = inputWidth(encoding);
  const mN = targetWidth(encoding.target);
  const into = { x: floatArray(plan.dtype, size * m0), d: new Float64Array(size * mN) };
  const order = new Uint32Array(size);
  let i = 0;
  for await (const table of numbers(file, size)) {
    let n = 0;
    for (let r = 0; r < table.rows; r++, i++) if (part(i) === 'train') order[n++] = r;
    const indices = order.subarray(0, n);
    if (args.shuffle) random.shuffle(indices);
    if (n === 0) continue;
    const enc = encodeNumbers(table, encoding, plan.dtype, { indices, into })!;
    yield { inputs: enc.x, targets: enc.d! };
  }
}
