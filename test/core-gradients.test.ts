// Finite-difference checks of backpropagation in float64: for every activation
// (hidden and output) x every loss x both reductions, on several layer shapes,
// dJ/dW and dJ/db from net.explain() agree with central differences of
// J = trace.loss, and delta = -dJ/dv.
import { describe, expect, it } from 'vitest';
import {
  ACTIVATION_NAMES,
  type ActivationName,
  BackpropError,
  type LossName,
  Network,
  type Reduction,
  type StepTrace,
} from '../src/index.js';
import { centralDifference, expectClose, lcg, randomRows } from './support/core.js';

const ACTIVATIONS: readonly ActivationName[] = ACTIVATION_NAMES;
const REDUCTIONS: Reduction[] = ['mean', 'sum'];
const H = 1e-6;
// Central differences with h = 1e-6 are exact to about 1e-10 (truncation h^2,
// rounding eps |J| / h); a wrong factor (the 2 of squared, the 1/n of mean, a
// missing softmax cross-term) is off by far more than 1e-6 relative.
const REL = 1e-6;

interface Combo {
  output: ActivationName;
  loss: LossName;
}

/** Every output activation with both squared losses, and the two cross-entropies on sigmoid and softmax. */
function outputCombos(outputs: number): Combo[] {
  const combos: Combo[] = [];
  for (const output of ACTIVATIONS) {
    // A softmax over one node is the constant 1: nothing to check.
    if (output === 'softmax' && outputs === 1) continue;
    combos.push({ output, loss: 'squared' }, { output, loss: 'half-squared' });
  }
  for (const output of ['sigmoid', 'softmax'] as const) {
    if (output === 'softmax' && outputs === 1) continue;
    combos.push({ output, loss: 'binary-cross-entropy' }, { output, loss: 'cross-entropy' });
  }
  return combos;
}

/** Targets that suit the loss: any numbers for the squared losses, soft targets in (0, 1) otherwise. */
function targetsFor(loss: LossName, n: number, outputs: number, next: () => number): number[][] {
  if (loss === 'squared' || loss === 'half-squared') return randomRows(next, n, outputs, -1, 1.5);
  if (loss === 'binary-cross-entropy') return randomRows(next, n, outputs, 0.05, 0.95);
  // Cross-entropy with soft targets whose rows do not sum to 1, one of them 0.
  const rows = randomRows(next, n, outputs, 0.1, 0.9);
  rows[0][0] = 0;
  return rows;
}

/** The cost J computed here from the trace's outputs (or v), with the formulas of docs/design.md. */
function referenceCost(trace: StepTrace, targets: number[][], loss: LossName, reduction: Reduction): number {
  const last = trace.layers[trace.layers.length - 1];
  let total = 0;
  targets.forEach((d, r) => {
    const y = last.out[r];
    d.forEach((dk, k) => {
      const yk = y[k];
      if (loss === 'squared') total += (dk - yk) ** 2;
      else if (loss === 'half-squared') total += 0.5 * (dk - yk) ** 2;
      else if (loss === 'binary-cross-entropy') total -= dk * Math.log(yk) + (1 - dk) * Math.log(1 - yk);
      else if (dk !== 0) total -= dk * Math.log(yk);
    });
  });
  return reduction === 'mean' ? total / targets.length : total;
}

const RECTIFIERS: ActivationName[] = ['relu', 'leaky-relu'];

/**
 * A float64 network of `shape` with random weights and biases, and data, such
 * that no rectifier's v is within 1e-3 of its kink (where the derivative jumps)
 * and every layer has some gradient that is not zero.
 */
function setup(shape: number[], activations: ActivationName[], loss: LossName, n: number, seed: number) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const next = lcg(seed * 1000 + attempt + 1);
    const net = new Network({
      inputs: shape[0],
      layers: shape.slice(1).map((units, i) => ({ units, activation: activations[i] })),
      dtype: 'float64',
      seed: seed + attempt,
    });
    for (const layer of net.layers) {
      for (let i = 0; i < layer.biases.data.length; i++) layer.biases.data[i] = next() - 0.5;
    }
    const inputs = randomRows(next, n, shape[0]);
    const targets = targetsFor(loss, n, shape[shape.length - 1], next);
    const trace = net.explain(inputs, targets, { loss, reduction: 'sum', learningRate: 0.1 });
    const nearKink = net.layers.some(
      (layer, li) =>
        RECTIFIERS.includes(layer.activation) && trace.layers[li].v.flat().some((v) => Math.abs(v) < 1e-3),
    );
    // A layer of dead rectifiers has only zero gradients, which would check nothing.
    const dead = trace.layers.some((lt) => lt.gradWeights.flat().every((g) => Math.abs(g) < 1e-6));
    if (!nearKink && !dead) return { net, inputs, targets };
  }
  throw new Error('no data away from the kink');
}

