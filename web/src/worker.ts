/**
 * The training worker: owns the network and the library's Trainer (the same
 * step function as fit() and the command line) and trains in bursts, posting a
 * snapshot to draw after each, so the page stays smooth however fast it trains.
 *
 * @module
 */
import {
  countCorrect,
  createWorkspace,
  DivergenceError,
  forward,
  type Matrix,
  Network,
  type RunFacts,
  type ShapedArray,
  Trainer,
  toMatrix,
  trainingRecord,
  type Workspace,
} from 'backprop-mlp';
import { explainNext, layerWeights, minority } from './next-update.js';
import type { CostPoint, ExplainPayload, FromWorker, InitMessage, Snapshot, ToWorker } from './protocol.js';
import { learningRates, trainOptions } from './setup.js';

/** How long one burst of training runs before the worker draws and reads messages. */
const BURST_MS = 30;

interface State {
  msg: InitMessage;
  net: Network;
  trainer: Trainer;
  /** The grid as a matrix and a workspace for its forward pass: every layer's out at once. */
  grid: { x: Matrix; ws: Workspace } | null;
  /** The examples as flat arrays, so that measuring the costs copies no rows. */
  trainFlat: ShapedArray;
  trainTargets: ShapedArray;
  testFlat: ShapedArray;
  testTargets: ShapedArray;
  epoch: number;
  updates: number;
  pending: CostPoint[];
  resetCurve: boolean;
  running: boolean;
  stopped: 'tolerance' | 'diverged' | null;
  /** Epochs run by the trainers before the current one (a settings change starts a new Trainer). */
  epochBase: number;
  /** Set once training diverged; only a new init trains again. */
  diverged: boolean;
  /** The training cost before the first update, the yardstick of divergence. */
  initialCost: number;
  /** A snapshot is on its way to the page and not yet drawn: train on, but send no other. */
  awaitingDraw: boolean;
  /** eta^(n) of the last epoch trained (EpochInfo.learningRate), or null before the first. */
  lastRates: readonly number[] | null;
}

/**
 * A cost this many times the initial one means the rate is too large. The
 * library stops at a cost that is not finite; stopping here too spares minutes
 * of overflowing arithmetic and a curve crushed by 1e300.
 */
const DIVERGENCE_FACTOR = 1e8;

let state: State | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;

/** The id of the current experiment (0 before the first). */
let current = 0;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  (self as unknown as Worker).postMessage(message, transfer);
}

/** The library's Trainer for `net` with the training settings of `msg.setup`. */
function makeTrainer(net: Network, msg: InitMessage): Trainer {
  const { setup, train, test } = msg;
  const options = trainOptions(setup, train.inputs.length);
  // Numbers have no classes to weigh.
  if (!msg.classes) delete options.classWeights;
  return new Trainer(net, train.inputs, train.targets, {
    ...options,
    epochs: Number.MAX_SAFE_INTEGER,
    validationData: test.inputs.length > 0 ? test : undefined,
  });
}

/** Builds the experiment of `msg`: a fresh network (or the loaded model) and its trainer. */
function build(msg: InitMessage): State {
  const { setup, train, test } = msg;
  let net: Network;
  if (msg.model) {
    net = Network.fromJSON(msg.model, { dtype: 'float64' });
  } else {
    net = new Network({
      inputs: train.inputs[0].length,
      layers: setup.layers.map((l) => ({ units: l.units, activation: l.activation, dropout: l.dropout })),
      seed: setup.seed,
      dtype: 'float64',
      ...(setup.init === 'zeros' ? { init: 'zeros' as const } : {}),
    });
  }
  if (msg.meta) net.meta = { ...msg.meta };
  const trainer = makeTrainer(net, msg);
  const grid = msg.grid
    ? {
        x: toMatrix(flat(msg.grid, net.inputs), net.backend, net.dtype, 'grid', net.inputs),
        ws: createWorkspace(net, msg.grid.length),
      }
    : null;
  return {
    msg,
    net,
    trainer,
    grid,
    trainFlat: flat(train.inputs, net.inputs),
    testFlat: flat(test.inputs, net.inputs),
    trainTargets: flat(train.targets, net.outputs),
    testTargets: flat(test.targets, net.outputs),
    epoch: 0,
    updates: 0,
    pending: [],
    resetCurve: true,
    running: false,
    stopped: null,
    epochBase: 0,
    diverged: false,
    initialCost: Number.NaN,
    awaitingDraw: false,
    lastRates: null,
  };
}

/** Gives the experiment's matrices back to the backend. */
function dispose(s: State): void {
  s.trainer.dispose();
  if (s.grid) {
    const { backend } = s.net;
    for (const m of [s.grid.x, ...s.grid.ws.v, ...s.grid.ws.out, ...s.grid.ws.delta]) backend.free(m);
  }
}

