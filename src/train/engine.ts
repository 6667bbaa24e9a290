/**
 * Update engines: what does the updates of an epoch, behind one interface, so
 * that the {@link Trainer} keeps only the epoch, the clock and the stopping
 * rules. Three engines compute the same numbers (tests hold them to the bit):
 * - `general` (`engine-general.ts`): the backend's kernels through forward and
 *   backward propagation, and the {@link Optimizer}; every mode and optimizer;
 * - `js` (`engine-inline.ts`): small networks trained one example at a time
 *   with plain sgd, the same arithmetic inline in TypeScript (see `small.ts`);
 * - `wasm` (`engine-wasm.ts`): the same updates in the WebAssembly
 *   small-network kernel (see `small-wasm.ts`), runs of updates per call and,
 *   when the kernel can keep an epoch's books itself, whole epochs per call.
 *
 * The choice is made once, by {@link createEngine}.
 *
 * @module
 */
import type { Matrix } from '../backend/backend.js';
import { BackpropError } from '../errors.js';
import type { Network } from '../network.js';
import type { Optimizer } from '../optimizers.js';
import type { Gradients } from '../propagation.js';
import type { Random } from '../random.js';
import type { ResolvedSettings, TrainOptions } from '../settings.js';
import type { BatchEngine } from './engine-batch.js';
import { GeneralEngine } from './engine-general.js';
import { InlineEngine } from './engine-inline.js';
import { WasmEngine } from './engine-wasm.js';
import { useSmallPath } from './small.js';
import type { SmallEpochs } from './small-wasm.js';

/** The running totals of the epoch under way; engines add to them at every update. */
export interface EpochTotals {
  /** sum_i L(i) over the examples used so far. */
  loss: number;
  /** Right answers among them (classification). */
  correct: number;
  /** Examples used so far. */
  seen: number;
  /** Updates done so far. */
  updates: number;
  /** Seconds spent before a restore (kept by checkpoints). */
  seconds: number;
}

/** What every engine is given by the trainer. */
export interface EngineContext {
  net: Network;
  settings: ResolvedSettings;
  /** Whether to count right answers. */
  classification: boolean;
  totals: EpochTotals;
  /** The generator of the dropout masks, or null when no layer drops nodes. */
  dropout: Random | null;
  /** Ends the epoch as diverged (the loss or cost `cost` is not finite): puts the epoch's weights back and throws. */
  diverge: (cost: number) => never;
}

/** Whole epochs in one call (the WebAssembly kernel), each one's books kept by the kernel. */
export interface WholeEpochs {
  /**
   * Up to `count` epochs: the order reset and shuffled by `random` (if
   * `shuffle`), the cost reduced by the mean (if `mean`), a stop after an
   * epoch whose cost is at or below `tolerance`.
   */
  run(count: number, shuffle: boolean, mean: boolean, tolerance: number, random: Random): SmallEpochs;
  /** sum_i L(i) of epoch `e` (from 0) of the last run. */
  loss(e: number): number;
  /** Right answers in epoch `e` (from 0) of the last run. */
  correct(e: number): number;
}

/** Does the updates of in-memory epochs. */
export interface UpdateEngine {
  readonly kind: 'general' | 'js' | 'wasm';
  /** The order in which the epoch takes the examples; the trainer resets and shuffles it. */
  readonly order: Uint32Array;
  /** Examples between looks at the clock: about 2^18 multiply-adds. */
  readonly stride: number;
  /**
   * Whether an epoch's starting weights must be copied aside to undo a
   * divergence; not when the whole epoch is one call that leaves the weights
   * alone if it fails.
   */
  readonly snapshots: boolean;
  /** Whole epochs per call, or null. */
  readonly epochs: WholeEpochs | null;
  /** eta^(n) of each layer from the next update on (a schedule's rates for the next epoch). */
  setRates(rates: readonly number[]): void;
  /**
   * The updates of the epoch under way from example `order[cursor]` on, until
   * `end` examples of it are used (a last batch may go past it to the epoch's
   * end); adds to the totals. Returns the new cursor.
   */
  train(cursor: number, end: number): number;
  /** Gives the engine's buffers back. */
  free(): void;
}

/** The in-memory training examples, or null for a stream. */
export interface Examples {
  x: Matrix;
  t: Matrix;
  n: number;
  /** w_i of each example (sample and class weights), or null when unweighted. */
  w: Float64Array | null;
}

/**
 * The engine for this network, data and options, chosen once. `wholeEpochs`
 * says whether the trainer can leave an epoch's books to the kernel (no
 * validation to measure, no best weights to keep). For a stream (`examples`
 * null) it is always a {@link BatchEngine}, which updates from buffers.
 */
export function createEngine(
  ctx: EngineContext,
  examples: Examples | null,
  grads: Gradients,
  optimizer: Optimizer,
  option: TrainOptions['inlineSmallNetworks'],
  wholeEpochs: boolean,
): UpdateEngine {
  const inline = option ?? true;
  if (inline !== true && inline !== false && inline !== 'wasm' && inline !== 'js') {
    throw new BackpropError(
      `inlineSmallNetworks: expected true, false, 'wasm' or 'js', got ${String(inline)}`,
    );
  }
  const { net, settings } = ctx;
  // The small paths have no dropout: a run with it goes through the general engine.
  const small =
    inline !== false &&
    ctx.dropout === null &&
    // L1 and weighted examples too: the small paths compute neither.
    settings.optimizer.l1 === 0 &&
    !examples?.w &&
    useSmallPath(net, settings.batchSize, settings.optimizer.name, settings.optimizer.weightDecay);
  if (!small) return new GeneralEngine(ctx, examples, grads, optimizer);
  if (inline !== 'js' && examples) {
    const engine = WasmEngine.create(ctx, examples, wholeEpochs);
    if (engine) return engine;
    if (inline === 'wasm') {
      throw new BackpropError('inlineSmallNetworks: WebAssembly does not compile in this engine');
    }
  }
  return new InlineEngine(ctx, examples, grads);
}
