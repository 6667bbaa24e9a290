/**
 * `fit`: the asynchronous training loop around a {@link Trainer}. It trains in
 * slices of about 50 ms ({@link Trainer.run}) and yields to the event loop
 * between them, so an `AbortSignal` or a page stays responsive even within a
 * long epoch.
 *
 * @module
 */
import type { MatrixInput } from '../data/tensor.js';
import { BackpropError } from '../errors.js';
import type { Network } from '../network.js';
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

const SLICE_MS = 50;

function now(): number {
  return globalThis.performance ? globalThis.performance.now() : Date.now();
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
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
    let sliceEnd = now() + SLICE_MS;
    while (!trainer.stopReason) {
      // The signal can only change while this loop awaits (or in onEpoch), so once a round is enough.
      if (signal?.aborted) {
        trainer.stop('abort');
        break;
      }
      let info: EpochInfo | null;
      if (trainer.examples === null) info = await trainer.runEpochAsync();
      else info = trainer.run({ epochs: onEpoch ? 1 : undefined, until: sliceEnd });
      if (now() >= sliceEnd) {
        await yieldToEventLoop();
        sliceEnd = now() + SLICE_MS;
      }
      if (info && onEpoch && (await onEpoch(info)) === false) trainer.stop('callback');
    }
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
