/**
 * The data of a `train` run streamed from its file, for files too large to hold.
 *
 * @module
 */

import { buildEncoding, chooseColumns, rowEncoder } from '../../data/encoding.js';
import { DataError } from '../../data/errors.js';
import { csvChunks } from '../../data/node/csv-stream.js';
import { TableProfile } from '../../data/profile.js';
import { streamPart } from '../../data/split.js';
import { floatArray, type ShapedArray } from '../../data/tensor.js';
import { BackpropError } from '../../errors.js';
import { Random } from '../../random.js';
import type { DataChunk } from '../../train/trainer.js';
import { encodeRows, runNetwork, Scorer, type Scores } from '../run-model.js';
import type { TrainArgs } from '../train.js';
import { type DataPlan, encodingOptions, type Prepared, SAMPLE_ROWS, taskOf } from './prepare.js';
import { prepareNumberStream } from './stream-numbers.js';

/** Validation rows kept in memory when streaming. */
export const STREAM_VALIDATION_ROWS = 10_000;

/**
 * Streams the file: a first pass profiles every row (column types, classes,
 * exact scaling statistics by Welford's formulas), then each epoch reads the file
 * again in chunks. Rows go to validation and test by a seeded hash of their
 * index; at most {@link STREAM_VALIDATION_ROWS} validation rows are kept.
 */
export async function prepareStream(file: string, args: TrainArgs, plan: DataPlan): Promise<Prepared> {
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
  const validationFraction = plan.validationSplit;
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
      const part = streamPart(index, args.seed, validationFraction, args.testSplit);
      if (part === 'validation' && validationRaw.rows.length < STREAM_VALIDATION_ROWS) {
        validationRaw.rows.push(chunk.rows[r]);
        validationRaw.lines.push(chunk.lines[r]);
      } else if (part === 'train') {
        trainRows++;
        if (args.report && sample.length < SAMPLE_ROWS) sample.push(chunk.rows[r]);
      } else if (part === 'test') testRows++;
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
  const m0 = encoder.inputs;
  const mN = encoder.outputs;
  const size = args.chunkSize;
  const stream = (epoch: number) => {
    const random = new Random((args.seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
    return (async function* (): AsyncGenerator<DataChunk> {
      const x = floatArray(plan.dtype, size * m0);
      const d = new Float64Array(size * mN);
      const order = new Uint32Array(size);
      let i = 0;
      for await (const chunk of csvChunks(file, size)) {
        let n = 0;
        for (let r = 0; r < chunk.rows.length; r++, i++) {
          if (streamPart(i, args.seed, validationFraction, args.testSplit) !== 'train') continue;
          order[n++] = r;
        }
        // Rows are shuffled within a chunk (seeded per epoch); the file's order between chunks stays.
        const idx = order.subarray(0, n);
        if (args.shuffle) random.shuffle(idx);
        for (let k = 0; k < n; k++) {
          encoder.encode(chunk.rows[idx[k]], chunk.lines[idx[k]], x, k * m0, d, k * mN);
        }
        if (n > 0) {
          yield {
            inputs: { data: x.subarray(0, n * m0), shape: [n, m0] } as ShapedArray,
            targets: { data: d.subarray(0, n * mN), shape: [n, mN] } as ShapedArray,
          };
        }
      }
    })();
  };
  return {
    encoding,
    rows: index,
    train: stream,
    trainRows,
    testRows,
    validation,
    streamed: true,
    sample: { columns: header, rows: sample },
    task: taskOf(profile, choice, args),
    finalScores: async (net, o) => {
      const scorers = { train: new Scorer(encoding.target), test: new Scorer(encoding.target) };
      let i = 0;
      for await (const chunk of csvChunks(file, size)) {
        const parts = chunk.rows.map(() => streamPart(i++, args.seed, validationFraction, args.testSplit));
        for (const part of ['train', 'test'] as const) {
          const idx = parts.flatMap((p, r) => (p === part ? [r] : []));
          if (idx.length === 0) continue;
          const enc = encodeRows(encoder, chunk.rows, chunk.lines, idx, net.dtype);
          const { outputs, lossSum } = runNetwork(net, enc.x, enc.d, o.loss as never);
          scorers[part].add(outputs, enc.d!.data, net.outputs, enc.rows, lossSum);
        }
      }
      const result: Record<string, Scores> = { train: scorers.train.result(o.reduction) };
      if (testRows > 0) result.test = scorers.test.result(o.reduction);
      return result;
    },
  };
}
