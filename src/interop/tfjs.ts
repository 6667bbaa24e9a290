/**
 * TensorFlow.js layers format out and in: a `model.json` whose topology is a
 * Keras `Sequential` of `Dense` layers (plus a `LeakyReLU` layer after a linear
 * Dense for leaky-relu, which Keras has no activation name for), and one binary
 * weights file of float32 values, kernel (fan-in x units, as ours) then bias per
 * layer. `tf.loadLayersModel` loads the pair.
 *
 * @module
 */
import type { ActivationName } from '../backend/backend.js';
import {
  checkFinite,
  decodeFloats,
  encodeFloats,
  flatten,
  InteropError,
  LEAKY_SLOPE,
  type ModelFile,
  type ModelLayer,
  modelOf,
  optionalFields,
  type ReadableDType,
  unflatten,
  validateModel,
} from './common.js';

/** One weight's entry in a weights manifest. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

/** A layers-format `model.json`, as `tf.loadLayersModel` reads it. */
export interface TfjsModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: string | null;
  modelTopology: { class_name: string; config: unknown; keras_version?: string; backend?: string };
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
  /** The model file's optional fields (columns, scaling, classes, settings), under `backprop`. */
  userDefinedMetadata?: { backprop?: Record<string, unknown> };
}

/** Options of {@link toTfjs}. */
export interface TfjsExportOptions {
  /** The weights file's path relative to `model.json`. Default `model.weights.bin`. */
  weightsPath?: string;
}

/** The Keras activation names of ours (leaky-relu is a separate LeakyReLU layer). */
const KERAS_ACTIVATION: Record<Exclude<ActivationName, 'leaky-relu'>, string> = {
  linear: 'linear',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  relu: 'relu',
  elu: 'elu',
  softplus: 'softplus',
  gelu: 'gelu',
  softmax: 'softmax',
};

/**
 * The TensorFlow.js layers model of `model`: `modelJson` to save as
 * `model.json`, `weightsBin` (little-endian float32, every kernel fan-in x units
 * then its bias) to save beside it under `weightsPath`. Each layer is a Dense
 * with our activation (gelu is Keras's exact gelu); leaky-relu is a linear Dense
 * followed by LeakyReLU(alpha 0.01). TensorFlow.js holds float32 only, so a
 * float64 weight is rounded. The optional fields go to `userDefinedMetadata.backprop`;
 * the model takes inputs already scaled, as the network does.
 *
 * @example
 * const { modelJson, weightsBin } = toTfjs(net.toJSON());
 * const tfModel = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology,
 *   weightSpecs: modelJson.weightsManifest[0].weights, weightData: weightsBin.buffer }));
 */
export function toTfjs(
  model: ModelFile,
  options: TfjsExportOptions = {},
): { modelJson: TfjsModelJson; weightsBin: Uint8Array } {
  validateModel(model);
  const layers: unknown[] = [];
  const specs: TfjsWeightSpec[] = [];
  const values: number[] = [];
  model.layers.forEach((layer, n) => {
    const name = `dense_${n + 1}`;
    const config: Record<string, unknown> = {
      name,
      trainable: true,
      units: layer.units,
      activation: layer.activation === 'leaky-relu' ? 'linear' : KERAS_ACTIVATION[layer.activation],
      use_bias: true,
      kernel_initializer: { class_name: 'Zeros', config: {} },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    };
    if (n === 0) {
      config.batch_input_shape = [null, model.inputs];
      config.dtype = 'float32';
    }
    layers.push({ class_name: 'Dense', config });
    if (layer.activation === 'leaky-relu') {
      layers.push({
        class_name: 'LeakyReLU',
        config: { name: `leaky_re_lu_${n + 1}`, trainable: true, alpha: LEAKY_SLOPE },
      });
    }
    specs.push({ name: `${name}/kernel`, shape: [layer.weights.length, layer.units], dtype: 'float32' });
    specs.push({ name: `${name}/bias`, shape: [layer.units], dtype: 'float32' });
    values.push(...flatten(layer.weights, false), ...layer.biases);
  });
  const modelJson: TfjsModelJson = {
    format: 'layers-model',
    generatedBy: 'backprop',
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name: 'backprop_mlp', layers },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: [options.weightsPath ?? 'model.weights.bin'], weights: specs }],
    userDefinedMetadata: { backprop: optionalFields(model) },
  };
  return { modelJson, weightsBin: encodeFloats(values, 'float32') };
}

