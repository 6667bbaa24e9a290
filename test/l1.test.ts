/**
 * L1 beside L2: the gradient gains lambda1 sign(w) (sign(0) = 0) and lambda w,
 * held to the autograd oracle (whose cost carries lambda1 sum |w| + lambda/2
 * sum w^2) in float64 for each optimizer in each mode; `l2` as another name of
 * `weightDecay`; the engine chosen for L1; a zero weight left alone by L1.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackendSync } from '../src/backend/wasm/index.js';
import { Network, Random, Trainer } from '../src/index.js';
import { pytorchSettings } from '../src/interop/pytorch.js';
import {
  firstMiss,
  type OracleOptimizer,
  oracleParams,
  oracleTrain,
  paramsOf,
  toOracle,
} from './oracle/train.js';

const N = 7;
const MODES = [
  { mode: 'batch', batch: N },
  { mode: 'sequential', batch: 1 },
  { mode: 'minibatch', batch: 3 },
] as const;

function problem() {
  const random = new Random(21);
  const X = Array.from({ length: N }, () => [random.uniform(-1, 1), random.uniform(-1, 1)]);
  const D = X.map((x) => [x[0] * x[1] > 0 ? 1 : 0]);
  return { X, D };
}

function network(): Network {
  return new Network({
    inputs: 2,
    layers: [
      { units: 4, activation: 'tanh' },
      { units: 1, activation: 'sigmoid' },
    ],
    dtype: 'float64',
    seed: 8,
  });
}

describe('L1 and L2 match the oracle in float64, for each optimizer in each mode', () => {
  const optimizers: OracleOptimizer[] = ['sgd', 'momentum', 'nesterov', 'adam', 'rmsprop'];
  for (const { mode, batch } of MODES) {
    for (const optimizer of optimizers) {
      for (const [l1, l2] of [
        [0.01, 0],
        [0, 0.02],
        [0.03, 0.01],
      ]) {
        it(`${mode}, ${optimizer}, l1 ${l1}, l2 ${l2}`, async () => {
          const { X, D } = problem();
          const net = network();
          const oracle = toOracle(net);
          const eta = optimizer === 'adam' || optimizer === 'rmsprop' ? [0.01, 0.02] : [0.3, 0.2];
          await net.fit(X, D, {
            mode,
            batchSize: mode === 'minibatch' ? batch : undefined,
            shuffle: false,
            epochs: 5,
            learningRate: eta,
            optimizer,
            l1,
            l2,
            loss: 'binary-cross-entropy',
          });
          oracleTrain(oracle, X, D, {
            loss: 'binary-cross-entropy',
            reduction: 'mean',
            batch,
            epochs: 5,
            etaOf: () => eta,
            optimizer,
            l1,
            l2,
          });
          expect(firstMiss(paramsOf(net), oracleParams(oracle))).toBeNull();
        });
      }
    }
  }
});

describe('the settings', () => {
  const { X, D } = problem();

  it('l2 is weightDecay under another name: one setting, recorded once', () => {
    const a = new Trainer(network(), X, D, { l2: 0.5 });
    expect(a.settings.optimizer.weightDecay).toBe(0.5);
    expect(a.settings.optimizer.l1).toBe(0);
    a.dispose();
    expect(() => new Trainer(network(), X, D, { l2: 0.5, weightDecay: 0.1 })).toThrow(
      'l2: another name of weightDecay, given both as 0.5 and 0.1',
    );
    expect(() => new Trainer(network(), X, D, { l1: -1 })).toThrow(
      'l1: expected a number of at least 0, got -1',
    );
  });

  it('sequential sgd with L1 leaves the small-network paths; without it they stay', () => {
    const withL1 = new Trainer(network(), X, D, { mode: 'sequential', l1: 0.01 });
    expect(withL1.inline).toBeNull();
    withL1.dispose();
    const without = new Trainer(network(), X, D, { mode: 'sequential' });
    expect(without.inline).not.toBeNull();
    without.dispose();
  });

  it('a weight at exactly 0 gets no push from L1 (sign(0) = 0)', async () => {
    const net = new Network({ inputs: 1, layers: [{ units: 1, activation: 'linear' }], dtype: 'float64' });
    net.setWeights([{ weights: [[0]], biases: [0] }]);
    // Zero inputs and targets: dJ/dw = 0, so only L1 could move w, and sign(0) = 0 keeps it.
    await net.fit([[0]], [[0]], { epochs: 3, l1: 0.5, learningRate: 0.1, loss: 'mse' });
    expect(paramsOf(net)).toEqual([0, 0]);
    net.setWeights([{ weights: [[1]], biases: [-1] }]);
    await net.fit([[0]], [[0]], { epochs: 1, l1: 0.5, learningRate: 0.1, loss: 'mse', mode: 'batch' });
    // b: the loss pulls it up by eta 2 (0 - b) = 0.2, L1 by eta 0.5 = 0.05; w: only L1, down by 0.05.
    expect(paramsOf(net)[0]).toBeCloseTo(0.95, 15);
    expect(paramsOf(net)[1]).toBeCloseTo(-1 + 0.2 + 0.05, 15);
  });
});

describe('export to a PyTorch script', () => {
  it('refuses a record with L1, a schedule or weights, naming the field', () => {
    const model = network().toJSON();
    for (const [field, value] of [
      ['l1', 0.01],
      ['schedule', { name: 'cosine', epochs: 5, warmup: 0 }],
      ['classWeights', 'balanced'],
      ['sampleWeights', 'w'],
    ] as const) {
      expect(() => pytorchSettings({ ...model, training: { [field]: value } })).toThrow(
        `training record: ${field}: the PyTorch script does not train with it yet`,
      );
    }
    expect(() =>
      pytorchSettings({
        ...model,
        training: { l1: 0, schedule: { name: 'constant', warmup: 0, warmupStart: 1 / 3 } },
      }),
    ).not.toThrow();
  });
});

describe('the L1 kernels', () => {
  it('the WebAssembly kernel adds the same bits as the plain one in float32, and sign(0) = 0', () => {
    const wasm = createWasmBackendSync({ delegateSmall: false });
    const random = new Random(2);
    const n = 1003; // a SIMD body and a scalar tail
    const values = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : random.uniform(-1, 1)));
    const grads = Array.from({ length: n }, () => random.uniform(-1e-3, 1e-3));
    const run = (b: Backend, lambda1: number) => {
      const w = b.matrix(1, n, 'float32');
      const g = b.matrix(1, n, 'float32');
      w.data.set(values);
      g.data.set(grads);
      b.l1(w, g, lambda1);
      return Array.from(g.data);
    };
    for (const lambda1 of [0.1, 1e-4, 0.3333]) {
      const expected = run(jsBackend, lambda1);
      expect(run(wasm, lambda1)).toEqual(expected);
      for (let i = 0; i < n; i += 7) expect(expected[i]).toBe(Math.fround(grads[i]));
    }
  });
});
