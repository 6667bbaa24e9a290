/**
 * The threads of the pool (see pool.ts): the control block they share with the
 * calling thread, the worker's whole program, how a worker is started (Node's
 * worker_threads or a Web Worker), and how the calling thread waits for them.
 *
 * @module
 */

// The control block, in int32 words. CLAIM (written with compare-and-swap by
// every thread; -1 stops the workers) packs the job's sequence number (11 bits),
// its number of chunks (10 bits) and the next chunk to claim (10 bits). DONE
// counts the chunks the workers have finished. ARGS hold the product, alpha and
// beta as float32. READY + w is 0 until worker w is ready, then AWAKE, or ASLEEP
// while it sleeps; WAITING is 1 while the calling thread sleeps on DONE. A job is
// posted, and a chunk reported done, with a notify only when the other side sleeps:
// a notify costs microseconds, and a spinning thread sees the change by itself.
// CLAIM, DONE and the rest sit on separate cache lines.
export const CLAIM = 0;
export const DONE = 16;
export const WAITING = DONE + 1;
export const ARGS = 32;
export const READY = 48;
export const AWAKE = 1;
export const ASLEEP = 2;
// ARGS + KIND: the job, a product (GEMM) or an optimizer's update (UPDATE: ARGS holds
// the optimizer's code, rows, cols, w, g, the two state matrices and the params).
export const KIND = 12;
export const GEMM = 0;
export const UPDATE = 1;
// DEPTH: a product cut along its depth (see GemmPool.gemm): chunk 0 is rows 0..ARGS + 9 of
// B into C, chunk 1 the depth blocks after them, each into its own m x n block from ARGS + 13.
export const DEPTH = 2;
// ZERO: ARGS + 5 bytes from ARGS + 7 set to zero, in chunks of ARGS + 9 bytes.
export const ZERO = 3;
// TOUCH: the same bytes' pages written once each, their values kept (see touchPages).
export const TOUCH = 4;
export const CHUNK_BITS = 10;
export const CHUNK_MASK = (1 << CHUNK_BITS) - 1;
export const SEQUENCE_MASK = 0x7ff;

/** Bytes of the control block of a pool of `workers` workers. */
export function controlBytes(workers: number): number {
  return (READY + workers) * 4;
}

/**
 * Adds 0 to one word of every 4 KB page of `bytes` bytes from `ptr`, atomically:
 * each page's first write (which the system serves with a fault, dearer than the
 * writes themselves) happens here, while a value another thread stores there
 * meanwhile stays as stored. It uses nothing from outside: the worker's program
 * carries its source.
 */
export function touchPages(memory: WebAssembly.Memory, ptr: number, bytes: number): void {
  if (bytes <= 0) return;
  const words = new Int32Array(memory.buffer);
  const end = ptr + bytes;
  for (let p = ptr; p < end; p += 4096) Atomics.add(words, p >> 2, 0);
  Atomics.add(words, (end - 4) >> 2, 0);
}

/** Loop turns a worker polls for its next job before it sleeps (about half a millisecond). */
const SPIN = 100_000;

