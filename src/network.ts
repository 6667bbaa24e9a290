/**
 * A multilayer perceptron in the notes' notation. Layers are numbered
 * n = 1..N (N is the output layer) and stored at index n-1; layer n has m_n
 * nodes (`units`), and m_0 is the number of `inputs`.
 *
 * | notes | code |
 * |---|---|
 * | w^(n)_mi, from output m of layer n-1 to node i of layer n | `layers[n-1].weights`, fan-in x units, row-major: element `m * units + i` |
 * | w_0, the bias of node i | `layers[n-1].biases`, 1 x units |
 * | psi^(n) | `layers[n-1].activation` |
 *
 * @module
 */
import { type ActivationName, activation as activationRecord } from './activations.js';
import { type Backend, DEFAULT_DTYPE, type DType, type Matrix } from './backend/backend.js';
import { getBackend } from './backend/index.js';
import { type MatrixInput, toMatrix, toRows } from './data/tensor.js';
import { dropoutProblem } from './dropout.js';
import { BackpropError } from './errors.js';
// The step trace runs on propagation alone (it names Network only as a type), so
// Network.explain stays synchronous; training is loaded lazily by Network.fit.
import { type ExplainOptions, explain as explainStep, type StepTrace } from './explain.js';
import { INIT_NAMES, type InitName, initWeights } from './init.js';
import {
  MODEL_FORMAT,
  MODEL_VERSION,
  type ModelFile,
  type ModelMeta,
  parseModel,
  validateModel,
} from './model/format.js';
import { FORWARD_CHUNK, forwardInChunks } from './propagation.js';
import { Random } from './random.js';
import type { FitOptions, History, TrainingSource } from './train/fit.js';

/** One layer as given to the {@link Network} constructor. */
export interface LayerSpec {
  /** m_n, the number of nodes. */
  units: number;
  /** psi^(n); default `sigmoid`, the notes' activation. */
  activation?: ActivationName;
  /** Initialisation of this layer's weights; default from the activation (He for rectifiers, Xavier otherwise). */
  init?: InitName;
  /**
   * Dropout rate p in [0, 1) of a hidden layer while training (default 0):
   * each node is dropped with probability p and the kept ones scaled by
   * 1/(1-p), so predicting needs no rescaling. Not on the output layer.
   */
  dropout?: number;
}

/** Options of the {@link Network} constructor. */
export interface NetworkOptions {
  /** m_0, the number of inputs. */
  inputs: number;
  /** Layers 1..N; the last is the output layer. */
  layers: LayerSpec[];
  /** Seed of the initial weights; default 0. The same seed gives the same weights everywhere. */
  seed?: number;
  /** `float32` (default, fast) or `float64` (to compare with an oracle). */
  dtype?: DType;
  /** Initialisation of every layer that does not name its own. */
  init?: InitName;
  /** The backend holding the matrices; default {@link getBackend}(). */
  backend?: Backend;
}

/** Layer n of a network: its weights, biases and activation. */
export interface Layer {
  /** n, counted from 1. */
  readonly n: number;
  /** m_{n-1}: inputs of each node. */
  readonly fanIn: number;
  /** m_n. */
  readonly units: number;
  readonly activation: ActivationName;
  /** Dropout rate p while training; 0 for none. */
  readonly dropout: number;
  /** w^(n), fan-in x units. */
  readonly weights: Matrix;
  /** b^(n), 1 x units. */
  readonly biases: Matrix;
}

function checkWhole(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 1) {
    throw new BackpropError(`${what}: expected a whole number of at least 1, got ${String(x)}`);
  }
  return x;
}

/**
 * A multilayer perceptron.
 *
 * @example
 * ```ts
 * const net = new Network({ inputs: 2, layers: [{ units: 4, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }], seed: 1 });
 * await net.fit([[0, 0], [0, 1], [1, 0], [1, 1]], [[0], [1], [1], [0]], { mode: 'batch', learningRate: 0.5, epochs: 2000 });
 * net.predict([[1, 0]]); // [[0.98...]]
 * ```
 */