// ---------------------------------------------------------------- reading

interface KerasLayer {
  class_name?: string;
  config?: Record<string, unknown>;
  inbound_nodes?: unknown;
  name?: string;
}

/** The Keras layer classes an MLP can be read from. */
const LAYER_CLASSES = [
  'InputLayer',
  'Dropout',
  'Flatten',
  'Dense',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'Softmax',
];

const READABLE: Record<string, ReadableDType> = { float32: 'float32', float16: 'float16' };

/** Names of the layers whose outputs feed a functional model's layer, in the Keras 2 or 3 forms. */
function inboundNames(layer: KerasLayer): string[] {
  const names: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) {
      // Keras 2: [["dense", 0, 0, {}], ...]
      if (typeof x[0] === 'string' && typeof x[1] === 'number') names.push(x[0]);
      else x.forEach(walk);
    } else if (x && typeof x === 'object') {
      const history = (x as Record<string, unknown>).keras_history;
      if (Array.isArray(history) && typeof history[0] === 'string') names.push(history[0]);
      else Object.values(x).forEach(walk);
    }
  };
  walk(layer.inbound_nodes);
  return names;
}

function kerasActivation(raw: unknown, where: string): ActivationName {
  const name = typeof raw === 'string' ? raw : (raw as { class_name?: string } | null)?.class_name;
  switch (name) {
    case undefined:
    case null:
    case 'linear':
      return 'linear';
    case 'sigmoid':
    case 'tanh':
    case 'relu':
    case 'elu':
    case 'softplus':
    case 'softmax':
    case 'gelu':
      return name;
    default:
      throw new InteropError(`${where} uses the activation '${name}', which backprop does not have`);
  }
}

/**
 * The model file of a TensorFlow.js layers model made of Dense layers: a
 * `Sequential`, or a functional model whose layers form a chain. Accepted layers:
 * InputLayer, Dense (activations linear, sigmoid, tanh, relu, elu, softplus,
 * gelu, softmax), then optionally an Activation, ReLU, ELU (alpha 1), Softmax
 * (last axis) or LeakyReLU (alpha 0.01) layer; Dropout and Flatten of a
 * [batch, m] input pass through. `weightData` is the weights file, or every
 * shard in manifest order concatenated, or a map from manifest path to bytes.
 * Anything else (Conv2D, Add, BatchNormalization, a quantized weight) throws an
 * {@link InteropError} naming it.
 *
 * @example
 * const modelJson = JSON.parse(readFileSync('out/model.json', 'utf8'));
 * const model = fromTfjs(modelJson, { 'model.weights.bin': readFileSync('out/model.weights.bin') });
 */
