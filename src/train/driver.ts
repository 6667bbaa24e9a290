/**
 * The training loop, written once for {@link fit}, the command line and any
 * page: it runs a {@link Trainer}'s epochs in time slices
 * ({@link Trainer.run} with `until`, so an epoch can be cut in the middle and
 * many tiny epochs share one slice), and between slices hands control to a
 * hook that yields to the event loop, so that an `AbortSignal`, a Ctrl-C or a
 * message can come in. A stream of chunks trains an epoch at a time
 * ({@link Trainer.runEpochAsync}).
 *
 * @module
 */
import { BackpropError } from '../errors.js';
import type { EpochInfo, StopReason, Trainer } from './trainer.js';

/** Options of {@link drive}. */
export interface DriveOptions {
  /** Stops training (reason `abort`) at the next look, once aborted; the weights stay as they are then. */
  signal?: AbortSignal;
  /**
   * Called after each epoch, in order; returning `false` (or a promise of it)
   * stops training (reason `callback`). Without it, a slice runs as many epochs
   * as fit in it, which lets a small network run whole epochs in one call of
   * its kernel.
   */
  onEpoch?: (info: EpochInfo) => void | boolean | Promise<void | boolean>;
  /**
   * Called between slices, to yield: by default a macrotask (setImmediate in
   * Node, setTimeout 0 elsewhere). Returning `false` ends {@link drive} without
   * stopping the trainer (a pause: drive it again to go on); throwing ends it
   * with that error.
   */
  between?: () => void | boolean | Promise<void | boolean>;
  /** Length of a slice in milliseconds; default 50. */
  sliceMs?: number;
}

/** Default length of a slice, ms: short enough for a page to stay responsive. */
export const SLICE_MS = 50;

/** The clock of {@link Trainer.run}'s `until`, in milliseconds. */
export function now(): number {
  return globalThis.performance ? globalThis.performance.now() : Date.now();
}

/** Resolves on the next turn of the event loop (after timers and I/O waiting now). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}

/**
 * Trains until a stopping rule fires, the signal aborts, `onEpoch` returns
 * false, or `between` returns false (a pause). Resolves to the trainer's
 * {@link Trainer.stopReason} (null after a pause); rejects with whatever the
 * trainer, `onEpoch` or `between` threw (a {@link DivergenceError}, say).
 *
 * @example
 * ```ts
 * const trainer = new Trainer(net, inputs, targets, { epochs: 1000 });
 * const reason = await drive(trainer, { signal, onEpoch: (info) => console.log(info.cost) });
 * trainer.dispose();
 * ```
 */
export async function drive(trainer: Trainer, options: DriveOptions = {}): Promise<StopReason | null> {
  const { signal, onEpoch, between = yieldToEventLoop, sliceMs = SLICE_MS } = options;
  if (onEpoch !== undefined && typeof onEpoch !== 'function') {
    throw new BackpropError('onEpoch: expected a function');
  }
  if (typeof between !== 'function') throw new BackpropError('between: expected a function');
  if (typeof sliceMs !== 'number' || !(sliceMs > 0)) {
    throw new BackpropError(`sliceMs: expected a positive number, got ${String(sliceMs)}`);
  }
  const streamed = trainer.examples === null;
  // With a callback, one epoch per call so that it sees every epoch and can stop at any.
  const epochs = onEpoch ? 1 : undefined;
  let sliceEnd = now() + sliceMs;
  while (!trainer.stopReason) {
    // The signal can only change while this loop awaits, so a look per round is enough.
    if (signal?.aborted) {
      trainer.stop('abort');
      break;
    }
    const info = streamed ? await trainer.runEpochAsync() : trainer.run({ epochs, until: sliceEnd });
    if (info && onEpoch && (await onEpoch(info)) === false) trainer.stop('callback');
    if (!trainer.stopReason && now() >= sliceEnd) {
      if ((await between()) === false) break;
      sliceEnd = now() + sliceMs;
    }
  }
  return trainer.stopReason;
}
