// The multi-core wasm backend: large products split over worker threads give
// bit-for-bit the answers of one thread, whatever the number of threads and
// whichever thread takes which chunk, and products whose split would cost more
// than it saves never reach the workers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Matrix } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import {
  createWasmBackend,
  createWasmBackendSync,
  type GemmPool,
  type WasmBackend,
  type WasmMatrix,
  wasmFeatures,
} from '../src/backend/wasm/index.js';
import { ASLEEP, AWAKE, DONE, READY } from '../src/backend/wasm/workers.js';
import { Network, Random, Trainer } from '../src/index.js';

const rng = new Random(11);
let one: WasmBackend;
let two: WasmBackend;
let three: WasmBackend;

beforeAll(async () => {
  // One thread on the plain build: the threads build computes exactly what it computes.
  one = (await createWasmBackend({ relaxedSimd: false })) as WasmBackend;
  two = (await createWasmBackend({ threads: 2, relaxedSimd: false })) as WasmBackend;
  three = (await createWasmBackend({ threads: 3, relaxedSimd: false })) as WasmBackend;
});

afterAll(() => {
  two?.dispose();
  three?.dispose();
});

function filled(backend: Backend, rows: number, cols: number, values: Float32Array): Matrix {
  const m = backend.matrix(rows, cols, 'float32');
  m.data.set(values);
  return m;
}

/** The first index where the two differ in any bit (-1 if none): toEqual is slow on long arrays. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** The byte address of a matrix in its backend's memory, as the pool takes it. */
function ptr(m: Matrix): number {
  return (m as WasmMatrix).ptr;
}

/** A gemm scratch area of its own in a backend's memory. */
function scratch(backend: WasmBackend): number {
  return backend.allocateBytes(backend.kernels.GEMM_SCRATCH_BYTES.value as number);
}

