// The notes' own examples, with the numbers worked by hand: a linear neuron
// updated sequentially and in batch (SSE, with its factor 2), and the output-
// and hidden-layer deltas of a small sigmoid network (Matt Mazur's
// "A Step by Step Backpropagation Example", whose numbers are quoted below).
import { describe, expect, it } from 'vitest';
import { formatExplain, Network } from '../src/index.js';

/** A linear neuron y = w0 + w1 x (float64) with the given weights. */
function linearNeuron(w0: number, w1: number): Network {
  const net = new Network({ inputs: 1, layers: [{ units: 1, activation: 'linear' }], dtype: 'float64' });
  net.setWeights([{ weights: [[w1]], biases: [w0] }]);
  return net;
}

const weightsOf = (net: Network) => {
  const [layer] = net.getWeights();
  return { w0: layer.biases[0], w1: layer.weights[0][0] };
};

// Two examples (x, d) = (1, 3) and (2, 5), starting from w0 = 0.5, w1 = 1, eta = 0.1.
const X = [[1], [2]];
const D = [[3], [5]];

describe('a linear neuron', () => {
  it('sequential mode: w0 += eta e, w1 += eta e x, one example at a time', async () => {
    const net = linearNeuron(0.5, 1);
    const history = await net.fit(X, D, {
      loss: 'half-squared',
      mode: 'sequential',
      shuffle: false,
      optimizer: 'sgd',
      learningRate: 0.1,
      epochs: 1,
    });
    // Example 1: y = 0.5 + 1*1 = 1.5, e = 1.5: w0 = 0.5 + 0.15 = 0.65, w1 = 1 + 0.15 = 1.15.
    // Example 2: y = 0.65 + 1.15*2 = 2.95, e = 2.05: w0 = 0.65 + 0.205 = 0.855, w1 = 1.15 + 0.41 = 1.56.
    const { w0, w1 } = weightsOf(net);
    expect(w0).toBeCloseTo(0.855, 14);
    expect(w1).toBeCloseTo(1.56, 14);
    expect(history.epochs[0].updates).toBe(2);
    // The epoch's cost is the mean of E = e^2 / 2 at the moment each example was used: (1.125 + 2.10125) / 2.
    expect(history.epochs[0].cost).toBeCloseTo(1.613125, 14);
  });

  it('batch mode on SSE: w0 += 2 eta sum e_i, w1 += 2 eta sum e_i x_i (the factor 2)', async () => {
    const net = linearNeuron(0.5, 1);
    const history = await net.fit(X, D, { loss: 'sse', mode: 'batch', learningRate: 0.1, epochs: 1 });
    // e = (3 - 1.5, 5 - 2.5) = (1.5, 2.5): sum e = 4, sum e x = 1.5 + 5 = 6.5.
    // w0 = 0.5 + 2*0.1*4 = 1.3, w1 = 1 + 2*0.1*6.5 = 2.3.
    const { w0, w1 } = weightsOf(net);
    expect(w0).toBeCloseTo(1.3, 14);
    expect(w1).toBeCloseTo(2.3, 14);
    expect(history.epochs[0].updates).toBe(1);
    // SSE = 1.5^2 + 2.5^2 = 8.5.
    expect(history.epochs[0].cost).toBeCloseTo(8.5, 14);
  });

  it('the step trace of the neuron: delta = e for half-squared, and SSE doubles it', () => {
    const net = linearNeuron(0.5, 1);
    const half = net.explain(X, D, { loss: 'half-squared', reduction: 'sum', learningRate: 0.1 });
    expect(half.layers[0].delta.flat()).toEqual([1.5, 2.5]);
    expect(half.loss).toBeCloseTo(4.25, 14);
    const sse = net.explain(X, D, { loss: 'sse', learningRate: 0.1 });
    expect(sse.layers[0].delta.flat()).toEqual([3, 5]);
    expect(sse.layers[0].gradBiases[0]).toBeCloseTo(-8, 14);
    expect(sse.layers[0].gradWeights[0][0]).toBeCloseTo(-13, 14);
    expect(sse.layers[0].biases[0]).toBeCloseTo(1.3, 14);
    expect(sse.layers[0].weights[0][0]).toBeCloseTo(2.3, 14);
    // explain leaves the network as it was.
    expect(weightsOf(net)).toEqual({ w0: 0.5, w1: 1 });
  });
});

