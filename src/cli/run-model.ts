/**
 * Running a network over encoded rows and scoring it in the data's terms, for
 * `train` (its final scores), `evaluate` and `predict`.
 *
 * @module
 */

import type { DType, LossName, Matrix } from '../backend/backend.js';
import { classIndex } from '../classification.js';
import { NotNumeric } from '../data/csv-numeric.js';
import {
  decodeOutput,
  type Encoding,
  type RowEncoder,
  rowEncoder,
  type TargetEncoding,
} from '../data/encoding.js';
import { ClassScorer, type ClassScores, NumberScorer, type NumberScores } from '../data/metrics.js';
import { csvChunks, isRegularFile, numericCsvChunks } from '../data/node/csv-stream.js';
import { encodeNumbers, encodesFromNumbers } from '../data/numeric-table.js';
import { floatArray, matrixOf, type ShapedArray, toMatrix } from '../data/tensor.js';
import { defaultLoss, type LossSpec, type Reduction, resolveLoss } from '../losses.js';
import type { Network } from '../network.js';
import { FORWARD_CHUNK, forwardInChunks } from '../propagation.js';

/**
 * Encoded rows: inputs x (n x m_0) and, with targets, d (n x m_N). The inputs
 * are held in the precision of the network they are for: rounded to float32
 * here exactly as copying float64 values into a float32 network would round
 * them, in half the memory and with no second conversion. The targets stay
 * float64: scores in the data's units are computed from them.
 */
export interface Encoded {
  x: ShapedArray & { data: Float32Array | Float64Array };
  d?: ShapedArray & { data: Float64Array };
  rows: number;
}

/** {@link Encoded} rows whose inputs may be a matrix of the backend, read there in place. */
export interface EncodedRows extends Omit<Encoded, 'x'> {
  x: Encoded['x'] | Matrix;
}

/** Encodes `rows` (or those at `indices`) with `encoder`, the inputs in `dtype`, into new arrays or `into` (from their start). */
export function encodeRows(
  encoder: RowEncoder,
  rows: readonly (readonly string[])[],
  lines: readonly number[],
  indices: ArrayLike<number> | undefined,
  dtype: DType,
  into?: { x: Float32Array | Float64Array; d: Float64Array },
): Encoded {
  const n = indices ? indices.length : rows.length;
  const x = into ? into.x.subarray(0, n * encoder.inputs) : floatArray(dtype, n * encoder.inputs);
  const d =
    encoder.outputs === 0
      ? undefined
      : into
        ? into.d.subarray(0, n * encoder.outputs)
        : new Float64Array(n * encoder.outputs);
  for (let k = 0; k < n; k++) {
    const i = indices ? indices[k] : k;
    encoder.encode(rows[i], lines[i], x, k * encoder.inputs, d, k * encoder.outputs);
  }
  return {
    x: { data: x, shape: [n, encoder.inputs] },
    d: d ? { data: d, shape: [n, encoder.outputs] } : undefined,
    rows: n,
  };
}

/** A chunk of a file's rows encoded for a model, with the encoding and the unseen category values so far. */
export interface EncodedChunk extends Encoded {
  encoding: Encoding;
  /** Values of categorical inputs the model never saw, by column (see {@link RowEncoder.unknown}). */
  unknown: ReadonlyMap<string, string>;
}

/**
 * The rows of a CSV file in chunks of at most `size`, encoded with the
 * encoding `encodingOf` gives for the file's header (inputs in `dtype`;
 * targets too when `targets`). A file of plain numbers is read as numbers,
 * with no string per cell; from the first chunk that cannot be (a line that
 * is not plain numbers, a label the encoding lacks), the general reader goes
 * on from the same row with its checks and messages. The chunks are the same
 * either way, to the bit.
 */
export async function* encodedChunks(
  file: string,
  size: number,
  dtype: DType,
  targets: boolean,
  encodingOf: (columns: string[]) => Encoding,
): AsyncGenerator<EncodedChunk> {
  let encoding: Encoding | undefined;
  let encoder: RowEncoder | undefined;
  const start = (columns: string[]): Encoding => {
    encoding = encodingOf(columns);
    encoder = rowEncoder(encoding, columns, file, targets);
    return encoding;
  };
  let done = 0;
  // A pipe cannot be read again from where the numbers stop: the general reader takes it all.
  let whole = await isRegularFile(file);
  for await (const part of whole ? numericCsvChunks(file, size, true) : []) {
    const table = part instanceof NotNumeric ? undefined : part;
    const e = table && (encoding ?? start(table.columns));
    const enc =
      table && e && encodesFromNumbers(table, e, targets)
        ? encodeNumbers(table, e, dtype, { targets })
        : undefined;
    if (!enc) {
      whole = false;
      break;
    }
    done += enc.rows;
    yield { ...enc, encoding: e!, unknown: encoder!.unknown };
  }
  if (whole) return;
  let skip = done;
  for await (const chunk of csvChunks(file, size)) {
    const e = encoding ?? start(chunk.columns);
    const from = Math.min(skip, chunk.rows.length);
    skip -= from;
    if (from === chunk.rows.length) continue;
    const rows = from > 0 ? chunk.rows.slice(from) : chunk.rows;
    const lines = from > 0 ? chunk.lines.slice(from) : chunk.lines;
    yield { ...encodeRows(encoder!, rows, lines, undefined, dtype), encoding: e, unknown: encoder!.unknown };
  }
}

