// Training by fit() and Trainer: the modes against closed forms, update counts,
// per-layer rates, seeds, save/load, streaming, checkpoints, the stopping
// rules, and every optimizer against its update formulas written out here.
import { describe, expect, it } from 'vitest';
import {
  ACTIVATION_NAMES,
  datasets,
  type EpochInfo,
  type FitOptions,
  type MatrixInput,
  Network,
  type NetworkOptions,
  Trainer,
  type TrainOptions,
} from '../src/index.js';
import { accuracy, expectClose, flatParams, lcg, randomRows } from './support/core.js';

/** The least-squares line through (x_i, y_i): w1 = S_xy / S_xx, w0 = mean(y) - w1 mean(x). */
function leastSquares(xs: number[], ys: number[]): { w0: number; w1: number } {
  const n = xs.length;
  const xb = xs.reduce((a, b) => a + b, 0) / n;
  const yb = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - xb) * (ys[i] - yb);
    sxx += (x - xb) ** 2;
  });
  const w1 = sxy / sxx;
  return { w0: yb - w1 * xb, w1 };
}

const neuron = (seed = 1) =>
  new Network({ inputs: 1, layers: [{ units: 1, activation: 'linear' }], dtype: 'float64', seed });

const line = datasets.line(20, { seed: 3 });
const best = leastSquares(
  line.inputs.map((r) => r[0]),
  line.targets.map((r) => r[0]),
);

function neuronWeights(net: Network) {
  const [layer] = net.getWeights();
  return { w0: layer.biases[0], w1: layer.weights[0][0] };
}

describe('the linear neuron reaches the least-squares line', () => {
  it('batch descent on SSE, to 1e-6', async () => {
    const net = neuron();
    // The Hessian of SSE is 2 X^T X; eta = 0.02 is below 2 / its largest eigenvalue (about 41).
    await net.fit(line.inputs, line.targets, { loss: 'sse', mode: 'batch', learningRate: 0.02, epochs: 500 });
    const { w0, w1 } = neuronWeights(net);
    expect(Math.abs(w0 - best.w0)).toBeLessThan(1e-6);
    expect(Math.abs(w1 - best.w1)).toBeLessThan(1e-6);
  });

  // With a constant rate, one example (or batch) at a time never settles exactly on
  // the minimum: each update pulls toward its own examples, so the weights wander
  // within O(eta) of the least-squares line (here within about 5e-4). 2e-3 is a
  // quarter of a percent of the slope, yet far below the initial error (about 2).
  it('sequential mode with a small rate, to 2e-3', async () => {
    const net = neuron();
    const history = await net.fit(line.inputs, line.targets, {
      loss: 'half-squared',
      mode: 'sequential',
      learningRate: 0.005,
      epochs: 500,
      seed: 5,
    });
    const { w0, w1 } = neuronWeights(net);
    expect(Math.abs(w0 - best.w0)).toBeLessThan(2e-3);
    expect(Math.abs(w1 - best.w1)).toBeLessThan(2e-3);
    expect(history.epochs.at(-1)!.updates).toBe(20);
  });

  it('minibatch mode with a small rate, to 2e-3', async () => {
    const net = neuron();
    await net.fit(line.inputs, line.targets, {
      loss: 'half-squared',
      mode: 'minibatch',
      batchSize: 5,
      learningRate: 0.02,
      epochs: 1000,
      seed: 5,
    });
    const { w0, w1 } = neuronWeights(net);
    expect(Math.abs(w0 - best.w0)).toBeLessThan(2e-3);
    expect(Math.abs(w1 - best.w1)).toBeLessThan(2e-3);
  });
});

describe('updates per epoch', () => {
  const next = lcg(11);
  const x = randomRows(next, 10, 2);
  const d = randomRows(next, 10, 1);
  const cases: [TrainOptions, number][] = [
    [{ mode: 'batch' }, 1],
    [{ mode: 'sequential' }, 10],
    [{ mode: 'minibatch', batchSize: 4 }, 3],
    [{ mode: 'minibatch', batchSize: 5 }, 2],
    [{ mode: 'minibatch', batchSize: 10 }, 1],
    [{ mode: 'minibatch', batchSize: 1 }, 10],
    [{ mode: 'sequential', validationSplit: 0.2 }, 8],
    [{ mode: 'minibatch', batchSize: 3, validationSplit: 0.2 }, 3],
  ];
  for (const [options, updates] of cases) {
    it(`${JSON.stringify(options)}: ${updates} per epoch`, async () => {
      const net = new Network({
        inputs: 2,
        layers: [
          { units: 3, activation: 'tanh' },
          { units: 1, activation: 'linear' },
        ],
      });
      const history = await net.fit(x, d, { ...options, loss: 'mse', learningRate: 0.01, epochs: 3 });
      expect(history.epochs.map((e) => e.updates)).toEqual([updates, updates, updates]);
      const n = options.validationSplit ? 8 : 10;
      expect(history.epochs.map((e) => e.examples)).toEqual([n, n, n]);
    });
  }
});

