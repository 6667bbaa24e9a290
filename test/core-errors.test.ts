// Bad arguments throw a BackpropError whose message says what and where; a bad
// model file is refused naming the field; diverging training stops naming the
// epoch and keeps the last finite weights.
import { describe, expect, it } from 'vitest';
import {
  BackpropError,
  DivergenceError,
  type FitOptions,
  ModelFormatError,
  Network,
  type TrainOptions,
} from '../src/index.js';
import { flatParams, lcg, randomRows } from './support/core.js';

const next = lcg(5);
const X = randomRows(next, 10, 2);
const D = randomRows(next, 10, 1);
const make = () =>
  new Network({
    inputs: 2,
    layers: [
      { units: 3, activation: 'tanh' },
      { units: 1, activation: 'linear' },
    ],
  });

/** Asserts that fit() with these arguments rejects with a BackpropError matching `pattern`. */
async function rejects(
  pattern: RegExp,
  options: FitOptions,
  inputs: unknown = X,
  targets: unknown = D,
): Promise<void> {
  const error = await make()
    .fit(inputs as number[][], targets as number[][], { epochs: 1, ...options })
    .then(
      () => null,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(BackpropError);
  expect((error as Error).message).toMatch(pattern);
}

describe('bad training options', () => {
  const cases: [string, TrainOptions, RegExp][] = [
    ['learning rate 0', { learningRate: 0 }, /^learningRate: expected a positive number, got 0$/],
    ['a negative learning rate', { learningRate: -0.1 }, /^learningRate: .*positive.*got -0\.1$/],
    [
      'an infinite learning rate',
      { learningRate: Number.POSITIVE_INFINITY },
      /^learningRate: .*got Infinity/,
    ],
    [
      'one rate too few',
      { learningRate: [0.1] },
      /^learningRate: expected one number or 2 \(one per layer\), got 1$/,
    ],
    ['one rate too many', { learningRate: [0.1, 0.1, 0.1] }, /^learningRate: .* 2 \(one per layer\), got 3$/],
    [
      'a zero rate for layer 2',
      { learningRate: [0.1, 0] },
      /^learningRate\[1\] \(eta\^\(2\)\): .*positive.*got 0$/,
    ],
    [
      'batch size 0',
      { mode: 'minibatch', batchSize: 0 },
      /^batchSize: expected a whole number of at least 1, got 0$/,
    ],
    [
      'a fractional batch size',
      { mode: 'minibatch', batchSize: 2.5 },
      /^batchSize: .*whole number.*got 2\.5$/,
    ],
    [
      'a batch size above n',
      { mode: 'minibatch', batchSize: 11 },
      /^batchSize: 11 is more than the 10 training examples$/,
    ],
    [
      'an unknown mode',
      { mode: 'online' as never },
      /^mode: unknown 'online', expected batch, sequential or minibatch$/,
    ],
    [
      'an unknown optimizer',
      { optimizer: 'adagrad' as never },
      /^optimizer: unknown 'adagrad', expected one of sgd, momentum/,
    ],
    [
      'an unknown loss',
      { loss: 'hinge' as never },
      /unknown loss 'hinge': expected one of squared, half-squared/,
    ],
    ['an unknown reduction', { reduction: 'max' as never }, /unknown reduction 'max': expected mean or sum/],
    [
      'sse with a mean',
      { loss: 'sse', reduction: 'mean' },
      /loss 'sse' means squared with reduction 'sum', not 'mean'/,
    ],
    [
      'binary cross-entropy on a linear output',
      { loss: 'binary-cross-entropy' },
      /loss 'binary-cross-entropy' needs outputs in \(0, 1\), but the output activation is 'linear'/,
    ],
    [
      'cross-entropy on a linear output',
      { loss: 'cross-entropy' },
      /'cross-entropy'.*output activation is 'linear'/,
    ],
    [
      'momentum of 1',
      { optimizer: 'momentum', momentum: 1 },
      /^momentum: expected a number in \[0, 1\), got 1$/,
    ],
    ['a negative weight decay', { weightDecay: -1 }, /^weightDecay: .*got -1$/],
    ['0 epochs', { epochs: 0 }, /^epochs: expected a whole number of at least 1, got 0$/],
    ['a validation split of 1', { validationSplit: 1 }, /^validationSplit: /],
    ['a negative tolerance', { tolerance: -1 }, /^tolerance: .*got -1$/],
    ['patience 0', { patience: 0 }, /^patience: .*got 0$/],
  ];
  for (const [what, options, pattern] of cases) {
    it(`${what} is refused`, async () => {
      await rejects(pattern, options);
    });
  }

  it('onEpoch that is not a function is refused', async () => {
    await rejects(/^onEpoch: expected a function$/, { onEpoch: 3 as never });
  });
});

describe('data that does not fit', () => {
  it('inputs with the wrong number of columns', async () => {
    await rejects(/^inputs: the network has 2 inputs, the data 3 columns$/, {}, randomRows(next, 10, 3));
  });
  it('targets with the wrong number of rows', async () => {
    await rejects(/^targets: 9 rows for 10 rows of inputs$/, {}, X, D.slice(1));
  });
  it('targets with the wrong number of columns', async () => {
    await rejects(
      /^targets: the network has 1 output, the targets 2 columns$/,
      {},
      X,
      randomRows(next, 10, 2),
    );
  });
  it('a ragged row', async () => {
    const ragged = X.map((r, i) => (i === 4 ? [r[0]] : r));
    await rejects(/^inputs: row 4 has 1 values, but row 0 has 2$/, {}, ragged);
  });
  it('no examples', async () => {
    await rejects(/^inputs: no examples to train on$/, {}, [], []);
  });
  it('a shaped array whose data does not match its shape', async () => {
    await rejects(
      /^inputs: shape \[10, 2\] needs 20 numbers, got 19$/,
      {},
      {
        data: new Float64Array(19),
        shape: [10, 2],
      },
    );
  });
  it('NaN in the inputs, naming the row and column', async () => {
    const bad = X.map((r) => [...r]);
    bad[7][1] = Number.NaN;
    await rejects(/^inputs: row 7, column 1 is NaN, not a finite number$/, {}, bad);
  });
  it('Infinity in the targets, naming the row and column', async () => {
    const bad = D.map((r) => [...r]);
    bad[3][0] = Number.NEGATIVE_INFINITY;
    await rejects(/^targets: row 3, column 0 is -Infinity, not a finite number$/, {}, X, bad);
  });
  it('NaN in a typed array with a shape', async () => {
    const data = Float32Array.from(X.flat());
    data[2 * 5 + 0] = Number.NaN;
    await rejects(/^inputs: row 5, column 0 is NaN/, {}, { data, shape: [10, 2] });
  });
  it('NaN in validation data', async () => {
    const bad = D.map((r) => [...r]);
    bad[2][0] = Number.NaN;
    await rejects(/^validationData\.targets: row 2, column 0 is NaN/, {
      validationData: { inputs: X, targets: bad },
    });
  });
  it('a stream chunk that does not fit, naming the chunk', async () => {
    const chunks = [
      { inputs: X.slice(0, 5), targets: D.slice(0, 5) },
      { inputs: randomRows(next, 5, 3), targets: D.slice(5) },
    ];
    await rejects(
      /^chunk 1\.inputs: the network has 2 inputs, the chunk 3 columns$/,
      { mode: 'minibatch' },
      () => chunks,
      null,
    );
    const nan = [{ inputs: X, targets: D.map((r, i) => (i === 6 ? [Number.NaN] : r)) }];
    await rejects(
      /^chunk 0\.targets: row 6, column 0 is NaN/,
      { mode: 'minibatch', batchSize: 4 },
      () => nan,
      null,
    );
  });
  it('batch mode on a stream, and targets given with a stream', async () => {
    const chunks = [{ inputs: X, targets: D }];
    await rejects(
      /^mode: batch mode needs the whole data set in memory/,
      { mode: 'batch' },
      () => chunks,
      null,
    );
    await rejects(/^targets: give null when the inputs are a stream/, {}, () => chunks, D);
  });
  it('predict and explain check their data too', () => {
    const net = make();
    expect(() => net.predict([[1, 2, 3]])).toThrow(/^inputs: expected 2 columns, got 3$/);
    expect(() => net.predict([[1, Number.NaN]])).toThrow(/^inputs: row 0, column 1 is NaN/);
    expect(() => net.explain(X, D.slice(2), { loss: 'mse', learningRate: 0.1 })).toThrow(
      /^targets: 8 rows for 10 rows of inputs$/,
    );
    expect(() => net.explain(X, D, { loss: 'mse', learningRate: [0.1, -1] })).toThrow(
      /^learningRate\[1\] \(eta\^\(2\)\): expected a positive number, got -1$/,
    );
  });
});

describe('bad networks', () => {
  it('an unknown activation, naming the layer', () => {
    const call = () =>
      new Network({ inputs: 2, layers: [{ units: 3 }, { units: 1, activation: 'swish' as never }] });
    expect(call).toThrow(BackpropError);
    expect(call).toThrow(
      /^layers\[1\]\.activation: unknown activation 'swish': expected one of linear, sigmoid/,
    );
  });
  it('zero units, naming the layer', () => {
    expect(() => new Network({ inputs: 2, layers: [{ units: 0 }] })).toThrow(
      /^layers\[0\]\.units: expected a whole number of at least 1, got 0$/,
    );
  });
  it('an unknown initialisation and an unknown dtype', () => {
    expect(() => new Network({ inputs: 2, layers: [{ units: 1, init: 'ones' as never }] })).toThrow(
      /^layers\[0\]\.init: unknown 'ones'/,
    );
    expect(() => new Network({ inputs: 2, layers: [{ units: 1 }], dtype: 'float16' as never })).toThrow(
      /^dtype: expected float32 or float64, got float16$/,
    );
  });
});

describe('Network.fromJSON refuses a bad model file, naming the field', () => {
  const good = () => ({
    format: 'backprop-mlp',
    version: 1,
    inputs: 3,
    layers: [
      {
        units: 4,
        activation: 'tanh',
        weights: [
          [0.1, 0.2, 0.3, 0.4],
          [0.5, 0.6, 0.7, 0.8],
          [0.9, 1.0, 1.1, 1.2],
        ],
        biases: [0, 0, 0, 0],
      },
      {
        units: 2,
        activation: 'softmax',
        weights: [
          [1, 2],
          [3, 4],
          [5, 6],
          [7, 8],
        ],
        biases: [0, 0],
      },
    ],
  });
  type Model = ReturnType<typeof good>;
  const cases: [string, (m: Model) => unknown, string, RegExp][] = [
    [
      'an unknown format',
      (m) => ({ ...m, format: 'keras' }),
      'format',
      /^format: expected 'backprop-mlp', got 'keras'$/,
    ],
    [
      'a newer version',
      (m) => ({ ...m, version: 2 }),
      'version',
      /^version: 2 is newer than this reader, which reads up to 1/,
    ],
    [
      'inputs of 0',
      (m) => ({ ...m, inputs: 0 }),
      'inputs',
      /^inputs: expected a whole number of at least 1, got 0$/,
    ],
    ['no layers', (m) => ({ ...m, layers: [] }), 'layers', /^layers: expected a non-empty array of layers/],
    [
      'a weight matrix with too few rows',
      (m) => {
        m.layers[1].weights.pop();
        return m;
      },
      'layers[1].weights',
      /^layers\[1\]\.weights: expected 4 rows \(fan-in layers\[0\]\.units = 4\), got 3$/,
    ],
    [
      'a row of the wrong length',
      (m) => {
        m.layers[1].weights[2].push(9);
        return m;
      },
      'layers[1].weights[2]',
      /^layers\[1\]\.weights\[2\]: expected 2 numbers, got 3$/,
    ],
    [
      'a NaN weight',
      (m) => {
        m.layers[1].weights[2][0] = Number.NaN;
        return m;
      },
      'layers[1].weights[2][0]',
      /^layers\[1\]\.weights\[2\]\[0\]: expected a finite number, got NaN$/,
    ],
    [
      'a weight written as a string',
      (m) => {
        (m.layers[0].weights[1] as unknown[])[3] = '0.8';
        return m;
      },
      'layers[0].weights[1][3]',
      /^layers\[0\]\.weights\[1\]\[3\]: expected a finite number, got '0\.8'$/,
    ],
    [
      'biases of the wrong length',
      (m) => {
        m.layers[0].biases = [0, 0, 0];
        return m;
      },
      'layers[0].biases',
      /^layers\[0\]\.biases: expected 4 numbers, got 3$/,
    ],
    [
      'an unknown activation',
      (m) => {
        m.layers[0].activation = 'swish';
        return m;
      },
      'layers[0].activation',
      /^layers\[0\]\.activation: unknown activation 'swish'/,
    ],
  ];
  for (const [what, change, field, pattern] of cases) {
    it(what, () => {
      let error: unknown;
      try {
        Network.fromJSON(change(good()));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ModelFormatError);
      expect(error).toBeInstanceOf(BackpropError);
      expect((error as ModelFormatError).field).toBe(field);
      expect((error as Error).message).toMatch(pattern);
    });
  }

  it('JSON text with an overflowing number (1e400 parses as Infinity) or a null weight', () => {
    const text = JSON.stringify(good()).replace('[7,8]', '[7,1e400]');
    expect(() => Network.fromJSON(text)).toThrow(
      /^layers\[1\]\.weights\[3\]\[1\]: expected a finite number, got Infinity$/,
    );
    const withNull = JSON.stringify(good()).replace('"biases":[0,0]', '"biases":[0,null]');
    expect(() => Network.fromJSON(withNull)).toThrow(
      /^layers\[1\]\.biases\[1\]: expected a finite number, got null$/,
    );
    expect(() => Network.fromJSON('{"format": "backprop-mlp",')).toThrow(/^\(file\): not valid JSON/);
  });

  it('the good file loads', () => {
    expect(Network.fromJSON(good()).predict([[1, 2, 3]])[0]).toHaveLength(2);
  });
});

describe('divergence', () => {
  const line = Array.from({ length: 20 }, (_, i) => [i / 10 - 1]);
  const targets = line.map(([x]) => [3 * x + 1]);
  const cases = [
    ['float64', 'batch'],
    ['float64', 'sequential'],
    ['float64', 'minibatch'],
    ['float32', 'batch'],
    ['float32', 'sequential'],
    ['float32', 'minibatch'],
  ] as const;
  for (const [dtype, mode] of cases) {
    it(`${dtype}, ${mode} mode: a huge rate rejects with DivergenceError naming the epoch, keeping the last finite weights`, async () => {
      const net = new Network({
        inputs: 1,
        layers: [
          { units: 3, activation: 'tanh' },
          { units: 1, activation: 'linear' },
        ],
        dtype,
        seed: 1,
      });
      const after: number[][] = [flatParams(net)];
      const error = await net
        .fit(line, targets, {
          loss: 'sse',
          mode,
          batchSize: 5,
          learningRate: 5,
          epochs: 1000,
          onEpoch: () => {
            after.push(flatParams(net));
          },
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(DivergenceError);
      const epoch = (error as DivergenceError).epoch;
      // after[k] holds the weights after epoch k (after[0] the initial ones).
      expect(epoch).toBe(after.length);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^training diverged at epoch ${epoch}: the cost became (NaN|-?Infinity); the weights are those after epoch ${epoch - 1}`,
        ),
      );
      const weights = flatParams(net);
      expect(weights.every(Number.isFinite)).toBe(true);
      expect(weights).toEqual(after[epoch - 1]);
    });
  }
});
