/**
 * The WebAssembly small-network kernel (assembly/small.ts) must train to
 * exactly, to the bit, what the TypeScript inline path and the general kernels
 * train to: whole epochs in one call, epochs in chunks, single steps, with
 * shuffling, tolerance, validation, patience, divergence and checkpoints.
 */
import { describe, expect, it } from 'vitest';
import { erf, sigmoid, softplus } from '../src/activations.js';
import {
  ACTIVATION_NAMES,
  type ActivationName,
  DivergenceError,
  type LossName,
  Network,
  Random,
  Trainer,
  type TrainOptions,
} from '../src/index.js';
import { exp, expm1, log, log1p, tanh } from '../src/math.js';
import { kernelElementary, smallKernelAvailable } from '../src/train/small-wasm.js';

type Path = 'wasm' | 'js' | false;

function data(n: number, inputs: number, seed = 11) {
  const random = new Random(seed);
  const X = Array.from({ length: n }, () => Array.from({ length: inputs }, () => random.uniform(-2, 2)));
  // Some exact zeros, which the products skip.
  for (let i = 0; i < n; i += 3) X[i][i % inputs] = 0;
  const D = X.map((x) => [x[0] * x[1] > 0 ? 1 : 0, x[2] > 0 ? 0.8 : 0.1]);
  return { X, D };
}

function net(act: ActivationName, out: ActivationName, dtype: 'float32' | 'float64', sizes = [3, 5, 4, 2]) {
  return new Network({
    inputs: sizes[0],
    layers: sizes.slice(1).map((units, i) => ({ units, activation: i === sizes.length - 2 ? out : act })),
    dtype,
    seed: 4,
  });
}

/** Trains with `path` and returns everything that must agree. */
function train(
  make: () => Network,
  X: number[][],
  D: number[][],
  options: TrainOptions,
  path: Path,
  drive: (t: Trainer) => void = (t) => {
    while (!t.stopReason) t.run();
  },
) {
  const n = make();
  const trainer = new Trainer(n, X, D, { inlineSmallNetworks: path, ...options });
  if (path === 'wasm') expect(trainer.inline).toBe('wasm');
  let error: unknown = null;
  try {
    drive(trainer);
  } catch (e) {
    error = e;
  }
  const history = trainer.history.map((h) => [h.cost, h.accuracy, h.validationCost, h.validationAccuracy]);
  trainer.dispose();
  return {
    weights: n.getWeights(),
    history,
    error: error instanceof DivergenceError ? { epoch: error.epoch, cost: error.cost } : error,
  };
}

const pairs: { out: ActivationName; loss: LossName }[] = [
  { out: 'sigmoid', loss: 'binary-cross-entropy' },
  { out: 'softmax', loss: 'cross-entropy' },
  { out: 'softmax', loss: 'squared' },
  { out: 'softmax', loss: 'binary-cross-entropy' },
  { out: 'sigmoid', loss: 'cross-entropy' },
  { out: 'linear', loss: 'half-squared' },
  { out: 'tanh', loss: 'squared' },
];

