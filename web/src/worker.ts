/**
 * The training worker: owns the network and the library's Trainer (the same
 * step function as fit() and the command line) and trains in bursts, posting a
 * snapshot to draw after each, so the page stays smooth however fast it trains.
 *
 * @module
 */
import {
  classIndex,
  countCorrect,
  createWorkspace,
  DivergenceError,
  forward,
  type Matrix,
  Network,
  Random,
  type RunFacts,
  type ShapedArray,
  Trainer,
  type TrainerCheckpoint,
  toMatrix,
  trainingRecord,
  type Workspace,
} from 'backprop-mlp';
import type {
  CostPoint,
  ExplainPayload,
  FromWorker,
  InitMessage,
  LayerWeights,
  Snapshot,
  ToWorker,
} from './protocol.js';
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

function layerWeights(net: Network): LayerWeights[] {
  const model = net.toJSON({});
  return model.layers.map((l) => ({
    units: l.units,
    activation: l.activation,
    weights: l.weights,
    biases: l.biases,
  }));
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

/**
 * The minority class (fewest training examples) and its recall on each set:
 * the share of its examples the network names as it. Null unless the data
 * were made imbalanced.
 */
function minority(s: State): Snapshot['minority'] {
  if (!s.msg.setup.imbalanced || !s.msg.classes) return null;
  const width = s.net.outputs;
  const labels = (t: ShapedArray) =>
    Array.from({ length: t.shape[0] }, (_, i) => classIndex(t.data, i * width, width));
  const train = labels(s.trainTargets);
  const counts = new Map<number, number>();
  for (const c of train) counts.set(c, (counts.get(c) ?? 0) + 1);
  const label = [...counts].sort((a, b) => a[1] - b[1] || a[0] - b[0])[0]?.[0] ?? 0;
  const recall = (set: 'train' | 'test', t: ShapedArray): number | null => {
    const truth = set === 'train' ? train : labels(t);
    const rows = truth.flatMap((c, i) => (c === label ? [i] : []));
    if (rows.length === 0) return null;
    const y = s.net.predict(rows.map((i) => s.msg[set].inputs[i]));
    return y.filter((r) => classIndex(r, 0, width) === label).length / rows.length;
  };
  return { label, train: recall('train', s.trainTargets), test: recall('test', s.testTargets) };
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

/**
 * The examples the next update will use: the trainer is stepped once and put
 * back exactly with its own checkpoint, so shuffling and the cursor are the
 * library's own, not a copy of them.
 */
function nextBatch(s: State, before: TrainerCheckpoint): number[] {
  const n = s.msg.train.inputs.length;
  const { mode } = s.trainer.settings;
  const size = s.trainer.settings.batchSize;
  if (mode === 'batch') return Array.from({ length: n }, (_, i) => i);
  try {
    s.trainer.step();
    const after = s.trainer.checkpoint();
    if (after.order && after.cursor > 0)
      return after.order.slice(after.cursor - Math.min(size, after.cursor), after.cursor);
    // The step ended an epoch: the batch was the epoch's last one.
    const order = before.order ?? Array.from({ length: n }, (_, i) => i);
    return order.slice(before.cursor, n);
  } finally {
    s.trainer.restore(before);
  }
}

/**
 * The dropout masks the next update will draw (1 kept, 0 dropped), per layer,
 * or undefined without dropout: the trainer's own mask generator, read from
 * its checkpoint, drawn as an update draws them (layer by layer, row-major,
 * node i of example r dropped when its 32-bit draw is below p 2^32).
 */
function nextMasks(s: State, cp: TrainerCheckpoint, rows: number): (number[][] | null)[] | undefined {
  if (!cp.dropout) return undefined;
  const random = new Random();
  random.setState(cp.dropout);
  return s.net.layers.map((layer) => {
    if (!(layer.dropout > 0)) return null;
    const threshold = layer.dropout * 4294967296;
    return Array.from({ length: rows }, () =>
      Array.from({ length: layer.units }, () => (random.uint32() < threshold ? 0 : 1)),
    );
  });
}

/**
 * w_i of the examples of the next update under class weights, as the trainer
 * weighs them (scikit-learn's balanced: n / (classes present x examples of the class),
 * counted over the training set), or undefined without them.
 */
function classWeightsOf(s: State, indices: number[]): number[] | undefined {
  if (s.msg.setup.classWeights !== 'balanced' || !s.msg.classes) return undefined;
  const width = s.net.outputs;
  const t = s.trainTargets;
  const rows = t.shape[0];
  const counts = new Map<number, number>();
  for (let i = 0; i < rows; i++) {
    const c = classIndex(t.data, i * width, width);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return indices.map((i) => rows / (counts.size * counts.get(classIndex(t.data, i * width, width))!));
}

function explain(s: State): ExplainPayload | null {
  // A stopped trainer takes no further step, so there is no next update to explain.
  if (s.trainer.stopReason || s.diverged) return null;
  try {
    const cp = s.trainer.checkpoint();
    const indices = nextBatch(s, cp);
    const inputs = indices.map((i) => s.msg.train.inputs[i]);
    const targets = indices.map((i) => s.msg.train.targets[i]);
    // The rates of the epoch to come: the schedule's, else the layers' own.
    const rates = cp.schedule ? cp.schedule.rates.slice() : learningRates(s.msg.setup);
    const masks = nextMasks(s, cp, indices.length);
    const sampleWeights = classWeightsOf(s, indices);
    const trace = s.net.explain(inputs, targets, {
      loss: s.msg.setup.loss,
      reduction: s.msg.setup.reduction,
      learningRate: rates,
      ...(masks ? { masks } : {}),
      ...(sampleWeights ? { sampleWeights } : {}),
    });
    return {
      indices,
      inputs,
      targets,
      trace: JSON.parse(JSON.stringify(trace)),
      before: layerWeights(s.net),
      learningRates: rates,
      exact: s.msg.setup.optimizer === 'sgd' && s.msg.setup.weightDecay === 0 && s.msg.setup.l1 === 0,
    };
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
