/**
 * The workloads of the benchmark (issue 4), and the shape every library is
 * asked to train.
 *
 * @module
 */

/** Identifiers of the workloads, in table order. */
export const WORKLOADS = [
  'mnist-minibatch',
  'mnist-sequential',
  'wide',
  'xor',
  'iris',
  'linear',
  'digits',
] as const;
export type WorkloadId = (typeof WORKLOADS)[number];

/** One workload: what to build and how to train it. */
export interface Workload {
  id: WorkloadId;
  /** The workload number and a short description, for the table. */
  title: string;
  /** Layer sizes from the inputs to the outputs. */
  sizes: number[];
  hidden: 'relu' | 'sigmoid' | 'tanh' | 'linear';
  output: 'softmax' | 'sigmoid' | 'linear';
  loss: 'cross-entropy' | 'squared';
  /** The optimizer; default plain steepest descent (sgd). Only backprop and the Python peers run Adam. */
  optimizer?: 'adam';
  /** Examples per update; 0 means the whole set (batch mode). */
  batchSize: number;
  learningRate: number;
  /** Epochs of the full measurement. */
  epochs: number;
  /** What the rate counts. */
  unit: 'samples/s' | 'epochs/s';
}

export const WORKLOAD: Record<WorkloadId, Workload> = {
  'mnist-minibatch': {
    id: 'mnist-minibatch',
    title: '1. MNIST 784-128-10, minibatch 64',
    sizes: [784, 128, 10],
    hidden: 'relu',
    output: 'softmax',
    loss: 'cross-entropy',
    batchSize: 64,
    learningRate: 0.1,
    epochs: 2,
    unit: 'samples/s',
  },
  'mnist-sequential': {
    id: 'mnist-sequential',
    title: '2. MNIST 784-128-10, one sample per update',
    sizes: [784, 128, 10],
    hidden: 'relu',
    output: 'softmax',
    loss: 'cross-entropy',
    batchSize: 1,
    learningRate: 0.01,
    epochs: 1,
    unit: 'samples/s',
  },
  wide: {
    id: 'wide',
    title: '3. MNIST 784-1024-1024-10, minibatch 256',
    sizes: [784, 1024, 1024, 10],
    hidden: 'relu',
    output: 'softmax',
    loss: 'cross-entropy',
    batchSize: 256,
    learningRate: 0.05,
    epochs: 1,
    unit: 'samples/s',
  },
  xor: {
    id: 'xor',
    title: '4a. XOR 2-4-1, one sample per update',
    sizes: [2, 4, 1],
    hidden: 'sigmoid',
    output: 'sigmoid',
    loss: 'squared',
    batchSize: 1,
    learningRate: 0.5,
    // A million updates: long enough (a few tenths of a second) to time steadily.
    epochs: 250_000,
    unit: 'samples/s',
  },
  iris: {
    id: 'iris',
    title: '4b. iris 4-8-3, one sample per update',
    sizes: [4, 8, 3],
    hidden: 'sigmoid',
    output: 'softmax',
    loss: 'cross-entropy',
    batchSize: 1,
    learningRate: 0.05,
    epochs: 5000,
    unit: 'samples/s',
  },
  linear: {
    id: 'linear',
    title: '5. linear neuron, batch SSE, 10^6 points',
    sizes: [1, 1],
    hidden: 'linear',
    output: 'linear',
    loss: 'squared',
    batchSize: 0,
    learningRate: 1e-7,
    epochs: 50,
    unit: 'epochs/s',
  },
  digits: {
    id: 'digits',
    title: '6. digits 64-64-10, Adam, minibatch 32',
    sizes: [64, 64, 10],
    hidden: 'relu',
    output: 'softmax',
    loss: 'cross-entropy',
    optimizer: 'adam',
    batchSize: 32,
    learningRate: 0.001,
    epochs: 30,
    unit: 'samples/s',
  },
};

/** Multiply-adds of one example through the network, times 2 (forward) plus 4 (the two backward products). */
export function flopsPerSample(sizes: number[]): number {
  let weights = 0;
  for (let i = 1; i < sizes.length; i++) weights += sizes[i - 1] * sizes[i];
  return 6 * weights;
}
