/**
 * Multi-core matrix products: worker threads (`worker_threads` in Node, Web
 * Workers in a browser) that instantiate the same kernels on the same shared
 * WebAssembly memory and each compute a block of C.
 *
 * Every element of C is computed by exactly one thread, by the same kernel,
 * summing over k in the same order, and blocks are cut on the register-block
 * grid (rows in fours, columns in eights): the result is bit for bit the same
 * whatever the number of threads. Products below {@link PARALLEL_MIN_MACS}
 * multiply-adds stay on the calling thread, so small networks never wait for a
 * worker to wake.
 *
 * The calling thread waits with `Atomics.wait`, which a browser allows only in
 * a worker: on a page's main thread the wait spins instead.
 *
 * @module
 */
import type { KernelExports, WorkerPool } from './backend.js';

/**
 * Products smaller than this many multiply-adds (about 0.3 ms of one core) run
 * on one thread: below it, waking a worker and sharing the cache cost more than
 * the second core gives (measured: MNIST 784-128-10 in batches of 64, whose
 * largest product is 6.4 million multiply-adds, ran faster on one thread).
 */
export const PARALLEL_MIN_MACS = 1 << 23;

// One control slot per worker, 16 int32 apart (64 bytes, a cache line each):
// 0 job sequence (written by the caller), 1 done sequence (written by the worker),
// 2.. the gemm arguments; alpha and beta as float32 in slots 14 and 15.
const SLOT = 16;

/** The worker's whole program, as source so that no bundler needs to find a file. */
const WORKER_SOURCE = `
'use strict';
const start = ({ module, memory, ctrl, slot, scratch }, post) => {
  const { gemm } = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const i32 = new Int32Array(memory.buffer, ctrl + slot * 64, 16);
  const f32 = new Float32Array(memory.buffer, ctrl + slot * 64, 16);
  post('ready');
  let seen = 0;
  for (;;) {
    Atomics.wait(i32, 0, seen);
    seen = Atomics.load(i32, 0);
    if (seen < 0) return;
    gemm(i32[2] === 1, i32[3] === 1, i32[4], i32[5], i32[6], f32[14], i32[7], i32[8], f32[15], i32[9], i32[10], i32[11], i32[12], i32[13], scratch);
    Atomics.store(i32, 1, seen);
    Atomics.notify(i32, 1);
  }
};
if (typeof self === 'object' && typeof self.postMessage === 'function' && typeof require === 'undefined') {
  self.onmessage = (e) => start(e.data, (m) => self.postMessage(m));
} else {
  const { parentPort } = require('node:worker_threads');
  parentPort.once('message', (d) => start(d, (m) => parentPort.postMessage(m)));
}
`;

interface ThreadHandle {
  post(message: unknown): void;
  once(listener: (message: unknown) => void): void;
  terminate(): void;
}

async function spawn(): Promise<ThreadHandle> {
  if (typeof process === 'object' && process.versions?.node) {
    // A variable specifier keeps browser bundlers from resolving a Node module.
    const specifier = 'node:worker_threads';
    const { Worker } = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads');
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref(); // an idle pool must not keep the process alive
    return {
      post: (m) => worker.postMessage(m),
      once: (l) => worker.once('message', l),
      terminate: () => void worker.terminate(),
    };
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  return {
    post: (m) => worker.postMessage(m),
    once: (l) => worker.addEventListener('message', (e) => l(e.data), { once: true }),
    terminate: () => worker.terminate(),
  };
}

/** Waits until `i32[index]` is `value`, sleeping where the thread may block and spinning where it may not. */
function waitFor(i32: Int32Array, index: number, value: number): void {
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

/** The pool: `threads - 1` workers plus the calling thread. */
export class GemmPool implements WorkerPool {
  readonly #i32: Int32Array;
  readonly #f32: Float32Array;
  #sequence = 0;

  private constructor(
    readonly threads: number,
    readonly memory: WebAssembly.Memory,
    readonly kernels: KernelExports,
    readonly ctrl: number,
    readonly scratch: number[],
    readonly workers: ThreadHandle[],
  ) {
    this.#i32 = new Int32Array(memory.buffer, ctrl, SLOT * workers.length);
    this.#f32 = new Float32Array(memory.buffer, ctrl, SLOT * workers.length);
  }

  /**
   * Starts `threads - 1` workers on `module` over the shared `memory`. `ctrl`
   * is 64 bytes per worker and `scratch` one gemm scratch area per worker, both
   * allocated by the caller in that memory.
   */
  static async create(
    threads: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    kernels: KernelExports,
    ctrl: number,
    scratch: number[],
  ): Promise<GemmPool> {
    const workers = await Promise.all(Array.from({ length: threads - 1 }, spawn));
    await Promise.all(
      workers.map(
        (w, slot) =>
          new Promise<void>((resolve) => {
            w.once(() => resolve());
            w.post({ module, memory, ctrl, slot, scratch: scratch[slot] });
          }),
      ),
    );
    return new GemmPool(threads, memory, kernels, ctrl, scratch, workers);
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
    if (m * n * k < PARALLEL_MIN_MACS) return false;
    const parts = this.threads;
    // Cut the dimension with more register blocks: rows in fours, columns in eights.
    const byRows = Math.ceil(m / 4) >= Math.ceil(n / 8);
    const edges = byRows ? cuts(m, parts, 4) : cuts(n, parts, 8);
    const i32 = this.#i32;
    const f32 = this.#f32;
    const sequence = ++this.#sequence;
    for (let w = 0; w < this.workers.length; w++) {
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
    // The calling thread takes the first block.
    const i1 = byRows ? edges[1] : m;
    const j1 = byRows ? n : edges[1];
    this.kernels.gemm(transA, transB, m, n, k, alpha, a, b, beta, c, 0, i1, 0, j1, scratch);
    for (let w = 0; w < this.workers.length; w++) waitFor(i32, w * SLOT + 1, sequence);
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