export class Network {
  /** m_0. */
  readonly inputs: number;
  /** Layers n = 1..N at index n-1. */
  readonly layers: readonly Layer[];
  readonly dtype: DType;
  readonly backend: Backend;
  /** The seed the weights were drawn with (undefined for a loaded model). */
  readonly seed: number | undefined;
  /** Optional fields of the model file (columns, scaling, classes, settings), kept as they are. */
  meta: ModelMeta = {};

  constructor(options: NetworkOptions) {
    if (typeof options !== 'object' || options === null)
      throw new BackpropError('Network: expected an options object');
    this.inputs = checkWhole(options.inputs, 'inputs');
    this.dtype = options.dtype ?? DEFAULT_DTYPE;
    if (this.dtype !== 'float32' && this.dtype !== 'float64') {
      throw new BackpropError(`dtype: expected float32 or float64, got ${String(this.dtype)}`);
    }
    if (!Array.isArray(options.layers) || options.layers.length === 0) {
      throw new BackpropError('layers: expected at least one layer');
    }
    if (options.init !== undefined && !INIT_NAMES.includes(options.init)) {
      throw new BackpropError(
        `init: unknown '${String(options.init)}', expected one of ${INIT_NAMES.join(', ')}`,
      );
    }
    this.backend = options.backend ?? getBackend();
    this.seed = options.seed ?? 0;
    const random = new Random(this.seed);
    let fanIn = this.inputs;
    this.layers = options.layers.map((spec, index) => {
      const at = `layers[${index}]`;
      const units = checkWhole(spec?.units, `${at}.units`);
      const name = spec.activation ?? 'sigmoid';
      let record: ReturnType<typeof activationRecord>;
      try {
        record = activationRecord(name);
      } catch (e) {
        throw new BackpropError(`${at}.activation: ${(e as Error).message}`);
      }
      const scheme = spec.init ?? options.init ?? record.defaultInit;
      if (!INIT_NAMES.includes(scheme)) {
        throw new BackpropError(
          `${at}.init: unknown '${String(scheme)}', expected one of ${INIT_NAMES.join(', ')}`,
        );
      }
      const dropout = spec.dropout ?? 0;
      const problem = dropoutProblem(dropout, index === options.layers.length - 1);
      if (problem) throw new BackpropError(`${at}.dropout: ${problem}`);
      const weights = this.backend.matrix(fanIn, units, this.dtype);
      initWeights(weights.data, fanIn, units, scheme, random);
      const layer: Layer = {
        n: index + 1,
        fanIn,
        units,
        activation: name,
        dropout,
        weights,
        biases: this.backend.matrix(1, units, this.dtype),
      };
      fanIn = units;
      return layer;
    });
  }

  /** m_N, the number of output nodes. */
  get outputs(): number {
    return this.layers[this.layers.length - 1].units;
  }

  /** The output activation psi^(N). */
  get outputActivation(): ActivationName {
    return this.layers[this.layers.length - 1].activation;
  }

  /** Number of weights and biases. */
  get parameterCount(): number {
    return this.layers.reduce((sum, l) => sum + (l.fanIn + 1) * l.units, 0);
  }

  /**
   * The network's outputs y for each row of `inputs` (n x m_0), as n rows of m_N numbers.
   * Works through the batch in chunks, so any number of rows is fine.
   */
  predict(inputs: MatrixInput): number[][] {
    const x = toMatrix(inputs, this.backend, this.dtype, 'inputs', this.inputs);
    const result: number[][] = [];
    try {
      forwardInChunks(this, x, FORWARD_CHUNK, (out) => {
        for (const row of toRows(out)) result.push(row);
      });
    } finally {
      this.backend.free(x);
    }
    return result;
  }

  /**
   * Trains the network by gradient descent (see {@link FitOptions} for the modes,
   * rates, optimizers and stopping rules) and resolves to the history of costs.
   * `targets` is null when `inputs` is a stream of `{ inputs, targets }` chunks.
   * The same as `fit(net, ...)`; the training code is loaded on the first call,
   * so that code which only predicts does not carry it.
   */
  async fit(inputs: TrainingSource, targets: MatrixInput | null, options: FitOptions = {}): Promise<History> {
    const { fit } = await import('./train/fit.js');
    return fit(this, inputs, targets, options);
  }

