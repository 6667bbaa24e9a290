/**
 * The training step, written once and shared by {@link fit}, the command line
 * and the playground's worker: a {@link Trainer} holds the data, the buffers, the
 * optimizer state and the stopping rules, and advances one update
 * ({@link Trainer.step}) or one epoch ({@link Trainer.runEpoch}) at a time.
 *
 * Modes (SPEC section 3), for n training examples:
 * - `batch`: one update per epoch from all n examples (the notes' batch mode);
 * - `sequential`: one update per example (stochastic gradient descent);
 * - `minibatch`: one update per batch of B examples, the last batch smaller.
 *
 * Each update minimises the cost of its own examples, J = scale sum_i L(i), with
 * scale 1/(examples in the update) for a `mean` reduction and 1 for `sum`.
 *
 * After the first step of each batch size, a step allocates nothing: every
 * buffer is made once and reused.
 *
 * @module
 */
import { activation as activationRecord } from '../activations.js';
import type { Matrix } from '../backend/backend.js';
import { copyRows, isShaped, type MatrixInput, shapeOf, toMatrix } from '../data/tensor.js';
import { BackpropError, DivergenceError } from '../errors.js';
import { reductionScale } from '../losses.js';
import type { Network } from '../network.js';
import { Optimizer } from '../optimizers.js';
import {
  backward,
  createGradients,
  createWorkspace,
  forward,
  forwardInChunks,
  freeWorkspace,
  type Gradients,
  type Workspace,
} from '../propagation.js';
import { Random } from '../random.js';
import { MODES, type Mode, type ResolvedSettings, resolveSettings, type TrainOptions } from '../settings.js';
import { EpochLog } from './epoch-log.js';
import { smallStep, useSmallPath } from './small.js';
import { type SmallEpochs, SmallKernel, type SmallRun } from './small-wasm.js';

// Kept importable from here for code written against the trainer module.
export { MODES, type Mode, type ResolvedSettings, resolveSettings, type TrainOptions };

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

/** Training inputs: a matrix (with targets given separately) or a stream of chunks. */
export type TrainingSource = MatrixInput | DataStream;

/** Limits of {@link Trainer.run}. */
export interface RunLimit {
  /** Epochs to complete at most; default no limit (until a stopping rule fires). */
  epochs?: number;
  /**
   * A time, in the milliseconds of `performance.now()`, after which to return as
   * soon as possible, even in the middle of an epoch.
   */
  until?: number;
}

/** What one epoch did. */
export interface EpochInfo {
  /** 1-based epoch number. */
  epoch: number;
  /**
   * J over the training examples, from the loss of each example at the moment it
   * was used in this epoch (before the update it took part in).
   */
  cost: number;
  /** J over the validation examples after the epoch. */
  validationCost?: number;
  /** Share of training examples classified right (classification only), at the moment they were used. */
  accuracy?: number;
  /** Share of validation examples classified right after the epoch. */
  validationAccuracy?: number;
  /** Updates done in this epoch. */
  updates: number;
  /** Examples used in this epoch. */
  examples: number;
  /** Seconds this epoch took. */
  seconds: number;
  /** Seconds since training started. */
  elapsedSeconds: number;
}

/** Why training stopped. */
export type StopReason = 'epochs' | 'tolerance' | 'patience' | 'abort' | 'callback';

/** A trainer's whole state as plain JSON, to resume exactly where it stopped. */
export interface TrainerCheckpoint {
  kind: 'backprop-checkpoint';
  version: 1;
  epoch: number;
  cursor: number;
  order: number[] | null;
  random: number[];
  running: { loss: number; correct: number; seen: number; updates: number; seconds: number };
  weights: { weights: number[]; biases: number[] }[];
  optimizer: ReturnType<Optimizer['getState']>;
  best: {
    cost: number;
    epoch: number;
    since: number;
    weights: { weights: number[]; biases: number[] }[] | null;
  };
  history: EpochInfo[];
  stopReason: StopReason | null;
}

interface Batch {
  ws: Workspace;
  x: Matrix;
  t: Matrix;
  /**
   * The arguments of this batch's backward pass, its scale among them. Computed
   * per update or read from a field, the scale (a double) would be boxed on the
   * heap at every call V8 does not inline; in an array that also holds objects
   * V8 keeps it as a heap number made once, which is passed on as it is.
   */
  backward: Parameters<typeof backward>;
}