describe('the updates of each mode, replayed by hand from explain()', () => {
  const next = lcg(15);
  const x = randomRows(next, 10, 3);
  const d = randomRows(next, 10, 2, 0, 1);
  const spec: NetworkOptions = {
    inputs: 3,
    layers: [
      { units: 4, activation: 'softplus' },
      { units: 2, activation: 'sigmoid' },
    ],
    dtype: 'float64',
    seed: 3,
  };
  const cases: [string, TrainOptions, number][] = [
    ['batch', { mode: 'batch' }, 10],
    ['sequential', { mode: 'sequential' }, 1],
    ['minibatch of 4 (the last batch 2)', { mode: 'minibatch', batchSize: 4 }, 4],
  ];
  for (const [what, options, size] of cases) {
    for (const reduction of ['mean', 'sum'] as const) {
      it(`${what}, ${reduction}: two epochs in file order are one explain() step per batch`, async () => {
        const byHand = new Network(spec);
        for (let epoch = 0; epoch < 2; epoch++) {
          for (let start = 0; start < 10; start += size) {
            const trace = byHand.explain(x.slice(start, start + size), d.slice(start, start + size), {
              loss: 'binary-cross-entropy',
              reduction,
              learningRate: [0.4, 0.6],
            });
            byHand.setWeights(trace.layers);
          }
        }
        const net = new Network(spec);
        await net.fit(x, d, {
          ...options,
          loss: 'binary-cross-entropy',
          reduction,
          learningRate: [0.4, 0.6],
          shuffle: false,
          epochs: 2,
        });
        expectClose(flatParams(net), flatParams(byHand), { rel: 1e-13, abs: 1e-16, what: 'weights' });
      });
    }
  }

  it('typed arrays with a shape train exactly like rows of numbers', async () => {
    const a = new Network(spec);
    const b = new Network(spec);
    const options: FitOptions = { mode: 'minibatch', batchSize: 3, learningRate: 0.2, epochs: 3, seed: 4 };
    await a.fit(x, d, options);
    await b.fit(
      { data: Float64Array.from(x.flat()), shape: [10, 3] },
      { data: Float64Array.from(d.flat()), shape: [10, 2] },
      options,
    );
    expect(flatParams(b)).toEqual(flatParams(a));
  });
});