function checkGradients(
  shape: number[],
  activations: ActivationName[],
  loss: LossName,
  reduction: Reduction,
  seed: number,
): void {
  const { net, inputs, targets } = setup(shape, activations, loss, 3, seed);
  const options = { loss, reduction, learningRate: 0.1 };
  const trace = net.explain(inputs, targets, options);
  const J = trace.loss;
  expect(Number.isFinite(J)).toBe(true);
  expectClose([J], [referenceCost(trace, targets, loss, reduction)], { rel: 1e-12, what: 'J' });
  const cost = () => net.explain(inputs, targets, options).loss;
  // Rounding in the differences is about eps |J| / h.
  const abs = 1e-9 * (1 + Math.abs(J));
  net.layers.forEach((layer, li) => {
    const lt = trace.layers[li];
    const fdW = Array.from(layer.weights.data, (_, i) => centralDifference(layer.weights.data, i, H, cost));
    const fdB = Array.from(layer.biases.data, (_, i) => centralDifference(layer.biases.data, i, H, cost));
    expectClose(lt.gradWeights.flat(), fdW, { rel: REL, abs, what: `layer ${li + 1} gradWeights` });
    expectClose(lt.gradBiases, fdB, { rel: REL, abs, what: `layer ${li + 1} gradBiases` });
    // The updated weights of the trace are one plain step w - eta dJ/dw.
    const w = Array.from(layer.weights.data);
    expectClose(
      lt.weights.flat(),
      w.map((wi, i) => wi - 0.1 * lt.gradWeights.flat()[i]),
      { rel: 1e-15, abs: 1e-16, what: `layer ${li + 1} updated weights` },
    );
  });
}

const name = (acts: ActivationName[], loss: LossName, reduction: Reduction) =>
  `${acts.join(' -> ')} with ${loss} (${reduction})`;

describe('gradients of a 3-4-2 network: every hidden activation x every output activation x loss x reduction', () => {
  const combos = outputCombos(2);
  let seed = 1;
  for (const hidden of ACTIVATIONS) {
    for (const { output, loss } of combos) {
      for (const reduction of REDUCTIONS) {
        const s = seed++;
        it(name([hidden, output], loss, reduction), () => {
          checkGradients([3, 4, 2], [hidden, output], loss, reduction, s);
        });
      }
    }
  }
});

describe('gradients of a 2-3-3-1 network (two hidden layers)', () => {
  const combos = outputCombos(1);
  let seed = 5000;
  combos.forEach(({ output, loss }, c) => {
    for (const reduction of REDUCTIONS) {
      const s = seed++;
      const hidden = [ACTIVATIONS[c % 9], ACTIVATIONS[(c + 4) % 9]];
      it(name([...hidden, output], loss, reduction), () => {
        checkGradients([2, 3, 3, 1], [...hidden, output], loss, reduction, s);
      });
    }
  });
  // Softmax as a hidden layer between two others, where its Jacobian product carries delta down.
  for (const reduction of REDUCTIONS) {
    it(`tanh -> softmax -> linear with squared (${reduction})`, () => {
      checkGradients([2, 3, 3, 1], ['tanh', 'softmax', 'linear'], 'squared', reduction, 7000);
    });
  }
});

describe('gradients of a 4-5-3 network', () => {
  const combos = outputCombos(3);
  let seed = 9000;
  combos.forEach(({ output, loss }, c) => {
    for (const reduction of REDUCTIONS) {
      const s = seed++;
      const hidden = ACTIVATIONS[(c * 2 + (reduction === 'sum' ? 1 : 0)) % 9];
      it(name([hidden, output], loss, reduction), () => {
        checkGradients([4, 5, 3], [hidden, output], loss, reduction, s);
      });
    }
  });
});

