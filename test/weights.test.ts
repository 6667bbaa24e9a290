/**
 * Sample and class weights: J = (1/n) sum_i w_i L(i) for `mean`, sum_i w_i L(i)
 * for `sum`, held to the autograd oracle in float64 under each loss and
 * reduction in each mode; weights that follow their examples through the
 * shuffles and the validation split; the weighted validation cost; the
 * balanced formula; the refusals.
 */
import { describe, expect, it } from 'vitest';
import {
  type ActivationName,
  explain,
  formatExplain,
  formatExplainAs,
  type LossName,
  Network,
  Random,
  Trainer,
} from '../src/index.js';
import { oracleStep } from './oracle/autograd.js';
import { firstMiss, oracleParams, oracleTrain, paramsOf, toOracle } from './oracle/train.js';

const N = 8;
const CASES: { out: ActivationName; loss: LossName; units: number }[] = [
  { out: 'linear', loss: 'squared', units: 2 },
  { out: 'tanh', loss: 'half-squared', units: 2 },
  { out: 'softmax', loss: 'cross-entropy', units: 3 },
  { out: 'softmax', loss: 'binary-cross-entropy', units: 3 },
  { out: 'sigmoid', loss: 'binary-cross-entropy', units: 1 },
  { out: 'sigmoid', loss: 'squared', units: 1 },
];
const MODES = [
  { mode: 'batch', batch: N },
  { mode: 'sequential', batch: 1 },
  { mode: 'minibatch', batch: 3 },
] as const;

function data(units: number, classes: boolean, seed = 5) {
  const random = new Random(seed);
  const X = Array.from({ length: N }, () => [random.uniform(-1, 1), random.uniform(-1, 1)]);
  const D = X.map((x, i) => {
    if (!classes) return Array.from({ length: units }, () => random.uniform(-1, 1));
    if (units === 1) return [i % 3 === 0 ? 1 : 0];
    const label = i % 4 === 0 ? 0 : x[0] > 0 ? 1 : 2;
    return Array.from({ length: units }, (_, k) => (k === label ? 1 : 0));
  });
  const w = Array.from({ length: N }, () => random.uniform(0, 2));
  return { X, D, w };
}

function network(out: ActivationName, units: number): Network {
  return new Network({
    inputs: 2,
    layers: [
      { units: 3, activation: 'tanh' },
      { units, activation: out },
    ],
    dtype: 'float64',
    seed: 11,
  });
}

const classOf = (d: number[]) => (d.length === 1 ? (d[0] >= 0.5 ? 1 : 0) : d.indexOf(Math.max(...d)));

describe('sample weights match the oracle in float64 under each loss and reduction, in each mode', () => {
  for (const { out, loss, units } of CASES) {
    for (const reduction of ['mean', 'sum'] as const) {
      for (const { mode, batch } of MODES) {
        it(`${out} + ${loss}, ${reduction}, ${mode}`, async () => {
          const { X, D, w } = data(units, loss.includes('entropy'));
          const net = network(out, units);
          const oracle = toOracle(net);
          const eta = reduction === 'sum' ? [0.05, 0.05] : [0.2, 0.1];
          const history = await net.fit(X, D, {
            mode,
            batchSize: mode === 'minibatch' ? batch : undefined,
            shuffle: false,
            epochs: 3,
            learningRate: eta,
            loss,
            reduction,
            sampleWeights: w,
          });
          const expected = oracleTrain(oracle, X, D, {
            loss,
            reduction,
            batch,
            epochs: 3,
            etaOf: () => eta,
            optimizer: 'sgd',
            weights: w,
          });
          expect(
            firstMiss(
              history.epochs.map((h) => h.cost),
              expected.costs,
            ),
            'costs',
          ).toBeNull();
          expect(firstMiss(paramsOf(net), oracleParams(oracle)), 'weights').toBeNull();
        });
      }
    }
  }
});

/** scikit-learn's balanced weights, written out: n / (classes present * count of the class). */
function balanced(D: number[][]): number[] {
  const labels = D.map(classOf);
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return labels.map((l) => D.length / (counts.size * (counts.get(l) as number)));
}

