/**
 * safetensors out and in, laid out as the state dict of a PyTorch `nn.Sequential`
 * of `Linear` and activation modules: tensors `0.weight` (units x fan-in, "out x
 * in"), `0.bias`, then `2.weight`... where the module between two Linear modules
 * is the activation (none for a linear layer, so indices run on by one).
 *
 * The file format (https://github.com/huggingface/safetensors): 8 bytes holding
 * the header's length N as a little-endian unsigned 64-bit integer, N bytes of
 * UTF-8 JSON (padded with spaces to a multiple of 8) mapping each tensor name to
 * `{ dtype, shape, data_offsets: [begin, end] }` plus an optional
 * `__metadata__` of string values, then the tensors' bytes, little-endian,
 * row-major, back to back, offsets counted from the end of the header.
 *
 * @module
 */
import type { ActivationName } from '../backend/backend.js';
import {
  ACTIVATIONS,
  checkFinite,
  decodeFloats,
  dtypeWidth,
  encodeFloats,
  flatten,
  InteropError,
  type ModelFile,
  type ModelLayer,
  modelOf,
  optionalFields,
  type ReadableDType,
  type TensorDType,
  unflatten,
  validateModel,
} from './common.js';

/** Options of {@link toSafetensors}. */
export interface SafetensorsExportOptions {
  /** Element type of the tensors: `float32` (PyTorch's default, the default here) or `float64`. */
  dtype?: TensorDType;
  /** The file name the printed Python reads. Default `model.safetensors`. */
  fileName?: string;
}

/** Metadata keys: the optional fields as JSON, and the activations, comma-separated. */
export const SAFETENSORS_METADATA = { fields: 'backprop', activations: 'backprop.activations' } as const;

const FILE_DTYPE: Record<TensorDType, string> = { float32: 'F32', float64: 'F64' };
const READ_DTYPE: Record<string, ReadableDType> = {
  F16: 'float16',
  BF16: 'bfloat16',
  F32: 'float32',
  F64: 'float64',
};

/** The PyTorch module of each activation, as the printed Python writes it. */
const TORCH_MODULE: Record<Exclude<ActivationName, 'linear'>, string> = {
  sigmoid: 'nn.Sigmoid()',
  tanh: 'nn.Tanh()',
  relu: 'nn.ReLU()',
  'leaky-relu': 'nn.LeakyReLU(0.01)',
  elu: 'nn.ELU(alpha=1.0)',
  softplus: 'nn.Softplus()',
  gelu: 'nn.GELU()',
  softmax: 'nn.Softmax(dim=-1)',
};

/** PyTorch module names (lower case) accepted in a layer list, with what they are here. */
const TORCH_NAMES: Record<string, ActivationName> = {
  identity: 'linear',
  none: 'linear',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  relu: 'relu',
  leakyrelu: 'leaky-relu',
  leaky_relu: 'leaky-relu',
  elu: 'elu',
  softplus: 'softplus',
  gelu: 'gelu',
  softmax: 'softmax',
};

/**
 * The safetensors bytes of `model` as the state dict of the `nn.Sequential`
 * that `python` builds (Linear modules with units x fan-in weights, our
 * activation modules between them), so that `model.load_state_dict(load_file(...))`
 * takes it as it is. The optional fields and the activations travel in
 * `__metadata__`; `python` also prints the input scaling and class labels when
 * the model has them, since a state dict cannot hold them.
 *
 * @example
 * const { bytes, python } = toSafetensors(net.toJSON());
 * writeFileSync('model.safetensors', bytes); console.log(python);
 */
export function toSafetensors(
  model: ModelFile,
  options: SafetensorsExportOptions = {},
): { bytes: Uint8Array; python: string } {
  validateModel(model);
  const dtype = options.dtype ?? 'float32';
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const put = (name: string, shape: number[], values: ArrayLike<number>) => {
    const data = encodeFloats(values, dtype);
    header[name] = { dtype: FILE_DTYPE[dtype], shape, data_offsets: [offset, offset + data.length] };
    chunks.push(data);
    offset += data.length;
  };
  const modules: string[] = [];
  model.layers.forEach((layer) => {
    const k = modules.length;
    put(`${k}.weight`, [layer.units, layer.weights.length], flatten(layer.weights, true));
    put(`${k}.bias`, [layer.units], layer.biases);
    modules.push(`nn.Linear(${layer.weights.length}, ${layer.units})`);
    if (layer.activation !== 'linear') modules.push(TORCH_MODULE[layer.activation]);
  });
  header.__metadata__ = {
    format: 'pt',
    [SAFETENSORS_METADATA.fields]: JSON.stringify(optionalFields(model)),
    [SAFETENSORS_METADATA.activations]: model.layers.map((l) => l.activation).join(','),
  };
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const spaced = new Uint8Array(padded).fill(0x20);
    spaced.set(json);
    json = spaced;
  }
  const bytes = new Uint8Array(8 + json.length + offset);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  let at = 8 + json.length;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return { bytes, python: pythonSnippet(model, modules, dtype, options.fileName ?? 'model.safetensors') };
}

