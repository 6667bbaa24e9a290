/**
 * One adapter per library: each builds the workload's network as closely as
 * the library can express it and trains it through the library's own API.
 * An adapter that cannot express a workload says why instead of running
 * something else under the same name.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { jsBackend, Network, setBackend, Trainer } from '../src/index.js';
import type { Rows } from './data.js';
import type { Workload } from './workloads.js';

const require = createRequire(import.meta.url);

/** The training data of one run: rows for most peers, flat arrays for the million-point line. */
export interface Data {
  train: Rows;
  test?: Rows;
  /** Workload 5 only: x and d, one value per point. */
  line?: { x: Float32Array; d: Float32Array };
}

/** A built network ready to train on the first `count` examples. */
export interface Session {
  /** Trains `epochs` passes over the first `count` examples. */
  train(count: number, epochs: number): void | Promise<void>;
  /** Share of the test examples classified right. */
  accuracy?(test: Rows): number | Promise<number>;
  /** How the library's version differs from the workload, for the table. */
  note?: string;
}

/** A library under test. */
export interface Peer {
  id: string;
  label: string;
  /** Loads the library; throws when it cannot run here. */
  init?(): Promise<void>;
  /** Builds a session, or returns a reason why the workload cannot be expressed. */
  create(w: Workload, data: Data): Promise<Session | string> | Session | string;
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

function accuracyOf(predict: (input: number[]) => ArrayLike<number>, test: Rows): number {
  let right = 0;
  for (let i = 0; i < test.inputs.length; i++) {
    if (argmax(predict(test.inputs[i])) === argmax(test.targets[i])) right++;
  }
  return right / test.inputs.length;
}

// ---------------------------------------------------------------------------
// backprop, through the public API: Network + Trainer.

function backpropPeer(id: string, label: string, backend: 'default' | 'wasm' | 'js'): Peer {
  return {
    id,
    label,
    async init() {
      // The default row sets nothing: what a user gets without a line of configuration.
      if (backend === 'js') setBackend(jsBackend);
      else if (backend === 'wasm') setBackend(await createWasmBackend({ threads: 1 }));
    },
    create(w, data) {
      const net = new Network({
        inputs: w.sizes[0],
        layers: w.sizes.slice(1).map((units, i) => ({
          units,
          activation: i === w.sizes.length - 2 ? w.output : w.hidden,
        })),
        seed: 1,
      });
      const loss = w.loss === 'squared' ? (w.batchSize === 0 ? 'sse' : 'mse') : w.loss;
      const mode = w.batchSize === 0 ? 'batch' : w.batchSize === 1 ? 'sequential' : 'minibatch';
      // The reference row stays in TypeScript throughout: its small networks take the
      // TypeScript inline path, not the WebAssembly small-network kernel.
      const options = {
        loss,
        mode,
        optimizer: w.optimizer ?? 'sgd',
        learningRate: w.learningRate,
        epochs: 1e9,
        inlineSmallNetworks: backend === 'js' ? 'js' : true,
      } as const;
      const trainers = new Map<number, Trainer>();
      const trainerFor = (count: number): Trainer => {
        let t = trainers.get(count);
        if (!t) {
          if (data.line) {
            const n = Math.min(count, data.line.x.length);
            t = new Trainer(
              net,
              { data: data.line.x.subarray(0, n), shape: [n, 1] },
              { data: data.line.d.subarray(0, n), shape: [n, 1] },
              options,
            );
          } else {
            const inputs = data.train.inputs.slice(0, count);
            const targets = data.train.targets.slice(0, count);
            t = new Trainer(net, inputs, targets, {
              ...options,
              batchSize: w.batchSize > 1 ? w.batchSize : undefined,
            });
          }
          trainers.set(count, t);
        }
        return t;
      };
      return {
        // The Trainer (data conversion, buffers) is built before the clock starts.
        train(count, epochs) {
          trainerFor(count).run({ epochs });
        },
        prepare: trainerFor,
        accuracy(test) {
          const out = net.predict(test.inputs);
          let right = 0;
          for (let i = 0; i < out.length; i++) if (argmax(out[i]) === argmax(test.targets[i])) right++;
          return right / out.length;
        },
      } as Session & { prepare(count: number): Trainer };
    },
  };
}

// ---------------------------------------------------------------------------
// TensorFlow.js, cpu and wasm backends.

type Tf = typeof import('@tensorflow/tfjs');

function tfjsPeer(backend: 'cpu' | 'wasm'): Peer {
  let tf: Tf;
  return {
    id: `tfjs-${backend}`,
    label: `TensorFlow.js ${backend}`,
    async init() {
      // tfjs suggests tfjs-node on every load, which cannot install here.
      const warn = console.warn;
      console.warn = () => {};
      tf = require('@tensorflow/tfjs') as Tf;
      if (backend === 'wasm') require('@tensorflow/tfjs-backend-wasm');
      console.warn = warn;
      if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not initialise`);
      await tf.ready();
    },
    create(w, data) {
      const model = tf.sequential();
      for (let i = 1; i < w.sizes.length; i++) {
        const last = i === w.sizes.length - 1;
        model.add(
          tf.layers.dense({
            units: w.sizes[i],
            activation: last ? w.output : w.hidden,
            inputShape: i === 1 ? [w.sizes[0]] : undefined,
          }),
        );
      }
      model.compile({
        optimizer: tf.train.sgd(w.learningRate),
        loss: w.loss === 'cross-entropy' ? 'categoricalCrossentropy' : 'meanSquaredError',
      });
      let xs: import('@tensorflow/tfjs').Tensor2D;
      let ys: import('@tensorflow/tfjs').Tensor2D;
      if (data.line) {
        const n = data.line.x.length;
        xs = tf.tensor2d(data.line.x, [n, 1]);
        ys = tf.tensor2d(data.line.d, [n, 1]);
      } else {
        xs = tf.tensor2d(data.train.inputs);
        ys = tf.tensor2d(data.train.targets);
      }
      const slices = new Map<number, [typeof xs, typeof ys]>();
      return {
        note: w.batchSize === 0 ? 'mean instead of sum (same minimiser)' : undefined,
        async train(count, epochs) {
          let s = slices.get(count);
          if (!s) {
            s = [xs.slice(0, count), ys.slice(0, count)];
            slices.set(count, s);
          }
          await model.fit(s[0], s[1], {
            batchSize: w.batchSize === 0 ? count : w.batchSize,
            epochs,
            shuffle: true,
            verbose: 0,
          });
        },
        accuracy(test) {
          const out = tf.tidy(() => (model.predict(tf.tensor2d(test.inputs)) as typeof xs).arraySync());
          let right = 0;
          for (let i = 0; i < out.length; i++) if (argmax(out[i]) === argmax(test.targets[i])) right++;
          return right / out.length;
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------
// brain.js: one sample per update, the same activation on every layer, no softmax.

interface BrainNet {
  train(data: { input: number[]; output: number[] }[], options: object): unknown;
  run(input: number[]): ArrayLike<number>;
}

const brainPeer: Peer = {
  id: 'brain',
  label: 'brain.js',
  async init() {
    require('brain.js');
  },
  create(w, data) {
    if (w.batchSize === 0) return 'no batch mode (and no linear activation)';
    const brain = require('brain.js') as { NeuralNetwork: new (o: object) => BrainNet };
    const activation = w.hidden === 'relu' ? 'relu' : 'sigmoid';
    const net = new brain.NeuralNetwork({ hiddenLayers: w.sizes.slice(1, -1), activation });
    const rows = data.train.inputs.map((input, i) => ({ input, output: data.train.targets[i] }));
    // brain.js refuses momentum 0: its default 0.1 stays.
    const notes = ['momentum 0.1'];
    if (w.batchSize > 1) notes.push('one sample per update (no minibatch)');
    if (w.output === 'softmax') notes.push(`${activation} outputs, squared error (no softmax)`);
    return {
      note: notes.join('; ') || undefined,
      train(count, epochs) {
        net.train(rows.slice(0, count), {
          iterations: epochs,
          errorThresh: 1e-12,
          learningRate: w.learningRate,
          log: false,
        });
      },
      accuracy: (test) => accuracyOf((x) => net.run(x), test),
    };
  },
};

// ---------------------------------------------------------------------------
// synaptic: neuron objects, one sample per update.

interface SynapticNetwork {
  activate(input: number[]): number[];
  propagate(rate: number, target: number[]): void;
  layers: { hidden: { set(o: object): void }[] };
}

const synapticPeer: Peer = {
  id: 'synaptic',
  label: 'synaptic',
  async init() {
    require('synaptic');
  },
  create(w, data) {
    if (w.batchSize === 0) return 'no batch mode';
    const synaptic = require('synaptic');
    const net = new synaptic.Architect.Perceptron(...w.sizes) as SynapticNetwork;
    if (w.hidden === 'relu')
      for (const layer of net.layers.hidden) layer.set({ squash: synaptic.Neuron.squash.RELU });
    const notes = [];
    if (w.batchSize > 1) notes.push('one sample per update (no minibatch)');
    if (w.output === 'softmax') notes.push('logistic outputs (no softmax)');
    return {
      note: notes.join('; ') || undefined,
      train(count, epochs) {
        const { inputs, targets } = data.train;
        for (let e = 0; e < epochs; e++) {
          for (let i = 0; i < count; i++) {
            net.activate(inputs[i]);
            net.propagate(w.learningRate, targets[i]);
          }
        }
      },
      accuracy: (test) => accuracyOf((x) => net.activate(x), test),
    };
  },
};

// ---------------------------------------------------------------------------
// ConvNetJS: Net + Trainer, which accumulates gradients over batch_size samples.

interface ConvVol {
  w: Float64Array;
}
interface ConvNet {
  makeLayers(defs: object[]): void;
  forward(v: ConvVol): ConvVol;
}

const convnetPeer: Peer = {
  id: 'convnetjs',
  label: 'ConvNetJS',
  async init() {
    require('convnetjs');
  },
  create(w, data) {
    const convnetjs = require('convnetjs');
    const layers: object[] = [{ type: 'input', out_sx: 1, out_sy: 1, out_depth: w.sizes[0] }];
    for (let i = 1; i < w.sizes.length - 1; i++) {
      layers.push({ type: 'fc', num_neurons: w.sizes[i], activation: w.hidden });
    }
    const outputs = w.sizes[w.sizes.length - 1];
    if (w.output === 'softmax') layers.push({ type: 'softmax', num_classes: outputs });
    else if (w.output === 'sigmoid')
      layers.push(
        { type: 'fc', num_neurons: outputs, activation: 'sigmoid' },
        { type: 'regression', num_neurons: outputs },
      );
    else layers.push({ type: 'fc', num_neurons: outputs }, { type: 'regression', num_neurons: outputs });
    const net = new convnetjs.Net() as ConvNet;
    net.makeLayers(layers);
    const n = data.line ? data.line.x.length : data.train.inputs.length;
    const trainer = new convnetjs.Trainer(net, {
      method: 'sgd',
      learning_rate: w.learningRate,
      batch_size: w.batchSize === 0 ? n : w.batchSize,
      momentum: 0,
      l2_decay: 0,
    });
    const size = w.sizes[0];
    const vols: ConvVol[] = [];
    const labels: (number | number[])[] = [];
    if (!data.line) {
      for (let i = 0; i < data.train.inputs.length; i++) {
        const v = new convnetjs.Vol(1, 1, size, 0) as ConvVol;
        v.w.set(data.train.inputs[i]);
        vols.push(v);
        labels.push(w.output === 'softmax' ? argmax(data.train.targets[i]) : data.train.targets[i]);
      }
    }
    const one = new convnetjs.Vol(1, 1, 1, 0) as ConvVol;
    const target = [0];
    return {
      note: w.output === 'sigmoid' ? 'sigmoid layer then a regression layer' : undefined,
      train(count, epochs) {
        for (let e = 0; e < epochs; e++) {
          if (data.line) {
            // One Vol reused: a million Vol objects would measure the allocator.
            for (let i = 0; i < count; i++) {
              one.w[0] = data.line.x[i];
              target[0] = data.line.d[i];
              trainer.train(one, target);
            }
          } else {
            for (let i = 0; i < count; i++) trainer.train(vols[i], labels[i]);
          }
        }
      },
      accuracy(test) {
        const v = new convnetjs.Vol(1, 1, size, 0) as ConvVol;
        return accuracyOf((x) => {
          v.w.set(x);
          return net.forward(v).w;
        }, test);
      },
    };
  },
};

// ---------------------------------------------------------------------------
// ml-fnn: full-batch gradient descent of a softmax classifier, tanh hidden layers.

interface Fnn {
  train(features: number[][], labels: number[]): void;
  predict(features: number[][]): number[];
}

const fnnPeer: Peer = {
  id: 'ml-fnn',
  label: 'ml-fnn',
  async init() {
    require('ml-fnn');
  },
  create(w, data) {
    if (w.output !== 'softmax') return 'classifier only (softmax outputs): cannot express this network';
    if (w.batchSize === 1) return 'full-batch training only: no per-sample updates';
    const FNN = require('ml-fnn') as new (o: object) => Fnn;
    const labels = data.train.targets.map(argmax);
    let net: Fnn | null = null;
    return {
      // ml-fnn's constructor check `activation in Object.keys(...)` turns every name into tanh.
      note: 'full batch (one update per epoch); tanh hidden layers',
      train(count, epochs) {
        net ??= new FNN({
          hiddenLayers: w.sizes.slice(1, -1),
          iterations: epochs,
          learningRate: w.learningRate,
          regularization: 1e-12,
        });
        (net as unknown as { iterations: number }).iterations = epochs;
        net.train(data.train.inputs.slice(0, count), labels.slice(0, count));
      },
      accuracy(test) {
        const predicted = net!.predict(test.inputs);
        let right = 0;
        for (let i = 0; i < predicted.length; i++) if (predicted[i] === argmax(test.targets[i])) right++;
        return right / predicted.length;
      },
    };
  },
};

/** Every library, backprop first. */
export const PEERS: Peer[] = [
  backpropPeer('backprop', 'backprop (default)', 'default'),
  backpropPeer('backprop-1t', 'backprop (wasm, 1 thread)', 'wasm'),
  backpropPeer('backprop-js', 'backprop (js reference)', 'js'),
  tfjsPeer('wasm'),
  tfjsPeer('cpu'),
  brainPeer,
  synapticPeer,
  convnetPeer,
  fnnPeer,
];
