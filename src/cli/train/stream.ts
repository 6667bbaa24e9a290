/**
 * The data of a `train` run streamed from its file, for files too large to hold.
 *
 * @module
 */

import { buildEncoding, chooseColumns, type RowEncoder, rowEncoder } from '../../data/encoding.js';
import { DataError } from '../../data/errors.js';
import { csvChunks, isRegularFile } from '../../data/node/csv-stream.js';
import { TableProfile } from '../../data/profile.js';
import { BackpropError } from '../../errors.js';
import { encodeRows } from '../run-model.js';
import type { TrainArgs } from '../train.js';
import { type DataPlan, encodingOptions, type Prepared, SAMPLE_ROWS, taskOf } from './prepare.js';
import { prepareNumberStream } from './stream-numbers.js';
import { epochChunks, type Pass, type PassChunk, partOf, passScores } from './stream-pass.js';

/** Validation rows kept in memory when streaming. */
export const STREAM_VALIDATION_ROWS = 10_000;

/**
 * Streams the file: a first pass profiles every row (column types, classes,
 * exact scaling statistics by Welford's formulas), then each epoch reads the file
 * again in chunks. Rows go to validation and test by a seeded hash of their
 * index; at most {@link STREAM_VALIDATION_ROWS} validation rows are kept.
 */
export async function prepareStream(file: string, args: TrainArgs, plan: DataPlan): Promise<Prepared> {
  if (!(await isRegularFile(file))) {
    throw new DataError(
      { file },
      '--stream reads the file again at every epoch, and this is a pipe, which can be read once; expected a file (or leave out --stream)',
    );
  }
  const numbers = await prepareNumberStream(file, args, plan, noTrainingRows, STREAM_VALIDATION_ROWS);
  return numbers ?? prepareTextStream(file, args, plan);
}

function noTrainingRows(): Error {
  return new BackpropError(
    'the splits leave no training rows; expected smaller --validation-split/--test-split',
  );
}

/** The stream read as rows of text, with the general reader's checks. */
async function prepareTextStream(file: string, args: TrainArgs, plan: DataPlan): Promise<Prepared> {
  let profile: TableProfile | undefined;
  let header: string[] = [];
  let index = 0;
  const part = partOf(args, plan.validationSplit);
  const validationRaw: { rows: string[][]; lines: number[] } = { rows: [], lines: [] };
  const sample: string[][] = [];
  let trainRows = 0;
  let testRows = 0;
  for await (const chunk of csvChunks(file, args.chunkSize)) {
    if (!profile) {
      header = chunk.columns;
      chooseColumns(header, file, { target: args.target, inputs: args.inputs, ignore: args.ignore });
      profile = new TableProfile(header);
    }
    for (let r = 0; r < chunk.rows.length; r++, index++) {
      profile.add(chunk.rows[r], chunk.lines[r]);
      const p = part(index);
      if (p === 'validation' && validationRaw.rows.length < STREAM_VALIDATION_ROWS) {
        validationRaw.rows.push(chunk.rows[r]);
        validationRaw.lines.push(chunk.lines[r]);
      } else if (p === 'train') {
        trainRows++;
        if (args.report && sample.length < SAMPLE_ROWS) sample.push(chunk.rows[r]);
      } else if (p === 'test') testRows++;
    }
  }
  if (!profile) throw new DataError({ file }, 'the file is empty; expected a header line of column names');
  const choice = chooseColumns(header, file, {
    target: args.target,
    inputs: args.inputs,
    ignore: args.ignore,
  });
  const encoding = buildEncoding(profile, profile, encodingOptions(args, plan, file, choice));
  if (trainRows === 0) throw noTrainingRows();
  const encoder = rowEncoder(encoding, header, file, true);
  const validation =
    validationRaw.rows.length > 0
      ? encodeRows(encoder, validationRaw.rows, validationRaw.lines, undefined, plan.dtype)
      : undefined;
  const pass: Pass = () => textPass(file, args.chunkSize, encoder);
  return {
    encoding,
    rows: index,
    train: (epoch) => epochChunks(pass, encoding, plan.dtype, args, part, epoch),
    trainRows,
    testRows,
    validation,
    streamed: true,
    sample: { columns: header, rows: sample },
    task: taskOf(profile, choice, args),
    finalScores: passScores(pass, encoding, part, testRows),
  };
}

/** A pass over the file as rows of text, each chunk encoded by the row encoder. */
async function* textPass(file: string, size: number, encoder: RowEncoder): AsyncGenerator<PassChunk> {
  for await (const chunk of csvChunks(file, size)) {
    yield {
      rows: chunk.rows.length,
      encode: (indices, dtype, into) => encodeRows(encoder, chunk.rows, chunk.lines, indices, dtype, into),
    };
  }
}
