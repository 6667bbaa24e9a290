// Run by test/wasm-default.test.ts in its own process: trains on the default
// backend with products large enough to reach the worker threads, then returns
// from the module without disposing of anything. The process must exit at once.
import { backend, Network, Trainer } from '../../src/index.js';

const x = Array.from({ length: 512 }, (_, i) => Array.from({ length: 256 }, (_, j) => Math.sin(i + j)));
const t = x.map((_, i) => Array.from({ length: 4 }, (_, k) => (i % 4 === k ? 1 : 0)));
const net = new Network({
  inputs: 256,
  layers: [
    { units: 256, activation: 'relu' },
    { units: 4, activation: 'softmax' },
  ],
  seed: 1,
});
const trainer = new Trainer(net, x, t, { mode: 'minibatch', batchSize: 128, learningRate: 0.1, epochs: 5 });
// Long enough for the workers to start and take part.
while (!trainer.stopReason) trainer.runEpoch();
console.log(JSON.stringify({ ...backend(), cost: trainer.history.at(-1)?.cost }));
