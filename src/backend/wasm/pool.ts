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
 * Whether a product is split is a measured decision, not a fixed size: the pool
 * times the hand-off to the workers (an empty job's round trip) and the calling
 * thread's own speed, and splits a product when the time the other threads save
 * exceeds one and a half hand-offs (see {@link GemmPool.worthSplitting}), and
 * it times the splits themselves: when they do not make products at least
 * {@link MIN_GAIN} times faster (the other core is busy with other work), it
 * stops splitting for a second, then tries again. MNIST 784-128-10 in batches
 * of 64 splits on a quiet machine; digits 64-64-10 in batches of 32 does not.
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
const MIN_GAIN = 1.15;

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

/** The pool: `threads - 1` workers plus the calling thread. */
export class GemmPool implements WorkerPool {
  readonly #i32: Int32Array;
  readonly #f32: Float32Array;
  #sequence = 0;
  /** Workers known to be ready, in slot order (a worker never stops being ready). */
  #ready = 0;
  /**
   * Seconds one hand-off to the workers costs (an empty job's round trip), and
   * seconds per multiply-add of the calling thread: measured once the workers
   * are ready, and the second refined as products run on one thread.
   */
  handoffSeconds = Number.POSITIVE_INFINITY;
  secondsPerMac = 1e-10;
  readonly #trips: number[] = [];
  readonly #pause = new Int32Array(new SharedArrayBuffer(4));
  /** When the hand-off was last timed (seconds). */
  #measured = 0;
  /** Set by {@link assume}: the estimates stay as given. */
  #pinned = false;
  /** Measured speed-up of the recent splits (optimistic at first), and when splitting may resume after a poor one. */
  #gain = 2;
  #resumeAt = 0;

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

  /** Workers ready now; the first time all are, the hand-off is timed. */
  #countReady(): number {
    const total = this.workers.length;
    if (this.#ready === total) return total;
    while (this.#ready < total && Atomics.load(this.#i32, this.#ready * SLOT + READY) === 1) this.#ready++;
    if (this.#ready === total && !this.#pinned) this.#measure();
    return this.#ready;
  }

  /**
   * Times empty round trips to every worker after each has gone to sleep (the
   * hand-off a product pays when the workers are idle: a futex wake-up): five
   * when the pool becomes ready, then one a second, the estimate being the
   * median of the last five and at least {@link MIN_HANDOFF}. A busy machine
   * (slow wake-ups) thus stops the splitting and a quiet one brings it back.
   * Where the thread may not sleep (a page's main thread) the workers may
   * still be spinning: the floor keeps that estimate honest.
   */
  #measure(trials = 5): void {
    for (let trial = 0; trial < trials; trial++) {
      try {
        Atomics.wait(this.#pause, 0, 0, 2); // long enough for the workers' spin to end
      } catch {
        // A page's main thread may not block.
      }
      const t0 = now();
      this.#post(false, false, 0, 0, 0, 0, 0, 0, 0, 0, new Array(this.#ready + 2).fill(0), true);
      this.#join();
      this.#trips.push(now() - t0);
      if (this.#trips.length > 5) this.#trips.shift();
    }
    const sorted = [...this.#trips].sort((a, b) => a - b);
    this.handoffSeconds = Math.max(sorted[sorted.length >> 1], MIN_HANDOFF);
    this.#measured = now();
  }

  /**
   * Whether splitting a product of `macs` multiply-adds over `parts` threads
   * pays: the time the other threads take off the caller, macs * (1 - 1/parts)
   * seconds per multiply-add, must exceed one and a half hand-offs (a margin
   * for the cache lines the threads then share).
   */
  worthSplitting(macs: number, parts: number): boolean {
    return macs * this.secondsPerMac * (1 - 1 / parts) > 1.5 * this.handoffSeconds;
  }

  /**
   * Fixes the hand-off and the speed instead of measuring them (for tests, or
   * to force a policy: 0 splits every product, Infinity none).
   */
  assume(handoffSeconds: number, secondsPerMac: number): void {
    this.#pinned = true;
    this.handoffSeconds = handoffSeconds;
    this.secondsPerMac = secondsPerMac;
  }

  /** Records how fast the calling thread computed a product alone (for {@link worthSplitting}). */
  observe(macs: number, seconds: number): void {
    if (this.#pinned || macs < 1 << 16 || !(seconds > 0)) return;
    // The best speed seen, drifting slowly towards slower ones: a product that
    // the system interrupted says nothing about the kernel's speed.
    this.secondsPerMac = Math.min(seconds / macs, this.secondsPerMac * 1.01);
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
    if (ready > 1 && !this.#pinned && now() - this.#measured > 1) this.#measure(1);
    // Cut the dimension with more register blocks: rows in fours, columns in eights.
    // No more parts than blocks: a thin product (a column times a row) has nothing to hand off.
    const rowBlocks = Math.ceil(m / 4);
    const colBlocks = Math.ceil(n / 8);
    const byRows = rowBlocks >= colBlocks;
    const parts = Math.min(ready, byRows ? rowBlocks : colBlocks);
    if (parts <= 1 || !this.worthSplitting(macs, parts)) return false;
    // Splits that did not pay (a busy machine: the other core is not free) pause splitting for a second.
    const t0 = now();
    if (!this.#pinned && this.#gain < MIN_GAIN && t0 < this.#resumeAt) return false;
    const edges = byRows ? cuts(m, parts, 4) : cuts(n, parts, 8);
    // Workers beyond the parts get an empty range.
    while (edges.length < ready + 1) edges.push(edges[parts]);
    this.#post(transA, transB, m, n, k, alpha, a, b, beta, c, edges, byRows);
    // The calling thread takes the first block.
    const i1 = byRows ? edges[1] : m;
    const j1 = byRows ? n : edges[1];
    this.kernels.gemm(transA, transB, m, n, k, alpha, a, b, beta, c, 0, i1, 0, j1, scratch);
    this.#join();
    if (!this.#pinned) {
      // The speed-up over the calling thread alone at its best, averaged over the last few splits.
      const gain = (macs * this.secondsPerMac) / (now() - t0);
      this.#gain += (gain - this.#gain) * 0.3;
      if (this.#gain < MIN_GAIN) this.#resumeAt = now() + 1;
    }
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
