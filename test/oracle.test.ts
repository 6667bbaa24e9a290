/**
 * float64 results against an independent scalar autograd (test/oracle): the
 * loss, every v, out, delta, gradient and updated weight of a step, and the
 * weights after several epochs of each mode and optimizer, to 1e-9 relative.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVATION_NAMES, Network, Random } from '../src/index.js';
import { type Act, type LossName, oracleStep } from './oracle/autograd.js';
import { type OracleOptimizer, oracleTrain, toOracle } from './oracle/train.js';

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

describe('several epochs of each mode and optimizer match the oracle with shuffling off', () => {
  const modes = [
    { mode: 'batch', batch: 7 },
    { mode: 'sequential', batch: 1 },
    { mode: 'minibatch', batch: 3 },
  ] as const;
  const optimizers: OracleOptimizer[] = ['sgd', 'momentum', 'nesterov', 'adam', 'rmsprop'];
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
          etaOf: () => eta,
          optimizer,
          l2: decay,
        });
        net.getWeights().forEach((l, n) => {
          close(l.weights, oracle[n].w, `weights^(${n + 1})`);
          close(l.biases, oracle[n].b, `biases^(${n + 1})`);
        });
      });
    }
  }
});