describe('delta = -dJ/dv', () => {
  const cases: { acts: ActivationName[]; loss: LossName }[] = [
    { acts: ['tanh', 'linear'], loss: 'half-squared' },
    { acts: ['sigmoid', 'sigmoid'], loss: 'squared' },
    { acts: ['relu', 'softmax'], loss: 'squared' },
    { acts: ['gelu', 'sigmoid'], loss: 'binary-cross-entropy' },
    { acts: ['elu', 'softmax'], loss: 'cross-entropy' },
    { acts: ['softmax', 'softplus'], loss: 'half-squared' },
    { acts: ['leaky-relu', 'sigmoid'], loss: 'cross-entropy' },
    { acts: ['softplus', 'softmax'], loss: 'binary-cross-entropy' },
  ];
  cases.forEach(({ acts, loss }, c) => {
    for (const reduction of REDUCTIONS) {
      it(`${name(acts, loss, reduction)}: per example, and summed into dJ/db`, () => {
        const n = 4;
        const { net, inputs, targets } = setup([3, 4, 3], acts, loss, n, 20000 + c);
        const trace = net.explain(inputs, targets, { loss, reduction, learningRate: 0.1 });
        const scale = reduction === 'mean' ? 1 / n : 1;
        net.layers.forEach((_, li) => {
          const lt = trace.layers[li];
          // dJ/db^(n) = -sum over examples of delta^(n).
          const summed = lt.gradBiases.map((_, j) => -lt.delta.reduce((s, row) => s + row[j], 0));
          expectClose(lt.gradBiases, summed, { rel: 1e-13, abs: 1e-16, what: `layer ${li + 1} gradBiases` });
          // dJ/dW^(n) = -x^(n-1)_out^T delta^(n).
          const below = li === 0 ? inputs : trace.layers[li - 1].out;
          const fromDelta = lt.gradWeights.map((row, m) =>
            row.map((_, j) => -lt.delta.reduce((s, dr, r) => s + below[r][m] * dr[j], 0)),
          );
          expectClose(lt.gradWeights.flat(), fromDelta.flat(), {
            rel: 1e-12,
            abs: 1e-16,
            what: `layer ${li + 1} gradWeights`,
          });
        });
        for (let r = 0; r < n; r++) {
          // One example alone: its bias moves only its own v, so dJ/db = dJ/dv = -delta.
          const x = [inputs[r]];
          const d = [targets[r]];
          const single = net.explain(x, d, { loss, reduction: 'sum', learningRate: 0.1 });
          const cost = () => net.explain(x, d, { loss, reduction: 'sum', learningRate: 0.1 }).loss;
          net.layers.forEach((layer, li) => {
            const fd = Array.from(layer.biases.data, (_, i) =>
              centralDifference(layer.biases.data, i, H, cost),
            );
            const delta = single.layers[li].delta[0];
            expectClose(
              delta.map((v) => -v),
              fd,
              { rel: REL, abs: 1e-9, what: `example ${r} layer ${li + 1} -delta vs dL/dv` },
            );
            expectClose(
              single.layers[li].gradBiases,
              delta.map((v) => -v),
              { rel: 0, what: 'gradBiases = -delta' },
            );
            // In the whole set, row r of delta is that example's delta times the reduction's scale.
            expectClose(
              trace.layers[li].delta[r],
              delta.map((v) => scale * v),
              { rel: 1e-12, abs: 1e-17, what: `example ${r} layer ${li + 1} delta row` },
            );
          });
        }
      });
    }
  });
});

describe('softmax + cross-entropy with soft targets', () => {
  it('delta^(N) = scale (d - y sum_k d_k), exactly, when the rows of d do not sum to 1', () => {
    const net = new Network({
      inputs: 2,
      layers: [
        { units: 3, activation: 'tanh' },
        { units: 4, activation: 'softmax' },
      ],
      dtype: 'float64',
      seed: 3,
    });
    const x = [
      [0.3, -0.8],
      [1.1, 0.4],
    ];
    const d = [
      [0.2, 0, 0.5, 0.6],
      [0, 0.1, 0, 0.3],
    ];
    for (const reduction of REDUCTIONS) {
      const trace = net.explain(x, d, { loss: 'cross-entropy', reduction, learningRate: 0.1 });
      const scale = reduction === 'mean' ? 0.5 : 1;
      const out = trace.layers[1].out;
      const expected = d.map((row, r) => {
        const sum = row.reduce((s, v) => s + v, 0);
        return row.map((dk, k) => scale * (dk - out[r][k] * sum));
      });
      expectClose(trace.layers[1].delta.flat(), expected.flat(), { rel: 1e-14, abs: 1e-17, what: reduction });
      // L = -sum_k d_k ln y_k, from the outputs.
      const loss = d.reduce(
        (s, row, r) => s - row.reduce((t, dk, k) => t + (dk ? dk * Math.log(out[r][k]) : 0), 0),
        0,
      );
      expectClose([trace.loss], [scale * loss], { rel: 1e-13 });
    }
  });
});

describe('a loss that does not fit the output activation', () => {
  const others = ACTIVATIONS.filter((a) => a !== 'sigmoid' && a !== 'softmax');
  for (const output of others) {
    for (const loss of ['binary-cross-entropy', 'cross-entropy'] as const) {
      it(`${loss} on a ${output} output is refused by explain and by fit`, async () => {
        const net = new Network({ inputs: 2, layers: [{ units: 2, activation: output }], dtype: 'float64' });
        const pattern = new RegExp(`${loss}.*'${output}'`);
        const call = () => net.explain([[1, 2]], [[0, 1]], { loss, learningRate: 0.1 });
        expect(call).toThrow(BackpropError);
        expect(call).toThrow(pattern);
        await expect(net.fit([[1, 2]], [[0, 1]], { loss, epochs: 1 })).rejects.toThrow(pattern);
      });
    }
  }
});