describe('class weights are the sample weight of each example of the class', () => {
  for (const { out, loss, units } of CASES.filter((c) => c.loss.includes('entropy'))) {
    for (const reduction of ['mean', 'sum'] as const) {
      for (const { mode, batch } of MODES) {
        it(`${out} + ${loss}, ${reduction}, ${mode}: balanced, and given per class times sample weights`, async () => {
          const { X, D, w } = data(units, true);
          for (const spec of ['balanced', { 0: 3, 1: 0.5 }] as const) {
            const net = network(out, units);
            const oracle = toOracle(net);
            const perClass = spec === 'balanced' ? balanced(D) : D.map((d) => [3, 0.5, 1][classOf(d)]);
            const sample = spec === 'balanced' ? undefined : w;
            const weights = perClass.map((c, i) => c * (sample ? sample[i] : 1));
            const eta = [0.1, 0.1];
            await net.fit(X, D, {
              mode,
              batchSize: mode === 'minibatch' ? batch : undefined,
              shuffle: false,
              epochs: 3,
              learningRate: eta,
              loss,
              reduction,
              classWeights: spec,
              sampleWeights: sample,
            });
            oracleTrain(oracle, X, D, {
              loss,
              reduction,
              batch,
              epochs: 3,
              etaOf: () => eta,
              optimizer: 'sgd',
              weights,
            });
            expect(firstMiss(paramsOf(net), oracleParams(oracle)), String(spec)).toBeNull();
          }
        });
      }
    }
  }
});

describe('weights follow their examples', () => {
  for (const { mode, batch } of MODES.slice(1)) {
    it(`through the shuffles (${mode})`, async () => {
      const { X, D, w } = data(3, true);
      const net = network('softmax', 3);
      const oracle = toOracle(net);
      await net.fit(X, D, {
        mode,
        batchSize: mode === 'minibatch' ? batch : undefined,
        epochs: 3,
        learningRate: 0.2,
        loss: 'cross-entropy',
        sampleWeights: w,
        seed: 9,
      });
      // The trainer's shuffle: the order reset and shuffled by the seed's generator at each epoch.
      const random = new Random(9);
      for (let e = 0; e < 3; e++) {
        const order = random.shuffle(Uint32Array.from({ length: N }, (_, i) => i));
        const pick = <T>(a: T[]) => Array.from(order, (i) => a[i]);
        oracleTrain(oracle, pick(X), pick(D), {
          loss: 'cross-entropy',
          reduction: 'mean',
          batch,
          epochs: 1,
          etaOf: () => [0.2, 0.2],
          optimizer: 'sgd',
          weights: pick(w),
        });
      }
      expect(firstMiss(paramsOf(net), oracleParams(oracle))).toBeNull();
    });
  }

  it('through the validation split, whose cost they weight too (accuracy stays unweighted)', async () => {
    const { X, D, w } = data(3, true);
    const options = { mode: 'batch', epochs: 2, learningRate: 0.2, loss: 'cross-entropy', seed: 4 } as const;
    const split = await network('softmax', 3).fit(X, D, {
      ...options,
      validationSplit: 0.25,
      sampleWeights: w,
    });
    // The split, written out: the seed's permutation, training rows first, each part in file order.
    const perm = new Random(4 ^ 0x5eed).shuffle(Uint32Array.from({ length: N }, (_, i) => i));
    const train = Array.from(perm.subarray(0, 6)).sort((a, b) => a - b);
    const held = Array.from(perm.subarray(6)).sort((a, b) => a - b);
    const pick = <T>(a: T[], idx: number[]) => idx.map((i) => a[i]);
    const net = network('softmax', 3);
    const trainer = new Trainer(net, pick(X, train), pick(D, train), {
      ...options,
      sampleWeights: pick(w, train),
    });
    trainer.run();
    expect(trainer.history.map((h) => h.cost)).toEqual(split.epochs.map((h) => h.cost));
    // The held-out cost by hand: (1/n) sum_i w_i L(i) over the held-out rows.
    const y = net.predict(pick(X, held)) as number[][];
    const cost = held.reduce((s, i, r) => s - w[i] * Math.log(y[r][classOf(D[i])]), 0) / held.length;
    expect(split.epochs.at(-1)?.validationCost).toBeCloseTo(cost, 12);
    const right = held.filter((i, r) => classOf(y[r]) === classOf(D[i])).length;
    expect(split.epochs.at(-1)?.validationAccuracy).toBe(right / held.length);
    trainer.dispose();
  });

  it('weights of 2 in batch mode with sum are the examples twice', async () => {
    const { X, D } = data(3, true);
    const twice = [0, 1, 2, 3, 4, 5, 6, 7, 0, 3];
    const w = [2, 1, 1, 2, 1, 1, 1, 1];
    const options = {
      mode: 'batch',
      epochs: 4,
      learningRate: 0.1,
      loss: 'cross-entropy',
      reduction: 'sum',
    } as const;
    const a = network('softmax', 3);
    const b = network('softmax', 3);
    await a.fit(X, D, { ...options, sampleWeights: w });
    await b.fit(
      twice.map((i) => X[i]),
      twice.map((i) => D[i]),
      options,
    );
    expect(firstMiss(paramsOf(a), paramsOf(b), 1e-12)).toBeNull();
  });
});