function isStream(x: unknown): x is DataStream {
  if (typeof x === 'function') return true;
  // An array is rows of numbers, unless it holds { inputs, targets } chunks (it is an iterable of them too).
  if (Array.isArray(x)) {
    const first: unknown = x[0];
    return typeof first === 'object' && first !== null && !Array.isArray(first) && 'inputs' in first;
  }
  if (x === null || typeof x !== 'object' || isShaped(x)) return false;
  return Symbol.iterator in x || Symbol.asyncIterator in x;
}

function now(): number {
  return globalThis.performance ? globalThis.performance.now() : Date.now();
}

/**
 * Trains a network step by step. Create it with the data and options, then
 * call {@link Trainer.step} or {@link Trainer.runEpoch} until {@link Trainer.stopReason}
 * is set (or call {@link fit}, which does that and yields to the event loop).
 *
 * @example
 * ```ts
 * const trainer = new Trainer(net, inputs, targets, { mode: 'sequential', learningRate: 0.05 });
 * while (!trainer.stopReason) console.log(trainer.runEpoch().cost);
 * trainer.dispose();
 * ```
 */
export class Trainer {
  readonly settings: ResolvedSettings;
  /** Epochs completed. */
  epoch = 0;
  /** What each completed epoch did, one record per epoch (made into objects when read). */
  get history(): EpochInfo[] {
    return this.log.all();
  }
  /** Set once a stopping rule has fired; training is over then. */
  stopReason: StopReason | null = null;
  /** The epoch whose weights were the best so far (with patience). */
  bestEpoch = 0;
  /** Whether outputs are classes, so that accuracy applies. */
  readonly classification: boolean;
  /**
   * Whether updates take the inline path for small networks trained one example
   * at a time (bit-identical to the general one); see `train/small.ts`.
   */
  readonly small: boolean;
  /** Which inline path runs whole epochs: the WebAssembly kernel, the TypeScript loop, or none. */
  readonly inline: 'wasm' | 'js' | null;

  private readonly backend;
  private readonly n: number | null;
  private readonly x: Matrix | null = null;
  private readonly t: Matrix | null = null;
  private readonly stream: DataStream | null = null;
  private readonly valX: Matrix | null = null;
  private readonly valT: Matrix | null = null;
  private readonly order: Uint32Array;
  private readonly kernel: SmallKernel | null = null;
  private readonly log: EpochLog;
  private readonly kernelResult: SmallRun = { correct: 0, used: 0 };
  private readonly kernelEpochsRun: SmallEpochs = { completed: 0, status: 'done', cost: 0 };
  /** Whether the kernel runs whole epochs per call (see the constructor). */
  private readonly kernelEpochs: boolean;
  /** Examples (kernel path) or updates (otherwise) between looks at the clock. */
  private readonly stride: number;
  /** Whether this epoch's starting weights were copied to `snapshot`. */
  private snapshotTaken = false;
  /** The last reading of the clock, ms. */
  private clock = 0;
  private readonly random: Random;
  private readonly grads: Gradients;
  private readonly optimizer: Optimizer;
  private readonly params: Matrix[];
  /** sum_i L(i) of the update under way, from {@link Backend.lossSumInto}. */
  private readonly lossOut = new Float64Array(1);
  private readonly snapshot: Matrix[];
  private best: Matrix[] | null = null;
  private bestCost = Number.POSITIVE_INFINITY;
  private sinceBest = 0;
  private readonly batches = new Map<number, Batch>();
  private lastBatch: Batch | null = null;
  private cursor = 0;
  private readonly running = { loss: 0, correct: 0, seen: 0, updates: 0, seconds: 0 };
  private epochStart = 0;
  private elapsed = 0;

