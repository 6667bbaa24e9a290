/**
 * Multi-core matrix products: worker threads (`worker_threads` in Node, Web
 * Workers in a browser) that instantiate the same kernels on the same shared
 * WebAssembly memory and each compute a block of C.
 *
 * Every element of C is computed by exactly one thread, by the same kernel,
 * summing over k in the same order, and blocks are cut on the register-block
 * grid (rows in fours, columns in eights): the result is bit for bit the same
 * whatever the number of threads, and whichever of them have started.
 *
 * Whether a product is split is a measured decision, not a fixed size. Products
 * too small for the time the other threads save to exceed a hand-off stay on
 * the calling thread (see {@link GemmPool.worthSplitting}); the others are
 * timed both ways, shape by shape, and split while splitting makes them at
 * least {@link MIN_GAIN} times faster (see {@link SplitChoice}): a busy machine,
 * whose other core is not free, keeps them on one thread, and a quiet one
 * splits them. MNIST 784-128-10 in batches of 64 splits on a quiet machine;
 * digits 64-64-10 in batches of 32 is never tried.
 *
 * Workers start without blocking the caller: until every worker has
 * instantiated the kernels (a few tens of milliseconds) products run on the
 * calling thread alone. A worker spins briefly after each job before it sleeps, so
 * the products of one training step find it awake. The calling thread waits
 * with `Atomics.wait`, which a browser allows only in a worker: on a page's
 * main thread the wait spins instead.
 *
 * @module
 */
import type { KernelExports, WorkerPool } from './backend.js';

// One control slot per worker, 32 int32 apart (128 bytes, two cache lines):
// 0 job sequence (written by the caller; -1 stops the worker), 1 done sequence
// (written by the worker), 2..13 the gemm arguments, alpha and beta as float32
// in slots 14 and 15, 16 set to 1 once the worker is ready.
const SLOT = 32;
const READY = 16;

/** Bytes of the control block per worker. */
export const CONTROL_BYTES = SLOT * 4;

/** The least a hand-off is taken to cost: a thread's wake-up and the cache lines it then shares. */
const MIN_HANDOFF = 10e-6;

/** Splits must make a product at least this much faster than the calling thread alone. */
const MIN_GAIN = 1.1;

/** Loop turns a worker polls for its next job before it sleeps (about a tenth of a millisecond). */
const SPIN = 100_000;

/** The worker's whole program, as source so that no bundler needs to find a file. */
const WORKER_SOURCE = `
'use strict';
const start = ({ module, memory, ctrl, slot, scratch }) => {
  const { gemm } = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const i32 = new Int32Array(memory.buffer, ctrl + slot * ${CONTROL_BYTES}, ${SLOT});
  const f32 = new Float32Array(memory.buffer, ctrl + slot * ${CONTROL_BYTES}, ${SLOT});
  let seen = Atomics.load(i32, 1);
  Atomics.store(i32, ${READY}, 1);
  for (;;) {
    for (let spin = 0; spin < ${SPIN} && Atomics.load(i32, 0) === seen; spin++);
    Atomics.wait(i32, 0, seen);
    const job = Atomics.load(i32, 0);
    if (job < 0) return;
    if (job === seen) continue;
    seen = job;
    gemm(i32[2] === 1, i32[3] === 1, i32[4], i32[5], i32[6], f32[14], i32[7], i32[8], f32[15], i32[9], i32[10], i32[11], i32[12], i32[13], scratch);
    Atomics.store(i32, 1, seen);
    Atomics.notify(i32, 1);
  }
};
if (typeof self === 'object' && typeof self.postMessage === 'function' && typeof require === 'undefined') {
  self.onmessage = (e) => start(e.data);
} else {
  require('node:worker_threads').parentPort.once('message', start);
}
`;

interface ThreadHandle {
  post(message: unknown): void;
  terminate(): void;
}

/** Node's worker_threads, loaded without `await` (Node 20.16+), or undefined elsewhere. */
function nodeWorkers(): typeof import('node:worker_threads') | undefined {
  if (typeof process !== 'object' || !process.versions?.node) return undefined;
  return process.getBuiltinModule?.('node:worker_threads');
}

