/**
 * The training step, written once and shared by {@link fit}, the command line
 * and the playground's worker: a {@link Trainer} advances one update
 * ({@link Trainer.step}), one epoch ({@link Trainer.runEpoch}) or a slice of
 * time ({@link Trainer.run}) at a time, and {@link drive} runs it to the end.
 *
 * Modes, for n training examples:
 * - `batch`: one update per epoch from all n examples (the notes' batch mode);
 * - `sequential`: one update per example (stochastic gradient descent);
 * - `minibatch`: one update per batch of B examples, the last batch smaller.
 *
 * Each update minimises the cost of its own examples, J = scale sum_i L(i), with
 * scale 1/(examples in the update) for a `mean` reduction and 1 for `sum`.
 *
 * The trainer keeps the epoch, the clock and the wiring of its parts: the data
 * (`data.ts`), the update engine chosen once (`engine.ts`), the stopping rules
 * (`stopping.ts`), checkpoints (`checkpoint.ts`) and the record of epochs
 * (`epoch-log.ts`). After the first step of each batch size, a step allocates
 * nothing: every buffer is made once and reused.
 *
 * @module
 */
import type { Matrix } from '../backend/backend.js';
import { isClassification } from '../classification.js';
import { type MatrixInput, toMatrix } from '../data/tensor.js';
import { dropoutRandom, hasDropout } from '../dropout.js';
import { BackpropError, DivergenceError } from '../errors.js';
import type { Network } from '../network.js';
import { Optimizer } from '../optimizers.js';
import { createGradients, type Gradients } from '../propagation.js';
import { Random } from '../random.js';
import { RateSchedule } from '../schedules.js';
import { MODES, type Mode, type ResolvedSettings, resolveSettings, type TrainOptions } from '../settings.js';
import { checkCheckpoint, packLayers, type TrainerCheckpoint, unpackLayers } from './checkpoint.js';
import { type DataChunk, type DataStream, TrainingData, type TrainingSource } from './data.js';
import { now } from './driver.js';
import { createEngine, type EpochTotals, type UpdateEngine, type WholeEpochs } from './engine.js';
import type { BatchEngine } from './engine-batch.js';
import { type EpochInfo, EpochLog } from './epoch-log.js';
import { type Measured, measure } from './measure.js';
import { StoppingRules, type StopReason } from './stopping.js';

export type { DataChunk, DataStream, EpochInfo, StopReason, TrainerCheckpoint, TrainingSource };
// Kept importable from here for code written against the trainer module.
export { MODES, type Mode, type ResolvedSettings, resolveSettings, type TrainOptions };

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

