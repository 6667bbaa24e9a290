/**
 * A streamed `train` run over a file of plain numbers, read as numbers: the
 * same passes, splits, shuffles and encoded rows as the text stream of
 * stream.ts, to the bit, without a string per cell.
 *
 * @module
 */

import { NotNumeric, type NumericTable } from '../../data/csv-numeric.js';
import { buildEncoding, chooseColumns, type Encoding } from '../../data/encoding.js';
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
import type { TrainArgs } from '../train.js';
import { type DataPlan, encodingOptions, type Prepared, SAMPLE_ROWS, taskOf } from './prepare.js';
import { epochChunks, type Pass, type PassChunk, partOf, passScores } from './stream-pass.js';

/** A pass over a file already read once as numbers; one that is not plain numbers now has changed. */
async function* numberPass(file: string, size: number, encoding: Encoding): AsyncGenerator<PassChunk> {
  for await (const table of numericCsvChunks(file, size, true)) {
    if (table instanceof NotNumeric) {
      throw new DataError(
        { file, line: table.line },
        'the file changed while training; expected it to stay as it was read',
      );
    }
    yield {
      rows: table.rows,
      // The first pass checked every label against the classes: the encoding cannot miss one.
      encode: (indices, dtype, into) => encodeNumbers(table, encoding, dtype, { indices, into })!,
    };
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
  const part = partOf(args, plan.validationSplit);
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
      profiler = new NumberProfiler(columns, targetColumns);
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
  const pass: Pass = () => numberPass(file, size, encoding);
  return {
    encoding,
    rows: index,
    train: (epoch) => epochChunks(pass, encoding, plan.dtype, args, part, epoch),
    trainRows,
    testRows,
    validation: validationCount > 0 ? encodeNumbers(held, encoding, plan.dtype) : undefined,
    streamed: true,
    sample: { columns, rows: sample },
    task: taskOf(profile, choice, args),
    finalScores: passScores(pass, encoding, part, testRows),
  };
}
