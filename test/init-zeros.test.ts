import { describe, expect, it } from 'vitest';
import { INIT_NAMES, Network, Trainer } from '../src/index.js';

describe('zero initialisation', () => {
  it('is one of the names and starts every weight and bias at 0', () => {
    expect(INIT_NAMES).toContain('zeros');
    const net = new Network({
      inputs: 2,
      layers: [
        { units: 3, activation: 'tanh' },
        { units: 1, activation: 'sigmoid' },
      ],
      init: 'zeros',
      dtype: 'float64',
    });
    for (const l of net.getWeights()) {
      expect(l.weights.flat().every((w) => w === 0 && !Object.is(w, -0))).toBe(true);
      expect(l.biases.every((b) => b === 0)).toBe(true);
    }
  });

  it('keeps the hidden nodes of a layer identical through training: symmetry is never broken', () => {
    const net = new Network({
      inputs: 2,
      layers: [
        { units: 3, activation: 'tanh' },
        { units: 1, activation: 'sigmoid' },
      ],
      init: 'zeros',
      dtype: 'float64',
    });
    const x = [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ];
    const d = [[0], [1], [1], [0]];
    const trainer = new Trainer(net, x, d, { mode: 'batch', learningRate: 0.5, epochs: 20 });
    for (let k = 0; k < 20; k++) trainer.runEpoch();
    const [hidden, output] = net.getWeights();
    // Every hidden node has the same incoming weights and the same outgoing weight.
    for (const row of hidden.weights) expect(new Set(row).size).toBe(1);
    expect(new Set(hidden.biases).size).toBe(1);
    expect(new Set(output.weights.map((r) => r[0])).size).toBe(1);
  });
});
