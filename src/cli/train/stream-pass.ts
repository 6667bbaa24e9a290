/**
 * What a streamed `train` run does with each pass over its file, whichever
 * reader gives the chunks (rows of text, or numbers): an epoch's training rows
 * shuffled within each chunk, and the scores of the training and test rows at
 * the end. Rows go to the parts by `streamPart` of their index in the file.
 *
 * @module
 */

import type { DType } from '../../backend/backend.js';
import { type Encoding, inputWidth, targetWidth } from '../../data/encoding.js';
import { streamPart } from '../../data/split.js';
import { floatArray } from '../../data/tensor.js';
import { Random } from '../../random.js';
import type { DataChunk } from '../../train/trainer.js';
import { type Encoded, runNetwork, Scorer, type Scores } from '../run-model.js';
import type { TrainArgs } from '../train.js';
import type { Prepared } from './prepare.js';

/** Arrays to encode into, from their start. */
export interface Into {
  x: Float32Array | Float64Array;
  d: Float64Array;
}

/** One chunk of a pass: its number of rows, and its rows at `indices` encoded in `dtype` (into `into` when given). */
export interface PassChunk {
  rows: number;
  encode(indices: Uint32Array, dtype: DType, into?: Into): Encoded;
}

/** A fresh pass over the file, in chunks of `args.chunkSize` rows. */
export type Pass = () => AsyncIterable<PassChunk>;

/** The part of the file row `index` belongs to in this run. */
export function partOf(
  args: TrainArgs,
  validationSplit: number,
): (index: number) => ReturnType<typeof streamPart> {
  return (index) => streamPart(index, args.seed, validationSplit, args.testSplit);
}

/**
 * The training rows of epoch `epoch` (0-based; it seeds the shuffle), shuffled
 * within each chunk (the file's order between chunks stays), encoded into
 * arrays reused from chunk to chunk.
 */
export async function* epochChunks(
  pass: Pass,
  encoding: Encoding,
  dtype: DType,
  args: TrainArgs,
  part: (index: number) => string,
  epoch: number,
): AsyncGenerator<DataChunk> {
  const random = new Random((args.seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
  const size = args.chunkSize;
  const into = {
    x: floatArray(dtype, size * inputWidth(encoding)),
    d: new Float64Array(size * targetWidth(encoding.target)),
  };
  const order = new Uint32Array(size);
  let i = 0;
  for await (const chunk of pass()) {
    let n = 0;
    for (let r = 0; r < chunk.rows; r++, i++) if (part(i) === 'train') order[n++] = r;
    const indices = order.subarray(0, n);
    if (args.shuffle) random.shuffle(indices);
    if (n === 0) continue;
    const enc = chunk.encode(indices, dtype, into);
    yield { inputs: enc.x, targets: enc.d! };
  }
}

/** The scores of the training rows, and of the test rows when there are any, after training. */
export function passScores(
  pass: Pass,
  encoding: Encoding,
  part: (index: number) => string,
  testRows: number,
): Prepared['finalScores'] {
  return async (net, o) => {
    const scorers = { train: new Scorer(encoding.target), test: new Scorer(encoding.target) };
    let i = 0;
    for await (const chunk of pass()) {
      const parts = Array.from({ length: chunk.rows }, () => part(i++));
      for (const which of ['train', 'test'] as const) {
        const indices = Uint32Array.from(parts.flatMap((p, r) => (p === which ? [r] : [])));
        if (indices.length === 0) continue;
        const enc = chunk.encode(indices, net.dtype);
        const { outputs, lossSum } = runNetwork(net, enc.x, enc.d, o.loss as never);
        scorers[which].add(outputs, enc.d!.data, net.outputs, enc.rows, lossSum);
      }
    }
    const result: Record<string, Scores> = { train: scorers.train.result(o.reduction) };
    if (testRows > 0) result.test = scorers.test.result(o.reduction);
    return result;
  };
}