  constructor(
    readonly net: Network,
    inputs: TrainingSource,
    targets: MatrixInput | null,
    options: TrainOptions = {},
  ) {
    this.backend = net.backend;
    const { backend, dtype } = net;
    if (isStream(inputs)) {
      if (targets !== null && targets !== undefined) {
        throw new BackpropError(
          'targets: give null when the inputs are a stream of { inputs, targets } chunks',
        );
      }
      this.n = null;
      this.stream = inputs;
      this.settings = resolveSettings(net, options, null);
      if (this.settings.validationSplit > 0) {
        throw new BackpropError('validationSplit: a stream cannot be split; give validationData');
      }
    } else {
      if (targets === null || targets === undefined) throw new BackpropError('targets: missing');
      const [rows, cols] = shapeOf(inputs, 'inputs');
      const [targetRows, targetCols] = shapeOf(targets, 'targets');
      if (rows === 0) throw new BackpropError('inputs: no examples to train on');
      if (cols !== net.inputs)
        throw new BackpropError(`inputs: the network has ${net.inputs} inputs, the data ${cols} columns`);
      if (targetRows !== rows)
        throw new BackpropError(`targets: ${targetRows} rows for ${rows} rows of inputs`);
      if (targetCols !== net.outputs) {
        throw new BackpropError(
          `targets: the network has ${net.outputs} outputs, the targets ${targetCols} columns`,
        );
      }
      const split = options.validationSplit ?? 0;
      const validationRows =
        typeof split === 'number' && split > 0 && split < 1 ? Math.round(rows * split) : 0;
      if (validationRows >= rows) throw new BackpropError('validationSplit: leaves no examples to train on');
      this.n = rows - validationRows;
      this.settings = resolveSettings(net, options, this.n);
      const allX = toMatrix(inputs, backend, dtype, 'inputs', net.inputs);
      const allT = toMatrix(targets, backend, dtype, 'targets', net.outputs);
      if (validationRows > 0) {
        // A seeded random split: data files are often sorted by class.
        const perm = new Random(this.settings.seed ^ 0x5eed).shuffle(
          Uint32Array.from({ length: rows }, (_, i) => i),
        );
        const trainIdx = perm.subarray(0, this.n).sort();
        const valIdx = perm.subarray(this.n).sort();
        this.x = backend.matrix(this.n, net.inputs, dtype);
        this.t = backend.matrix(this.n, net.outputs, dtype);
        this.valX = backend.matrix(validationRows, net.inputs, dtype);
        this.valT = backend.matrix(validationRows, net.outputs, dtype);
        backend.gatherRows(allX, trainIdx, 0, this.n, this.x);
        backend.gatherRows(allT, trainIdx, 0, this.n, this.t);
        backend.gatherRows(allX, valIdx, 0, validationRows, this.valX);
        backend.gatherRows(allT, valIdx, 0, validationRows, this.valT);
        backend.free(allX);
        backend.free(allT);
      } else {
        this.x = allX;
        this.t = allT;
      }
    }
    if (options.validationData) {
      const v = options.validationData;
      const [vr] = shapeOf(v.inputs, 'validationData.inputs');
      const [tr] = shapeOf(v.targets, 'validationData.targets');
      if (vr !== tr) throw new BackpropError(`validationData.targets: ${tr} rows for ${vr} rows of inputs`);
      this.valX = toMatrix(v.inputs, backend, dtype, 'validationData.inputs', net.inputs);
      this.valT = toMatrix(v.targets, backend, dtype, 'validationData.targets', net.outputs);
    }
    this.random = new Random(this.settings.seed);
    this.grads = createGradients(net);
    this.params = net.layers.flatMap((l) => [l.weights, l.biases]);
    this.optimizer = new Optimizer(this.settings.optimizer, backend, this.params);
    this.optimizer.bind(
      net.layers.flatMap((_, n) => [this.grads.weights[n], this.grads.biases[n]]),
      net.layers.flatMap((_, n) => [this.settings.learningRate[n], this.settings.learningRate[n]]),
    );
    this.snapshot = this.params.map((p) => backend.matrix(p.rows, p.cols, p.dtype));
    const { loss } = this.settings;
    this.classification =
      loss === 'cross-entropy' || loss === 'binary-cross-entropy' || net.outputActivation === 'softmax';
    activationRecord(net.outputActivation);
    this.log = new EpochLog(this.classification, this.valX !== null);
    const inline = options.inlineSmallNetworks ?? true;
    if (inline !== true && inline !== false && inline !== 'wasm' && inline !== 'js') {
      throw new BackpropError(
        `inlineSmallNetworks: expected true, false, 'wasm' or 'js', got ${String(inline)}`,
      );
    }
    this.small =
      inline !== false &&
      useSmallPath(
        net,
        this.settings.batchSize,
        this.settings.optimizer.name,
        this.settings.optimizer.weightDecay,
      );
    // About 2^18 multiply-adds between looks at the clock (a clock reading costs
    // as much as a whole update of a tiny network).
    const kernelStride = Math.max(1, Math.floor(2 ** 18 / net.parameterCount));
    if (this.small && inline !== 'js' && this.x && this.t && this.n !== null) {
      this.kernel = SmallKernel.create(
        net,
        this.x,
        this.t,
        this.settings.learningRate,
        loss,
        this.classification,
        Math.floor(kernelStride / this.n),
      );
      if (!this.kernel && inline === 'wasm') {
        throw new BackpropError('inlineSmallNetworks: WebAssembly does not compile in this engine');
      }
    }
    this.inline = this.kernel ? 'wasm' : this.small ? 'js' : null;
    this.order = this.kernel ? this.kernel.order : new Uint32Array(this.n ?? 0);
    this.stride = this.kernel
      ? kernelStride
      : Math.max(1, Math.floor(2 ** 18 / (net.parameterCount * this.settings.batchSize)));
    // Whole epochs in one kernel call need every epoch's bookkeeping to be the kernel's:
    // no validation to measure, no best weights to keep.
    this.kernelEpochs =
      this.kernel !== null &&
      this.n !== null &&
      this.n <= kernelStride &&
      !this.valX &&
      this.settings.patience === undefined;
  }