export function fromTfjs(
  modelJson: unknown,
  weightData: Uint8Array | ArrayBuffer | Record<string, Uint8Array>,
): ModelFile {
  const json = (typeof modelJson === 'string' ? JSON.parse(modelJson) : modelJson) as Record<string, unknown>;
  if (!json || typeof json !== 'object' || !json.modelTopology) {
    throw new InteropError('not a TensorFlow.js layers model: model.json has no modelTopology');
  }
  // Converted from Keras, the topology nests the model under model_config.
  let topology = json.modelTopology as Record<string, unknown>;
  if (topology.model_config) topology = topology.model_config as Record<string, unknown>;
  const className = topology.class_name as string;
  if (!['Sequential', 'Model', 'Functional'].includes(className)) {
    throw new InteropError(
      `the model is a '${className}'; only Sequential and functional models of Dense layers are supported`,
    );
  }
  const config = topology.config as Record<string, unknown> | unknown[];
  const kerasLayers = (Array.isArray(config) ? config : (config.layers as KerasLayer[])) as KerasLayer[];
  if (!Array.isArray(kerasLayers))
    throw new InteropError('model.json: modelTopology.config.layers is not a list');

  const manifest = (json.weightsManifest ?? [{ paths: [], weights: json.weightSpecs ?? [] }]) as {
    paths: string[];
    weights: TfjsWeightSpec[];
  }[];
  const weights = readWeights(manifest, weightData);

  const layers: ModelLayer[] = [];
  let inputs: number | undefined;
  let previous: string | undefined;
  let lastWasActivation = false;
  const setActivation = (activation: ActivationName, where: string) => {
    const last = layers[layers.length - 1];
    if (!last || lastWasActivation || last.activation !== 'linear') {
      throw new InteropError(
        `${where} applies an activation to something other than a linear Dense layer's output`,
      );
    }
    last.activation = activation;
    lastWasActivation = true;
  };
  const label = (layer: KerasLayer) => {
    const cls = layer.class_name ?? '?';
    const name = (layer.config?.name as string) ?? layer.name ?? cls;
    return { cls, name, where: `layer '${name}' (${cls})` };
  };
  // The structure first, so that a convolution or a residual join is named before any weight is read.
  for (const layer of kerasLayers) {
    const { cls, name, where } = label(layer);
    if (className !== 'Sequential') {
      const inbound = inboundNames(layer);
      if (inbound.length > 1) {
        throw new InteropError(
          `${where} joins ${inbound.length} tensors (${inbound.join(', ')}); an MLP is a chain`,
        );
      }
      if (cls !== 'InputLayer' && inbound[0] !== previous) {
        throw new InteropError(
          `${where} takes '${inbound[0]}' rather than the layer before it; an MLP is a chain`,
        );
      }
      previous = name;
    }
    if (!LAYER_CLASSES.includes(cls)) {
      throw new InteropError(
        `${where} cannot be expressed by a multilayer perceptron, which is a chain of Dense layers`,
      );
    }
  }
  for (const layer of kerasLayers) {
    const { cls, name, where } = label(layer);
    const cfg = layer.config ?? {};
    const shape = (cfg.batch_input_shape ?? cfg.batch_shape ?? cfg.batchInputShape) as
      | (number | null)[]
      | undefined;
    if (shape) {
      if (shape.length !== 2)
        throw new InteropError(`${where} takes inputs of shape [${shape}]; an MLP takes [batch, inputs]`);
      inputs ??= shape[1] ?? undefined;
    }
    switch (cls) {
      case 'InputLayer':
      case 'Dropout':
        break;
      case 'Flatten':
        if (layers.length)
          throw new InteropError(`${where} after a Dense layer; an MLP's tensors are already flat`);
        break;
      case 'Dense': {
        const units = cfg.units as number;
        const fanIn = layers.length ? layers[layers.length - 1].units : inputs;
        const kernel = weights.take(name, 'kernel', where);
        if (
          kernel.shape.length !== 2 ||
          kernel.shape[1] !== units ||
          (fanIn !== undefined && kernel.shape[0] !== fanIn)
        ) {
          throw new InteropError(
            `${where}: kernel has shape [${kernel.shape}], expected [${fanIn ?? 'inputs'}, ${units}]`,
          );
        }
        inputs ??= kernel.shape[0];
        const useBias = cfg.use_bias !== false;
        const bias = useBias ? weights.take(name, 'bias', where) : undefined;
        if (bias && (bias.shape.length !== 1 || bias.shape[0] !== units)) {
          throw new InteropError(`${where}: bias has shape [${bias.shape}], expected [${units}]`);
        }
        layers.push({
          units,
          activation: kerasActivation(cfg.activation, where),
          weights: unflatten(kernel.values, kernel.shape[0], units, false),
          biases: bias ? Array.from(bias.values) : new Array(units).fill(0),
        });
        lastWasActivation = false;
        break;
      }
      case 'Activation':
        setActivation(kerasActivation(cfg.activation, where), where);
        break;
      case 'ReLU':
        if (
          (cfg.max_value ?? null) !== null ||
          Number(cfg.negative_slope ?? 0) !== 0 ||
          Number(cfg.threshold ?? 0) !== 0
        ) {
          throw new InteropError(`${where} has a maximum, slope or threshold; backprop's relu is max(0, v)`);
        }
        setActivation('relu', where);
        break;
      case 'LeakyReLU': {
        const alpha = Number(cfg.alpha ?? cfg.negative_slope ?? 0.3);
        if (Math.abs(alpha - LEAKY_SLOPE) > 1e-9) {
          throw new InteropError(`${where} has slope alpha = ${alpha}; backprop's leaky-relu has slope 0.01`);
        }
        setActivation('leaky-relu', where);
        break;
      }
      case 'ELU':
        if (Number(cfg.alpha ?? 1) !== 1)
          throw new InteropError(`${where} has alpha = ${cfg.alpha}; backprop's elu has alpha 1`);
        setActivation('elu', where);
        break;
      case 'Softmax': {
        const axis = cfg.axis ?? -1;
        if (
          axis !== -1 &&
          axis !== 1 &&
          !(Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 1))
        ) {
          throw new InteropError(
            `${where} over axis ${JSON.stringify(axis)}; an MLP's softmax is over each row`,
          );
        }
        setActivation('softmax', where);
        break;
      }
      default:
        throw new InteropError(
          `${where} cannot be expressed by a multilayer perceptron, which is a chain of Dense layers`,
        );
    }
  }
  if (!layers.length) throw new InteropError('the model has no Dense layer');
  const optional = ((json.userDefinedMetadata as Record<string, unknown> | undefined)?.backprop ??
    {}) as Record<string, unknown>;
  return modelOf(layers, optional);
}