  /**
   * One step of plain gradient descent on `inputs` and `targets`, every
   * intermediate value returned in the notes' terms (docs/design.md, "Step trace"). The network
   * itself is not changed.
   */
  explain(inputs: MatrixInput, targets: MatrixInput, options: ExplainOptions): StepTrace {
    return explainStep(this, inputs, targets, options);
  }

  /** The weights and biases as plain arrays, layer by layer. */
  getWeights(): { weights: number[][]; biases: number[] }[] {
    return this.layers.map((l) => ({ weights: toRows(l.weights), biases: Array.from(l.biases.data) }));
  }

  /** Overwrites every weight and bias (shapes must match). */
  setWeights(layers: readonly { weights: readonly ArrayLike<number>[]; biases: ArrayLike<number> }[]): void {
    if (layers.length !== this.layers.length) {
      throw new BackpropError(`setWeights: expected ${this.layers.length} layers, got ${layers.length}`);
    }
    layers.forEach((given, i) => {
      const layer = this.layers[i];
      const w = toMatrix(given.weights, this.backend, this.dtype, `layers[${i}].weights`, layer.units);
      if (w.rows !== layer.fanIn) {
        throw new BackpropError(`layers[${i}].weights: expected ${layer.fanIn} rows, got ${w.rows}`);
      }
      const b = toMatrix([given.biases], this.backend, this.dtype, `layers[${i}].biases`, layer.units);
      this.backend.copy(w, layer.weights);
      this.backend.copy(b, layer.biases);
      this.backend.free(w);
      this.backend.free(b);
    });
  }

  /** A copy of this network, with its own storage, on the same or another dtype. */
  clone(options: { dtype?: DType; backend?: Backend } = {}): Network {
    return Network.fromJSON(this.toJSON(), {
      dtype: options.dtype ?? this.dtype,
      backend: options.backend ?? this.backend,
    });
  }

  /**
   * The model file (format v1, docs/design.md, "Model file") of this network, with `meta` (or
   * the network's own {@link Network.meta}) as its optional fields.
   */
  toJSON(meta: ModelMeta = this.meta): ModelFile {
    return {
      format: MODEL_FORMAT,
      version: MODEL_VERSION,
      inputs: this.inputs,
      dtype: this.dtype,
      layers: this.layers.map((l) => ({
        units: l.units,
        activation: l.activation,
        ...(l.dropout > 0 ? { dropout: l.dropout } : {}),
        weights: toRows(l.weights),
        biases: Array.from(l.biases.data),
      })),
      ...stripReserved(meta),
    };
  }

  /**
   * A network from a model file (an object or its JSON text), in the file's
   * `dtype` unless `options.dtype` says otherwise (float32 when the file has none).
   * Throws a {@link ModelFormatError} naming the field when the file is not valid format v1.
   */
  static fromJSON(json: unknown, options: { dtype?: DType; backend?: Backend } = {}): Network {
    const model = typeof json === 'string' ? parseModel(json) : validateModel(json);
    const net = new Network({
      inputs: model.inputs,
      layers: model.layers.map((l) => ({ units: l.units, activation: l.activation, dropout: l.dropout })),
      dtype: options.dtype ?? model.dtype,
      backend: options.backend,
    });
    (net as { seed: number | undefined }).seed = undefined;
    net.setWeights(model.layers);
    const { format: _f, version: _v, inputs: _i, layers: _l, dtype: _d, ...meta } = model;
    net.meta = meta;
    return net;
  }
}

function stripReserved(meta: ModelMeta): ModelMeta {
  const {
    format: _f,
    version: _v,
    inputs: _i,
    layers: _l,
    dtype: _d,
    ...rest
  } = meta as ModelMeta & Partial<ModelFile>;
  return rest;
}