describe.runIf(smallKernelAvailable())('WebAssembly small-network kernel', () => {
  it('computes the elementary functions of src/math.ts bit for bit, in scalars and in both lanes', () => {
    const k = kernelElementary()!;
    const js = {
      exp,
      log,
      expm1,
      log1p,
      tanh,
      erf,
      sigmoid,
      softplus,
      exp2Lane0: exp,
      exp2Lane1: exp,
      sigmoid2Lane0: sigmoid,
      sigmoid2Lane1: sigmoid,
    };
    const random = new Random(2);
    const special = [0, -0, 1, -1, 1e-300, -1e-300, 5e-324, 708, -708, 709.7, -745, -744, 710, -750, 1e308];
    special.push(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN);
    for (const name of Object.keys(js) as (keyof typeof js)[]) {
      const xs = [...special];
      for (const [lo, hi] of [
        [-1, 1],
        [-40, 40],
        [-746, 710],
        [1e-8, 3],
      ])
        for (let i = 0; i < 3000; i++) xs.push(random.uniform(lo, hi));
      for (const x of xs) {
        const a = k[name](x);
        const b = js[name](x);
        if (!Object.is(a, b)) expect.fail(`${name}(${x}): kernel ${a}, TypeScript ${b}`);
      }
    }
  });

  for (const dtype of ['float32', 'float64'] as const) {
    for (const act of ACTIVATION_NAMES) {
      for (const { out, loss } of pairs) {
        it(`${dtype}: ${act} hidden, ${out} + ${loss}: the same bits as the inline and general paths`, () => {
          const { X, D } = data(9, 3);
          const options: TrainOptions = {
            mode: 'sequential',
            loss,
            learningRate: [0.05, 0.1, 0.2],
            epochs: 6,
          };
          const make = () => net(act, out, dtype);
          const wasm = train(make, X, D, options, 'wasm');
          const js = train(make, X, D, options, 'js');
          const general = train(make, X, D, options, false);
          expect(wasm.error).toBeNull();
          expect(wasm.history).toEqual(js.history);
          expect(wasm.weights).toEqual(js.weights);
          expect(wasm.weights).toEqual(general.weights);
          expect(wasm.weights).not.toEqual(make().getWeights());
        });
      }
    }
  }

  // Layers of one unit take their own loops (a column of weights two rows at a
  // time, the delta below from one delta): odd and even fan-ins, a one-unit
  // hidden layer, inputs with exact zeros.
  for (const dtype of ['float32', 'float64'] as const) {
    for (const sizes of [
      [2, 4, 1],
      [3, 5, 1],
      [3, 1, 2],
      [4, 3, 1, 1],
    ]) {
      for (const act of ['sigmoid', 'tanh', 'relu'] as const) {
        it(`${dtype}: ${sizes.join('-')}, ${act} hidden: the same bits as the inline and general paths`, () => {
          const { X, D: D2 } = data(10, sizes[0]);
          const outputs = sizes[sizes.length - 1];
          const D = D2.map((d) => d.slice(0, outputs));
          const options: TrainOptions = { mode: 'sequential', loss: 'squared', learningRate: 0.4, epochs: 7 };
          const make = () => net(act, 'sigmoid', dtype, sizes);
          const wasm = train(make, X, D, options, 'wasm');
          const js = train(make, X, D, options, 'js');
          const general = train(make, X, D, options, false);
          expect(wasm.error).toBeNull();
          expect(wasm.history).toEqual(js.history);
          expect(wasm.weights).toEqual(js.weights);
          expect(wasm.weights).toEqual(general.weights);
          expect(wasm.weights).not.toEqual(make().getWeights());
        });
      }
    }
  }

  it('whole epochs per call, epochs one at a time, and single steps agree', () => {
    const { X, D } = data(12, 3);
    const options: TrainOptions = { mode: 'sequential', learningRate: 0.3, epochs: 40, seed: 9 };
    const make = () => net('tanh', 'sigmoid', 'float32');
    const whole = train(make, X, D, options, 'wasm');
    const oneByOne = train(make, X, D, options, 'wasm', (t) => {
      while (!t.stopReason) t.runEpoch();
    });
    // Steps mixed with whole epochs: an epoch begun by step() is finished by run().
    const mixed = train(make, X, D, options, 'wasm', (t) => {
      for (let i = 0; i < 17; i++) t.step();
      t.run({ epochs: 3 });
      while (!t.stopReason) t.step();
    });
    const js = train(make, X, D, options, 'js');
    for (const r of [whole, oneByOne, mixed]) {
      expect(r.history).toEqual(js.history);
      expect(r.weights).toEqual(js.weights);
    }
    expect(whole.history).toHaveLength(40);
  });

  it('runs epochs larger than one call in chunks, to the same bits', () => {
    // 4-60-40-3 has 2,863 parameters: 91 examples per call, so 200 examples take three.
    const { X } = data(200, 4);
    const D = X.map((x) => [x[0] > 0 ? 1 : 0, x[1] > 0 ? 1 : 0, x[0] + x[1] > 0 ? 0 : 1]);
    const make = () => net('relu', 'softmax', 'float32', [4, 60, 40, 3]);
    const options: TrainOptions = { mode: 'sequential', learningRate: 0.02, epochs: 3 };
    const wasm = train(make, X, D, options, 'wasm', (t) => {
      // A deadline in the past returns after the first call, in the middle of the epoch.
      expect(t.run({ until: 0 })).toBeNull();
      expect(t.midEpoch).toBe(true);
      while (!t.stopReason) t.run();
    });
    const js = train(make, X, D, options, 'js');
    expect(wasm.history).toEqual(js.history);
    expect(wasm.weights).toEqual(js.weights);
  });

  it('stops at the tolerance in the same epoch', () => {
    const X = [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ];
    const D = [[0], [1], [1], [0]];
    const make = () =>
      new Network({
        inputs: 2,
        layers: [
          { units: 4, activation: 'sigmoid' },
          { units: 1, activation: 'sigmoid' },
        ],
        seed: 1,
      });
    const options: TrainOptions = {
      mode: 'sequential',
      loss: 'mse',
      learningRate: 0.5,
      epochs: 100000,
      tolerance: 0.01,
    };
    const wasm = train(make, X, D, options, 'wasm');
    const js = train(make, X, D, options, 'js');
    expect(wasm.history.length).toBeLessThan(100000);
    expect(wasm.history.at(-1)![0]).toBeLessThanOrEqual(0.01);
    expect(wasm.history).toEqual(js.history);
    expect(wasm.weights).toEqual(js.weights);
  });

  it('with validation and patience, one epoch per call, to the same bits', () => {
    const { X, D } = data(30, 3);
    const options: TrainOptions = {
      mode: 'sequential',
      learningRate: 0.2,
      epochs: 60,
      validationSplit: 0.2,
      patience: 4,
    };
    const make = () => net('elu', 'sigmoid', 'float64');
    const wasm = train(make, X, D, options, 'wasm');
    const js = train(make, X, D, options, 'js');
    expect(wasm.history).toEqual(js.history);
    expect(wasm.weights).toEqual(js.weights);
  });

  it('diverges in the same epoch, with the same cost and the same last finite weights', () => {
    const { X, D } = data(9, 3);
    for (const loss of ['squared', 'binary-cross-entropy'] as const) {
      for (const dtype of ['float32', 'float64'] as const) {
        const make = () => net('linear', loss === 'squared' ? 'linear' : 'sigmoid', dtype);
        const options: TrainOptions = { mode: 'sequential', loss, learningRate: 40, epochs: 200 };
        const wasm = train(make, X, D, options, 'wasm');
        const js = train(make, X, D, options, 'js');
        expect(wasm.error).not.toBeNull();
        expect(wasm.error).toEqual(js.error);
        expect(wasm.history).toEqual(js.history);
        expect(wasm.weights).toEqual(js.weights);
        for (const l of wasm.weights)
          for (const row of [...l.weights, l.biases])
            for (const w of row) expect(Number.isFinite(w)).toBe(true);
      }
    }
  });

  it('resumes from a checkpoint to the same result', () => {
    const { X, D } = data(12, 3);
    const options: TrainOptions = { mode: 'sequential', learningRate: 0.1, epochs: 30 };
    const make = () => net('softplus', 'softmax', 'float32');
    const reference = train(make, X, D, options, 'wasm');
    const first = make();
    const t1 = new Trainer(first, X, D, options);
    t1.run({ epochs: 11 });
    for (let i = 0; i < 5; i++) t1.step();
    const cp = JSON.parse(JSON.stringify(t1.checkpoint()));
    const second = make();
    const t2 = new Trainer(second, X, D, options);
    t2.restore(cp);
    while (!t2.stopReason) t2.run();
    expect(second.getWeights()).toEqual(reference.weights);
    expect(t2.history.map((h) => [h.cost, h.accuracy, h.validationCost, h.validationAccuracy])).toEqual(
      reference.history,
    );
  });

  it('is the default for small networks one example at a time, and not taken otherwise', () => {
    const n = new Network({ inputs: 2, layers: [{ units: 1, activation: 'linear' }] });
    const X = [
      [1, 2],
      [3, 4],
    ];
    const D = [[1], [2]];
    expect(new Trainer(n, X, D, { mode: 'sequential' }).inline).toBe('wasm');
    expect(new Trainer(n, X, D, { mode: 'sequential', inlineSmallNetworks: 'js' }).inline).toBe('js');
    expect(new Trainer(n, X, D, { mode: 'sequential', inlineSmallNetworks: false }).inline).toBeNull();
    expect(new Trainer(n, X, D, { mode: 'sequential', optimizer: 'momentum' }).inline).toBeNull();
    expect(() => new Trainer(n, X, D, { inlineSmallNetworks: 'fast' as never })).toThrow(
      "inlineSmallNetworks: expected true, false, 'wasm' or 'js', got fast",
    );
  });
});
