/**
 * The data a {@link Trainer} trains on: in-memory examples (rows of numbers or
 * shaped arrays) checked against the network and split, at random but seeded,
 * into training and validation rows; or a stream of chunks, each checked as it
 * comes and cut into batches.
 *
 * @module
 */
import type { Matrix } from '../backend/backend.js';
import {
  copyRows,
  isMatrix,
  isShaped,
  type MatrixInput,
  matrixOf,
  shapeOf,
  toMatrix,
} from '../data/tensor.js';
import { BackpropError } from '../errors.js';
import type { Network } from '../network.js';
import { plural } from '../plural.js';
import { Random } from '../random.js';
import { type ResolvedSettings, resolveSettings, type TrainOptions } from '../settings.js';
import { checkSampleWeights, classWeightsOf, exampleWeights } from '../weights.js';

/** A chunk of a stream of training data. */
export interface DataChunk {
  inputs: MatrixInput;
  targets: MatrixInput;
}

/** A stream of chunks: an (async) iterable, or a function returning a fresh one for each epoch. */
export type DataStream =
  | Iterable<DataChunk>
  | AsyncIterable<DataChunk>
  | (() => Iterable<DataChunk> | AsyncIterable<DataChunk>);

/**
 * Training inputs (with targets given separately): rows, a shaped array, or a
 * matrix of the network's backend in its dtype, which is used in place (neither
 * copied nor freed: it must outlive the trainer); or a stream of chunks.
 */
export type TrainingSource = MatrixInput | Matrix | DataStream;

function isStream(x: unknown): x is DataStream {
  if (typeof x === 'function') return true;
  // An array is rows of numbers, unless it holds { inputs, targets } chunks (it is an iterable of them too).
  if (Array.isArray(x)) {
    const first: unknown = x[0];
    return typeof first === 'object' && first !== null && !Array.isArray(first) && 'inputs' in first;
  }
  if (x === null || typeof x !== 'object' || isShaped(x) || isMatrix(x)) return false;
  return Symbol.iterator in x || Symbol.asyncIterator in x;
}

/** Training examples in memory (`x`, `t`, `n` rows) or a stream, and the validation examples if any. */
export class TrainingData {
  private constructor(
    private readonly net: Network,
    /** Number of training examples (null for a stream). */
    readonly n: number | null,
    readonly x: Matrix | null,
    readonly t: Matrix | null,
    readonly stream: DataStream | null,
    readonly valX: Matrix | null,
    readonly valT: Matrix | null,
    /** w_i of each training example (sample times class weight), or null when unweighted. */
    readonly w: Float64Array | null = null,
    /** w_i of each validation example, or null. */
    readonly valW: Float64Array | null = null,
    /** The caller's matrix the inputs were read from in place: never freed here. */
    private readonly given: Matrix | null = null,
  ) {}