function random(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

/** A B, A m x k and B k x n of the same random values, into a zeroed C on each backend. */
function productOn(backends: Backend[], m: number, n: number, k: number): Float32Array[] {
  const av = random(m * k);
  const bv = random(k * n);
  return backends.map((backend) => {
    const c = filled(backend, m, n, new Float32Array(m * n));
    backend.gemm(false, false, 1, filled(backend, m, k, av), filled(backend, k, n, bv), 0, c);
    return Float32Array.from(c.data);
  });
}

describe('wasm backend on several threads', () => {
  it('has shared memory here, and names its thread count', () => {
    expect(wasmFeatures().threads).toBe(true);
    expect(two.name).toBe('wasm-simd-threads-2');
    expect(three.name).toBe('wasm-simd-threads-3');
  });

  it('splits large products and gives the same bits as one thread, every transpose combination', () => {
    const shapes: [number, number, number][] = [
      [256, 1024, 64], // cut by columns
      [1030, 37, 300], // cut by rows, a ragged last block
      [31, 17, 300], // small enough to stay on one thread
    ];
    const pool = two.pool! as GemmPool;
    // A hand-off of 0.1 ms at 10 GMAC/s: products of a few million multiply-adds split.
    pool.assume(1e-4, 1e-10);
    const gemm = pool.gemm.bind(pool);
    let parallel = 0;
    pool.gemm = (...args) => {
      const split = gemm(...args);
      if (split) parallel++;
      return split;
    };
    for (const [m, n, k] of shapes) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const av = random(m * k);
          const bv = random(k * n);
          const cv = random(m * n);
          const results = [one, two, three].map((backend) => {
            const a = filled(backend, transA ? k : m, transA ? m : k, av);
            const b = filled(backend, transB ? n : k, transB ? k : n, bv);
            const c = filled(backend, m, n, cv);
            backend.gemm(transA, transB, 0.5, a, b, 0.25, c);
            return Float32Array.from(c.data);
          });
          expect(firstDifference(results[1], results[0])).toBe(-1);
          expect(firstDifference(results[2], results[0])).toBe(-1);
          // And they are right: against the reference.
          const cj = filled(jsBackend, m, n, cv);
          jsBackend.gemm(
            transA,
            transB,
            0.5,
            filled(jsBackend, transA ? k : m, transA ? m : k, av),
            filled(jsBackend, transB ? n : k, transB ? k : n, bv),
            0.25,
            cj,
          );
          for (let i = 0; i < m * n; i += 97) {
            expect(Math.abs(results[0][i] - cj.data[i])).toBeLessThan(1e-4 * Math.sqrt(k));
          }
        }
      }
    }
    pool.gemm = gemm;
    // The first two shapes, four combinations each, went to the workers.
    expect(parallel).toBe(8);
  });

  it('tries a split only when the time saved could exceed the hand-off, with a margin', () => {
    const pool = two.pool! as GemmPool;
    // Once the pool is ready: a finite hand-off, at least a thread's wake-up.
    expect(Number.isFinite(pool.handoffSeconds)).toBe(true);
    expect(pool.handoffSeconds).toBeGreaterThan(0);
    pool.assume(20e-6, 1 / 15e9);
    // MNIST 784-128-10 in batches of 64 (6.4 million multiply-adds) pays on two threads...
    expect(pool.worthSplitting(64 * 784 * 128, 2)).toBe(true);
    // ...digits 64-64-10 in batches of 32 does not, nor a tiny product.
    expect(pool.worthSplitting(32 * 64 * 64, 2)).toBe(false);
    const [a, b, c] = [two.matrix(8, 8, 'float32'), two.matrix(8, 8, 'float32'), two.matrix(8, 8, 'float32')];
    expect(pool.gemm(false, false, 8, 8, 8, 1, ptr(a), ptr(b), 0, ptr(c), scratch(two))).toBe(false);
    // A slow hand-off (a busy machine) keeps even MNIST's products on one thread.
    pool.assume(1e-3, 1 / 15e9);
    expect(pool.worthSplitting(64 * 784 * 128, 2)).toBe(false);
  });

  it('finishes a split product on the calling thread alone when no worker takes a chunk', async () => {
    const lone = (await createWasmBackend({ threads: 2, relaxedSimd: false })) as WasmBackend;
    try {
      const pool = lone.pool as GemmPool;
      // The worker stops, but the pool is not told: every chunk is left to the calling thread.
      pool.workers[0].terminate();
      await new Promise((r) => setTimeout(r, 200));
      pool.assume(0, 1e-10);
      const [single, alone] = productOn([one, lone], 64, 128, 300);
      expect(firstDifference(alone, single)).toBe(-1);
    } finally {
      lone.dispose();
    }
  });

  it('wakes a worker that has gone to sleep', async () => {
    const woken = (await createWasmBackend({ threads: 2, relaxedSimd: false })) as WasmBackend;
    try {
      const pool = woken.pool as GemmPool;
      await pool.ready();
      pool.assume(0, 1e-10);
      const state = new Int32Array(pool.memory.buffer, pool.ctrl, READY + 1);
      // Some time after its last job the worker says that it sleeps (a busy machine may take a while).
      const asleepBy = performance.now() + 5000;
      while (Atomics.load(state, READY) !== ASLEEP && performance.now() < asleepBy) {
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(Atomics.load(state, READY)).toBe(ASLEEP);
      // A product of some tens of milliseconds: the post wakes the worker, which takes
      // chunks of it. Without the notify it would sleep on (its wait has no timeout):
      // no chunk done by a worker, and still ASLEEP.
      const [single, split] = productOn([one, woken], 512, 1024, 1024);
      expect(firstDifference(split, single)).toBe(-1);
      const workersDone = Atomics.load(state, DONE);
      expect(workersDone > 0 || Atomics.load(state, READY) === AWAKE).toBe(true);
    } finally {
      woken.dispose();
    }
  });

  it('hands off no more parts than a product has blocks: a thin product stays on the calling thread', () => {
    const pool = two.pool! as GemmPool;
    pool.assume(0, 1e-10); // every product worth splitting
    // A column times a row (the gradient of a 1x1 layer), and one register block: nothing to hand off.
    const [a, b, c] = [
      two.matrix(4, 1000, 'float32'),
      two.matrix(1000, 8, 'float32'),
      two.matrix(4, 8, 'float32'),
    ];
    expect(pool.gemm(true, false, 1, 1, 1000, 1, ptr(a), ptr(b), 0, ptr(c), scratch(two))).toBe(false);
    expect(pool.gemm(false, false, 4, 8, 1000, 1, ptr(a), ptr(b), 0, ptr(c), scratch(two))).toBe(false);
    // Two row blocks on three threads: two parts, the third thread gets an empty range, same bits.
    const big = three.pool! as GemmPool;
    big.assume(0, 1e-10);
    const [single, split] = productOn([one, three], 6, 3, 300);
    expect(firstDifference(split, single)).toBe(-1);
  });

  it('starts without waiting: products run on the calling thread until the workers are ready', () => {
    const fresh = createWasmBackendSync({ threads: 2, relaxedSimd: false });
    try {
      const pool = fresh.pool as GemmPool;
      expect(pool.handoffSeconds).toBe(Number.POSITIVE_INFINITY);
      const [single, early] = productOn([one, fresh], 64, 256, 300);
      expect(firstDifference(early, single)).toBe(-1);
    } finally {
      fresh.dispose();
    }
  });

  it('cuts a forward product along its depth behind a split gradient, to the bits of one thread', () => {
    const pool = two.pool as GemmPool;
    pool.assume(0, 1e-10);
    // Depths of one to five blocks (784 is four of 196; 300 is 152 + 148), alphas and betas of every kind.
    for (const [m, n, k] of [
      [32, 100, 784],
      [64, 128, 784],
      [7, 36, 300],
      [33, 12, 1100],
      [16, 24, 200],
    ]) {
      for (const [alpha, beta] of [
        [1, 0],
        [-0.5, 1],
        [2, 0.25],
      ]) {
        const av = random(m * k);
        const bv = random(k * n);
        const cv = random(m * n);
        const [single, split] = [one, two].map((backend) => {
          // The gradient of those weights first (A^T B, k x n), split: their rows are owned.
          const g = filled(backend, k, n, new Float32Array(k * n));
          backend.gemm(true, false, 1, filled(backend, m, k, av), filled(backend, m, n, cv), 0, g);
          const c = filled(backend, m, n, cv);
          backend.gemm(false, false, alpha, filled(backend, m, k, av), filled(backend, k, n, bv), beta, c);
          return Float32Array.from(c.data);
        });
        expect(firstDifference(split, single), `${m}x${n}x${k} alpha ${alpha} beta ${beta}`).toBe(-1);
      }
    }
  });

  it('trains a 784-input network to the same weights on one thread and on two', () => {
    (two.pool as GemmPool).assume(0, 1e-10);
    const x = { data: random(256 * 784), shape: [256, 784] as [number, number] };
    const t = Array.from({ length: 256 }, (_, i) =>
      Array.from({ length: 10 }, (_, k) => (i % 10 === k ? 1 : 0)),
    );
    const weights = [one, two].map((backend) => {
      const net = new Network({
        inputs: 784,
        layers: [
          { units: 100, activation: 'relu' },
          { units: 10, activation: 'softmax' },
        ],
        seed: 6,
        backend,
      });
      const trainer = new Trainer(net, x, t, {
        mode: 'minibatch',
        batchSize: 32,
        optimizer: 'adam',
        epochs: 2,
      });
      for (let e = 0; e < 2; e++) trainer.runEpoch();
      trainer.dispose();
      return net.layers.map((l) => Float32Array.from(l.weights.data));
    });
    for (let n = 0; n < 2; n++) expect(firstDifference(weights[1][n], weights[0][n])).toBe(-1);
  });

  it('zeros a large new matrix on both threads, also over memory that held another', () => {
    const rows = 1500;
    const cols = 1000; // 6 MB: past the size the threads share
    const first = two.matrix(rows, cols, 'float32');
    first.data.fill(7);
    two.free(first);
    const again = two.matrix(rows, cols, 'float32');
    expect((again as WasmMatrix).ptr).toBe((first as WasmMatrix).ptr); // the same memory, reused
    expect(again.data.every((x) => x === 0)).toBe(true);
    two.free(again);
  });

  it('leaves a large matrix on fresh memory to the workers to touch, keeping what is written meanwhile', () => {
    const pool = two.pool as GemmPool;
    const touch = pool.touch.bind(pool);
    let touched = 0;
    pool.touch = (ptr, bytes) => {
      touched += bytes >= 4 << 20 ? 1 : 0;
      touch(ptr, bytes);
    };
    try {
      const rows = 3000;
      const cols = 1000; // 12 MB of memory never handed out
      const m = two.matrix(rows, cols, 'float32');
      expect(touched).toBe(1);
      // Written at once, while the workers may still be touching the same pages.
      const data = m.data;
      for (let i = 0; i < data.length; i += 997) data[i] = i + 1;
      // The next job waits for the touching to end; then every value is as written, the rest zero.
      const a = filled(two, 64, 64, random(64 * 64));
      const c = two.matrix(64, 64, 'float32');
      two.gemm(false, false, 1, a, a, 0, c);
      const after = m.data;
      for (let i = 0; i < after.length; i++) {
        if (after[i] !== (i % 997 === 0 ? i + 1 : 0)) throw new Error(`element ${i} is ${after[i]}`);
      }
      for (const x of [m, a, c]) two.free(x);
    } finally {
      pool.touch = touch;
    }
  });

  it('splits an update only behind a split gradient of its shape (one example per update: never)', async () => {
    const fresh = (await createWasmBackend({ threads: 2, relaxedSimd: false })) as WasmBackend;
    try {
      const pool = fresh.pool as GemmPool;
      // The gradient of a 784 x 128 layer from one example: 100k multiply-adds, never worth a hand-off.
      const x = fresh.matrix(1, 784, 'float32');
      const d = fresh.matrix(1, 128, 'float32');
      const g = fresh.matrix(784, 128, 'float32');
      const w = fresh.matrix(784, 128, 'float32');
      expect(pool.gemm(true, false, 784, 128, 1, 1, ptr(x), ptr(d), 0, ptr(g), scratch(fresh))).toBe(false);
      expect(pool.update(0, 784, 128, ptr(w), ptr(g), 0, 0, scratch(fresh))).toBe(false);
      // A shape no gradient had: no split either.
      expect(pool.update(0, 392, 256, ptr(w), ptr(g), 0, 0, scratch(fresh))).toBe(false);
    } finally {
      fresh.dispose();
    }
  });

  it('trains to the same weights on one thread and on three', () => {
    const x = Array.from({ length: 512 }, () => Array.from({ length: 64 }, () => rng.normal()));
    const t = x.map((row) =>
      Array.from({ length: 10 }, (_, k) => (Math.abs(Math.floor(row[0] * 3)) % 10 === k ? 1 : 0)),
    );
    // Every product split: the hand-off taken as free.
    (three.pool as GemmPool).assume(0, 1e-10);
    const weights = [one, three].map((backend) => {
      const net = new Network({
        inputs: 64,
        layers: [
          { units: 512, activation: 'relu' },
          { units: 10, activation: 'softmax' },
        ],
        seed: 4,
        backend,
      });
      // Batches of 256: the 256 x 512 x 64 products reach the threshold.
      const trainer = new Trainer(net, x, t, {
        mode: 'minibatch',
        batchSize: 256,
        learningRate: 0.1,
        epochs: 3,
      });
      for (let e = 0; e < 3; e++) trainer.runEpoch();
      trainer.dispose();
      return net.layers.map((l) => Float32Array.from(l.weights.data));
    });
    for (let n = 0; n < 2; n++) expect(firstDifference(weights[1][n], weights[0][n])).toBe(-1);
  });

  it("splits every optimizer's update by rows and gives the same bits as one thread", () => {
    // 515 x 37: neither the rows nor the elements in fours, so the last chunk ends in the scalar tail.
    const [rows, cols] = [515, 37];
    (three.pool as GemmPool).assume(0, 1e-10);
    const start = [random(rows * cols), random(rows * cols), random(rows * cols), random(rows * cols)];
    start[3] = start[3].map(Math.abs); // the second moments are never negative
    const updates: [string, (b: Backend, w: Matrix, g: Matrix, s1: Matrix, s2: Matrix) => void][] = [
      ['sgd', (b, w, g) => b.sgd(w, g, 0.1, 0.01)],
      ['momentum', (b, w, g, s1) => b.momentum(w, g, s1, 0.1, 0.9, false, 0)],
      ['nesterov', (b, w, g, s1) => b.momentum(w, g, s1, 0.1, 0.9, true, 0.01)],
      ['adam', (b, w, g, s1, s2) => b.adam(w, g, s1, s2, 0.01, 0.9, 0.999, 1e-8, 3, 0)],
      ['rmsprop', (b, w, g, s1) => b.rmsprop(w, g, s1, 0.01, 0.9, 1e-8, 0.001)],
    ];
    for (const [name, update] of updates) {
      const after = [one, three].map((backend) => {
        const [w, g, s1, s2] = start.map((v) => filled(backend, rows, cols, v));
        for (let step = 0; step < 3; step++) update(backend, w, g, s1, s2);
        return [w, s1, s2].map((m) => Float32Array.from(m.data));
      });
      for (let k = 0; k < 3; k++) expect(firstDifference(after[1][k], after[0][k]), name).toBe(-1);
      expect(firstDifference(after[1][0], start[0]), name).toBe(0); // the weights did move
    }
  });

  it("'auto' takes one thread per core", async () => {
    const auto = (await createWasmBackend({ threads: 'auto' })) as WasmBackend;
    try {
      expect(auto.name).toMatch(/^wasm-(relaxed-)?simd-threads-\d+$/);
    } finally {
      auto.dispose();
    }
    await expect(createWasmBackend({ threads: 0 })).rejects.toThrow(/threads/);
  });
});
