/**
 * The inline path for small networks trained one example at a time must give
 * exactly, to the bit, what the general kernels give.
 */
import { describe, expect, it } from 'vitest';
import {
  ACTIVATION_NAMES,
  type ActivationName,
  type LossName,
  Network,
  Random,
  Trainer,
} from '../src/index.js';

const hidden: readonly ActivationName[] = ACTIVATION_NAMES;
const outputs: { out: ActivationName; loss: LossName }[] = [
  { out: 'sigmoid', loss: 'binary-cross-entropy' },
  { out: 'softmax', loss: 'cross-entropy' },
  { out: 'softmax', loss: 'squared' },
  { out: 'linear', loss: 'half-squared' },
  { out: 'tanh', loss: 'squared' },
];

function train(
  act: ActivationName,
  out: ActivationName,
  loss: LossName,
  dtype: 'float32' | 'float64',
  inline: boolean,
) {
  const random = new Random(11);
  const X = Array.from({ length: 9 }, () => [
    random.uniform(-2, 2),
    random.uniform(-2, 2),
    random.uniform(-2, 2),
  ]);
  const D = X.map((x) => [x[0] * x[1] > 0 ? 1 : 0, x[2] > 0 ? 0.8 : 0.1]);
  const net = new Network({
    inputs: 3,
    layers: [
      { units: 5, activation: act },
      { units: 4, activation: act },
      { units: 2, activation: out },
    ],
    dtype,
    seed: 4,
  });
  const trainer = new Trainer(net, X, D, {
    mode: 'sequential',
    loss,
    learningRate: [0.05, 0.1, 0.2],
    epochs: 6,
    inlineSmallNetworks: inline,
  });
  expect(trainer.small).toBe(inline);
  while (!trainer.stopReason) trainer.runEpoch();
  const history = trainer.history.map((h) => [h.cost, h.accuracy]);
  trainer.dispose();
  return { weights: net.getWeights(), history };
}

describe('small-network inline path', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const act of hidden) {
      for (const { out, loss } of outputs) {
        it(`${dtype}: ${act} hidden, ${out} + ${loss}: bit-identical to the kernels`, () => {
          const general = train(act, out, loss, dtype, false);
          const inline = train(act, out, loss, dtype, true);
          expect(inline.history).toEqual(general.history);
          expect(inline.weights).toEqual(general.weights);
          // And training did move the weights.
          expect(inline.weights).not.toEqual(
            new Network({
              inputs: 3,
              layers: [
                { units: 5, activation: act },
                { units: 4, activation: act },
                { units: 2, activation: out },
              ],
              dtype,
              seed: 4,
            }).getWeights(),
          );
        });
      }
    }
  }

  it('is not taken where it would not be identical', () => {
    const net = new Network({ inputs: 2, layers: [{ units: 1, activation: 'linear' }] });
    const X = [
      [1, 2],
      [3, 4],
    ];
    const D = [[1], [2]];
    expect(new Trainer(net, X, D, { mode: 'minibatch', batchSize: 2 }).small).toBe(false);
    expect(new Trainer(net, X, D, { mode: 'sequential', optimizer: 'adam' }).small).toBe(false);
    expect(new Trainer(net, X, D, { mode: 'sequential', weightDecay: 0.1 }).small).toBe(false);
    expect(new Trainer(net, X, D, { mode: 'sequential' }).small).toBe(true);
  });
});