  /** Number of training examples (null for a stream). */
  get examples(): number | null {
    return this.n;
  }

  /** Whether a step has been taken in the current epoch and the epoch is not over. */
  get midEpoch(): boolean {
    return this.cursor > 0;
  }

  private batch(rows: number): Batch {
    const last = this.lastBatch;
    if (last !== null && last.ws.rows === rows) return last;
    let b = this.batches.get(rows);
    if (!b) {
      const { net, settings } = this;
      const { backend, dtype } = net;
      const ws = createWorkspace(net, rows);
      const x = backend.matrix(rows, net.inputs, dtype);
      const t = backend.matrix(rows, net.outputs, dtype);
      const scale = reductionScale(settings.reduction, rows);
      b = { ws, x, t, backward: [net, ws, x, t, settings.loss, scale, this.grads] };
      this.batches.set(rows, b);
    }
    this.lastBatch = b;
    return b;
  }

  private checkRunning(): void {
    if (this.stopReason)
      throw new BackpropError(`training has stopped (${this.stopReason}); make a new Trainer`);
  }

  /**
   * Starts an epoch at time `start`. `snapshot` copies the weights aside, for a
   * divergence to restore; the kernel path skips it when the whole epoch is one
   * run of the kernel, which leaves the network's weights alone if it fails.
   */
  private beginEpoch(start: number, snapshot: boolean): void {
    this.checkRunning();
    this.epochStart = start;
    const running = this.running;
    running.loss = running.correct = running.seen = running.updates = running.seconds = 0;
    this.snapshotTaken = snapshot;
    // Plain copies between views: a kernel call each costs more than these few numbers on a small network.
    if (snapshot) for (let i = 0; i < this.params.length; i++) this.snapshot[i].data.set(this.params[i].data);
    const order = this.order;
    for (let i = 0; i < order.length; i++) order[i] = i;
    if (this.settings.shuffle && this.settings.mode !== 'batch') this.random.shuffle(order);
  }