/** The weights of a manifest, looked up by layer name and kind, each used once. */
function readWeights(
  manifest: { paths: string[]; weights: TfjsWeightSpec[] }[],
  weightData: Uint8Array | ArrayBuffer | Record<string, Uint8Array>,
) {
  let bytes: Uint8Array;
  if (weightData instanceof ArrayBuffer) bytes = new Uint8Array(weightData);
  else if (weightData instanceof Uint8Array) bytes = weightData;
  else {
    const parts = manifest.flatMap((group) =>
      group.paths.map((path) => {
        const part = weightData[path];
        if (!part) throw new InteropError(`the weights file '${path}' named in model.json is missing`);
        return part;
      }),
    );
    bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
  }
  const tensors: { name: string; shape: number[]; values: Float64Array }[] = [];
  let offset = 0;
  for (const spec of manifest.flatMap((group) => group.weights)) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.quantization)
      throw new InteropError(`weight '${spec.name}' is quantized; export it unquantized (float32)`);
    const dtype = READABLE[spec.dtype];
    if (!dtype)
      throw new InteropError(`weight '${spec.name}' has dtype ${spec.dtype}; weights must be float32`);
    const size = count * (dtype === 'float32' ? 4 : 2);
    if (offset + size > bytes.length) {
      throw new InteropError(
        `the weights data ends before weight '${spec.name}' (needs ${offset + size} bytes, has ${bytes.length})`,
      );
    }
    const values = decodeFloats(bytes.subarray(offset, offset + size), dtype, count);
    checkFinite(values, `weight '${spec.name}'`);
    tensors.push({ name: spec.name, shape: spec.shape, values });
    offset += size;
  }
  if (offset !== bytes.length)
    throw new InteropError(`the weights data has ${bytes.length} bytes; the manifest describes ${offset}`);
  const taken = new Set<string>();
  return {
    take(layer: string, kind: 'kernel' | 'bias', where: string) {
      const tensor = tensors.find(
        (t) => !taken.has(t.name) && (t.name === `${layer}/${kind}` || t.name.endsWith(`/${layer}/${kind}`)),
      );
      if (!tensor) throw new InteropError(`${where}: no weight '${layer}/${kind}' in the manifest`);
      taken.add(tensor.name);
      return tensor;
    },
  };
}