/** Whether this engine can start a worker thread synchronously. */
export function canSpawn(): boolean {
  if (typeof process === 'object' && process.versions?.node) return nodeWorkers() !== undefined;
  return (
    typeof Worker === 'function' && typeof Blob === 'function' && typeof URL?.createObjectURL === 'function'
  );
}

function spawn(): ThreadHandle {
  const threads = nodeWorkers();
  if (threads) {
    const worker = new threads.Worker(WORKER_SOURCE, { eval: true });
    worker.unref(); // an idle pool must not keep the process alive
    return { post: (m) => worker.postMessage(m), terminate: () => void worker.terminate() };
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  URL.revokeObjectURL(url);
  return { post: (m) => worker.postMessage(m), terminate: () => worker.terminate() };
}

/** Waits until `i32[index]` is `value`: spins a little, then sleeps where the thread may block. */
function waitFor(i32: Int32Array, index: number, value: number): void {
  for (let spin = 0; spin < SPIN; spin++) if (Atomics.load(i32, index) === value) return;
  for (;;) {
    const now = Atomics.load(i32, index);
    if (now === value) return;
    try {
      Atomics.wait(i32, index, now, 50);
    } catch {
      // A page's main thread may not block: spin.
    }
  }
}

/** Splits [0, total) into `parts` ranges cut on multiples of `grain`. */
function cuts(total: number, parts: number, grain: number): number[] {
  const blocks = Math.ceil(total / grain);
  const edges = [0];
  for (let p = 1; p < parts; p++) edges.push(Math.min(total, Math.round((blocks * p) / parts) * grain));
  edges.push(total);
  return edges;
}

function now(): number {
  return performance.now() / 1000;
}

/** Times kept per shape and option: the median of the last three shrugs off one interrupted product. */
const RECENT = 3;

/**
 * Calls of a shape between tries of the option not chosen, at first and at
 * most: the interval doubles at every try and halves when the choice changes,
 * so that a loaded machine pays for few slow splits.
 */
const FIRST_PROBE = 16;
const LAST_PROBE = 1024;

/** Shapes of product whose choices the pool keeps. */
const MAX_SHAPES = 64;

/** The last {@link RECENT} times of one option. */
class Recent {
  readonly #times = new Float64Array(RECENT);
  count = 0;

  add(seconds: number): void {
    this.#times[this.count++ % RECENT] = seconds;
  }

  /** The median of the times kept (once there are {@link RECENT} of them). */
  get median(): number {
    const [a, b, c] = this.#times;
    return a + b + c - Math.max(a, b, c) - Math.min(a, b, c);
  }
}

/**
 * Whether to split the products of one shape, learnt from their times alone
 * and split. Each option runs {@link RECENT} calls in a row, first and at every
 * try, so that the workers are as awake as when that option is chosen (a worker
 * woken from sleep would make a lone split look slow).
 */
export class SplitChoice {
  readonly #alone = new Recent();
  readonly #split = new Recent();
  /** The option chosen, once each has been timed. */
  splitting = false;
  /** Calls until the option not chosen is tried, calls left of that try, and the interval between tries. */
  #wait = FIRST_PROBE;
  #trying = 0;
  #interval = FIRST_PROBE;

  /** Whether to split this call. */
  choose(): boolean {
    if (this.#alone.count < RECENT) return false;
    if (this.#split.count < RECENT) return true;
    if (this.#trying > 0) {
      this.#trying--;
      return !this.splitting;
    }
    const faster = this.#split.median * MIN_GAIN < this.#alone.median;
    if (faster !== this.splitting) {
      // Halved, not reset: on a loaded machine a lucky try must not bring back frequent slow ones.
      this.splitting = faster;
      this.#interval = Math.max(FIRST_PROBE, this.#interval >> 1);
      this.#wait = this.#interval;
    } else if (--this.#wait <= 0) {
      this.#interval = Math.min(2 * this.#interval, LAST_PROBE);
      this.#wait = this.#interval;
      this.#trying = RECENT - 1;
      return !this.splitting;
    }
    return this.splitting;
  }

  /** Records how long a call took, split or alone. */
  record(split: boolean, seconds: number): void {
    (split ? this.#split : this.#alone).add(seconds);
  }
}

/** The pool: `threads - 1` workers plus the calling thread. */
export class GemmPool implements WorkerPool {
  readonly #i32: Int32Array;
  readonly #f32: Float32Array;
  #sequence = 0;
  /** Workers known to be ready, in slot order (a worker never stops being ready). */
  #ready = 0;
  /**
   * Seconds one hand-off to awake workers costs (an empty job's round trip),
   * measured once the workers are ready, and seconds per multiply-add of the
   * calling thread at its best, refined as products run on it alone: together
   * they rule out the products too small for a split ever to pay.
   */
  handoffSeconds = Number.POSITIVE_INFINITY;
  secondsPerMac = 1e-10;
  /** Set by {@link assume}: the estimates stay as given and decide alone. */
  #pinned = false;
  /** What each shape of product large enough to split has taught, the latest first found. */
  readonly #shapes: { shape: readonly number[]; choice: SplitChoice }[] = [];

  private constructor(
    readonly threads: number,
    readonly memory: WebAssembly.Memory,
    readonly kernels: KernelExports,
    readonly ctrl: number,
    readonly workers: ThreadHandle[],
  ) {
    this.#i32 = new Int32Array(memory.buffer, ctrl, SLOT * workers.length);
    this.#f32 = new Float32Array(memory.buffer, ctrl, SLOT * workers.length);
  }

  /**
   * Starts `threads - 1` workers on `module` over the shared `memory`, without
   * waiting for them. `ctrl` is {@link CONTROL_BYTES} per worker and `scratch`
   * one gemm scratch area per worker, both allocated by the caller in that memory.
   */
  static start(
    threads: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    kernels: KernelExports,
    ctrl: number,
    scratch: number[],
  ): GemmPool {
    const workers = Array.from({ length: threads - 1 }, spawn);
    workers.forEach((w, slot) => {
      w.post({ module, memory, ctrl, slot, scratch: scratch[slot] });
    });
    return new GemmPool(threads, memory, kernels, ctrl, workers);
  }

  /** Resolves once every worker is ready (for callers that want the whole pool at once). */
  async ready(): Promise<void> {
    while (this.#countReady() < this.workers.length) await new Promise((r) => setTimeout(r, 2));
  }

  /** Workers ready now; once all are, products may split. */
  #countReady(): number {
    const total = this.workers.length;
    if (this.#ready === total) return total;
    while (this.#ready < total && Atomics.load(this.#i32, this.#ready * SLOT + READY) === 1) this.#ready++;
    if (this.#ready === total && !this.#pinned) this.handoffSeconds = MIN_HANDOFF;
    return this.#ready;
  }

  /**
   * Whether splitting a product of `macs` multiply-adds over `parts` threads
   * can pay: the time the other threads take off the caller, macs * (1 - 1/parts)
   * seconds per multiply-add, must exceed one and a half hand-offs (a margin
   * for the cache lines the threads then share). Products that can are then
   * timed both ways, shape by shape, and split when that is faster.
   */
  worthSplitting(macs: number, parts: number): boolean {
    return macs * this.secondsPerMac * (1 - 1 / parts) > 1.5 * this.handoffSeconds;
  }

  /**
   * Fixes the hand-off and the speed instead of measuring them, and splits every
   * product {@link worthSplitting} passes without timing it (for tests, or to
   * force a policy: 0 splits every product, Infinity none).
   */
  assume(handoffSeconds: number, secondsPerMac: number): void {
    this.#pinned = true;
    this.handoffSeconds = handoffSeconds;
    this.secondsPerMac = secondsPerMac;
  }

  /**
   * The choice for a product's shape, made on its first call. A network has a
   * few shapes: a search of a short list costs nothing and allocates nothing,
   * and the oldest of too many is forgotten.
   */
  #choice(transA: boolean, transB: boolean, m: number, n: number, k: number): SplitChoice {
    const kind = (transA ? 2 : 0) + (transB ? 1 : 0);
    const shapes = this.#shapes;
    for (let i = shapes.length - 1; i >= 0; i--) {
      const s = shapes[i].shape;
      if (s[0] === m && s[1] === n && s[2] === k && s[3] === kind) return shapes[i].choice;
    }
    if (shapes.length === MAX_SHAPES) shapes.shift();
    const choice = new SplitChoice();
    shapes.push({ shape: [m, n, k, kind], choice });
    return choice;
  }

  #post(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: number,
    b: number,
    beta: number,
    c: number,
    edges: number[],
    byRows: boolean,
  ): void {
    const i32 = this.#i32;
    const f32 = this.#f32;
    const sequence = ++this.#sequence;
    for (let w = 0; w < this.#ready; w++) {
      const base = w * SLOT;
      const lo = edges[w + 1];
      const hi = edges[w + 2];
      i32[base + 2] = transA ? 1 : 0;
      i32[base + 3] = transB ? 1 : 0;
      i32[base + 4] = m;
      i32[base + 5] = n;
      i32[base + 6] = k;
      i32[base + 7] = a;
      i32[base + 8] = b;
      i32[base + 9] = c;
      i32[base + 10] = byRows ? lo : 0;
      i32[base + 11] = byRows ? hi : m;
      i32[base + 12] = byRows ? 0 : lo;
      i32[base + 13] = byRows ? n : hi;
      f32[base + 14] = alpha;
      f32[base + 15] = beta;
      Atomics.store(i32, base, sequence);
      Atomics.notify(i32, base);
    }
  }

  #join(): void {
    for (let w = 0; w < this.#ready; w++) waitFor(this.#i32, w * SLOT + 1, this.#sequence);
  }

  /**
   * C <- alpha op(A) op(B) + beta C (see the kernel), split over the workers
   * when that pays; returns whether it was split.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: number,
    b: number,
    beta: number,
    c: number,
    scratch: number,
  ): boolean {
    const macs = m * n * k;
    const ready = this.#countReady() + 1;
    // Cut the dimension with more register blocks: rows in fours, columns in eights.
    // No more parts than blocks: a thin product (a column times a row) has nothing to hand off.
    const rowBlocks = Math.ceil(m / 4);
    const colBlocks = Math.ceil(n / 8);
    const byRows = rowBlocks >= colBlocks;
    const parts = Math.min(ready, byRows ? rowBlocks : colBlocks);
    const worth = parts > 1 && this.worthSplitting(macs, parts);
    const choice = worth && !this.#pinned ? this.#choice(transA, transB, m, n, k) : undefined;
    if (!worth || (choice !== undefined && !choice.choose())) {
      const t0 = now();
      this.kernels.gemm(transA, transB, m, n, k, alpha, a, b, beta, c, 0, m, 0, n, scratch);
      const seconds = now() - t0;
      choice?.record(false, seconds);
      // The best speed seen, drifting slowly towards slower ones: a product that
      // the system interrupted says nothing about the kernel's speed.
      if (!this.#pinned && macs >= 1 << 16 && seconds > 0) {
        this.secondsPerMac = Math.min(seconds / macs, this.secondsPerMac * 1.01);
      }
      return false;
    }
    const t0 = now();
    const edges = byRows ? cuts(m, parts, 4) : cuts(n, parts, 8);
    // Workers beyond the parts get an empty range.
    while (edges.length < ready + 1) edges.push(edges[parts]);
    this.#post(transA, transB, m, n, k, alpha, a, b, beta, c, edges, byRows);
    // The calling thread takes the first block.
    const i1 = byRows ? edges[1] : m;
    const j1 = byRows ? n : edges[1];
    this.kernels.gemm(transA, transB, m, n, k, alpha, a, b, beta, c, 0, i1, 0, j1, scratch);
    this.#join();
    choice?.record(true, now() - t0);
    return true;
  }

  terminate(): void {
    for (let w = 0; w < this.workers.length; w++) {
      Atomics.store(this.#i32, w * SLOT, -1);
      Atomics.notify(this.#i32, w * SLOT);
      this.workers[w].terminate();
    }
  }
}