/** Rows as one flat row-major array with its shape. */
function flat(rows: number[][], cols: number): ShapedArray {
  const data = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => {
    data.set(r, i * cols);
  });
  return { data, shape: [rows.length, cols] };
}

type Measured = { cost: number; accuracy?: number };

/**
 * The share of `x` whose outputs name the class of targets `t`: counted here
 * when the targets are classes but the loss is not (squared loss on XOR), where
 * the Trainer reports no accuracy.
 */
function accuracy(s: State, x: ShapedArray, t: ShapedArray): number {
  const rows = x.shape[0];
  const width = s.net.outputs;
  const y = new Float64Array(rows * width);
  s.net.predict(s.msg[x === s.trainFlat ? 'train' : 'test'].inputs).forEach((r, i) => {
    y.set(r, i * width);
  });
  return countCorrect(y, t.data, width, rows) / rows;
}

/** J and accuracy on the training and test sets with the current weights. */
function measure(s: State, withAccuracy = false): { train: Measured; test: Measured | null } {
  const train = s.trainer.evaluate(s.trainFlat, s.trainTargets);
  const test = s.testFlat.shape[0] > 0 ? s.trainer.evaluate(s.testFlat, s.testTargets) : null;
  if (withAccuracy && s.msg.classes) {
    train.accuracy ??= accuracy(s, s.trainFlat, s.trainTargets);
    if (test) test.accuracy ??= accuracy(s, s.testFlat, s.testTargets);
  }
  return { train, test };
}

function costPoint(s: State): CostPoint {
  const { train, test } = measure(s);
  return { epoch: s.epoch, train: train.cost, test: test ? test.cost : null };
}

function explain(s: State): ExplainPayload | null {
  // A stopped trainer takes no further step, so there is no next update to explain.
  if (s.trainer.stopReason || s.diverged) return null;
  try {
    return explainNext(s);
  } catch (e) {
    post({ type: 'error', id: current, message: `explain: ${(e as Error).message}` });
    return null;
  }
}

/** Every layer's outputs over the grid, from one forward pass: grid rows x units each. */
function gridOutputs(s: State): Float64Array[] | null {
  if (!s.grid) return null;
  forward(s.net, s.grid.ws, s.grid.x);
  return s.grid.ws.out.map((m) => Float64Array.from(m.data));
}

/** Outputs on the test set (or the training set without one), drawn when there is no plane to map. */
function predictions(s: State): Snapshot['predictions'] {
  const set = s.msg.test.inputs.length > 0 ? 'test' : 'train';
  const examples = s.msg[set];
  return { set, outputs: s.net.predict(examples.inputs), targets: examples.targets };
}

function snapshot(s: State, withExplain: boolean): void {
  const { train, test } = measure(s, true);
  const grids = gridOutputs(s);
  const message: Snapshot = {
    type: 'snapshot',
    id: s.msg.id,
    running: s.running,
    epoch: s.epoch,
    updates: s.updates,
    trainCost: train.cost,
    testCost: test ? test.cost : null,
    trainAccuracy: train.accuracy ?? null,
    testAccuracy: test?.accuracy ?? null,
    minority: minority(s),
    learningRates: s.lastRates ? s.lastRates.slice() : learningRates(s.msg.setup),
    costs: s.pending,
    resetCurve: s.resetCurve,
    layers: layerWeights(s.net),
    gridOutputs: grids,
    explain: withExplain ? explain(s) : null,
    predictions: s.msg.grid ? null : predictions(s),
    stopped: s.stopped,
  };
  s.pending = [];
  s.resetCurve = false;
  post(
    message,
    (grids ?? []).map((g) => g.buffer),
  );
}

/** One update; records a cost point when it completed an epoch. Throws on divergence. */
function stepOnce(s: State): boolean {
  const info = s.trainer.step();
  s.updates++;
  if (!info) return false;
  s.lastRates = info.learningRate;
  epochsEnded(s);
  return true;
}

/** Records a cost point after the trainer ended one or more epochs. Throws on divergence. */
function epochsEnded(s: State): void {
  s.epoch = s.epochBase + s.trainer.epoch;
  const point = costPoint(s);
  s.pending.push(point);
  if (!(point.train <= DIVERGENCE_FACTOR * Math.max(s.initialCost, 1e-6))) {
    throw new DivergenceError(s.trainer.epoch, point.train, null);
  }
  if (s.trainer.stopReason === 'tolerance') {
    s.stopped = 'tolerance';
    s.running = false;
  }
}

/**
 * Trains until `until` (ms): epochs back to back, many per call of the
 * small-network kernel, the clock read rarely; one cost point at the end if an
 * epoch ended. Throws on divergence.
 */
