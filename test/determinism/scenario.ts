/**
 * A training run that must give the same bits in Node and in a browser: the
 * library's math functions, generated data, initial weights, and the weights
 * after training in each mode. Results are hex strings of the doubles.
 */
import { backend, datasets, Network, Trainer } from '../../src/index.js';
import { cos, exp, expm1, log, log1p, sin, tanh } from '../../src/math.js';

const M = { exp, log, expm1, log1p, tanh, sin, cos };

function hex(values: ArrayLike<number>): string {
  const f = new Float64Array(values);
  return Array.from(new Uint8Array(f.buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function scenario(): Record<string, string> {
  const out: Record<string, string> = {};
  // Both engines train float32 on the default backend, the WebAssembly SIMD kernels.
  out.backend = backend().name;
  const xs = Array.from({ length: 400 }, (_, i) => (i - 200) * 0.173);
  for (const f of ['exp', 'log', 'expm1', 'log1p', 'tanh', 'sin', 'cos'] as const) {
    out[`math.${f}`] = hex(
      xs.map((x) => M[f](f === 'log' ? Math.abs(x) + 1e-3 : f === 'log1p' ? Math.abs(x) : x)),
    );
  }
  const moons = datasets.moons(64, { seed: 3, noise: 0.15 });
  out['data.moons'] = hex(moons.inputs.flat());
  out['data.spirals'] = hex(datasets.spirals(40, { seed: 2 }).inputs.flat());
  const runs = [
    // Small networks one example at a time: the WebAssembly small-network kernel.
    { name: 'sequential-sgd', hidden: 'tanh', options: { mode: 'sequential', learningRate: 0.05 } },
    {
      name: 'sequential-sgd-float32',
      hidden: 'sigmoid',
      options: { mode: 'sequential', learningRate: 0.2 },
      dtype: 'float32',
    },
    {
      name: 'minibatch-adam',
      hidden: 'gelu',
      options: { mode: 'minibatch', batchSize: 8, optimizer: 'adam', learningRate: 0.01 },
    },
    {
      name: 'batch-momentum-float32',
      hidden: 'elu',
      options: { mode: 'batch', optimizer: 'momentum', learningRate: 0.1 },
      dtype: 'float32',
    },
    // Dropout: the general engine, masks from the seeded generator (float32 on the default backend).
    {
      name: 'minibatch-dropout-float32',
      hidden: 'tanh',
      options: { mode: 'minibatch', batchSize: 8, learningRate: 0.1 },
      dtype: 'float32',
      dropout: 0.25,
    },
  ] as const;
  for (const run of runs) {
    const net = new Network({
      inputs: 2,
      layers: [
        { units: 8, activation: run.hidden, dropout: 'dropout' in run ? run.dropout : 0 },
        { units: 8, activation: 'softplus', dropout: 'dropout' in run ? run.dropout : 0 },
        { units: 1, activation: 'sigmoid' },
      ],
      seed: 9,
      dtype: 'dtype' in run ? run.dtype : 'float64',
    });
    out[`init.${run.name}`] = hex(net.getWeights().flatMap((l) => [...l.weights.flat(), ...l.biases]));
    const trainer = new Trainer(net, moons.inputs, moons.targets, { ...run.options, epochs: 15, seed: 4 });
    out[`path.${run.name}`] = String(trainer.inline);
    while (!trainer.stopReason) trainer.runEpoch();
    out[`cost.${run.name}`] = hex(trainer.history.map((h) => h.cost));
    trainer.dispose();
    out[`trained.${run.name}`] = hex(net.getWeights().flatMap((l) => [...l.weights.flat(), ...l.biases]));
  }
  return out;
}
