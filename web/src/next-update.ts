/**
 * What the worker reads off the trainer without changing it: the update it
 * will do next (its examples, the dropout masks it will draw, the class
 * weights and the scheduled rates), traced by the library's `explain`; and
 * the minority class's recall on imbalanced data.
 *
 * @module
 */
import {
  classIndex,
  classWeightsOf,
  drawMask,
  type Network,
  Random,
  type ShapedArray,
  type Trainer,
  type TrainerCheckpoint,
} from 'backprop-mlp';
import type { ExplainPayload, InitMessage, LayerWeights, Snapshot } from './protocol.js';
import { learningRates } from './setup.js';

/** The parts of the worker's experiment read here. */
export interface Experiment {
  msg: InitMessage;
  net: Network;
  trainer: Trainer;
  trainTargets: ShapedArray;
  testTargets: ShapedArray;
}

/** Each layer's weights as the model file has them. */
export function layerWeights(net: Network): LayerWeights[] {
  const model = net.toJSON({});
  return model.layers.map((l) => ({
    units: l.units,
    activation: l.activation,
    weights: l.weights,
    biases: l.biases,
  }));
}

/** The class of each target row. */
function labels(t: ShapedArray, width: number): number[] {
  return Array.from({ length: t.shape[0] }, (_, i) => classIndex(t.data, i * width, width));
}

/** How many examples each class has. */
function countOf(classes: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const c of classes) counts.set(c, (counts.get(c) ?? 0) + 1);
  return counts;
}

/**
 * The minority class (fewest training examples) and its recall on each set:
 * the share of its examples the network names as it. Null unless the data
 * were made imbalanced.
 */
export function minority(s: Experiment): Snapshot['minority'] {
  if (!s.msg.setup.imbalanced || !s.msg.classes) return null;
  const width = s.net.outputs;
  const train = labels(s.trainTargets, width);
  const counts = countOf(train);
  const label = [...counts].sort((a, b) => a[1] - b[1] || a[0] - b[0])[0]?.[0] ?? 0;
  const recall = (set: 'train' | 'test', t: ShapedArray): number | null => {
    const truth = set === 'train' ? train : labels(t, width);
    const rows = truth.flatMap((c, i) => (c === label ? [i] : []));
    if (rows.length === 0) return null;
    const y = s.net.predict(rows.map((i) => s.msg[set].inputs[i]));
    return y.filter((r) => classIndex(r, 0, width) === label).length / rows.length;
  };
  return { label, train: recall('train', s.trainTargets), test: recall('test', s.testTargets) };
}

/**
 * The examples the next update will use: the trainer is stepped once and put
 * back exactly with its own checkpoint, so shuffling and the cursor are the
 * library's own, not a copy of them.
 */
function nextBatch(s: Experiment, before: TrainerCheckpoint): number[] {
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
 * or undefined without dropout: the library's own draw, from the trainer's
 * mask generator as its checkpoint holds it.
 */
function nextMasks(s: Experiment, cp: TrainerCheckpoint, rows: number): (number[][] | null)[] | undefined {
  if (!cp.dropout) return undefined;
  const random = new Random();
  random.setState(cp.dropout);
  return s.net.layers.map((layer) => {
    if (!(layer.dropout > 0)) return null;
    const mask = { data: new Float64Array(rows * layer.units) };
    drawMask(mask, layer.dropout, random);
    return Array.from({ length: rows }, (_, r) =>
      Array.from(mask.data.subarray(r * layer.units, (r + 1) * layer.units), (m) => (m === 0 ? 0 : 1)),
    );
  });
}

/**
 * w_i of the examples of the next update under class weights, as the trainer
 * weighs them (the library's classWeightsOf over the training set), or
 * undefined without them.
 */
function nextClassWeights(s: Experiment, indices: number[]): number[] | undefined {
  if (s.msg.setup.classWeights !== 'balanced' || !s.msg.classes) return undefined;
  const width = s.net.outputs;
  const t = s.trainTargets.data;
  const rows = s.trainTargets.shape[0];
  const perClass = classWeightsOf(
    'balanced',
    t,
    width,
    Uint32Array.from({ length: rows }, (_, i) => i),
  );
  return indices.map((i) => perClass[classIndex(t, i * width, width)]);
}

/** The step trace of the update the trainer will do next, with its batch, masks, weights and rates. */
export function explainNext(s: Experiment): ExplainPayload {
  const cp = s.trainer.checkpoint();
  const indices = nextBatch(s, cp);
  const inputs = indices.map((i) => s.msg.train.inputs[i]);
  const targets = indices.map((i) => s.msg.train.targets[i]);
  // The rates of the epoch to come: the schedule's, else the layers' own.
  const rates = cp.schedule ? cp.schedule.rates.slice() : learningRates(s.msg.setup);
  const masks = nextMasks(s, cp, indices.length);
  const sampleWeights = nextClassWeights(s, indices);
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
}
