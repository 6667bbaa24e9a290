/**
 * float64 results against an independent scalar autograd (test/oracle): the
 * loss, every v, out, delta, gradient and updated weight of a step, and the
 * weights after several epochs of each mode and optimizer, to 1e-9 relative.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVATION_NAMES, Network, Random } from '../src/index.js';
import { type Act, type LossName, type OracleLayer, oracleStep } from './oracle/autograd.js';

const TOL = 1e-9;

function close(
  actual: number[] | number[][] | number,
  expected: number[] | number[][] | number,
  what: string,
) {
  const a = [actual].flat(2) as number[];
  const e = [expected].flat(2) as number[];
  expect(a.length, what).toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - e[i]) / Math.max(1, Math.abs(e[i]));
    if (!(err <= TOL)) expect.fail(`${what}[${i}]: ${a[i]} vs oracle ${e[i]} (relative error ${err})`);
  }
}

function randomMatrix(random: Random, rows: number, cols: number, scale = 1): number[][] {
  return Array.from({ length: rows }, () =>
    Array.from({ length: cols }, () => random.uniform(-scale, scale)),
  );
}

function targetsFor(random: Random, loss: LossName, rows: number, cols: number): number[][] {
  if (loss === 'cross-entropy' || loss === 'binary-cross-entropy') {
    return Array.from({ length: rows }, () => Array.from({ length: cols }, () => random.next()));
  }
  return randomMatrix(random, rows, cols, 2);
}

function toOracle(net: Network): OracleLayer[] {
  return net
    .getWeights()
    .map((l, n) => ({ act: net.layers[n].activation as Act, w: l.weights, b: l.biases }));
}

const hidden: readonly Act[] = ACTIVATION_NAMES;
const cases: { out: Act; loss: LossName }[] = [
  { out: 'linear', loss: 'squared' },
  { out: 'tanh', loss: 'half-squared' },
  { out: 'softmax', loss: 'squared' },
  { out: 'softmax', loss: 'half-squared' },
  { out: 'softmax', loss: 'cross-entropy' },
  { out: 'softmax', loss: 'binary-cross-entropy' },
  { out: 'sigmoid', loss: 'binary-cross-entropy' },
  { out: 'sigmoid', loss: 'cross-entropy' },
  { out: 'sigmoid', loss: 'squared' },
  { out: 'relu', loss: 'half-squared' },
  { out: 'elu', loss: 'squared' },
];

describe('one step of explain matches the autograd oracle in float64', () => {
  let seed = 100;
  for (const act of hidden) {
    for (const { out, loss } of cases) {
      for (const reduction of ['mean', 'sum'] as const) {
        const s = seed++;
        it(`hidden ${act}, output ${out}, ${loss}, ${reduction}`, () => {
          const random = new Random(s);
          const net = new Network({
            inputs: 3,
            layers: [
              { units: 4, activation: act },
              { units: 3, activation: act },
              { units: 2, activation: out },
            ],
            dtype: 'float64',
            seed: s,
          });
          // Biases away from zero so that every path is exercised.
          net.setWeights(
            net
              .getWeights()
              .map((l) => ({ weights: l.weights, biases: l.biases.map(() => random.uniform(-0.5, 0.5)) })),
          );
          const X = randomMatrix(random, 5, 3, 1.5);
          const D = targetsFor(random, loss, 5, 2);
          const eta = [0.3, 0.2, 0.1];
          const trace = net.explain(X, D, { loss, reduction, learningRate: eta });
          const oracle = oracleStep(toOracle(net), X, D, loss, reduction);
          close(trace.loss, oracle.loss, 'loss');
          trace.layers.forEach((l, n) => {
            close(l.v, oracle.v[n], `v^(${n + 1})`);
            close(l.out, oracle.out[n], `out^(${n + 1})`);
            close(l.delta, oracle.delta[n], `delta^(${n + 1})`);
            close(l.gradWeights, oracle.gw[n], `gradWeights^(${n + 1})`);
            close(l.gradBiases, oracle.gb[n], `gradBiases^(${n + 1})`);
            const before = net.getWeights()[n];
            close(
              l.weights,
              before.weights.map((row, m) => row.map((w, j) => w - eta[n] * oracle.gw[n][m][j])),
              `weights^(${n + 1})`,
            );
            close(
              l.biases,
              before.biases.map((b, j) => b - eta[n] * oracle.gb[n][j]),
              `biases^(${n + 1})`,
            );
          });
        });
      }
    }
  }
});

type Opt = 'sgd' | 'momentum' | 'nesterov' | 'adam' | 'rmsprop';

/** The optimizers written out from PyTorch's documentation, on plain arrays. */
function oracleTrain(
  layers: OracleLayer[],
  X: number[][],
  D: number[][],
  opts: {
    loss: LossName;
    reduction: 'mean' | 'sum';
    batch: number;
    epochs: number;
    eta: number[];
    optimizer: Opt;
    decay: number;
  },
): OracleLayer[] {
  const params = () => layers.flatMap((l) => [l.w, [l.b]]);
  const zeros = () => params().map((p) => p.map((r) => r.map(() => 0)));
  const m1 = zeros();
  const m2 = zeros();
  let t = 0;
  for (let e = 0; e < opts.epochs; e++) {
    for (let start = 0; start < X.length; start += opts.batch) {
      const xb = X.slice(start, start + opts.batch);
      const db = D.slice(start, start + opts.batch);
      const step = oracleStep(layers, xb, db, opts.loss, opts.reduction);
      t++;
      const grads = layers.flatMap((_, n) => [step.gw[n], [step.gb[n]]]);
      params().forEach((p, k) => {
        const eta = opts.eta[k >> 1];
        p.forEach((row, r) => {
          row.forEach((w, c) => {
            const g = grads[k][r][c] + opts.decay * w;
            let next = w;
            switch (opts.optimizer) {
              case 'sgd':
                next = w - eta * g;
                break;
              case 'momentum':
              case 'nesterov': {
                m1[k][r][c] = t === 1 ? g : 0.9 * m1[k][r][c] + g;
                next = w - eta * (opts.optimizer === 'nesterov' ? g + 0.9 * m1[k][r][c] : m1[k][r][c]);
                break;
              }
              case 'adam': {
                m1[k][r][c] = 0.9 * m1[k][r][c] + 0.1 * g;
                m2[k][r][c] = 0.999 * m2[k][r][c] + 0.001 * g * g;
                const mHat = m1[k][r][c] / (1 - 0.9 ** t);
                const vHat = m2[k][r][c] / (1 - 0.999 ** t);
                next = w - (eta * mHat) / (Math.sqrt(vHat) + 1e-8);
                break;
              }
              case 'rmsprop': {
                m1[k][r][c] = 0.99 * m1[k][r][c] + 0.01 * g * g;
                next = w - (eta * g) / (Math.sqrt(m1[k][r][c]) + 1e-8);
                break;
              }
            }
            row[c] = next;
          });
        });
      });
    }
  }
  return layers;
}

