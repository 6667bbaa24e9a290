/**
 * The `wasm` engine: small networks trained one example at a time with plain
 * sgd, in the WebAssembly small-network kernel of `small-wasm.ts`: a run of
 * updates per call (about 2^18 multiply-adds), and, when the kernel can keep
 * an epoch's books (no validation, no patience) and an epoch fits in a run,
 * whole epochs per call. To the bit what the other engines compute.
 *
 * @module
 */
import type { Random } from '../random.js';
import type { EngineContext, Examples, UpdateEngine, WholeEpochs } from './engine.js';
import { type SmallEpochs, SmallKernel, type SmallRun } from './small-wasm.js';

/** Updates by the WebAssembly small-network kernel. */
export class WasmEngine implements UpdateEngine, WholeEpochs {
  readonly kind = 'wasm';
  readonly order: Uint32Array;
  readonly snapshots: boolean;
  readonly epochs: WholeEpochs | null;
  private readonly result: SmallRun = { correct: 0, used: 0 };
  private readonly epochsRun: SmallEpochs = { completed: 0, status: 'done', cost: 0 };

  private constructor(
    private readonly ctx: EngineContext,
    private readonly kernel: SmallKernel,
    private readonly n: number,
    readonly stride: number,
    wholeEpochs: boolean,
  ) {
    this.order = kernel.order;
    // An epoch in one run leaves the network's weights alone when it fails: nothing to copy aside.
    this.snapshots = n > stride;
    this.epochs = wholeEpochs && n <= stride ? this : null;
  }

  /** The engine, or null where WebAssembly does not compile. */
  static create(ctx: EngineContext, examples: Examples, wholeEpochs: boolean): WasmEngine | null {
    const { net, settings, classification } = ctx;
    const { x, t, n } = examples;
    // A clock reading costs as much as a whole update of a tiny network.
    const stride = Math.max(1, Math.floor(2 ** 18 / net.parameterCount));
    const maxEpochs = Math.floor(stride / n);
    const kernel = SmallKernel.create(
      net,
      x,
      t,
      settings.learningRate,
      settings.loss,
      classification,
      maxEpochs,
    );
    return kernel ? new WasmEngine(ctx, kernel, n, stride, wholeEpochs) : null;
  }

  /**
   * Runs of at most `stride` updates. On a non-finite loss, cost or weight it
   * diverges as the other engines do: the kernel has left the weights alone.
   */
  train(cursor: number, end: number): number {
    const { kernel, n, stride } = this;
    const { totals, settings } = this.ctx;
    const sums = kernel.sums;
    while (cursor < end) {
      const count = Math.min(stride, end - cursor);
      sums[0] = totals.loss;
      const r = kernel.run(cursor, count, cursor + count === n, this.result);
      if (r.used !== count) {
        if (r.used >= 0) this.ctx.diverge(sums[1]);
        const cost = settings.reduction === 'mean' ? sums[0] / (totals.seen + count) : sums[0];
        this.ctx.diverge(Number.isFinite(cost) ? Number.NaN : cost);
      }
      totals.loss = sums[0];
      totals.correct += r.correct;
      totals.seen += count;
      totals.updates += count;
      cursor += count;
    }
    return cursor;
  }

  setRates(rates: readonly number[]): void {
    this.kernel.setRates(rates);
  }

  run(count: number, shuffle: boolean, mean: boolean, tolerance: number, random: Random): SmallEpochs {
    return this.kernel.epochs(count, shuffle, mean, tolerance, random, this.epochsRun);
  }

  loss(e: number): number {
    return this.kernel.epochLoss(e);
  }

  correct(e: number): number {
    return this.kernel.epochCorrect(e);
  }

  /** Nothing to give back: the kernel's memory is its own and goes with it. */
  free(): void {}
}
