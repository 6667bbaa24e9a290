/**
 * `fit`: a {@link Trainer} made from the data and options, trained to the end
 * by {@link drive} (slices of about 50 ms with a yield to the event loop
 * between them, so an `AbortSignal` or a page stays responsive even within a
 * long epoch), and what it did as a {@link History}.
 *
 * @module
 */
import type { MatrixInput } from '../data/tensor.js';
import { BackpropError } from '../errors.js';
import type { Network } from '../network.js';
import { drive, now } from './driver.js';
import {
  type EpochInfo,
  type ResolvedSettings,
  type StopReason,
  Trainer,
  type TrainingSource,
  type TrainOptions,
} from './trainer.js';

export type { TrainingSource };

/** Options of {@link fit}: the training options, a signal and a callback. */
export interface FitOptions extends TrainOptions {
  /** Stops training at the next step when aborted; the weights stay as they are then. */
  signal?: AbortSignal;
  /** Called after each epoch; returning `false` stops training. */
  onEpoch?: (info: EpochInfo) => void | boolean | Promise<void | boolean>;
}

/** What a whole training run did. */
export interface History {
  /** One entry per completed epoch. */
  epochs: EpochInfo[];
  /** Why training stopped. */
  stoppedBy: StopReason;
  /** The epoch whose weights the network holds at the end, when patience restored the best. */
  bestEpoch?: number;
  /** The settings after defaults. */
  settings: ResolvedSettings;
  /** Seconds of training. */
  seconds: number;
}

/**
 * Trains `net` until a stopping rule fires: the epoch limit, the tolerance, the
 * patience, the signal, or the callback. Resolves to the {@link History}; rejects
 * with a {@link DivergenceError} (the network keeping the last finite weights)
 * when the cost becomes NaN or infinite.
 */
export async function fit(
  net: Network,
  inputs: TrainingSource,
  targets: MatrixInput | null,
  options: FitOptions = {},
): Promise<History> {
  const { signal, onEpoch } = options;
  if (onEpoch !== undefined && typeof onEpoch !== 'function') {
    throw new BackpropError('onEpoch: expected a function');
  }
  const trainer = new Trainer(net, inputs, targets, options);
  const started = now();
  try {
    await drive(trainer, { signal, onEpoch });
    const history: History = {
      // Made into objects when first read (a run of XOR has tens of thousands of tiny epochs).
      get epochs() {
        return trainer.history;
      },
      stoppedBy: trainer.stopReason ?? 'abort',
      settings: trainer.settings,
      seconds: (now() - started) / 1000,
    };
    if (trainer.settings.patience !== undefined) history.bestEpoch = trainer.bestEpoch;
    return history;
  } finally {
    trainer.dispose();
  }
}