describe('several epochs of each mode and optimizer match the oracle with shuffling off', () => {
  const modes = [
    { mode: 'batch', batch: 7 },
    { mode: 'sequential', batch: 1 },
    { mode: 'minibatch', batch: 3 },
  ] as const;
  const optimizers: Opt[] = ['sgd', 'momentum', 'nesterov', 'adam', 'rmsprop'];
  for (const { mode, batch } of modes) {
    for (const optimizer of optimizers) {
      it(`${mode}, ${optimizer}`, async () => {
        const random = new Random(7);
        const net = new Network({
          inputs: 2,
          layers: [
            { units: 3, activation: 'tanh' },
            { units: 3, activation: 'softmax' },
          ],
          dtype: 'float64',
          seed: 3,
        });
        const X = randomMatrix(random, 7, 2);
        const labels = X.map((x) => (x[0] > x[1] ? 0 : x[0] > 0 ? 1 : 2));
        const D = labels.map((l) => [0, 1, 2].map((k) => (k === l ? 1 : 0)));
        const oracle = toOracle(net);
        const eta = optimizer === 'adam' || optimizer === 'rmsprop' ? [0.01, 0.02] : [0.2, 0.1];
        const decay = optimizer === 'sgd' ? 0 : 0.01;
        await net.fit(X, D, {
          mode,
          batchSize: mode === 'minibatch' ? batch : undefined,
          shuffle: false,
          epochs: 4,
          learningRate: eta,
          optimizer,
          weightDecay: decay,
          loss: 'cross-entropy',
        });
        oracleTrain(oracle, X, D, {
          loss: 'cross-entropy',
          reduction: 'mean',
          batch,
          epochs: 4,
          eta,
          optimizer,
          decay,
        });
        net.getWeights().forEach((l, n) => {
          close(l.weights, oracle[n].w, `weights^(${n + 1})`);
          close(l.biases, oracle[n].b, `biases^(${n + 1})`);
        });
      });
    }
  }
});