describe('refusals', () => {
  const { X, D } = data(3, true);
  it('names what is wrong', () => {
    const net = network('softmax', 3);
    expect(() => new Trainer(net, X, D, { sampleWeights: [1, 2] })).toThrow(
      'sampleWeights: 2 weights for 8 examples',
    );
    expect(() => new Trainer(net, X, D, { sampleWeights: [1, 1, 1, -1, 1, 1, 1, 1] })).toThrow(
      'sampleWeights[3]: expected a number of at least 0, got -1',
    );
    expect(() => new Trainer(net, X, D, { classWeights: { 5: 2 } })).toThrow(
      'classWeights.5: no such class; the targets have 3 classes, 0 to 2',
    );
    expect(() => new Trainer(net, X, D, { classWeights: { 1: -2 } })).toThrow(
      'classWeights.1: expected a weight of at least 0, got -2',
    );
    expect(() => new Trainer(net, X, D, { classWeights: 'even' as 'balanced' })).toThrow(
      /^classWeights: expected/,
    );
    const regression = network('linear', 2);
    expect(() => new Trainer(regression, X, data(2, false).D, { classWeights: 'balanced' })).toThrow(
      /^classWeights: the outputs are numbers/,
    );
  });
});

describe('explain shows the weights', () => {
  for (const reduction of ['mean', 'sum'] as const) {
    it(`every delta and gradient of a weighted step matches the oracle (${reduction}), and the text names w_i`, () => {
      const { X, D, w } = data(3, true);
      const net = network('softmax', 3);
      const oracle = oracleStep(toOracle(net), X, D, 'cross-entropy', reduction, { weights: w });
      const trace = explain(net, X, D, {
        loss: 'cross-entropy',
        reduction,
        learningRate: 0.1,
        sampleWeights: w,
      });
      expect(trace.weights).toEqual(w);
      expect(firstMiss([trace.loss], [oracle.loss])).toBeNull();
      trace.layers.forEach((l, n) => {
        expect(firstMiss(l.delta.flat(), oracle.delta[n].flat()), `delta^(${n + 1})`).toBeNull();
        expect(firstMiss(l.gradWeights.flat(), oracle.gw[n].flat()), `dJ/dW^(${n + 1})`).toBeNull();
      });
      const text = formatExplain(
        net,
        X,
        D,
        { loss: 'cross-entropy', reduction, learningRate: 0.1 },
        { trace },
      );
      expect(text).toContain(`weight w_1 = `);
      expect(text).toContain(`Cost J = ${reduction === 'mean' ? `(1/${N}) ` : ''}sum_i w_i L(i) = `);
      expect(text).toMatch(/delta\^\(2\)_1 = (\(1\/8\) )?w_1 \(d_1 - y_1\)/);
      const latex = formatExplainAs(
        'latex',
        net,
        X,
        D,
        { loss: 'cross-entropy', reduction, learningRate: 0.1 },
        { trace },
      );
      expect(latex).toContain('w_{1} = ');
    });
  }
});
