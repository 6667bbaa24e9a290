/**
 * Whether splitting the products that are only just worth it pays, judged by
 * timing the work that actually runs rather than the product alone.
 *
 * A product of a few million multiply-adds runs about 1.7 times faster on two
 * cores in isolation, yet a training step made of such products can run
 * slower split than on one core: the other core's share of the weights, their
 * gradients and the optimizer's moments then crosses between the cores' caches
 * at every step. Whether that happens depends on the network, the optimizer and
 * the machine, so the tuner measures it: products recur once per step (or per
 * chunk of a prediction), so the time between two calls of the same product is
 * the time of a step. Blocks of steps run alternately split and on one thread;
 * the faster kind holds for many times the trial's length, and then the trial
 * runs again, so a machine that becomes busy (or idle) is noticed.
 *
 * Splitting or not never changes a result (see the pool): every element is
 * computed by the same kernel in the same order either way.
 *
 * @module
 */

/** Steps per block of a trial; the first of each is dropped (the worker's wake-up, the caches' refill). */
const BLOCK = 6;
/** Blocks of each kind per trial. */
const ROUNDS = 4;
/** The verdict holds for this many times the trial's steps. */
const HOLD = 16;
/** Steps left alone at first (compilation, the first touches of fresh memory, the worker's start). */
const WARM_UP = 4 * BLOCK;
/**
 * One thread is chosen over splitting only when it is faster by this factor:
 * a trial on a noisy machine that comes out about even must not stop the
 * split that pays in most runs for the length of a hold.
 */
const MARGIN = 0.97;
/** A product not seen again for this long no longer marks steps: the next one does. */
const STALE_SECONDS = 1;

export class SplitTuner {
  /** Whether the products in doubt split now. */
  split = true;
  #anchor: [number, number, number, number] | null = null;
  #last = 0;
  #hold = WARM_UP;
  #block = 0;
  /** The kept step times of the block under way (its first is dropped): one array, reused. */
  readonly #samples = new Float64Array(BLOCK - 1);
  #inBlock = 0;
  /** Sums of the blocks' median step times: split, and on one thread. */
  #score = [0, 0];

  /**
   * Called for every product in doubt, before it runs: `c` (the output's
   * address) and the shape identify it, `seconds` is the time now.
   */
  see(c: number, m: number, n: number, k: number, seconds: number): void {
    const a = this.#anchor;
    if (a === null || seconds - this.#last > STALE_SECONDS) {
      if (a === null || a[0] !== c || a[1] !== m || a[2] !== n || a[3] !== k) this.#restart(c, m, n, k);
      this.#last = seconds;
      return;
    }
    if (a[0] !== c || a[1] !== m || a[2] !== n || a[3] !== k) return;
    this.#step(seconds - this.#last);
    this.#last = seconds;
  }

  #restart(c: number, m: number, n: number, k: number): void {
    this.#anchor = [c, m, n, k];
    this.split = true;
    this.#hold = WARM_UP;
    this.#beginTrial();
  }

  #beginTrial(): void {
    this.#block = 0;
    this.#inBlock = 0;
    this.#score = [0, 0];
    this.split = true;
  }

  #step(seconds: number): void {
    if (this.#hold > 0) {
      if (--this.#hold === 0) this.#beginTrial();
      return;
    }
    if (this.#inBlock++ > 0) this.#samples[this.#inBlock - 2] = seconds;
    if (this.#inBlock < BLOCK) return;
    this.#score[this.split ? 0 : 1] += median(this.#samples);
    this.#inBlock = 0;
    if (++this.#block < 2 * ROUNDS) {
      this.split = !this.split;
      return;
    }
    this.split = !(this.#score[1] < MARGIN * this.#score[0]);
    this.#hold = HOLD * 2 * ROUNDS * BLOCK;
  }
}

/** The median of `s`, which it sorts. */
function median(s: Float64Array): number {
  s.sort();
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