function pythonSnippet(model: ModelFile, modules: string[], dtype: TensorDType, fileName: string): string {
  const lines = [
    '# Needs torch and the safetensors package: pip install torch safetensors',
    'import torch',
    'from torch import nn',
    'from safetensors.torch import load_file',
    '',
    'model = nn.Sequential(',
    ...modules.map((m) => `    ${m},`),
    ')',
    ...(dtype === 'float64' ? ['model = model.double()'] : []),
    `model.load_state_dict(load_file(${JSON.stringify(fileName)}))`,
    'model.eval()',
  ];
  const pre = model.preprocessing as
    | {
        inputs?: { column?: string; kind?: string; offset?: number; scale?: number }[];
        target?: Record<string, unknown>;
      }
    | undefined;
  const numeric = Array.isArray(pre?.inputs) && pre.inputs.every((c) => c.kind === 'number');
  // Numbers with a decimal point, so that torch.tensor makes float tensors.
  const value = (x: unknown) =>
    typeof x === 'number' && Number.isInteger(x) ? x.toFixed(1) : JSON.stringify(x);
  const list = (xs: unknown[]) => `[${xs.map(value).join(', ')}]`;
  // The scaling in the model's own precision: float32 tensors would round it before a float64 network.
  const tensor = (xs: unknown[]) =>
    `torch.tensor(${list(xs)}${dtype === 'float64' ? ', dtype=torch.float64' : ''})`;
  if (model.inputColumns !== undefined) lines.push('', `input_columns = ${list(model.inputColumns)}`);
  if (numeric && pre?.inputs) {
    lines.push(
      '',
      '# The network takes scaled inputs: x_scaled = (x_raw - offset) / scale, one entry per input column.',
      `input_offset = ${tensor(pre.inputs.map((c) => c.offset))}`,
      `input_scale = ${tensor(pre.inputs.map((c) => c.scale))}`,
    );
  } else if (pre !== undefined) {
    lines.push(
      '',
      '# The network takes encoded, scaled inputs; the recipe, as backprop keeps it:',
      `# ${JSON.stringify(pre)}`,
    );
  }
  const target = pre?.target;
  if (target?.kind === 'numbers') {
    lines.push(
      '# Predictions are scaled targets: y_raw = y * scale + offset.',
      `target_offset = ${tensor(target.offset as number[])}`,
      `target_scale = ${tensor(target.scale as number[])}`,
    );
  }
  if (model.classes !== undefined) {
    lines.push(
      target?.binary === true
        ? '# The one output node is the probability of classes[1]:'
        : '# Output node i is the probability of classes[i]:',
      `classes = ${list(model.classes)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Reads a layer list: one activation per Linear layer, comma-separated or as an
 * array, in backprop's names (`relu`, `leaky-relu`, `linear`...) or PyTorch's
 * module names (`ReLU`, `LeakyReLU`, `Identity`...).
 */
export function parseLayerSpec(spec: string | readonly string[]): ActivationName[] {
  const names = typeof spec === 'string' ? spec.split(',') : [...spec];
  return names.map((raw) => {
    const name = raw.trim();
    if ((ACTIVATIONS as readonly string[]).includes(name)) return name as ActivationName;
    const torch = TORCH_NAMES[name.toLowerCase().replace(/\(.*\)$/, '')];
    if (torch) return torch;
    throw new InteropError(
      `unknown activation '${name}' in the layer list: expected one of ${ACTIVATIONS.join(', ')}`,
    );
  });
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/**
 * The model file of a safetensors state dict of an `nn.Sequential` of Linear
 * modules (tensor names `<prefix><k>.weight`, `<prefix><k>.bias`, weights units x
 * fan-in, float16, bfloat16, float32 or float64). The file holds no activations
 * unless backprop wrote it, so `layers` gives one per Linear layer (see
 * {@link parseLayerSpec}); when the module indices of two Linear layers are
 * consecutive, nothing sits between them and the first must be linear. A tensor
 * that is not a Linear layer's (a convolution kernel, a batch-norm statistic)
 * throws an {@link InteropError} naming it.
 *
 * @example
 * const model = fromSafetensors(readFileSync('mlp.safetensors'), 'relu,relu,softmax');
 */
export function fromSafetensors(bytes: Uint8Array, layers?: string | readonly string[]): ModelFile {
  if (bytes.length < 8)
    throw new InteropError('not a safetensors file: shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) {
    throw new InteropError(
      `not a safetensors file: header length ${headerLength} exceeds the file's ${bytes.length} bytes`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch (error) {
    throw new InteropError(`not a safetensors file: the header is not JSON (${(error as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header))
    throw new InteropError('not a safetensors file: the header is not an object');
  const data = bytes.subarray(8 + headerLength);
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;

  const groups = new Map<number, { weight?: string; bias?: string }>();
  let prefix: string | undefined;
  for (const name of Object.keys(header)) {
    if (name === '__metadata__') continue;
    const match = /^(.*?)(\d+)\.(weight|bias)$/.exec(name);
    const entry = header[name] as HeaderEntry;
    if (!match) {
      throw new InteropError(
        `tensor '${name}' (shape [${entry?.shape}]) is not a Linear layer's weight or bias; an MLP holds only those`,
      );
    }
    if (prefix !== undefined && match[1] !== prefix) {
      throw new InteropError(
        `tensor '${name}' is outside the module '${prefix}' of the other tensors; an MLP is one nn.Sequential`,
      );
    }
    prefix = match[1];
    const k = Number(match[2]);
    const group = groups.get(k) ?? {};
    group[match[3] as 'weight' | 'bias'] = name;
    groups.set(k, group);
  }
  if (!groups.size) throw new InteropError('the safetensors file holds no tensors');
  const indices = [...groups.keys()].sort((a, b) => a - b);

  const read = (name: string): { shape: number[]; values: Float64Array } => {
    const entry = header[name] as HeaderEntry;
    const dtype = READ_DTYPE[entry?.dtype];
    if (!dtype)
      throw new InteropError(
        `tensor '${name}' has dtype ${entry?.dtype}; weights must be F16, BF16, F32 or F64`,
      );
    const shape = entry.shape;
    const [begin, end] = entry.data_offsets ?? [];
    const count = Array.isArray(shape) ? shape.reduce((a, b) => a * b, 1) : Number.NaN;
    if (
      !Number.isInteger(begin) ||
      !Number.isInteger(end) ||
      begin < 0 ||
      end > data.length ||
      end - begin !== count * dtypeWidth(dtype)
    ) {
      throw new InteropError(
        `tensor '${name}' has data_offsets [${entry.data_offsets}] that do not fit shape [${shape}] of ${entry.dtype} in ${data.length} bytes`,
      );
    }
    const values = decodeFloats(data.subarray(begin, end), dtype, count);
    checkFinite(values, `tensor '${name}'`);
    return { shape, values };
  };

  let activations: ActivationName[];
  if (layers !== undefined) activations = parseLayerSpec(layers);
  else if (metadata[SAFETENSORS_METADATA.activations])
    activations = parseLayerSpec(metadata[SAFETENSORS_METADATA.activations]);
  else {
    throw new InteropError(
      `a safetensors file holds no activations: give one per Linear layer (${indices.length} here), e.g. --layers ${new Array(indices.length).fill('relu').join(',')}`,
    );
  }
  if (activations.length !== indices.length) {
    throw new InteropError(
      `the layer list names ${activations.length} activations; the file has ${indices.length} Linear layers (modules ${indices.join(', ')})`,
    );
  }

  const result: ModelLayer[] = [];
  indices.forEach((k, n) => {
    const group = groups.get(k)!;
    const moduleName = `${prefix}${k}`;
    if (!group.weight) throw new InteropError(`module '${moduleName}' has a bias but no weight`);
    const weight = read(group.weight);
    if (weight.shape.length !== 2) {
      throw new InteropError(
        `tensor '${group.weight}' has shape [${weight.shape}]; a Linear layer's weight is a matrix (a convolution's is not)`,
      );
    }
    const [units, fanIn] = weight.shape;
    const previous = result[n - 1];
    if (previous && previous.units !== fanIn) {
      throw new InteropError(
        `tensor '${group.weight}' takes ${fanIn} inputs; the layer before has ${previous.units} outputs`,
      );
    }
    const bias = group.bias ? read(group.bias) : undefined;
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== units)) {
      throw new InteropError(`tensor '${group.bias}' has shape [${bias.shape}]; expected [${units}]`);
    }
    const next = indices[n + 1];
    if (next === k + 1 && activations[n] !== 'linear') {
      throw new InteropError(
        `the layer list puts ${activations[n]} after module '${moduleName}', but the next Linear is module ${next}: no activation module sits between them`,
      );
    }
    result.push({
      units,
      activation: activations[n],
      weights: unflatten(weight.values, fanIn, units, true),
      biases: bias ? Array.from(bias.values) : new Array(units).fill(0),
    });
  });

  let optional: Record<string, unknown> = {};
  if (metadata[SAFETENSORS_METADATA.fields]) {
    try {
      optional = JSON.parse(metadata[SAFETENSORS_METADATA.fields]);
    } catch {
      throw new InteropError(`the metadata entry '${SAFETENSORS_METADATA.fields}' is not JSON`);
    }
  }
  return modelOf(result, optional);
}
