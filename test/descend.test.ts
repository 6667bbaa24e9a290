// Plain steepest descent taken during backpropagation (Backend.descend): each
// layer's weights move straight from x^T delta, in one pass, to the bit what the
// gradient's product followed by sgd gives; where a backend cannot promise that
// (more depth blocks than one, tiny or float64 matrices) it declines, and the
// two steps run instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, DType } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackend, type GemmPool, type WasmBackend } from '../src/backend/wasm/index.js';
import { Network, Random, Trainer, type TrainOptions } from '../src/index.js';

let one: WasmBackend;
let two: WasmBackend;
let relaxed: WasmBackend;

beforeAll(async () => {
  one = (await createWasmBackend({ relaxedSimd: false })) as WasmBackend;
  two = (await createWasmBackend({ threads: 2, relaxedSimd: false })) as WasmBackend;
  (two.pool as GemmPool | undefined)?.assume(0, 1e-10); // every product split
  relaxed = (await createWasmBackend({ relaxedSimd: true })) as WasmBackend;
});

afterAll(() => {
  two?.dispose();
});

const rng = new Random(5);
const N = 300;
const x = Array.from({ length: N }, () => Array.from({ length: 40 }, () => rng.uniform(-1, 1)));
const labels = x.map((r) => (r[0] + r[1] > 0 ? 0 : r[2] > 0 ? 1 : 2));
const t = labels.map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0)));

/** Trains a fresh 40-64-32-3 network and returns every weight and bias, and how often descend moved weights. */
function train(backend: Backend, options: Run, dtype: DType = 'float32', withDescend = true) {
  const { dropout, ...trainOptions } = options;
  let descended = 0;
  const own = backend as Backend & { descend?: Backend['descend'] };
  const original = own.descend;
  // An own property shadows the backend's method for this run.
  Object.defineProperty(own, 'descend', {
    configurable: true,
    value:
      withDescend && original
        ? (...a: Parameters<NonNullable<Backend['descend']>>) => {
            const done = original.apply(own, a);
            if (done) descended++;
            return done;
          }
        : undefined,
  });
  try {
    const net = new Network({
      inputs: 40,
      layers: [
        { units: 64, activation: 'relu', dropout: dropout ? 0.2 : 0 },
        { units: 32, activation: 'tanh' },
        { units: 3, activation: 'softmax' },
      ],
      seed: 3,
      dtype,
      backend,
    });
    new Trainer(net, x, t, { loss: 'cross-entropy', epochs: 3, seed: 9, ...trainOptions }).run();
    const values = net.layers.flatMap((l) => [...l.weights.data, ...l.biases.data]);
    return { values, descended };
  } finally {
    delete (own as { descend?: unknown }).descend;
  }
}

/** The first index where the two differ in any bit, or -1. */
function firstDifference(a: number[], b: number[]): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

type Run = TrainOptions & { dropout?: boolean };

const runs: [string, Run][] = [
  ['minibatch 64', { mode: 'minibatch', batchSize: 64, optimizer: 'sgd', learningRate: 0.1 }],
  ['per-layer rates', { mode: 'minibatch', batchSize: 32, optimizer: 'sgd', learningRate: [0.2, 0.05, 0.1] }],
  ['dropout', { mode: 'minibatch', batchSize: 50, optimizer: 'sgd', learningRate: 0.1, dropout: true }],
  [
    'sample weights',
    {
      mode: 'minibatch',
      batchSize: 64,
      optimizer: 'sgd',
      learningRate: 0.1,
      sampleWeights: x.map((_, i) => 1 + (i % 3)),
    },
  ],
  [
    'a schedule',
    {
      mode: 'minibatch',
      batchSize: 64,
      optimizer: 'sgd',
      learningRate: 0.1,
      schedule: { name: 'step', stepSize: 1, gamma: 0.5 },
    },
  ],
  ['batch mode (300 rows: four depth blocks)', { mode: 'batch', optimizer: 'sgd', learningRate: 0.5 }],
];

describe('descent during backpropagation', () => {
  for (const [name, options] of runs) {
    it(`gives the two steps' bits: ${name}`, () => {
      for (const backend of [one, two, relaxed]) {
        const fused = train(backend, options);
        const apart = train(backend, options, 'float32', false);
        expect(firstDifference(fused.values, apart.values), `${backend.name}`).toBe(-1);
        // Batches of at most 256 rows move the weights in one pass; 300 rows decline.
        if (name.startsWith('batch mode')) expect(fused.descended).toBe(0);
        else expect(fused.descended).toBeGreaterThan(0);
      }
    });
  }

  it('is not used where the optimizer does more than plain steepest descent', () => {
    for (const options of [
      { optimizer: 'sgd', weightDecay: 1e-3 },
      { optimizer: 'sgd', l1: 1e-4 },
      { optimizer: 'momentum' },
      { optimizer: 'adam', learningRate: 0.01 },
    ] as TrainOptions[]) {
      expect(train(one, { mode: 'minibatch', batchSize: 64, learningRate: 0.1, ...options }).descended).toBe(
        0,
      );
    }
  });

  it('declines float64 and tiny matrices, and the TypeScript backend has none', () => {
    const m = (r: number, c: number, d: DType = 'float32') => one.matrix(r, c, d);
    expect(one.descend(m(8, 4, 'float64'), m(8, 3, 'float64'), 0.1, m(4, 3, 'float64'))).toBe(false);
    expect(one.descend(m(2, 2), m(2, 2), 0.1, m(2, 2))).toBe(false);
    expect(one.descend(m(257, 16), m(257, 16), 0.1, m(16, 16))).toBe(false);
    expect(one.descend(m(256, 16), m(256, 16), 0.1, m(16, 16))).toBe(true);
    expect(jsBackend.descend).toBeUndefined();
    // float64 networks on the TypeScript kernels train as before.
    const a = train(jsBackend, runs[0][1], 'float64');
    expect(a.descended).toBe(0);
    expect(a.values.every(Number.isFinite)).toBe(true);
  });

  it('moves the weights by eta x^T delta, not by anything else', () => {
    const xm = one.matrix(8, 16, 'float32');
    const d = one.matrix(8, 4, 'float32');
    const w = one.matrix(16, 4, 'float32');
    const r = new Random(1);
    for (const m of [xm, d, w]) for (let i = 0; i < m.data.length; i++) m.data[i] = r.uniform(-1, 1);
    const before = Float32Array.from(w.data);
    expect(one.descend(xm, d, 0.25, w)).toBe(true);
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let k = 0; k < 8; k++) s += xm.data[k * 16 + i] * d.data[k * 4 + j];
        expect(w.data[i * 4 + j]).toBeCloseTo(before[i * 4 + j] + 0.25 * s, 5);
      }
    }
  });
});