describe('sequential mode for every activation and loss, replayed by hand from explain()', () => {
  // Small networks trained one example at a time take an inline path of their own
  // in the trainer; it must do exactly what the general kernels do.
  const ACTIVATIONS = ACTIVATION_NAMES;
  const combos: [
    (typeof ACTIVATIONS)[number],
    'squared' | 'half-squared' | 'binary-cross-entropy' | 'cross-entropy',
  ][] = [];
  for (const output of ACTIVATIONS) combos.push([output, 'squared'], [output, 'half-squared']);
  for (const output of ['sigmoid', 'softmax'] as const) {
    combos.push([output, 'binary-cross-entropy'], [output, 'cross-entropy']);
  }
  const next = lcg(17);
  const x = randomRows(next, 5, 3);
  const d = randomRows(next, 5, 2, 0.05, 0.95);
  combos.forEach(([output, loss], c) => {
    const hidden = ACTIVATIONS[c % ACTIVATIONS.length];
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${hidden} -> ${output} with ${loss}, ${dtype}`, async () => {
        const spec: NetworkOptions = {
          inputs: 3,
          layers: [
            { units: 4, activation: hidden },
            { units: 2, activation: output },
          ],
          dtype,
          seed: c,
        };
        const byHand = new Network(spec);
        for (let epoch = 0; epoch < 2; epoch++) {
          for (let i = 0; i < 5; i++) {
            const trace = byHand.explain([x[i]], [d[i]], { loss, learningRate: [0.3, 0.2] });
            byHand.setWeights(trace.layers);
          }
        }
        const net = new Network(spec);
        await net.fit(x, d, {
          loss,
          mode: 'sequential',
          learningRate: [0.3, 0.2],
          shuffle: false,
          epochs: 2,
        });
        expect(flatParams(net)).toEqual(flatParams(byHand));
      });
    }
  });
});

describe('per-layer rates', () => {
  const next = lcg(21);
  const x = randomRows(next, 6, 2);
  const d = randomRows(next, 6, 2, 0.1, 0.9);
  const spec: NetworkOptions = {
    inputs: 2,
    layers: [
      { units: 3, activation: 'tanh' },
      { units: 2, activation: 'sigmoid' },
    ],
    dtype: 'float64',
    seed: 4,
  };
  const options = { loss: 'mse', mode: 'batch' } as const;

  /** The weights after `steps` batch updates with per-layer rates `rates`. */
  function train(rates: number[], steps: number) {
    const net = new Network(spec);
    const trainer = new Trainer(net, x, d, { ...options, learningRate: rates, epochs: 10 });
    for (let s = 0; s < steps; s++) trainer.step();
    trainer.dispose();
    return net.getWeights();
  }

  it('one step changes each layer by -eta^(n) dJ/dW^(n) with its own eta', () => {
    const before = new Network(spec);
    const trace = before.explain(x, d, { loss: 'mse', learningRate: [0.3, 0.7] });
    const after = train([0.3, 0.7], 1);
    [0.3, 0.7].forEach((eta, n) => {
      const w = before.getWeights()[n];
      expectClose(
        after[n].weights.flat(),
        w.weights.flat().map((wi, i) => wi - eta * trace.layers[n].gradWeights.flat()[i]),
        { rel: 1e-15, abs: 1e-17, what: `layer ${n + 1} weights` },
      );
      expect(after[n].weights).toEqual(trace.layers[n].weights);
      expect(after[n].biases).toEqual(trace.layers[n].biases);
    });
  });

  it('after one step, a different rate for layer 2 leaves layer 1 exactly as it was, and vice versa', () => {
    const a = train([0.3, 0.7], 1);
    const b = train([0.3, 0.2], 1);
    const c = train([0.9, 0.7], 1);
    expect(b[0]).toEqual(a[0]);
    expect(b[1].weights).not.toEqual(a[1].weights);
    expect(c[1]).toEqual(a[1]);
    expect(c[0].weights).not.toEqual(a[0].weights);
  });

  it("from the second step on, layer 2's rate reaches layer 1 through backpropagation", () => {
    // Layer 1's second gradient is computed with layer 2's weights after the first step.
    const a = train([0.3, 0.7], 2);
    const b = train([0.3, 0.2], 2);
    expect(b[0].weights).not.toEqual(a[0].weights);
  });
});

describe('seeds', () => {
  const next = lcg(31);
  const x = randomRows(next, 40, 3);
  const d = randomRows(next, 40, 2, 0, 1);
  const run = async (netSeed: number, fitSeed: number) => {
    const net = new Network({
      inputs: 3,
      layers: [
        { units: 5, activation: 'relu' },
        { units: 2, activation: 'sigmoid' },
      ],
      seed: netSeed,
    });
    await net.fit(x, d, {
      loss: 'mse',
      mode: 'minibatch',
      batchSize: 8,
      learningRate: 0.1,
      epochs: 5,
      seed: fitSeed,
    });
    return flatParams(net);
  };

  it('the same seeds give bit-identical weights', async () => {
    const first = await run(7, 8);
    const second = await run(7, 8);
    expect(second).toEqual(first);
  });

  it('another network seed or another shuffling seed gives other weights', async () => {
    const first = await run(7, 8);
    expect(await run(9, 8)).not.toEqual(first);
    expect(await run(7, 9)).not.toEqual(first);
  });
});

describe('save and load', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`a ${dtype} model survives toJSON, JSON text and fromJSON exactly`, async () => {
      const next = lcg(41);
      const x = randomRows(next, 30, 4);
      const d = randomRows(next, 30, 3, 0, 1).map((r) => r.map((v) => (v > 0.5 ? 1 : 0)));
      const net = new Network({
        inputs: 4,
        layers: [
          { units: 6, activation: 'gelu' },
          { units: 5, activation: 'leaky-relu' },
          { units: 3, activation: 'softmax' },
        ],
        dtype,
        seed: 3,
      });
      await net.fit(x, d, { learningRate: 0.05, epochs: 3 });
      const text = JSON.stringify(
        net.toJSON({ classes: ['a', 'b', 'c'], inputColumns: ['p', 'q', 'r', 's'] }),
      );
      const loaded = Network.fromJSON(JSON.parse(text), { dtype });
      const fromText = Network.fromJSON(text, { dtype });
      for (const other of [loaded, fromText]) {
        expect(other.dtype).toBe(dtype);
        other.layers.forEach((layer, n) => {
          expect(layer.activation).toBe(net.layers[n].activation);
          expect(layer.weights.data).toEqual(net.layers[n].weights.data);
          expect(layer.biases.data).toEqual(net.layers[n].biases.data);
        });
        expect(other.predict(x)).toEqual(net.predict(x));
        expect(other.meta.classes).toEqual(['a', 'b', 'c']);
        expect(other.meta.inputColumns).toEqual(['p', 'q', 'r', 's']);
      }
    });
  }
});

describe('streaming', () => {
  const next = lcg(51);
  const n = 23;
  const x = randomRows(next, n, 3);
  const d = randomRows(next, n, 2, 0, 1);
  const spec: NetworkOptions = {
    inputs: 3,
    layers: [
      { units: 4, activation: 'tanh' },
      { units: 2, activation: 'sigmoid' },
    ],
    seed: 2,
  };
  const options: FitOptions = {
    loss: 'mse',
    mode: 'minibatch',
    batchSize: 5,
    learningRate: 0.3,
    epochs: 3,
    shuffle: false,
  };
  const chunks = (size: number, shaped: boolean) => {
    const list: { inputs: MatrixInput; targets: MatrixInput }[] = [];
    for (let start = 0; start < n; start += size) {
      const xi = x.slice(start, start + size);
      const di = d.slice(start, start + size);
      list.push(
        shaped
          ? {
              inputs: { data: Float64Array.from(xi.flat()), shape: [xi.length, 3] },
              targets: { data: Float32Array.from(di.flat()), shape: [di.length, 2] },
            }
          : { inputs: xi, targets: di },
      );
    }
    return list;
  };

  async function inMemory() {
    const net = new Network(spec);
    const history = await net.fit(x, d, options);
    return { weights: flatParams(net), history };
  }

  it('an async iterable of chunks gives exactly the weights of the in-memory fit', async () => {
    const reference = await inMemory();
    const net = new Network(spec);
    // Chunks of 7 across minibatches of 5, re-iterated each epoch.
    const stream = {
      async *[Symbol.asyncIterator]() {
        for (const chunk of chunks(7, false)) {
          await Promise.resolve();
          yield chunk;
        }
      },
    };
    const history = await net.fit(stream, null, options);
    expect(flatParams(net)).toEqual(reference.weights);
    expect(history.epochs.map((e) => e.updates)).toEqual([5, 5, 5]);
    expect(history.epochs.map((e) => e.cost)).toEqual(reference.history.epochs.map((e) => e.cost));
  });

  it('a function returning an iterable (called each epoch) of shaped typed arrays, too', async () => {
    const reference = await inMemory();
    const net = new Network(spec);
    let calls = 0;
    const history = await net.fit(
      () => {
        calls++;
        return chunks(4, true)[Symbol.iterator]();
      },
      null,
      options,
    );
    expect(calls).toBe(3);
    expect(flatParams(net)).toEqual(reference.weights);
    expect(history.epochs.at(-1)!.examples).toBe(n);
  });

  it('sequential mode on a stream gives exactly the weights of the in-memory fit', async () => {
    const sequential: FitOptions = { ...options, mode: 'sequential' };
    const reference = new Network(spec);
    await reference.fit(x, d, sequential);
    const net = new Network(spec);
    const history = await net.fit(() => chunks(6, false), null, sequential);
    expect(flatParams(net)).toEqual(flatParams(reference));
    expect(history.epochs.map((e) => e.updates)).toEqual([n, n, n]);
  });

  it('a plain array of chunks is an iterable of minibatches too', async () => {
    const reference = await inMemory();
    const net = new Network(spec);
    await net.fit(chunks(5, false), null, options);
    expect(flatParams(net)).toEqual(reference.weights);
  });

  it('an async generator function, one epoch', async () => {
    const net = new Network(spec);
    const reference = new Network(spec);
    await reference.fit(x, d, { ...options, epochs: 1 });
    async function* generate() {
      yield* chunks(3, false);
    }
    await net.fit(generate(), null, { ...options, epochs: 1 });
    expect(flatParams(net)).toEqual(flatParams(reference));
  });
});

describe('checkpoint and restore', () => {
  const next = lcg(61);
  const x = randomRows(next, 18, 3);
  const d = randomRows(next, 18, 2, 0, 1);
  const spec: NetworkOptions = {
    inputs: 3,
    layers: [
      { units: 5, activation: 'elu' },
      { units: 2, activation: 'sigmoid' },
    ],
    seed: 6,
  };
  const options: TrainOptions = {
    loss: 'binary-cross-entropy',
    mode: 'minibatch',
    batchSize: 4,
    optimizer: 'adam',
    learningRate: 0.01,
    epochs: 6,
    seed: 12,
    shuffle: true,
  };

  function uninterrupted() {
    const net = new Network(spec);
    const trainer = new Trainer(net, x, d, options);
    while (!trainer.stopReason) trainer.runEpoch();
    const costs = trainer.history.map((h) => h.cost);
    trainer.dispose();
    return { weights: flatParams(net), costs };
  }

  for (const steps of [2 * 5, 2 * 5 + 2]) {
    it(`resumes after ${steps} updates (${steps % 5 ? 'mid-epoch' : 'between epochs'}) to exactly the same weights`, () => {
      const reference = uninterrupted();
      const first = new Network(spec);
      const before = new Trainer(first, x, d, options);
      for (let s = 0; s < steps; s++) before.step();
      expect(before.midEpoch).toBe(steps % 5 !== 0);
      const saved = JSON.parse(JSON.stringify(before.checkpoint()));
      before.dispose();
      // A fresh network (other initial weights) and trainer, as after a restart.
      const second = new Network({ ...spec, seed: 99 });
      const after = new Trainer(second, x, d, options);
      after.restore(saved);
      while (!after.stopReason) after.runEpoch();
      expect(flatParams(second)).toEqual(reference.weights);
      expect(after.history.map((h) => h.cost)).toEqual(reference.costs);
      after.dispose();
    });
  }
});

describe('timing after a restore', () => {
  it('an epoch resumed mid-way reports the seconds spent in it, not the time since the page or process started', async () => {
    const started = performance.now();
    const next = lcg(62);
    const x = randomRows(next, 12, 2);
    const d = randomRows(next, 12, 1);
    const options: TrainOptions = { mode: 'minibatch', batchSize: 4, epochs: 3, learningRate: 0.01 };
    const net = new Network({
      inputs: 2,
      layers: [
        { units: 3, activation: 'tanh' },
        { units: 1, activation: 'linear' },
      ],
    });
    const before = new Trainer(net, x, d, options);
    before.step();
    const saved = JSON.parse(JSON.stringify(before.checkpoint()));
    before.dispose();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const after = new Trainer(net, x, d, options);
    after.restore(saved);
    const info = after.runEpoch();
    after.dispose();
    const wall = (performance.now() - started) / 1000;
    expect(info.epoch).toBe(1);
    expect(info.seconds).toBeGreaterThanOrEqual(0);
    expect(info.seconds).toBeLessThanOrEqual(wall);
    expect(info.elapsedSeconds).toBeLessThanOrEqual(wall);
  });
});

describe('what each epoch reports', () => {
  it('validation cost and accuracy are those of the weights after the epoch; the cost is the mean loss as examples were used', async () => {
    const next = lcg(63);
    const x = randomRows(next, 30, 2);
    const labels = x.map(([a, b]) => (a * b > 0 ? 0 : a > 0 ? 1 : 2));
    const d = labels.map((l) => [0, 1, 2].map((k) => (k === l ? 1 : 0)));
    const vx = randomRows(next, 12, 2);
    const vd = vx.map(([a, b]) => [0, 1, 2].map((k) => (k === (a * b > 0 ? 0 : a > 0 ? 1 : 2) ? 1 : 0)));
    const net = new Network({
      inputs: 2,
      layers: [
        { units: 6, activation: 'tanh' },
        { units: 3, activation: 'softmax' },
      ],
      dtype: 'float64',
      seed: 5,
    });
    const checked: number[] = [];
    const before = net.explain(x, d, { loss: 'cross-entropy', learningRate: 1 });
    const history = await net.fit(x, d, {
      mode: 'batch',
      learningRate: 0.5,
      epochs: 5,
      validationData: { inputs: vx, targets: vd },
      onEpoch: (info) => {
        const trace = net.explain(vx, vd, { loss: 'cross-entropy', learningRate: 1 });
        expect(info.validationCost).toBeCloseTo(trace.loss, 12);
        expect(info.validationAccuracy).toBe(accuracy(net.predict(vx), vd));
        checked.push(info.epoch);
      },
    });
    expect(checked).toEqual([1, 2, 3, 4, 5]);
    // In batch mode the epoch's cost is J at the weights the epoch started from.
    expect(history.epochs[0].cost).toBeCloseTo(before.loss, 12);
    const out = before.layers[1].out;
    expect(history.epochs[0].accuracy).toBe(accuracy(out, d));
  });

  it('predictions and validation costs over more rows than one chunk (1024) are those of each row alone', async () => {
    const next = lcg(65);
    const x = randomRows(next, 2500, 3);
    const d = randomRows(next, 2500, 2, 0, 1);
    const net = new Network({
      inputs: 3,
      layers: [
        { units: 5, activation: 'gelu' },
        { units: 2, activation: 'sigmoid' },
      ],
      dtype: 'float64',
      seed: 2,
    });
    const all = net.predict(x);
    expect(all).toHaveLength(2500);
    for (const r of [0, 1023, 1024, 2047, 2048, 2499]) expect(all[r]).toEqual(net.predict([x[r]])[0]);
    const small = { inputs: x.slice(0, 40), targets: d.slice(0, 40) };
    const history = await net.fit(small.inputs, small.targets, {
      loss: 'mse',
      mode: 'batch',
      learningRate: 0.1,
      epochs: 1,
      validationData: { inputs: x, targets: d },
    });
    const trace = net.explain(x, d, { loss: 'mse', learningRate: 1 });
    expect(history.epochs[0].validationCost).toBeCloseTo(trace.loss, 12);
  });

  it('a validation split is seeded: the same seed holds out the same rows', async () => {
    const next = lcg(64);
    const x = randomRows(next, 20, 2);
    const d = randomRows(next, 20, 1);
    const run = async (seed: number) => {
      const net = new Network({
        inputs: 2,
        layers: [{ units: 1, activation: 'linear' }],
        dtype: 'float64',
        seed: 1,
      });
      const history = await net.fit(x, d, {
        loss: 'mse',
        mode: 'batch',
        validationSplit: 0.25,
        epochs: 2,
        seed,
      });
      return history.epochs.map((e) => [e.cost, e.validationCost!, e.examples]);
    };
    const a = await run(3);
    expect(a[0][2]).toBe(15);
    expect(await run(3)).toEqual(a);
    expect(await run(4)).not.toEqual(a);
  });
});

describe('stopping rules', () => {
  it('patience stops when the validation cost keeps rising and restores the best weights', async () => {
    const net = neuron(2);
    // Validation targets on the opposite line: fitting the training data makes them worse.
    const validationData = {
      inputs: line.inputs,
      targets: line.targets.map((r, i) => [-r[0] + 0.5 * line.inputs[i][0]]),
    };
    const recorded: number[][] = [];
    const history = await net.fit(line.inputs, line.targets, {
      loss: 'mse',
      mode: 'batch',
      learningRate: 0.05,
      epochs: 500,
      validationData,
      patience: 4,
      onEpoch: () => {
        recorded.push(flatParams(net));
      },
    });
    expect(history.stoppedBy).toBe('patience');
    const costs = history.epochs.map((e) => e.validationCost!);
    const bestEpoch = costs.indexOf(Math.min(...costs)) + 1;
    expect(history.bestEpoch).toBe(bestEpoch);
    expect(history.epochs.length).toBe(bestEpoch + 4);
    expect(costs.at(-1)!).toBeGreaterThan(costs[bestEpoch - 1]);
    expect(flatParams(net)).toEqual(recorded[bestEpoch - 1]);
    expect(flatParams(net)).not.toEqual(recorded[recorded.length - 2]);
  });

  it('with patience that never runs out, the best weights are restored at the epoch limit too', async () => {
    const net = neuron(2);
    const validationData = {
      inputs: line.inputs,
      targets: line.targets.map((r, i) => [-r[0] + 0.5 * line.inputs[i][0]]),
    };
    const recorded: number[][] = [];
    const history = await net.fit(line.inputs, line.targets, {
      loss: 'mse',
      mode: 'batch',
      learningRate: 0.05,
      epochs: 30,
      validationData,
      patience: 1000,
      onEpoch: () => {
        recorded.push(flatParams(net));
      },
    });
    expect(history.stoppedBy).toBe('epochs');
    expect(history.epochs.length).toBe(30);
    expect(history.bestEpoch).toBeLessThan(30);
    expect(flatParams(net)).toEqual(recorded[history.bestEpoch! - 1]);
  });

  it('tolerance stops at the first epoch whose cost is at or below it', async () => {
    const net = neuron(2);
    const history = await net.fit(line.inputs, line.targets, {
      loss: 'mse',
      mode: 'batch',
      learningRate: 0.05,
      epochs: 5000,
      tolerance: 0.2,
    });
    const costs = history.epochs.map((e) => e.cost);
    expect(history.stoppedBy).toBe('tolerance');
    expect(costs.at(-1)!).toBeLessThanOrEqual(0.2);
    expect(costs.slice(0, -1).every((c) => c > 0.2)).toBe(true);
    expect(costs.length).toBeGreaterThan(1);
  });

  it('an AbortSignal stops after the epoch in which it fires', async () => {
    const controller = new AbortController();
    const net = neuron(2);
    const history = await net.fit(line.inputs, line.targets, {
      loss: 'mse',
      epochs: 1000,
      signal: controller.signal,
      onEpoch: (info) => {
        if (info.epoch === 3) controller.abort();
      },
    });
    expect(history.stoppedBy).toBe('abort');
    expect(history.epochs.length).toBe(3);
  });

  it('an AbortSignal stops a long run from a timer, and one aborted before leaves the weights alone', async () => {
    const controller = new AbortController();
    const next = lcg(71);
    const net = new Network({
      inputs: 4,
      layers: [
        { units: 16, activation: 'tanh' },
        { units: 1, activation: 'linear' },
      ],
    });
    setTimeout(() => controller.abort(), 100);
    const history = await net.fit(randomRows(next, 500, 4), randomRows(next, 500, 1), {
      mode: 'sequential',
      learningRate: 0.001,
      epochs: 1_000_000,
      signal: controller.signal,
    });
    expect(history.stoppedBy).toBe('abort');
    expect(history.epochs.length).toBeLessThan(1_000_000);
    const idle = neuron(2);
    const before = flatParams(idle);
    const none = await idle.fit(line.inputs, line.targets, { signal: AbortSignal.abort() });
    expect(none.stoppedBy).toBe('abort');
    expect(none.epochs).toEqual([]);
    expect(flatParams(idle)).toEqual(before);
  });

  it('onEpoch returning false (or a promise of false) stops', async () => {
    const seen: EpochInfo[] = [];
    const history = await neuron(2).fit(line.inputs, line.targets, {
      epochs: 100,
      onEpoch: (info) => {
        seen.push(info);
        return info.epoch < 4;
      },
    });
    expect(history.stoppedBy).toBe('callback');
    expect(history.epochs.length).toBe(4);
    expect(seen.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    const async = await neuron(2).fit(line.inputs, line.targets, {
      epochs: 100,
      onEpoch: async (info) => info.epoch !== 2,
    });
    expect(async.stoppedBy).toBe('callback');
    expect(async.epochs.length).toBe(2);
    const all = await neuron(2).fit(line.inputs, line.targets, { epochs: 7 });
    expect(all.stoppedBy).toBe('epochs');
    expect(all.epochs.length).toBe(7);
  });
});

describe('optimizers against their update formulas (PyTorch), float64', () => {
  const next = lcg(81);
  const x = randomRows(next, 7, 3);
  const d = randomRows(next, 7, 2, 0, 1);
  const spec: NetworkOptions = {
    inputs: 3,
    layers: [
      { units: 4, activation: 'tanh' },
      { units: 2, activation: 'sigmoid' },
    ],
    dtype: 'float64',
    seed: 8,
  };
  const STEPS = 4;

  type Rule = (w: number, g: number, state: number[], t: number, eta: number) => number;

  /**
   * STEPS batch updates applied by hand: the gradient g of each parameter from
   * net.explain() (checked against finite differences elsewhere), then `rule`.
   */
  function byHand(rates: number[], rule: Rule): number[] {
    const net = new Network(spec);
    const state = new Map<string, number[]>();
    for (let t = 1; t <= STEPS; t++) {
      const trace = net.explain(x, d, { loss: 'mse', learningRate: 1 });
      const layers = net.getWeights().map((layer, n) => {
        const lt = trace.layers[n];
        const update = (w: number, g: number, key: string) => {
          if (!state.has(key)) state.set(key, [0, 0]);
          return rule(w, g, state.get(key)!, t, rates[n]);
        };
        return {
          weights: layer.weights.map((row, m) =>
            row.map((w, i) => update(w, lt.gradWeights[m][i], `${n}w${m},${i}`)),
          ),
          biases: layer.biases.map((b, i) => update(b, lt.gradBiases[i], `${n}b${i}`)),
        };
      });
      net.setWeights(layers);
    }
    return flatParams(net);
  }

  async function byFit(rates: number[], options: FitOptions): Promise<number[]> {
    const net = new Network(spec);
    await net.fit(x, d, { ...options, loss: 'mse', mode: 'batch', learningRate: rates, epochs: STEPS });
    return flatParams(net);
  }

  const cases: { name: string; options: FitOptions; rule: (lambda: number) => Rule }[] = [
    {
      name: 'sgd: w <- w - eta (g + lambda w)',
      options: { optimizer: 'sgd' },
      rule: (lambda) => (w, g, _s, _t, eta) => w - eta * (g + lambda * w),
    },
    {
      name: 'momentum: b <- mu b + g; w <- w - eta b',
      options: { optimizer: 'momentum', momentum: 0.9 },
      rule: (lambda) => (w, g, s, _t, eta) => {
        const gl = g + lambda * w;
        s[0] = 0.9 * s[0] + gl;
        return w - eta * s[0];
      },
    },
    {
      name: 'nesterov: b <- mu b + g; w <- w - eta (g + mu b)',
      options: { optimizer: 'nesterov', momentum: 0.8 },
      rule: (lambda) => (w, g, s, _t, eta) => {
        const gl = g + lambda * w;
        s[0] = 0.8 * s[0] + gl;
        return w - eta * (gl + 0.8 * s[0]);
      },
    },
    {
      name: 'adam: bias-corrected moments',
      options: { optimizer: 'adam', beta1: 0.8, beta2: 0.95, epsilon: 1e-6 },
      rule: (lambda) => (w, g, s, t, eta) => {
        const gl = g + lambda * w;
        s[0] = 0.8 * s[0] + (1 - 0.8) * gl;
        s[1] = 0.95 * s[1] + (1 - 0.95) * gl * gl;
        const mHat = s[0] / (1 - 0.8 ** t);
        const vHat = s[1] / (1 - 0.95 ** t);
        return w - (eta * mHat) / (Math.sqrt(vHat) + 1e-6);
      },
    },
    {
      name: 'rmsprop: s <- rho s + (1 - rho) g^2; w <- w - eta g / (sqrt(s) + eps)',
      options: { optimizer: 'rmsprop', rho: 0.9, epsilon: 1e-7 },
      rule: (lambda) => (w, g, s, _t, eta) => {
        const gl = g + lambda * w;
        s[0] = 0.9 * s[0] + (1 - 0.9) * gl * gl;
        return w - (eta * gl) / (Math.sqrt(s[0]) + 1e-7);
      },
    },
  ];

  for (const { name, options, rule } of cases) {
    for (const lambda of [0, 0.05]) {
      it(`${name}${lambda ? `, weight decay ${lambda}` : ''}`, async () => {
        const rates = [0.05, 0.02];
        const expected = byHand(rates, rule(lambda));
        const actual = await byFit(rates, { ...options, weightDecay: lambda });
        expectClose(actual, expected, { rel: 1e-12, abs: 1e-15, what: 'weights' });
        // And the optimizer did something other than plain sgd would have.
        expect(actual).not.toEqual(flatParams(new Network(spec)));
      });
    }
  }

  it('adam in minibatch mode counts t per update (3 per epoch here), not per epoch', async () => {
    const rates = [0.05, 0.02];
    const byHandNet = new Network(spec);
    const state = new Map<string, [number, number]>();
    let t = 0;
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let start = 0; start < 7; start += 3) {
        t++;
        const trace = byHandNet.explain(x.slice(start, start + 3), d.slice(start, start + 3), {
          loss: 'mse',
          learningRate: 1,
        });
        const adam = (w: number, g: number, key: string, eta: number) => {
          const s = state.get(key) ?? [0, 0];
          s[0] = 0.9 * s[0] + 0.1 * g;
          s[1] = 0.999 * s[1] + 0.001 * g * g;
          state.set(key, s);
          return w - (eta * s[0]) / (1 - 0.9 ** t) / (Math.sqrt(s[1] / (1 - 0.999 ** t)) + 1e-8);
        };
        byHandNet.setWeights(
          byHandNet.getWeights().map((layer, n) => ({
            weights: layer.weights.map((row, m) =>
              row.map((w, i) => adam(w, trace.layers[n].gradWeights[m][i], `${n}w${m},${i}`, rates[n])),
            ),
            biases: layer.biases.map((b, i) => adam(b, trace.layers[n].gradBiases[i], `${n}b${i}`, rates[n])),
          })),
        );
      }
    }
    const net = new Network(spec);
    const history = await net.fit(x, d, {
      loss: 'mse',
      mode: 'minibatch',
      batchSize: 3,
      shuffle: false,
      optimizer: 'adam',
      learningRate: rates,
      epochs: 2,
    });
    expect(history.epochs.map((e) => e.updates)).toEqual([3, 3]);
    expectClose(flatParams(net), flatParams(byHandNet), { rel: 1e-12, abs: 1e-15, what: 'weights' });
  });

  it('weight decay adds lambda w to the gradient: one sgd step differs from lambda = 0 by -eta lambda w', async () => {
    const w = flatParams(new Network(spec));
    const plain = new Network(spec);
    const decayed = new Network(spec);
    await plain.fit(x, d, { loss: 'mse', mode: 'batch', learningRate: 0.1, epochs: 1 });
    await decayed.fit(x, d, { loss: 'mse', mode: 'batch', learningRate: 0.1, epochs: 1, weightDecay: 0.3 });
    const difference = flatParams(decayed).map((v, i) => v - flatParams(plain)[i]);
    expectClose(
      difference,
      w.map((wi) => -0.1 * 0.3 * wi),
      { rel: 1e-9, abs: 1e-16, what: 'decayed - plain' },
    );
  });
});