/**
 * Trains a network step by step. Create it with the data and options, then
 * call {@link Trainer.step}, {@link Trainer.runEpoch} or {@link Trainer.run}
 * until {@link Trainer.stopReason} is set (or call {@link fit} or
 * {@link drive}, which do that and yield to the event loop).
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
  /** Set once a stopping rule has fired; training is over then. */
  stopReason: StopReason | null = null;
  /** Whether outputs are classes, so that accuracy applies. */
  readonly classification: boolean;
  /**
   * Whether updates take the inline path for small networks trained one example
   * at a time (bit-identical to the general one); see `train/small.ts`.
   */
  readonly small: boolean;
  /** Which inline path runs whole epochs: the WebAssembly kernel, the TypeScript loop, or none. */
  readonly inline: 'wasm' | 'js' | null;

  private readonly data: TrainingData;
  private readonly engine: UpdateEngine;
  private readonly stopping: StoppingRules;
  private readonly log: EpochLog;
  private readonly random: Random;
  /** The generator of the dropout masks (see `dropout.ts`), or null without dropout. */
  private readonly dropout: Random | null;
  private readonly grads: Gradients;
  private readonly optimizer: Optimizer;
  /** The schedule of eta^(n), stepped after each epoch; null when the rates never change. */
  private readonly schedule: RateSchedule | null;
  /** The network's weights and biases, layer by layer. */
  private readonly params: Matrix[];
  /** The weights the epoch under way began with, to put back on divergence. */
  private readonly snapshot: Matrix[];
  /** Whether this epoch's starting weights were copied to `snapshot`. */
  private snapshotTaken = false;
  /** The last reading of the clock, ms. */
  private clock = 0;
  /** Examples of the epoch under way used so far (0 between epochs). */
  private cursor = 0;
  private readonly totals: EpochTotals = { loss: 0, correct: 0, seen: 0, updates: 0, seconds: 0 };
  private epochStart = 0;
  private elapsed = 0;

  constructor(
    readonly net: Network,
    inputs: TrainingSource,
    targets: MatrixInput | null,
    options: TrainOptions = {},
  ) {
    const { data, settings } = TrainingData.load(net, inputs, targets, options);
    this.data = data;
    this.settings = settings;
    const { backend } = net;
    this.random = new Random(settings.seed);
    this.dropout = hasDropout(net.layers) ? dropoutRandom(settings.seed) : null;
    this.grads = createGradients(net);
    this.params = net.layers.flatMap((l) => [l.weights, l.biases]);
    this.optimizer = new Optimizer(settings.optimizer, backend, this.params);
    this.optimizer.bind(
      net.layers.flatMap((_, n) => [this.grads.weights[n], this.grads.biases[n]]),
      net.layers.flatMap((_, n) => [settings.learningRate[n], settings.learningRate[n]]),
    );
    this.snapshot = this.params.map((p) => backend.matrix(p.rows, p.cols, p.dtype));
    this.classification = isClassification(settings.loss, net.outputActivation);
    this.schedule =
      settings.schedule.name === 'constant' && settings.schedule.warmup === 0
        ? null
        : new RateSchedule(settings.schedule, settings.learningRate);
    this.log = new EpochLog(
      this.classification,
      data.valX !== null,
      this.schedule?.rates.slice() ?? settings.learningRate,
    );
    const { x, t, n } = data;
    this.engine = createEngine(
      {
        net,
        settings,
        classification: this.classification,
        totals: this.totals,
        dropout: this.dropout,
        diverge: (cost) => this.diverge(cost),
      },
      x && t && n !== null ? { x, t, n, w: data.w } : null,
      this.grads,
      this.optimizer,
      options.inlineSmallNetworks,
      // The kernel can keep an epoch's books only without validation to measure, best weights to
      // keep, or a schedule to step between epochs.
      !data.valX && settings.patience === undefined && this.schedule === null,
    );
    if (this.schedule) this.engine.setRates(this.schedule.rates);
    this.inline = this.engine.kind === 'general' ? null : this.engine.kind;
    this.small = this.inline !== null;
    this.stopping = new StoppingRules(settings, backend, this.params);
  }

  /** What each completed epoch did, one record per epoch (made into objects when read). */
  get history(): EpochInfo[] {
    return this.log.all();
  }

  /** The epoch whose weights were the best so far (with patience). */
  get bestEpoch(): number {
    return this.stopping.bestEpoch;
  }

  /** Number of training examples (null for a stream). */
  get examples(): number | null {
    return this.data.n;
  }

  /** Whether a step has been taken in the current epoch and the epoch is not over. */
  get midEpoch(): boolean {
    return this.cursor > 0;
  }

  /** Updates done in the epoch under way (0 between epochs). */
  get updatesInEpoch(): number {
    return this.cursor > 0 ? this.totals.updates : 0;
  }

  /** The number of in-memory examples, or an error naming `what` for a stream. */
  private inMemory(what: string): number {
    const n = this.data.n;
    if (n === null) throw new BackpropError(`${what}: the data is a stream; use runEpochAsync()`);
    return n;
  }

  private checkRunning(): void {
    if (this.stopReason)
      throw new BackpropError(`training has stopped (${this.stopReason}); make a new Trainer`);
  }

  /**
   * Starts an epoch at time `start`. `snapshot` copies the weights aside, for a
   * divergence to restore; an engine whose epoch is one call that leaves the
   * weights alone if it fails skips it.
   */
  private beginEpoch(start: number, snapshot: boolean): void {
    this.checkRunning();
    this.epochStart = start;
    const totals = this.totals;
    totals.loss = totals.correct = totals.seen = totals.updates = totals.seconds = 0;
    this.snapshotTaken = snapshot;
    // Plain copies between views: a kernel call each costs more than these few numbers on a small network.
    if (snapshot) for (let i = 0; i < this.params.length; i++) this.snapshot[i].data.set(this.params[i].data);
    const order = this.engine.order;
    for (let i = 0; i < order.length; i++) order[i] = i;
    if (this.settings.shuffle && this.settings.mode !== 'batch') this.random.shuffle(order);
  }

  private diverge(cost: number): never {
    if (this.snapshotTaken)
      for (let i = 0; i < this.params.length; i++) this.net.backend.copy(this.snapshot[i], this.params[i]);
    this.cursor = 0;
    this.stopReason = 'abort';
    throw new DivergenceError(this.epoch + 1, cost, this.history);
  }

  /**
   * One update on the next batch of in-memory data. Returns the epoch's
   * {@link EpochInfo} when this update completed an epoch, else null.
   */
  step(): EpochInfo | null {
    const n = this.inMemory('step');
    if (this.cursor === 0) this.beginEpoch(now(), true);
    this.cursor = this.engine.train(this.cursor, this.cursor + 1);
    if (this.cursor < n) return null;
    this.cursor = 0;
    return this.endEpoch(now());
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
    const n = this.inMemory('run');
    this.checkRunning();
    const epochs = limit.epochs ?? Number.POSITIVE_INFINITY;
    const until = limit.until;
    const whole = this.engine.epochs;
    let last: EpochInfo | null = null;
    // Whether the last epoch ended in the kernel, which makes no EpochInfo of its own.
    let inKernel = false;
    this.clock = now();
    for (let done = 0; done < epochs && !this.stopReason; ) {
      if (whole && this.cursor === 0) {
        done += this.wholeEpochs(whole, epochs - done, n);
        inKernel = true;
      } else {
        const info = this.advance(n, until);
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
   * Up to `wanted` whole epochs in one call of the engine, which does the
   * shuffle, the updates and the stopping checks of each. Its epochs share the
   * call's time equally (each is a few microseconds). Returns the epochs completed.
   */
  private wholeEpochs(whole: WholeEpochs, wanted: number, n: number): number {
    const { settings } = this;
    const start = this.clock;
    const r = whole.run(
      Math.min(wanted, settings.epochs - this.epoch),
      settings.shuffle && settings.mode !== 'batch',
      settings.reduction === 'mean',
      settings.tolerance ?? Number.NaN,
      this.random,
    );
    this.clock = now();
    const seconds = (this.clock - start) / 1000 / Math.max(1, r.completed);
    const mean = settings.reduction === 'mean';
    const cost = (e: number) => (mean ? whole.loss(e) / n : whole.loss(e));
    this.elapsed = this.log.addEpochs(
      r.completed,
      cost,
      (e) => whole.correct(e) / n,
      n,
      n,
      seconds,
      this.elapsed,
    );
    this.epoch += r.completed;
    // Only the last epoch of a call can stop the run: the kernel stops at the tolerance, the
    // count keeps within the epochs, and there is no patience here (no best weights to keep).
    if (r.completed > 0) this.applyStoppingRules(cost(r.completed - 1));
    if (r.status === 'diverged') {
      // The kernel put back the weights that epoch began with.
      this.snapshotTaken = false;
      this.diverge(r.cost);
    }
    return r.completed;
  }

  /** The rest of the epoch under way (or a new one), or null when the clock passed `until` first. */
  private advance(n: number, until: number | undefined): EpochInfo | null {
    const engine = this.engine;
    if (this.cursor === 0) this.beginEpoch(this.clock, engine.snapshots);
    while (this.cursor < n) {
      this.cursor = engine.train(this.cursor, Math.min(n, this.cursor + engine.stride));
      if (this.cursor < n && until !== undefined && (this.clock = now()) >= until) return null;
    }
    this.cursor = 0;
    this.clock = now();
    return this.endEpoch(this.clock);
  }

  /** One whole epoch, on a stream or on in-memory data. */
  async runEpochAsync(): Promise<EpochInfo> {
    if (this.data.n !== null) return this.runEpoch();
    this.beginEpoch(now(), true);
    // On a stream the engine updates from batches in its buffers (never the kernel, which holds the data).
    const engine = this.engine as BatchEngine;
    const full = engine.batch(this.settings.batchSize);
    const seen = await this.data.eachBatch(full.x, full.t, (rows) => engine.updateFrom(full, rows));
    if (seen === 0) throw new BackpropError('inputs: the stream gave no examples');
    return this.endEpoch(now());
  }

  /** The cost J (with the training loss and reduction) and accuracy of the network on other data. */
  evaluate(inputs: MatrixInput, targets: MatrixInput): Measured {
    const { backend, dtype } = this.net;
    const x = toMatrix(inputs, backend, dtype, 'inputs', this.net.inputs);
    const t = toMatrix(targets, backend, dtype, 'targets', this.net.outputs);
    try {
      if (x.rows !== t.rows) throw new BackpropError(`targets: ${t.rows} rows for ${x.rows} rows of inputs`);
      return measure(this.net, this.settings, this.classification, x, t);
    } finally {
      backend.free(x);
      backend.free(t);
    }
  }

  /** Closes the epoch at time `end` (ms). */
  private endEpoch(end: number): EpochInfo {
    const { settings, totals } = this;
    const seen = totals.seen;
    const cost = settings.reduction === 'mean' ? totals.loss / seen : totals.loss;
    // Checked before counting the epoch, so that the error names this epoch. The
    // last update can overflow a weight (float32 most easily) although the cost,
    // measured before it, was finite: that is divergence too.
    if (!Number.isFinite(cost)) this.diverge(cost);
    if (!this.paramsFinite()) this.diverge(Number.NaN);
    const seconds = (end - this.epochStart) / 1000;
    this.epoch++;
    this.elapsed += seconds;
    const { epoch, elapsed: elapsedSeconds } = this;
    const { updates } = totals;
    // One literal per shape: adding a field afterwards would change the object's hidden class.
    const learningRate = this.log.currentRates();
    const info: EpochInfo = this.classification
      ? {
          epoch,
          cost,
          accuracy: totals.correct / seen,
          updates,
          examples: seen,
          seconds,
          elapsedSeconds,
          learningRate,
        }
      : { epoch, cost, updates, examples: seen, seconds, elapsedSeconds, learningRate };
    const { valX, valT, valW } = this.data;
    if (valX && valT) {
      const v = measure(this.net, settings, this.classification, valX, valT, valW);
      info.validationCost = v.cost;
      if (v.accuracy !== undefined) info.validationAccuracy = v.accuracy;
    }
    this.log.addRecord(info);
    const monitored = info.validationCost ?? info.cost;
    this.applyStoppingRules(monitored);
    this.stepSchedule(monitored, seen);
    return info;
  }

  /**
   * The schedule's step after an epoch that ended with cost `monitored` (the
   * validation cost when there is one) on `examples` examples: eta^(n) of the
   * next epoch, given to the engine and the log.
   */
  private stepSchedule(monitored: number, examples: number): void {
    const schedule = this.schedule;
    if (schedule === null || !schedule.step(monitored, examples)) return;
    this.engine.setRates(schedule.rates);
    this.log.setRates(schedule.rates.slice());
  }

  /** Patience, tolerance and the epoch limit, after an epoch whose monitored cost is `monitored`. */
  private applyStoppingRules(monitored: number): void {
    const reason = this.stopping.after(this.epoch, monitored);
    if (reason) this.stopReason = reason;
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
    this.stopping.restoreBest();
  }

  /** Stops training from outside (an abort signal, a callback). */
  stop(reason: StopReason): void {
    this.stopReason ??= reason;
  }

  /** The whole state, to save and later continue with {@link Trainer.restore} to exactly the same result. */
  checkpoint(): TrainerCheckpoint {
    const best = this.stopping.state();
    return {
      kind: 'backprop-checkpoint',
      version: 1,
      epoch: this.epoch,
      cursor: this.cursor,
      order: this.cursor > 0 ? Array.from(this.engine.order) : null,
      random: this.random.getState(),
      ...(this.dropout ? { dropout: this.dropout.getState() } : {}),
      // The time spent so far in an unfinished epoch, so that its seconds stay right after a restore.
      running: { ...this.totals, seconds: this.cursor > 0 ? (now() - this.epochStart) / 1000 : 0 },
      weights: packLayers(this.net, this.params),
      optimizer: this.optimizer.getState(),
      best: {
        cost: best.cost,
        epoch: best.epoch,
        since: best.since,
        weights: best.weights ? packLayers(this.net, best.weights) : null,
      },
      history: this.history.map((h) => ({ ...h, learningRate: h.learningRate.slice() })),
      stopReason: this.stopReason,
      ...(this.schedule ? { schedule: this.schedule.getState() } : {}),
    };
  }

  /** Continues from a {@link Trainer.checkpoint} made with the same data and options. */
  restore(cp: TrainerCheckpoint): void {
    checkCheckpoint(cp, this.net);
    unpackLayers(cp.weights, this.params);
    this.optimizer.setState(cp.optimizer);
    this.random.setState(cp.random);
    if (this.dropout && cp.dropout) this.dropout.setState(cp.dropout);
    this.epoch = cp.epoch;
    this.cursor = cp.cursor;
    if (cp.order) this.engine.order.set(cp.order);
    Object.assign(this.totals, cp.running);
    this.epochStart = now() - (cp.running.seconds ?? 0) * 1000;
    const bestWeights = cp.best.weights;
    this.stopping.setState(
      cp.best.cost,
      cp.best.epoch,
      cp.best.since,
      bestWeights ? (into) => unpackLayers(bestWeights, into) : undefined,
    );
    this.log.clear();
    for (const h of cp.history) this.log.addRecord(h);
    if (this.schedule && cp.schedule) {
      this.schedule.setState(cp.schedule);
      this.engine.setRates(this.schedule.rates);
      this.log.setRates(this.schedule.rates.slice());
    }
    this.elapsed = cp.history.at(-1)?.elapsedSeconds ?? 0;
    this.stopReason = cp.stopReason;
    for (let i = 0; i < this.params.length; i++) this.net.backend.copy(this.params[i], this.snapshot[i]);
    this.snapshotTaken = true;
  }

  /** Gives every buffer back to the backend. The trainer cannot be used afterwards. */
  dispose(): void {
    const b = this.net.backend;
    this.engine.free();
    this.data.free();
    this.stopping.free();
    for (const m of [...this.snapshot, ...this.grads.weights, ...this.grads.biases]) b.free(m);
    this.optimizer.free();
  }
}