  /**
   * Checks the data against `net` and reads it in; the settings are resolved on
   * the way, since their defaults depend on the number of training examples and
   * the split on their seed.
   */
  static load(
    net: Network,
    inputs: TrainingSource,
    targets: MatrixInput | null,
    options: TrainOptions,
  ): { data: TrainingData; settings: ResolvedSettings } {
    const { backend, dtype } = net;
    let settings: ResolvedSettings;
    let n: number | null = null;
    let x: Matrix | null = null;
    let t: Matrix | null = null;
    let valX: Matrix | null = null;
    let valT: Matrix | null = null;
    let w: Float64Array | null = null;
    let valW: Float64Array | null = null;
    let classWeights: Float64Array | null = null;
    let given: Matrix | null = null;
    if (isStream(inputs)) {
      if (targets !== null && targets !== undefined) {
        throw new BackpropError(
          'targets: give null when the inputs are a stream of { inputs, targets } chunks',
        );
      }
      settings = resolveSettings(net, options, null);
      if (settings.validationSplit > 0) {
        throw new BackpropError('validationSplit: a stream cannot be split; give validationData');
      }
      if (options.sampleWeights !== undefined || settings.classWeights !== undefined) {
        throw new BackpropError(
          `${options.sampleWeights !== undefined ? 'sampleWeights' : 'classWeights'}: weights need the examples in memory, not a stream`,
        );
      }
    } else {
      if (targets === null || targets === undefined) throw new BackpropError('targets: missing');
      const [rows, cols] = shapeOf(inputs, 'inputs');
      const [targetRows, targetCols] = shapeOf(targets, 'targets');
      if (rows === 0) throw new BackpropError('inputs: no examples to train on');
      if (cols !== net.inputs)
        throw new BackpropError(
          `inputs: the network has ${plural(net.inputs, 'input')}, the data ${plural(cols, 'column')}`,
        );
      if (targetRows !== rows)
        throw new BackpropError(`targets: ${targetRows} rows for ${rows} rows of inputs`);
      if (targetCols !== net.outputs) {
        throw new BackpropError(
          `targets: the network has ${plural(net.outputs, 'output')}, the targets ${plural(targetCols, 'column')}`,
        );
      }
      const split = options.validationSplit ?? 0;
      const validationRows =
        typeof split === 'number' && split > 0 && split < 1 ? Math.round(rows * split) : 0;
      if (validationRows >= rows) throw new BackpropError('validationSplit: leaves no examples to train on');
      n = rows - validationRows;
      settings = resolveSettings(net, options, n);
      const sample =
        options.sampleWeights === undefined ? null : checkSampleWeights(options.sampleWeights, rows);
      const read = matrixOf(inputs as MatrixInput | Matrix, backend, dtype, 'inputs', net.inputs);
      const allX = read.matrix;
      if (read.given) given = allX;
      const allT = toMatrix(targets, backend, dtype, 'targets', net.outputs);
      let trainIdx: Uint32Array | null = null;
      let valIdx: Uint32Array | null = null;
      if (validationRows > 0) {
        // A seeded random split: data files are often sorted by class.
        const perm = new Random(settings.seed ^ 0x5eed).shuffle(
          Uint32Array.from({ length: rows }, (_, i) => i),
        );
        trainIdx = perm.subarray(0, n).sort();
        valIdx = perm.subarray(n).sort();
        x = backend.matrix(n, net.inputs, dtype);
        t = backend.matrix(n, net.outputs, dtype);
        valX = backend.matrix(validationRows, net.inputs, dtype);
        valT = backend.matrix(validationRows, net.outputs, dtype);
        backend.gatherRows(allX, trainIdx, 0, n, x);
        backend.gatherRows(allT, trainIdx, 0, n, t);
        backend.gatherRows(allX, valIdx, 0, validationRows, valX);
        backend.gatherRows(allT, valIdx, 0, validationRows, valT);
        if (!given) backend.free(allX);
        backend.free(allT);
      } else {
        x = allX;
        t = allT;
      }
      if (sample || settings.classWeights !== undefined) {
        // The sample weights follow their rows into the split; balanced class weights count the training rows.
        const width = net.outputs;
        const tData = (t as Matrix).data;
        if (settings.classWeights !== undefined) {
          const every = Uint32Array.from({ length: n }, (_, i) => i);
          classWeights = classWeightsOf(settings.classWeights, tData, width, every);
        }
        const pick = (idx: Uint32Array | null) =>
          sample && idx ? Float64Array.from(idx, (i) => sample[i]) : sample;
        w = exampleWeights(tData, width, n, pick(trainIdx), classWeights);
        if (valT) valW = exampleWeights(valT.data, width, validationRows, pick(valIdx), classWeights);
      }
    }
    if (options.validationData) {
      const v = options.validationData;
      const [vr] = shapeOf(v.inputs, 'validationData.inputs');
      const [tr] = shapeOf(v.targets, 'validationData.targets');
      if (vr !== tr) throw new BackpropError(`validationData.targets: ${tr} rows for ${vr} rows of inputs`);
      valX = toMatrix(v.inputs, backend, dtype, 'validationData.inputs', net.inputs);
      valT = toMatrix(v.targets, backend, dtype, 'validationData.targets', net.outputs);
      // Given validation examples carry their own sample weights and their class's weight.
      const sample =
        v.sampleWeights === undefined
          ? null
          : checkSampleWeights(v.sampleWeights, vr, 'validationData.sampleWeights');
      if (classWeights || sample) valW = exampleWeights(valT.data, net.outputs, vr, sample, classWeights);
    }
    const stream = n === null ? (inputs as DataStream) : null;
    return { data: new TrainingData(net, n, x, t, stream, valX, valT, w, valW, given), settings };
  }

  /**
   * One pass over the stream: its examples, in order, copied into the rows of
   * `x` and `t` (`x.rows` at a time), with `take(rows)` called each time they
   * are full and once more for the last rows (fewer) if any are left. Returns
   * the number of examples.
   */
  async eachBatch(x: Matrix, t: Matrix, take: (rows: number) => void): Promise<number> {
    const { net } = this;
    const size = x.rows;
    let filled = 0;
    let seen = 0;
    const stream = this.stream as DataStream;
    const source = typeof stream === 'function' ? stream() : stream;
    let index = 0;
    for await (const chunk of source as AsyncIterable<DataChunk>) {
      const what = `chunk ${index++}`;
      if (typeof chunk !== 'object' || chunk === null)
        throw new BackpropError(`${what}: expected { inputs, targets }`);
      const [rows, cols] = shapeOf(chunk.inputs, `${what}.inputs`);
      const [targetRows, targetCols] = shapeOf(chunk.targets, `${what}.targets`);
      if (rows > 0 && cols !== net.inputs) {
        throw new BackpropError(
          `${what}.inputs: the network has ${plural(net.inputs, 'input')}, the chunk ${plural(cols, 'column')}`,
        );
      }
      if (targetRows !== rows)
        throw new BackpropError(`${what}.targets: ${targetRows} rows for ${rows} rows of inputs`);
      if (rows > 0 && targetCols !== net.outputs) {
        throw new BackpropError(
          `${what}.targets: the network has ${plural(net.outputs, 'output')}, the chunk ${plural(targetCols, 'column')}`,
        );
      }
      let from = 0;
      while (from < rows) {
        const count = Math.min(size - filled, rows - from);
        copyRows(chunk.inputs, from, count, x, `${what}.inputs`, filled);
        copyRows(chunk.targets, from, count, t, `${what}.targets`, filled);
        filled += count;
        from += count;
        seen += count;
        if (filled === size) {
          take(size);
          filled = 0;
        }
      }
    }
    if (filled > 0) take(filled);
    return seen;
  }

  /** Gives the matrices back to the backend. */
  free(): void {
    for (const m of [this.x, this.t, this.valX, this.valT])
      if (m && m !== this.given) this.net.backend.free(m);
  }
}