/**
 * The outputs y of the network for every row of x (or of a matrix of its
 * backend, read in place), and sum_i L(i) when targets are given.
 */
export function runNetwork(
  net: Network,
  x: ShapedArray | Matrix,
  d?: ShapedArray,
  loss?: LossName,
): { outputs: Float64Array; lossSum: number } {
  const backend = net.backend;
  const { matrix: xm, given } = matrixOf(x, backend, net.dtype, 'inputs', net.inputs);
  const dm = d ? toMatrix(d, backend, net.dtype, 'targets', net.outputs) : undefined;
  const outputs = new Float64Array(xm.rows * net.outputs);
  let lossSum = 0;
  const last = net.layers.length - 1;
  const chunkTargets = new Map<number, ReturnType<typeof backend.matrix>>();
  try {
    forwardInChunks(net, xm, FORWARD_CHUNK, (out, start, ws) => {
      outputs.set(out.data.subarray(0, out.rows * out.cols), start * net.outputs);
      if (dm && loss) {
        let t = chunkTargets.get(out.rows);
        if (!t) chunkTargets.set(out.rows, (t = backend.matrix(out.rows, net.outputs, net.dtype)));
        t.data.set(dm.data.subarray(start * net.outputs, (start + out.rows) * net.outputs));
        lossSum += backend.lossSum(loss, net.outputActivation, ws.v[last], out, t);
      }
    });
  } finally {
    if (!given) backend.free(xm);
    if (dm) backend.free(dm);
    for (const t of chunkTargets.values()) backend.free(t);
  }
  return { outputs, lossSum };
}

/** The loss and reduction a model was trained with (from its metadata), else the default for its output. */
export function modelLoss(net: Network): { loss: LossName; reduction: Reduction } {
  const training = net.meta.training as { loss?: unknown; reduction?: unknown } | undefined;
  const spec =
    typeof training?.loss === 'string' ? (training.loss as LossSpec) : defaultLoss(net.outputActivation);
  const reduction =
    training?.reduction === 'sum' ? 'sum' : training?.reduction === 'mean' ? 'mean' : undefined;
  try {
    return resolveLoss(spec, reduction);
  } catch {
    return resolveLoss(defaultLoss(net.outputActivation));
  }
}

/** Scores in the data's terms (class labels or numbers in the data's units). */
export type Scores = ClassScores | NumberScores;

/** Accumulates scores over chunks of encoded rows. */
export class Scorer {
  private readonly classes?: ClassScorer;
  private readonly numbers?: NumberScorer;
  private lossSum = 0;
  private rows = 0;
  constructor(readonly target: TargetEncoding) {
    if (target.kind === 'classes') this.classes = new ClassScorer(target.classes);
    else this.numbers = new NumberScorer(target.columns);
  }

  /** Adds rows: network outputs y and encoded targets d (both row-major), and their summed loss. */
  add(outputs: ArrayLike<number>, d: ArrayLike<number>, width: number, rows: number, lossSum = 0): void {
    this.lossSum += lossSum;
    this.rows += rows;
    const t = this.target;
    for (let r = 0; r < rows; r++) {
      if (t.kind === 'classes') {
        // The predicted class as decodeOutput names it, without its probabilities.
        this.classes!.add(classIndex(d, r * width, width), classIndex(outputs, r * width, width));
      } else {
        const actual = decodeOutput(t, d, r * width) as { values: number[] };
        const y = decodeOutput(t, outputs, r * width) as { values: number[] };
        this.numbers!.add(actual.values, y.values);
      }
    }
  }

  /** The scores, with the cost J under `reduction`. */
  result(reduction: Reduction): Scores & { cost: number } {
    const s = this.classes ? this.classes.scores() : this.numbers!.scores();
    return { ...s, cost: reduction === 'mean' ? this.lossSum / Math.max(1, this.rows) : this.lossSum };
  }
}

/** Runs and scores a model on encoded rows in one go. */
export function scoreEncoded(
  net: Network,
  encoding: Encoding,
  data: EncodedRows,
  loss: LossName,
  reduction: Reduction,
): Scores & { cost: number } {
  const scorer = new Scorer(encoding.target);
  const { outputs, lossSum } = runNetwork(net, data.x, data.d, loss);
  scorer.add(outputs, data.d!.data, net.outputs, data.rows, lossSum);
  return scorer.result(reduction);
}
