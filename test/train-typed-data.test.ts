// Training data given as a typed array with its shape, or as a matrix of the
// network's backend (read in place), trains to the weights that the same
// numbers given as rows of arrays give, with or without a validation split, in
// every mode, on every backend, and is left as it was.
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackend, type WasmBackend } from '../src/backend/wasm/index.js';
import { BackpropError, Network, Random, Trainer } from '../src/index.js';
import type { Mode } from '../src/train/trainer.js';

const rng = new Random(21);
const rows = 300;
const x = Array.from({ length: rows }, () => Array.from({ length: 12 }, () => rng.normal()));
const t = x.map((r) => [r[0] + r[1] > 0 ? 1 : 0, r[0] + r[1] > 0 ? 0 : 1]);

function trained(backend: Backend, inputs: unknown, targets: unknown, mode: Mode, split: number) {
  const net = new Network({
    inputs: 12,
    layers: [
      { units: 40, activation: 'tanh' },
      { units: 2, activation: 'softmax' },
    ],
    seed: 9,
    backend,
  });
  const trainer = new Trainer(net, inputs as number[][], targets as number[][], {
    mode,
    batchSize: mode === 'minibatch' ? 16 : undefined,
    optimizer: 'adam',
    learningRate: 0.01,
    validationSplit: split,
    epochs: 3,
  });
  trainer.run({ epochs: 3 });
  const costs = trainer.history.map((h) => [h.cost, h.validationCost]);
  trainer.dispose();
  return { weights: net.layers.map((l) => Array.from(l.weights.data)), costs };
}

/** Runs `body` on a new wasm backend of `threads` threads, then on the plain one. */
async function onEachBackend(threads: number, body: (backend: Backend) => void): Promise<void> {
  const wasm = (await createWasmBackend({ threads })) as WasmBackend;
  try {
    for (const backend of [wasm, jsBackend]) body(backend);
  } finally {
    wasm.dispose();
  }
}

describe('training data as a typed array', () => {
  it('train from a typed array, unchanged, to the weights that rows of arrays give', async () => {
    await onEachBackend(2, (backend) => {
      for (const mode of ['minibatch', 'sequential', 'batch'] as const) {
        for (const split of [0, 0.25]) {
          const data = Float32Array.from(x.flat());
          const before = Float32Array.from(data);
          const targets = Float32Array.from(t.flat());
          const typed = trained(
            backend,
            { data, shape: [rows, 12] },
            { data: targets, shape: [rows, 2] },
            mode,
            split,
          );
          const arrays = trained(backend, x, t, mode, split);
          const what = `${backend.name} ${mode} split ${split}`;
          expect(typed.weights, what).toEqual(arrays.weights);
          expect(typed.costs, what).toEqual(arrays.costs);
          expect(data, what).toEqual(before);
        }
      }
    });
  });

  it('train from a matrix of the backend in place: the same weights, the matrix neither copied nor freed', async () => {
    await onEachBackend(2, (backend) => {
      for (const mode of ['minibatch', 'sequential', 'batch'] as const) {
        for (const [split, viewed] of [
          [0, false],
          [0.25, false],
          [0, true],
          [0.25, true],
        ] as const) {
          // A matrix of its own, or a larger one seen through a view (as `backprop train` reads a file into one).
          const store = backend.matrix(viewed ? rows + 7 : rows, 12, 'float32');
          store.data.set(x.flat());
          const given = viewed ? backend.view!(store, rows, 12) : store;
          const before = Float32Array.from(given.data);
          const inPlace = trained(backend, given, t, mode, split);
          const arrays = trained(backend, x, t, mode, split);
          const what = `${backend.name} ${mode} split ${split}${viewed ? ' view' : ''}`;
          expect(inPlace.weights, what).toEqual(arrays.weights);
          expect(inPlace.costs, what).toEqual(arrays.costs);
          // Still the caller's: the trainer's dispose gave nothing back, so a new matrix lies elsewhere.
          const next = backend.matrix(rows, 12, 'float32');
          next.data.fill(7);
          expect(given.data, what).toEqual(before);
          expect(store.data.subarray(0, rows * 12), what).toEqual(before);
          backend.free(next);
          if (viewed) backend.free(given); // a view: nothing to give back
          backend.free(store);
        }
      }
    });
  });

  it('refuses a matrix of another dtype, or with a number that is not finite, naming it', () => {
    const m = jsBackend.matrix(4, 12, 'float32');
    const net = (dtype: 'float32' | 'float64') =>
      new Network({
        inputs: 12,
        layers: [{ units: 2, activation: 'softmax' }],
        seed: 1,
        backend: jsBackend,
        dtype,
      });
    const targets = t.slice(0, 4);
    expect(() => new Trainer(net('float64'), m, targets)).toThrow(
      new BackpropError('inputs: a float32 matrix for a float64 network'),
    );
    m.data[2 * 12 + 5] = Number.NaN;
    expect(() => new Trainer(net('float32'), m, targets)).toThrow(
      new BackpropError('inputs: row 2, column 5 is NaN, not a finite number'),
    );
  });

  it("a view shares its matrix's storage, and is refused where it does not fit", async () => {
    await onEachBackend(1, (backend) => {
      for (const dtype of ['float32', 'float64'] as const) {
        const m = backend.matrix(3, 4, dtype);
        const v = backend.view!(m, 2, 5);
        expect([v.rows, v.cols, v.dtype]).toEqual([2, 5, dtype]);
        v.data[9] = 3;
        expect(m.data[9]).toBe(3);
        m.data[0] = -1;
        expect(v.data[0]).toBe(-1);
        expect(() => backend.view!(m, 4, 4)).toThrow('view: 4x4 does not fit in a 3x4 matrix');
        backend.free(m);
      }
    });
  });

  it('finds the first number that is not finite where it lies, at any place and length, on every backend', async () => {
    await onEachBackend(1, (backend) => {
      for (const length of [1, 15, 16, 17, 64, 1000]) {
        const m = backend.matrix(1, length, 'float32');
        m.data.set(Array.from({ length }, (_, i) => i - 3.5));
        expect(backend.firstNonFinite!(m), `${backend.name} ${length}`).toBe(-1);
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          for (const at of new Set([0, length >> 1, length - 1])) {
            const saved = m.data[at];
            m.data[at] = bad;
            if (at + 1 < length) m.data[length - 1] = Number.NaN; // a later one: the first is found
            expect(backend.firstNonFinite!(m), `${backend.name} ${length} ${bad} at ${at}`).toBe(at);
            m.data[at] = saved;
            m.data[length - 1] = length - 1 - 3.5;
          }
        }
        backend.free(m);
      }
      // A typed array given as data is refused with the row and column named, as rows of numbers are.
      const net = new Network({
        inputs: 12,
        layers: [{ units: 2, activation: 'softmax' }],
        seed: 1,
        backend,
      });
      const data = Float32Array.from(x.flat());
      data[7 * 12 + 11] = Number.POSITIVE_INFINITY;
      expect(() => new Trainer(net, { data, shape: [rows, 12] }, t)).toThrow(
        new BackpropError('inputs: row 7, column 11 is Infinity, not a finite number'),
      );
    });
  });
});