describe("Mazur's 2-2-2 sigmoid network, half-squared loss with reduction sum, eta = 0.5", () => {
  // w1: i1->h1, w2: i2->h1, w3: i1->h2, w4: i2->h2; weights are fan-in x units.
  const model = {
    format: 'backprop-mlp',
    version: 1,
    inputs: 2,
    layers: [
      {
        units: 2,
        activation: 'sigmoid',
        weights: [
          [0.15, 0.25],
          [0.2, 0.3],
        ],
        biases: [0.35, 0.35],
      },
      {
        units: 2,
        activation: 'sigmoid',
        weights: [
          [0.4, 0.5],
          [0.45, 0.55],
        ],
        biases: [0.6, 0.6],
      },
    ],
  };
  const x = [[0.05, 0.1]];
  const d = [[0.01, 0.99]];
  const options = { loss: 'half-squared', reduction: 'sum', learningRate: 0.5 } as const;
  const net = Network.fromJSON(model, { dtype: 'float64' });
  const trace = net.explain(x, d, options);
  const [hidden, output] = trace.layers;

  it('the forward pass and the cost', () => {
    expect(hidden.out[0][0]).toBeCloseTo(0.593269992, 9);
    expect(hidden.out[0][1]).toBeCloseTo(0.596884378, 9);
    expect(output.out[0][0]).toBeCloseTo(0.75136507, 8);
    expect(output.out[0][1]).toBeCloseTo(0.772928465, 9);
    expect(trace.loss).toBeCloseTo(0.298371109, 9);
  });

  it('the output-layer delta: delta_o1 = (d_1 - y_1) y_1 (1 - y_1) = -dE/dnet_o1', () => {
    expect(output.delta[0][0]).toBeCloseTo(-0.138498562, 9);
    // (0.99 - 0.772928465) * 0.772928465 * (1 - 0.772928465)
    expect(output.delta[0][1]).toBeCloseTo(0.038098237, 9);
  });

  it('the hidden-layer delta: delta_h1 = out_h1 (1 - out_h1) (delta_o1 w5 + delta_o2 w7)', () => {
    // dE/dout_h1 = 0.036350306 and dout_h1/dnet_h1 = 0.241300709 in the worked example.
    expect(hidden.delta[0][0]).toBeCloseTo(-0.036350306 * 0.241300709, 9);
    expect(hidden.gradWeights[0][0]).toBeCloseTo(0.000438568, 9);
  });

  it('the updated weights', () => {
    const [w1, w3] = hidden.weights[0];
    const [w2, w4] = hidden.weights[1];
    const [w5, w7] = output.weights[0];
    const [w6, w8] = output.weights[1];
    expect(w5).toBeCloseTo(0.35891648, 8);
    expect(w6).toBeCloseTo(0.408666186, 9);
    expect(w7).toBeCloseTo(0.51130127, 9);
    expect(w8).toBeCloseTo(0.561370121, 9);
    expect(w1).toBeCloseTo(0.149780716, 9);
    expect(w2).toBeCloseTo(0.19956143, 8);
    expect(w3).toBeCloseTo(0.24975114, 8);
    expect(w4).toBeCloseTo(0.29950229, 8);
  });

  it('a training step of fit() lands on the same weights', async () => {
    const trained = Network.fromJSON(model, { dtype: 'float64' });
    await trained.fit(x, d, { ...options, mode: 'batch', epochs: 1 });
    const after = trained.getWeights();
    expect(after[0].weights).toEqual(hidden.weights);
    expect(after[1].weights).toEqual(output.weights);
    expect(after[0].biases).toEqual(hidden.biases);
    expect(after[1].biases).toEqual(output.biases);
  });

  it("the text trace in the notes' notation", () => {
    const text = formatExplain(net, x, d, options);
    expect(text).toContain(
      "delta^(2)_1 = (d_1 - y_1) psi'(v^(2)_1) = (0.01 - 0.751365) * 0.186816 = (-0.138499)",
    );
    expect(text).toContain('delta^(2)_2 = (d_2 - y_2)');
    expect(text).toMatch(
      /delta\^\(1\)_1 = psi'\(v\^\(1\)_1\) sum_j delta\^\(2\)_j w\^\(2\)_1,j = 0\.241301 \* \(\(-0\.138499\)\*0\.4 \+ 0\.0380982\*0\.5\) = \(-0\.00877135\)/,
    );
    expect(text).toContain('x^(2)_out,1 = psi(v^(2)_1) = 0.751365');
    expect(text).toContain('Cost J = 0.298371');
    // w5 = 0.4 - 0.5 * 0.082167 = 0.358916
    expect(text).toContain('w^(2)_1,1: dJ/dw = 0.082167; 0.4 - 0.5 * 0.082167 = 0.358916');
    expect(text).toContain('eta^(1) = 0.5');
  });
});