function burst(s: State, until: number): void {
  const { trainer } = s;
  const epoch = trainer.epoch;
  const inEpoch = trainer.updatesInEpoch;
  const info = trainer.run({ until });
  if (info) s.lastRates = info.learningRate;
  const perEpoch = Math.ceil((trainer.examples ?? 0) / trainer.settings.batchSize);
  s.updates += (trainer.epoch - epoch) * perEpoch + trainer.updatesInEpoch - inEpoch;
  if (trainer.epoch > epoch) epochsEnded(s);
}

function weightsFinite(net: Network): boolean {
  return net.layers.every(
    (l) => l.weights.data.every(Number.isFinite) && l.biases.data.every(Number.isFinite),
  );
}

function guard(s: State, action: () => void): boolean {
  try {
    action();
    if (!weightsFinite(s.net)) throw new DivergenceError(s.epoch + 1, Number.NaN, null);
    return true;
  } catch (e) {
    s.running = false;
    if (e instanceof DivergenceError) {
      s.diverged = true;
      s.stopped = 'diverged';
      const cost = Number.isFinite(e.cost) ? e.cost.toExponential(2) : String(e.cost);
      post({
        type: 'diverged',
        id: current,
        epoch: e.epoch,
        message:
          `Training diverged at epoch ${e.epoch}: the cost grew to ${cost} (it started at ${s.initialCost.toPrecision(3)}). ` +
          'The learning rate is too large for this network.',
      });
      snapshot(s, false);
    } else post({ type: 'error', id: current, message: (e as Error).message });
    return false;
  }
}

function loop(): void {
  timer = null;
  const s = state;
  if (!s?.running) return;
  const ok = guard(s, () => burst(s, performance.now() + BURST_MS));
  if (!ok) return;
  // While running, the next snapshot waits until the page has drawn the last one.
  if (!s.running || !s.awaitingDraw) {
    snapshot(s, !s.running);
    s.awaitingDraw = s.running;
  } else if (s.pending.length > 20_000) s.pending = s.pending.filter((_, i) => i % 2 === 0);
  if (s.running) timer = setTimeout(loop, 0);
}

/**
 * Training settings changed: a new Trainer continues from the current weights
 * (the epoch count and the cost curve go on; momentum and Adam's moments start
 * afresh). A run that was going keeps going; one stopped at the tolerance may
 * go on under the new settings. Divergence still needs a reset.
 */
function changeSettings(s: State, setup: InitMessage['setup']): void {
  if (s.diverged) return;
  const next = { ...s.msg, setup };
  const trainer = makeTrainer(s.net, next);
  s.trainer.dispose();
  s.trainer = trainer;
  s.msg = next;
  s.epochBase = s.epoch;
  s.stopped = null;
  // The new Trainer starts its schedule afresh.
  s.lastRates = null;
  if (!s.running) snapshot(s, true);
}

function stop(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  try {
    if (msg.type === 'init') {
      stop();
      if (state) dispose(state);
      // A setup the library refuses leaves no experiment behind, not the previous one.
      state = null;
      current = msg.id;
      state = build(msg);
      state.pending = [costPoint(state)];
      state.initialCost = state.pending[0].train;
      snapshot(state, true);
      return;
    }
    const s = state;
    if (!s) return;
    if (msg.type === 'run') {
      if (s.trainer.stopReason || s.diverged) {
        snapshot(s, false);
        return;
      }
      s.running = true;
      s.stopped = null;
      if (timer === null) timer = setTimeout(loop, 0);
    } else if (msg.type === 'pause') {
      s.running = false;
      stop();
      snapshot(s, true);
    } else if (msg.type === 'step') {
      s.running = false;
      stop();
      if (s.trainer.stopReason || s.diverged) {
        snapshot(s, false);
        return;
      }
      const ok = guard(s, () => {
        if (msg.unit === 'update') stepOnce(s);
        else while (!stepOnce(s)) {}
      });
      if (ok) snapshot(s, true);
    } else if (msg.type === 'drawn') {
      if (msg.id === s.msg.id) s.awaitingDraw = false;
    } else if (msg.type === 'settings') {
      changeSettings(s, msg.setup);
    } else if (msg.type === 'set-weight') {
      const layers = s.net.getWeights();
      const l = layers[msg.layer - 1];
      if (msg.m === 'b') l.biases[msg.i] = msg.value;
      else l.weights[msg.m][msg.i] = msg.value;
      s.net.setWeights(layers);
      // A new start for the rule: the old optimizer state belonged to other weights.
      changeSettings(s, s.msg.setup);
    } else if (msg.type === 'export') {
      s.net.meta = {
        ...msg.meta,
        training: trainingRecord(s.trainer.settings, {
          ...(msg.meta.training as RunFacts),
          epochs: s.epoch,
          rows: s.msg.train.inputs.length,
          stoppedBy: s.stopped,
        }),
      };
      post({ type: 'model', id: current, json: s.net.toJSON() });
    }
  } catch (e) {
    post({ type: 'error', id: current, message: (e as Error).message });
  }
};
