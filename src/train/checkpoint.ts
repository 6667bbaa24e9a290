/**
 * A trainer's whole state as plain JSON (a {@link TrainerCheckpoint}), to
 * resume exactly where it stopped: the weights, the optimizer's state, the
 * generator of the shuffles, where the epoch under way is, what patience has
 * seen, and the history. The format is fixed: checkpoints saved by earlier
 * versions resume.
 *
 * @module
 */
import type { Matrix } from '../backend/backend.js';
import { BackpropError } from '../errors.js';
import type { Network } from '../network.js';
import type { Optimizer } from '../optimizers.js';
import type { ScheduleState } from '../schedules.js';
import type { EpochInfo } from './epoch-log.js';
import type { StopReason } from './stopping.js';

/** One layer's weights and biases, row-major. */
export interface PackedLayer {
  weights: number[];
  biases: number[];
}

/** A trainer's whole state as plain JSON, to resume exactly where it stopped. */
export interface TrainerCheckpoint {
  kind: 'backprop-checkpoint';
  version: 1;
  epoch: number;
  cursor: number;
  order: number[] | null;
  random: number[];
  /** The state of the dropout masks' generator, when a layer drops nodes. */
  dropout?: number[];
  running: { loss: number; correct: number; seen: number; updates: number; seconds: number };
  weights: PackedLayer[];
  optimizer: ReturnType<Optimizer['getState']>;
  best: {
    cost: number;
    epoch: number;
    since: number;
    weights: PackedLayer[] | null;
  };
  history: EpochInfo[];
  stopReason: StopReason | null;
  /** The schedule of eta's state, when the rates follow one (older checkpoints have none). */
  schedule?: ScheduleState;
}

/** Weights and biases as matrices (weights, biases, layer by layer) packed as plain arrays. */
export function packLayers(net: Network, ms: readonly Matrix[]): PackedLayer[] {
  return net.layers.map((_, n) => ({
    weights: Array.from(ms[2 * n].data),
    biases: Array.from(ms[2 * n + 1].data),
  }));
}

/** Copies packed layers into matrices (weights, biases, layer by layer), refusing a shape that differs. */
export function unpackLayers(src: readonly PackedLayer[], into: readonly Matrix[]): void {
  src.forEach((l, n) => {
    if (l.weights.length !== into[2 * n].data.length || l.biases.length !== into[2 * n + 1].data.length) {
      throw new BackpropError(`checkpoint: layer ${n + 1} does not match the network's shape`);
    }
    into[2 * n].data.set(l.weights);
    into[2 * n + 1].data.set(l.biases);
  });
}

/** Refuses what is not a checkpoint of this format for a network of `net`'s layers. */
export function checkCheckpoint(cp: TrainerCheckpoint, net: Network): void {
  if (cp?.kind !== 'backprop-checkpoint' || cp.version !== 1) {
    throw new BackpropError('checkpoint: not a backprop checkpoint of version 1');
  }
  if (cp.weights.length !== net.layers.length) {
    throw new BackpropError(`checkpoint: ${cp.weights.length} layers, the network has ${net.layers.length}`);
  }
}