/** The worker's whole program, as source so that no bundler needs to find a file. */
const WORKER_SOURCE = `
'use strict';
const touchPages = (${touchPages.toString()});
const start = ({ module, memory, ctrl, slot, scratch }) => {
  const { gemm, gemmDepth, depthBlock, updateRows, zero } = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const i32 = new Int32Array(memory.buffer, ctrl, ${READY} + slot + 1);
  const f32 = new Float32Array(memory.buffer, ctrl, ${READY});
  Atomics.store(i32, ${READY} + slot, ${AWAKE});
  let claim = Atomics.load(i32, ${CLAIM});
  for (;;) {
    if (claim < 0) return;
    const next = claim & ${CHUNK_MASK};
    if (next < ((claim >> ${CHUNK_BITS}) & ${CHUNK_MASK})) {
      // The job's arguments are read only once a chunk is claimed: until that chunk
      // is done, the calling thread cannot post another job over them.
      if (Atomics.compareExchange(i32, ${CLAIM}, claim, claim + 1) === claim) {
        const byRows = i32[${ARGS + 8}] === 1;
        const m = i32[${ARGS + 2}];
        const n = i32[${ARGS + 3}];
        const lo = next * i32[${ARGS + 9}];
        const hi = Math.min(lo + i32[${ARGS + 9}], byRows ? m : n);
        const kind = i32[${ARGS + KIND}];
        if (kind === ${ZERO} || kind === ${TOUCH}) {
          const size = i32[${ARGS + 9}];
          const at = i32[${ARGS + 7}] + next * size;
          const bytes = Math.min(size, i32[${ARGS + 5}] - next * size);
          if (kind === ${ZERO}) zero(at, bytes);
          else touchPages(memory, at, bytes);
        } else if (kind === ${UPDATE})
          updateRows(i32[${ARGS}], i32[${ARGS + 5}], i32[${ARGS + 6}], i32[${ARGS + 7}], i32[${ARGS + 4}],
            n, lo, hi, i32[${ARGS + 13}]);
        else if (kind === ${DEPTH}) {
          const k = i32[${ARGS + 4}];
          const own = i32[${ARGS + 9}];
          if (next === 0)
            gemmDepth(false, false, m, n, k, f32[${ARGS + 10}], i32[${ARGS + 5}], i32[${ARGS + 6}],
              f32[${ARGS + 11}], i32[${ARGS + 7}], 0, m, 0, n, 0, own, scratch);
          else {
            const depth = depthBlock(k);
            for (let kk = own, q = 0; kk < k; kk += depth, q++)
              gemmDepth(false, false, m, n, k, f32[${ARGS + 10}], i32[${ARGS + 5}], i32[${ARGS + 6}],
                0, i32[${ARGS + 13}] + q * m * n * 4, 0, m, 0, n, kk, Math.min(kk + depth, k), scratch);
          }
        } else
          gemm(i32[${ARGS}] === 1, i32[${ARGS + 1}] === 1, m, n, i32[${ARGS + 4}], f32[${ARGS + 10}],
            i32[${ARGS + 5}], i32[${ARGS + 6}], f32[${ARGS + 11}], i32[${ARGS + 7}],
            byRows ? lo : 0, byRows ? hi : m, byRows ? 0 : lo, byRows ? n : hi, scratch);
        Atomics.add(i32, ${DONE}, 1);
        if (Atomics.load(i32, ${WAITING}) === 1) Atomics.notify(i32, ${DONE});
      }
      claim = Atomics.load(i32, ${CLAIM});
      continue;
    }
    for (let spin = 0; spin < ${SPIN} && Atomics.load(i32, ${CLAIM}) === claim; spin++);
    // Said before the wait, which sleeps only if no job came meanwhile: a job posted
    // after this store sees it and notifies.
    Atomics.store(i32, ${READY} + slot, ${ASLEEP});
    Atomics.wait(i32, ${CLAIM}, claim);
    Atomics.store(i32, ${READY} + slot, ${AWAKE});
    claim = Atomics.load(i32, ${CLAIM});
  }
};
if (typeof self === 'object' && typeof self.postMessage === 'function' && typeof require === 'undefined') {
  self.onmessage = (e) => start(e.data);
} else {
  require('node:worker_threads').parentPort.once('message', start);
}
`;

export interface ThreadHandle {
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

export function spawn(): ThreadHandle {
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

/**
 * Waits until `i32[DONE]` is `value`: spins a little, then sleeps where the
 * thread may block, with WAITING set so that the workers notify.
 */
export function waitFor(i32: Int32Array, value: number): void {
  for (let spin = 0; spin < SPIN; spin++) if (Atomics.load(i32, DONE) === value) return;
  Atomics.store(i32, WAITING, 1);
  for (;;) {
    const now = Atomics.load(i32, DONE);
    if (now === value) break;
    try {
      Atomics.wait(i32, DONE, now, 50);
    } catch {
      // A page's main thread may not block: spin.
    }
  }
  Atomics.store(i32, WAITING, 0);
}