  /** Counts right answers in the first `rows` rows of out against targets. */
  private countCorrect(out: Matrix, t: Matrix, rows: number): number {
    const cols = out.cols;
    const Y = out.data;
    const T = t.data;
    let correct = 0;
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      if (cols === 1) {
        if (Y[o] >= 0.5 === T[o] >= 0.5) correct++;
        continue;
      }
      let bestY = 0;
      let bestT = 0;
      for (let k = 1; k < cols; k++) {
        if (Y[o + k] > Y[o + bestY]) bestY = k;
        if (T[o + k] > T[o + bestT]) bestT = k;
      }
      if (bestY === bestT) correct++;
    }
    return correct;
  }

  /** One update from the examples in `b` (all its rows). */
  private update(b: Batch): void {
    const { net, settings, backend } = this;
    const rows = b.ws.rows;
    const last = net.layers.length - 1;
    if (this.small) {
      const loss = smallStep(net, b.ws, b.x, b.t, settings.loss, this.grads, settings.learningRate);
      if (!Number.isFinite(loss)) this.diverge(loss);
      this.running.loss += loss;
      this.count(b.ws.out[last], b.t, rows);
      return;
    }
    // No double is computed here and passed into a call, or returned from one:
    // V8 boxes such a double on the heap (16 bytes of garbage) at every call it
    // does not inline. The loss comes back in a Float64Array; the backward
    // pass's scale and the learning rates wait in arrays of arguments (see
    // Batch.backward and Optimizer.bind).
    const out = forward(net, b.ws, b.x);
    const sum = this.lossOut;
    if (backend.lossSumInto)
      backend.lossSumInto(settings.loss, net.outputActivation, b.ws.v[last], out, b.t, sum);
    else sum[0] = backend.lossSum(settings.loss, net.outputActivation, b.ws.v[last], out, b.t);
    const loss = sum[0];
    if (!Number.isFinite(loss)) this.diverge(loss);
    this.running.loss += loss;
    this.count(out, b.t, rows);
    const a = b.backward;
    backward(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    this.optimizer.step();
  }

  /** Adds an update's right answers and examples to the epoch's running totals (the caller adds its loss). */
  private count(out: Matrix, t: Matrix, rows: number): void {
    const running = this.running;
    if (this.classification) running.correct += this.countCorrect(out, t, rows);
    running.seen += rows;
    running.updates++;
  }

  private diverge(cost: number): never {
    if (this.snapshotTaken)
      for (let i = 0; i < this.params.length; i++) this.backend.copy(this.snapshot[i], this.params[i]);
    this.cursor = 0;
    this.stopReason = 'abort';
    throw new DivergenceError(this.epoch + 1, cost, this.history);
  }

  /**
   * One update on the next batch of in-memory data. Returns the epoch's
   * {@link EpochInfo} when this update completed an epoch, else null.
   */
  step(): EpochInfo | null {
    const x = this.x;
    const t = this.t;
    if (!x || !t || this.n === null)
      throw new BackpropError('step: the data is a stream; use runEpochAsync()');
    if (this.cursor === 0) this.beginEpoch(now(), true);
    if (this.kernel) this.kernelRun(this.kernel, 1, this.n);
    else this.nextUpdate(x, t);
    if (this.cursor < this.n) return null;
    this.cursor = 0;
    return this.endEpoch(now());
  }

  /** One update on the next batch of the epoch under way. */
  private nextUpdate(x: Matrix, t: Matrix): void {
    const count = Math.min(this.settings.batchSize, (this.n as number) - this.cursor);
    const b = this.batch(count);
    this.backend.gatherRows(x, this.order, this.cursor, count, b.x);
    this.backend.gatherRows(t, this.order, this.cursor, count, b.t);
    this.update(b);
    this.cursor += count;
  }

  /** The rest of the current epoch (a whole one if none is under way) on in-memory data. */
  runEpoch(): EpochInfo {
    return this.run({ epochs: 1 }) as EpochInfo;
  }

  /**
   * Trains on in-memory data until a stopping rule fires, `limit.epochs` epochs
   * have ended, or the clock passes `limit.until` (checked about every 2^18
   * multiply-adds, so it may return in the middle of an epoch). Returns the
   * {@link EpochInfo} of the last epoch it ended, or null if it ended none.
   * Epochs run back to back here share one clock reading between the end of
   * one and the start of the next, which matters when an epoch is a few
   * microseconds (XOR one example at a time).
   */
  run(limit: RunLimit = {}): EpochInfo | null {
    if (!this.x || !this.t || this.n === null)
      throw new BackpropError('run: the data is a stream; use runEpochAsync()');
    this.checkRunning();
    const epochs = limit.epochs ?? Number.POSITIVE_INFINITY;
    const until = limit.until;
    let last: EpochInfo | null = null;
    // Whether the last epoch ended in the kernel, which makes no EpochInfo of its own.
    let inKernel = false;
    this.clock = now();
    for (let done = 0; done < epochs && !this.stopReason; ) {
      if (this.kernelEpochs && this.cursor === 0) {
        done += this.kernelEpochsCall(epochs - done);
        inKernel = true;
      } else {
        const info = this.advance(this.x, this.t, this.n, until);
        if (!info) break;
        last = info;
        inKernel = false;
        done++;
      }
      if (until !== undefined && this.clock >= until) break;
    }
    return inKernel ? this.log.last() : last;
  }

  /**
   * Up to `wanted` whole epochs in one call of the small-network kernel, which
   * does the shuffle, the updates and the stopping checks of each. Its epochs
   * share the call's time equally (each is a few microseconds). Returns the
   * epochs completed.
   */
  private kernelEpochsCall(wanted: number): number {
    const kernel = this.kernel as SmallKernel;
    const { settings } = this;
    const n = this.n as number;
    const start = this.clock;
    const r = kernel.epochs(
      Math.min(wanted, settings.epochs - this.epoch),
      settings.shuffle && settings.mode !== 'batch',
      settings.reduction === 'mean',
      settings.tolerance ?? Number.NaN,
      this.random,
      this.kernelEpochsRun,
    );
    this.clock = now();
    const seconds = (this.clock - start) / 1000 / Math.max(1, r.completed);
    for (let e = 0; e < r.completed; e++) {
      const sum = kernel.epochLoss(e);
      const cost = settings.reduction === 'mean' ? sum / n : sum;
      this.epoch++;
      this.elapsed += seconds;
      this.log.add(cost, kernel.epochCorrect(e) / n, Number.NaN, Number.NaN, n, n, seconds, this.elapsed);
      this.applyStoppingRules(cost);
    }
    if (r.status === 'diverged') {
      // The kernel put back the weights that epoch began with.
      this.snapshotTaken = false;
      this.diverge(r.cost);
    }
    return r.completed;
  }

  /**
   * The next `count` updates of the epoch under way in the small-network kernel
   * (of an epoch of `n` examples). On a non-finite loss, cost or weight it
   * diverges as the other paths do: the kernel has left the weights alone.
   */
  private kernelRun(kernel: SmallKernel, count: number, n: number): void {
    const running = this.running;
    const sums = kernel.sums;
    sums[0] = running.loss;
    const r = kernel.run(this.cursor, count, this.cursor + count === n, this.kernelResult);
    if (r.used !== count) {
      if (r.used >= 0) this.diverge(sums[1]);
      const cost = this.settings.reduction === 'mean' ? sums[0] / (running.seen + count) : sums[0];
      this.diverge(Number.isFinite(cost) ? Number.NaN : cost);
    }
    running.loss = sums[0];
    running.correct += r.correct;
    running.seen += count;
    running.updates += count;
    this.cursor += count;
  }

  /** The rest of the epoch under way (or a new one), or null when the clock passed `until` first. */
  private advance(x: Matrix, t: Matrix, n: number, until: number | undefined): EpochInfo | null {
    const kernel = this.kernel;
    const stride = this.stride;
    if (this.cursor === 0) this.beginEpoch(this.clock, kernel === null || n > stride);
    if (kernel) {
      while (this.cursor < n) {
        this.kernelRun(kernel, Math.min(stride, n - this.cursor), n);
        if (this.cursor < n && until !== undefined && (this.clock = now()) >= until) return null;
      }
    } else {
      let k = 0;
      while (this.cursor < n) {
        this.nextUpdate(x, t);
        if (this.cursor < n && until !== undefined && ++k >= stride) {
          k = 0;
          if ((this.clock = now()) >= until) return null;
        }
      }
    }
    this.cursor = 0;
    this.clock = now();
    return this.endEpoch(this.clock);
  }

  /** One whole epoch, on a stream or on in-memory data. */
  async runEpochAsync(): Promise<EpochInfo> {
    if (!this.stream) return this.runEpoch();
    this.beginEpoch(now(), true);
    const size = this.settings.batchSize;
    const full = this.batch(size);
    let filled = 0;
    const source = typeof this.stream === 'function' ? this.stream() : this.stream;
    let index = 0;
    for await (const chunk of source as AsyncIterable<DataChunk>) {
      const what = `chunk ${index++}`;
      if (typeof chunk !== 'object' || chunk === null)
        throw new BackpropError(`${what}: expected { inputs, targets }`);
      const [rows, cols] = shapeOf(chunk.inputs, `${what}.inputs`);
      const [targetRows, targetCols] = shapeOf(chunk.targets, `${what}.targets`);
      if (rows > 0 && cols !== this.net.inputs) {
        throw new BackpropError(
          `${what}.inputs: the network has ${this.net.inputs} inputs, the chunk ${cols} columns`,
        );
      }
      if (targetRows !== rows)
        throw new BackpropError(`${what}.targets: ${targetRows} rows for ${rows} rows of inputs`);
      if (rows > 0 && targetCols !== this.net.outputs) {
        throw new BackpropError(
          `${what}.targets: the network has ${this.net.outputs} outputs, the chunk ${targetCols} columns`,
        );
      }
      let from = 0;
      while (from < rows) {
        const count = Math.min(size - filled, rows - from);
        copyRows(chunk.inputs, from, count, full.x, `${what}.inputs`, filled);
        copyRows(chunk.targets, from, count, full.t, `${what}.targets`, filled);
        filled += count;
        from += count;
        if (filled === size) {
          this.update(full);
          filled = 0;
        }
      }
    }
    if (filled > 0) {
      const rest = this.batch(filled);
      const identity = Uint32Array.from({ length: filled }, (_, i) => i);
      this.backend.gatherRows(full.x, identity, 0, filled, rest.x);
      this.backend.gatherRows(full.t, identity, 0, filled, rest.t);
      this.update(rest);
    }
    if (this.running.seen === 0) throw new BackpropError('inputs: the stream gave no examples');
    return this.endEpoch(now());
  }

  /** J and accuracy of the network on `x`, `t`, without training. */
  private measure(x: Matrix, t: Matrix): { cost: number; accuracy?: number } {
    const { net, settings, backend } = this;
    let total = 0;
    let correct = 0;
    const last = net.layers.length - 1;
    const targetChunk = new Map<number, Matrix>();
    const order = Uint32Array.from({ length: x.rows }, (_, i) => i);
    forwardInChunks(net, x, 1024, (out, start, ws) => {
      let tc = targetChunk.get(out.rows);
      if (!tc) {
        tc = backend.matrix(out.rows, t.cols, t.dtype);
        targetChunk.set(out.rows, tc);
      }
      backend.gatherRows(t, order, start, out.rows, tc);
      total += backend.lossSum(settings.loss, net.outputActivation, ws.v[last], out, tc);
      if (this.classification) correct += this.countCorrect(out, tc, out.rows);
    });
    for (const m of targetChunk.values()) backend.free(m);
    const cost = settings.reduction === 'mean' ? total / x.rows : total;
    return this.classification ? { cost, accuracy: correct / x.rows } : { cost };
  }

  /** The cost J (with the training loss and reduction) and accuracy of the network on other data. */
  evaluate(inputs: MatrixInput, targets: MatrixInput): { cost: number; accuracy?: number } {
    const { backend, dtype } = this.net;
    const x = toMatrix(inputs, backend, dtype, 'inputs', this.net.inputs);
    const t = toMatrix(targets, backend, dtype, 'targets', this.net.outputs);
    try {
      if (x.rows !== t.rows) throw new BackpropError(`targets: ${t.rows} rows for ${x.rows} rows of inputs`);
      return this.measure(x, t);
    } finally {
      backend.free(x);
      backend.free(t);
    }
  }

  /** Closes the epoch at time `end` (ms). */
  private endEpoch(end: number): EpochInfo {
    const { settings, running } = this;
    const seen = running.seen;
    const cost = settings.reduction === 'mean' ? running.loss / seen : running.loss;
    // Checked before counting the epoch, so that the error names this epoch. The
    // last update can overflow a weight (float32 most easily) although the cost,
    // measured before it, was finite: that is divergence too.
    if (!Number.isFinite(cost)) this.diverge(cost);
    if (!this.paramsFinite()) this.diverge(Number.NaN);
    const info = this.recordEpoch(
      cost,
      running.correct,
      seen,
      running.updates,
      (end - this.epochStart) / 1000,
    );
    if (this.valX && this.valT) {
      const v = this.measure(this.valX, this.valT);
      info.validationCost = v.cost;
      if (v.accuracy !== undefined) info.validationAccuracy = v.accuracy;
    }
    this.log.addRecord(info);
    this.applyStoppingRules(info.validationCost ?? info.cost);
    return info;
  }

  /** Counts an epoch and describes it. */
  private recordEpoch(
    cost: number,
    correct: number,
    seen: number,
    updates: number,
    seconds: number,
  ): EpochInfo {
    this.epoch++;
    this.elapsed += seconds;
    // One literal per shape: adding a field afterwards would change the object's hidden class.
    return this.classification
      ? {
          epoch: this.epoch,
          cost,
          accuracy: correct / seen,
          updates,
          examples: seen,
          seconds,
          elapsedSeconds: this.elapsed,
        }
      : { epoch: this.epoch, cost, updates, examples: seen, seconds, elapsedSeconds: this.elapsed };
  }

  /** Patience, tolerance and the epoch limit, after an epoch whose monitored cost is `monitored`. */
  private applyStoppingRules(monitored: number): void {
    const { settings } = this;
    if (settings.patience !== undefined) {
      if (monitored < this.bestCost - settings.minDelta || this.best === null) {
        this.bestCost = monitored;
        this.bestEpoch = this.epoch;
        this.sinceBest = 0;
        this.best ??= this.params.map((p) => this.backend.matrix(p.rows, p.cols, p.dtype));
        for (let i = 0; i < this.params.length; i++) this.backend.copy(this.params[i], this.best[i]);
      } else this.sinceBest++;
    }
    if (settings.tolerance !== undefined && monitored <= settings.tolerance) this.stopReason = 'tolerance';
    else if (settings.patience !== undefined && this.sinceBest >= settings.patience)
      this.stopReason = 'patience';
    else if (this.epoch >= settings.epochs) this.stopReason = 'epochs';
    if (this.stopReason === 'patience' || (this.stopReason === 'epochs' && this.best)) this.restoreBest();
  }

  /** Whether every weight and bias is finite (a plain loop: no boxing, no closures). */
  private paramsFinite(): boolean {
    for (const p of this.params) {
      const d = p.data;
      for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return false;
    }
    return true;
  }

  /** Puts the best weights seen (with patience) back into the network. */
  restoreBest(): void {
    if (!this.best) return;
    for (let i = 0; i < this.params.length; i++) this.backend.copy(this.best[i], this.params[i]);
  }

  /** Stops training from outside (an abort signal, a callback). */
  stop(reason: StopReason): void {
    this.stopReason ??= reason;
  }

  /** The whole state, to save and later continue with {@link Trainer.restore} to exactly the same result. */
  checkpoint(): TrainerCheckpoint {
    const pack = (ms: Matrix[]) =>
      this.net.layers.map((_, n) => ({
        weights: Array.from(ms[2 * n].data),
        biases: Array.from(ms[2 * n + 1].data),
      }));
    return {
      kind: 'backprop-checkpoint',
      version: 1,
      epoch: this.epoch,
      cursor: this.cursor,
      order: this.cursor > 0 ? Array.from(this.order) : null,
      random: this.random.getState(),
      // The time spent so far in an unfinished epoch, so that its seconds stay right after a restore.
      running: { ...this.running, seconds: this.cursor > 0 ? (now() - this.epochStart) / 1000 : 0 },
      weights: pack(this.params),
      optimizer: this.optimizer.getState(),
      best: {
        cost: this.bestCost,
        epoch: this.bestEpoch,
        since: this.sinceBest,
        weights: this.best ? pack(this.best) : null,
      },
      history: this.history.map((h) => ({ ...h })),
      stopReason: this.stopReason,
    };
  }

  /** Continues from a {@link Trainer.checkpoint} made with the same data and options. */
  restore(cp: TrainerCheckpoint): void {
    if (cp?.kind !== 'backprop-checkpoint' || cp.version !== 1) {
      throw new BackpropError('checkpoint: not a backprop checkpoint of version 1');
    }
    if (cp.weights.length !== this.net.layers.length) {
      throw new BackpropError(
        `checkpoint: ${cp.weights.length} layers, the network has ${this.net.layers.length}`,
      );
    }
    const unpack = (src: TrainerCheckpoint['weights'], into: Matrix[]) =>
      src.forEach((l, n) => {
        if (l.weights.length !== into[2 * n].data.length || l.biases.length !== into[2 * n + 1].data.length) {
          throw new BackpropError(`checkpoint: layer ${n + 1} does not match the network's shape`);
        }
        into[2 * n].data.set(l.weights);
        into[2 * n + 1].data.set(l.biases);
      });
    unpack(cp.weights, this.params);
    this.optimizer.setState(cp.optimizer);
    this.random.setState(cp.random);
    this.epoch = cp.epoch;
    this.cursor = cp.cursor;
    if (cp.order) this.order.set(cp.order);
    Object.assign(this.running, cp.running);
    this.epochStart = now() - (cp.running.seconds ?? 0) * 1000;
    this.bestCost = cp.best.cost ?? Number.POSITIVE_INFINITY;
    this.bestEpoch = cp.best.epoch;
    this.sinceBest = cp.best.since;
    if (cp.best.weights) {
      this.best ??= this.params.map((p) => this.backend.matrix(p.rows, p.cols, p.dtype));
      unpack(cp.best.weights, this.best);
    }
    this.log.clear();
    for (const h of cp.history) this.log.addRecord(h);
    this.elapsed = cp.history.at(-1)?.elapsedSeconds ?? 0;
    this.stopReason = cp.stopReason;
    for (let i = 0; i < this.params.length; i++) this.backend.copy(this.params[i], this.snapshot[i]);
    this.snapshotTaken = true;
  }

  /** Gives every buffer back to the backend. The trainer cannot be used afterwards. */
  dispose(): void {
    const b = this.backend;
    for (const batch of this.batches.values()) {
      freeWorkspace(b, batch.ws);
      b.free(batch.x);
      b.free(batch.t);
    }
    this.batches.clear();
    this.lastBatch = null;
    for (const m of [this.x, this.t, this.valX, this.valT, ...this.snapshot, ...(this.best ?? [])])
      if (m) b.free(m);
    for (const m of [...this.grads.weights, ...this.grads.biases]) b.free(m);
    this.optimizer.free();
  }
}
