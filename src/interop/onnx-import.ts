/**
 * ONNX in: the model file of a graph that is a multilayer perceptron, the
 * shape of graph `torch.onnx.export` writes for an `nn.Sequential` of `Linear`
 * and activation modules (see `onnx.ts` for the way out). Any other operator
 * is refused, named.
 *
 * @module
 */
import type { ActivationName } from '../backend/backend.js';
import {
  checkFinite,
  decodeFloats,
  InteropError,
  LEAKY_SLOPE,
  type ModelFile,
  type ModelLayer,
  modelOf,
  type ReadableDType,
  unflatten,
} from './common.js';
import {
  decodeOnnx,
  ONNX_DTYPE,
  ONNX_METADATA_KEY,
  ONNX_RAW_INPUTS_KEY,
  type OnnxAttribute,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
} from './onnx-schema.js';

interface Constant {
  dims: number[];
  data: Float64Array;
}

const READABLE: Record<number, ReadableDType> = {
  [ONNX_DTYPE.FLOAT]: 'float32',
  [ONNX_DTYPE.DOUBLE]: 'float64',
  [ONNX_DTYPE.FLOAT16]: 'float16',
  [ONNX_DTYPE.BFLOAT16]: 'bfloat16',
};

function readTensor(t: OnnxTensor, what: string): Constant {
  const dims = (t.dims ?? []).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  if (t.data_location === 1 || (t.external_data?.length ?? 0) > 0) {
    throw new InteropError(
      `${what} keeps its data in an external file, which is not supported; save the model with its data inside`,
    );
  }
  const dtype = READABLE[t.data_type ?? 0];
  if (!dtype)
    throw new InteropError(
      `${what} has ONNX data type ${t.data_type}; only float16, bfloat16, float32 and float64 can be weights`,
    );
  let data: Float64Array;
  if (t.raw_data && t.raw_data.length > 0) data = decodeFloats(t.raw_data, dtype, count);
  else if (dtype === 'float32') data = Float64Array.from(t.float_data ?? []);
  else if (dtype === 'float64') data = Float64Array.from(t.double_data ?? []);
  else {
    // float16 and bfloat16 without raw_data keep their bits in int32_data.
    const bits = new Uint16Array((t.int32_data ?? []).map((x) => x & 0xffff));
    data = decodeFloats(new Uint8Array(bits.buffer), dtype, bits.length);
  }
  if (data.length !== count)
    throw new InteropError(`${what} should hold ${count} numbers for shape [${dims}], holds ${data.length}`);
  checkFinite(data, what);
  return { dims, data };
}

function attribute(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attribute?.find((a) => a.name === name);
}

function intAttribute(node: OnnxNode, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a?.i !== undefined ? Number(a.i) : fallback;
}

function floatAttribute(node: OnnxNode, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a?.f !== undefined ? a.f : fallback;
}

/** A tolerance for constants stored as float32: a few units in the last place. */
function near(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
}

function describe(node: OnnxNode): string {
  return node.name ? `${node.op_type} (node '${node.name}')` : `${node.op_type}`;
}

const WHY =
  'a multilayer perceptron is a chain of Gemm (or MatMul + Add) and one element-wise activation per layer';

/**
 * The model file of an ONNX graph that is a multilayer perceptron: a chain of
 * Gemm (or MatMul then Add) nodes, each followed by at most one of Relu,
 * Sigmoid, Tanh, LeakyRelu (alpha 0.01), Elu (alpha 1), Softplus, Gelu (or the
 * erf expansion torch.onnx.export writes for it), Softmax over the last axis.
 * Identity, Dropout and Flatten of a [batch, m] tensor pass through. Weights may
 * be float16, bfloat16, float32 or float64, as initializers or Constant nodes.
 * The metadata entry `backprop` (written by {@link toOnnx}) restores the optional
 * fields. Anything else (Conv, a residual Add of two computed tensors, a branch)
 * throws an {@link InteropError} naming the operator, before anything is returned.
 *
 * @example
 * const model = fromOnnx(readFileSync('mlp.onnx')); // e.g. from torch.onnx.export
 * const net = Network.fromJSON(model);
 */
export function fromOnnx(bytes: Uint8Array): ModelFile {
  let onnx: OnnxModel;
  try {
    onnx = decodeOnnx(bytes);
  } catch (error) {
    throw new InteropError(`not an ONNX model: ${(error as Error).message}`);
  }
  const graph = onnx.graph;
  if (!graph?.node?.length) throw new InteropError('not an ONNX model: it has no graph nodes');
  for (const op of onnx.opset_import ?? []) {
    if (op.domain && op.domain !== 'ai.onnx') {
      const user = graph.node.find((n) => n.domain === op.domain);
      if (user)
        throw new InteropError(
          `operator ${describe(user)} of domain '${op.domain}' is not a standard ONNX operator; ${WHY}`,
        );
    }
  }
  if ((graph.sparse_initializer?.length ?? 0) > 0)
    throw new InteropError('sparse initializers are not supported');

  const constants = new Map<string, Constant>();
  for (const t of graph.initializer ?? [])
    constants.set(t.name ?? '', readTensor(t, `initializer '${t.name}'`));
  const nodes = graph.node;
  const used = new Set<OnnxNode>();
  for (const node of nodes) {
    if (node.op_type === 'Constant') {
      const t = attribute(node, 'value')?.t;
      if (!t)
        throw new InteropError(
          `${describe(node)} holds no tensor 'value'; only tensor constants are supported`,
        );
      constants.set(node.output?.[0] ?? '', readTensor(t, `constant '${node.output?.[0]}'`));
      used.add(node);
    }
  }
  // Some exporters store Linear's weights as they are and transpose them in the graph.
  for (const node of nodes) {
    const source = constants.get(node.input?.[0] ?? '');
    if (node.op_type === 'Transpose' && source && source.dims.length === 2) {
      const perm = attribute(node, 'perm')?.ints?.map(Number) ?? [1, 0];
      if (perm[0] !== 1 || perm[1] !== 0) continue;
      const [rows, cols] = source.dims;
      const data = new Float64Array(rows * cols);
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) data[c * rows + r] = source.data[r * cols + c];
      constants.set(node.output?.[0] ?? '', { dims: [cols, rows], data });
      used.add(node);
    }
  }

  const inputs = (graph.input ?? []).filter((i) => !constants.has(i.name ?? ''));
  if (inputs.length !== 1) throw new InteropError(`the graph has ${inputs.length} inputs; an MLP has one`);
  if ((graph.output?.length ?? 0) !== 1)
    throw new InteropError(`the graph has ${graph.output?.length ?? 0} outputs; an MLP has one`);
  const inputDims = inputs[0].type?.tensor_type?.shape?.dim;
  let outputName = graph.output![0].name ?? '';
  const meta = onnx.metadata_props?.find((p) => p.key === ONNX_METADATA_KEY)?.value;
  let optional: Record<string, unknown> = {};
  if (meta) {
    try {
      optional = JSON.parse(meta);
    } catch {
      throw new InteropError(`the metadata entry '${ONNX_METADATA_KEY}' is not JSON`);
    }
  }

  const consumers = (tensor: string) => nodes.filter((n) => !used.has(n) && n.input?.includes(tensor));
  const constantInput = (node: OnnxNode, k: number): Constant | undefined =>
    constants.get(node.input?.[k] ?? '');

  const layers: ModelLayer[] = [];
  let pending: { weights: number[][]; biases: number[]; fanIn: number; units: number } | undefined;
  let afterActivation: string | undefined;
  let current = inputs[0].name ?? '';
  if (onnx.metadata_props?.some((p) => p.key === ONNX_RAW_INPUTS_KEY && p.value === 'true')) {
    // toOnnx put the preprocessing into the graph; the model file keeps it as metadata.
    const affine = (first: string, second: string, from: string, forward: boolean): string => {
      const a = forward
        ? nodes.find((n) => n.input?.[0] === from)
        : nodes.find((n) => n.output?.[0] === from);
      const b =
        a &&
        (forward
          ? nodes.find((n) => n.input?.[0] === a.output?.[0])
          : nodes.find((n) => n.output?.[0] === a.input?.[0]));
      const [x, y] = forward ? [a, b] : [b, a];
      const ok =
        x?.op_type === first &&
        y?.op_type === second &&
        constants.has(x.input?.[1] ?? '') &&
        constants.has(y.input?.[1] ?? '');
      if (!ok)
        throw new InteropError(
          `the metadata says the graph holds its preprocessing, but there is no ${first} then ${second} at its ${forward ? 'input' : 'output'}`,
        );
      used.add(x!);
      used.add(y!);
      return forward ? (y!.output?.[0] ?? '') : (x!.input?.[0] ?? '');
    };
    current = affine('Sub', 'Div', current, true);
    const target = (optional.preprocessing as { target?: { kind?: string } } | undefined)?.target;
    if (target?.kind === 'numbers') outputName = affine('Mul', 'Add', outputName, false);
  }
  let fanIn = inputDims?.length === 2 && inputDims[1].dim_value ? Number(inputDims[1].dim_value) : undefined;

  const finish = (activation: ActivationName) => {
    const p = pending!;
    layers.push({ units: p.units, activation, weights: p.weights, biases: p.biases });
    pending = undefined;
  };
  const startLayer = (node: OnnxNode, weights: Constant, transposed: boolean, alpha: number) => {
    if (weights.dims.length !== 2) {
      throw new InteropError(
        `${describe(node)} multiplies by a tensor of shape [${weights.dims}]; an MLP layer needs a matrix`,
      );
    }
    const [rows, cols] = weights.dims;
    const [inDim, units] = transposed ? [cols, rows] : [rows, cols];
    const expected = layers.length ? layers[layers.length - 1].units : fanIn;
    if (expected !== undefined && inDim !== expected) {
      throw new InteropError(
        `${describe(node)} takes ${inDim} inputs where the previous tensor has ${expected}`,
      );
    }
    if (!layers.length) fanIn = inDim;
    const data = alpha === 1 ? weights.data : weights.data.map((x) => alpha * x);
    pending = {
      weights: unflatten(data, inDim, units, transposed),
      biases: new Array(units).fill(0),
      fanIn: inDim,
      units,
    };
  };
  const addBias = (node: OnnxNode, c: Constant, beta: number) => {
    const p = pending!;
    const shapeOk = c.data.length === p.units || c.data.length === 1;
    const rankOk = c.dims.length <= 1 || (c.dims.length === 2 && c.dims[0] === 1);
    if (!shapeOk || !rankOk) {
      throw new InteropError(
        `${describe(node)} adds a tensor of shape [${c.dims}] to a layer of ${p.units} nodes; a bias has shape [${p.units}]`,
      );
    }
    for (let i = 0; i < p.units; i++) p.biases[i] += beta * c.data[c.data.length === 1 ? 0 : i];
  };

  for (;;) {
    if (current === outputName) {
      if (pending) finish('linear');
      break;
    }
    const next = consumers(current);
    if (next.length === 0)
      throw new InteropError(`the tensor '${current}' is not used by any node and is not the graph output`);
    const node = next[0];
    const op = node.op_type ?? '';
    if (next.length > 1) {
      const gelu = pending ? matchGeluExpansion(current, next, nodes, used, constants) : undefined;
      if (gelu) {
        for (const n of gelu.nodes) used.add(n);
        finish('gelu');
        current = gelu.output;
        afterActivation = 'Gelu';
        continue;
      }
      throw new InteropError(
        `the tensor '${current}' feeds ${next.length} nodes (${next.map(describe).join(', ')}): a branch or residual connection; ${WHY}`,
      );
    }
    used.add(node);
    const out = node.output?.[0] ?? '';
    const activation = activationOf(node);
    if (op === 'Gemm') {
      if (pending) finish('linear');
      if (node.input?.[0] !== current)
        throw new InteropError(`${describe(node)} multiplies a constant by the data; ${WHY}`);
      if (intAttribute(node, 'transA', 0) !== 0)
        throw new InteropError(`${describe(node)} with transA = 1 transposes the batch; ${WHY}`);
      const w = constantInput(node, 1);
      if (!w)
        throw new InteropError(
          `${describe(node)} multiplies by a computed tensor, not stored weights; ${WHY}`,
        );
      startLayer(node, w, intAttribute(node, 'transB', 0) === 1, floatAttribute(node, 'alpha', 1));
      const bias = node.input?.[2] ? constantInput(node, 2) : undefined;
      if (node.input?.[2] && !bias)
        throw new InteropError(`${describe(node)} adds a computed tensor; ${WHY}`);
      if (bias) addBias(node, bias, floatAttribute(node, 'beta', 1));
      afterActivation = undefined;
    } else if (op === 'MatMul') {
      if (pending) finish('linear');
      const w = constantInput(node, 1);
      if (node.input?.[0] !== current || !w)
        throw new InteropError(`${describe(node)} is not data times stored weights; ${WHY}`);
      startLayer(node, w, false, 1);
      afterActivation = undefined;
    } else if (op === 'Add' && pending) {
      const other = node.input?.find((x) => x !== current);
      const c = other === undefined ? undefined : constants.get(other);
      if (!c || node.input?.length !== 2)
        throw new InteropError(`${describe(node)} adds two computed tensors (a residual connection); ${WHY}`);
      addBias(node, c, 1);
    } else if (activation) {
      if (!pending) {
        const where = afterActivation ? `right after ${afterActivation}` : 'before any Gemm or MatMul';
        throw new InteropError(`activation ${describe(node)} comes ${where}; ${WHY}`);
      }
      finish(activation);
      afterActivation = op;
    } else if (
      op === 'Identity' ||
      op === 'Dropout' ||
      (op === 'Flatten' && intAttribute(node, 'axis', 1) === 1)
    ) {
      // These pass a [batch, m] tensor through unchanged (Dropout at inference).
    } else if (op === 'BatchNormalization') {
      // Its scale, bias, mean and variance are inputs, which the residual test below would misread.
      throw new InteropError(
        `BatchNormalization is not supported: ${describe(node)} normalizes each node by running statistics, which a layer of weights, biases and an activation cannot hold (fold it into the Gemm before exporting); ${WHY}`,
      );
    } else {
      const detail =
        (node.input ?? []).filter((x) => x && !constants.has(x)).length > 1
          ? `${describe(node)} joins computed tensors (a residual connection)`
          : `operator ${describe(node)} cannot be expressed by a multilayer perceptron`;
      throw new InteropError(`${detail}; ${WHY}`);
    }
    current = out;
  }

  const stray = nodes.find((n) => !used.has(n));
  if (stray) throw new InteropError(`${describe(stray)} is not on the path from input to output; ${WHY}`);
  if (!layers.length) throw new InteropError(`the graph has no Gemm or MatMul: no layer to import`);
  // Checked after the walk, so that a convolution is refused by its name first.
  if (inputDims && inputDims.length !== 2) {
    throw new InteropError(
      `the graph input '${inputs[0].name}' has ${inputDims.length} dimensions; an MLP takes [batch, inputs]`,
    );
  }

  return modelOf(layers, optional);
}

/** The activation an element-wise node applies, if it is one the MLP knows with our parameters. */
function activationOf(node: OnnxNode): ActivationName | undefined {
  switch (node.op_type) {
    case 'Relu':
      return 'relu';
    case 'Sigmoid':
      return 'sigmoid';
    case 'Tanh':
      return 'tanh';
    case 'Softplus':
      return 'softplus';
    case 'LeakyRelu': {
      const alpha = floatAttribute(node, 'alpha', 0.01);
      if (!near(alpha, LEAKY_SLOPE)) {
        throw new InteropError(
          `${describe(node)} has slope alpha = ${alpha}; backprop's leaky-relu has slope 0.01`,
        );
      }
      return 'leaky-relu';
    }
    case 'Elu': {
      const alpha = floatAttribute(node, 'alpha', 1);
      if (!near(alpha, 1))
        throw new InteropError(`${describe(node)} has alpha = ${alpha}; backprop's elu has alpha 1`);
      return 'elu';
    }
    case 'Gelu': {
      const approximate = attribute(node, 'approximate')?.s;
      const name = approximate ? new TextDecoder().decode(approximate) : 'none';
      if (name !== 'none')
        throw new InteropError(
          `${describe(node)} is the ${name} approximation; backprop's gelu is exact (erf)`,
        );
      return 'gelu';
    }
    case 'Softmax': {
      // Before opset 13 the default axis is 1, from 13 on -1: for [batch, m] both are the row.
      const axis = intAttribute(node, 'axis', -1);
      if (axis !== -1 && axis !== 1)
        throw new InteropError(`${describe(node)} over axis ${axis}; an MLP's softmax is over each row`);
      return 'softmax';
    }
    default:
      return undefined;
  }
}

/**
 * Recognises gelu(x) = x Phi(x) written out as torch.onnx.export writes nn.GELU
 * before opset 20: Div(x, sqrt 2) (or Mul by 1/sqrt 2), Erf, Add 1, and two Muls
 * that make 0.5 x (erf + 1) in either order. Returns its nodes and output.
 */
function matchGeluExpansion(
  x: string,
  next: OnnxNode[],
  nodes: OnnxNode[],
  used: Set<OnnxNode>,
  constants: Map<string, Constant>,
): { nodes: OnnxNode[]; output: string } | undefined {
  const scalar = (node: OnnxNode, value: string): number | undefined => {
    const inputs = node.input ?? [];
    if (inputs.length !== 2 || !inputs.includes(value)) return undefined;
    const other = inputs[0] === value ? inputs[1] : inputs[0];
    const c = constants.get(other);
    return c && c.data.length === 1 ? c.data[0] : undefined;
  };
  const only = (value: string): OnnxNode | undefined => {
    const c = nodes.filter((n) => !used.has(n) && n.input?.includes(value));
    return c.length === 1 ? c[0] : undefined;
  };
  const scaled = next.find(
    (n) =>
      (n.op_type === 'Div' && n.input?.[0] === x && near(scalar(n, x) ?? 0, Math.SQRT2)) ||
      (n.op_type === 'Mul' && near(scalar(n, x) ?? 0, Math.SQRT1_2)),
  );
  if (!scaled || next.length !== 2) return undefined;
  const erf = only(scaled.output?.[0] ?? '');
  if (erf?.op_type !== 'Erf') return undefined;
  const plus = only(erf.output?.[0] ?? '');
  if (plus?.op_type !== 'Add' || !near(scalar(plus, erf.output?.[0] ?? '') ?? 0, 1)) return undefined;
  const other = next.find((n) => n !== scaled)!;
  if (other.op_type !== 'Mul') return undefined;
  const p = plus.output?.[0] ?? '';
  if (other.input?.includes(p)) {
    // x (erf + 1), then times 0.5
    const half = only(other.output?.[0] ?? '');
    if (half?.op_type !== 'Mul' || !near(scalar(half, other.output?.[0] ?? '') ?? 0, 0.5)) return undefined;
    return { nodes: [scaled, erf, plus, other, half], output: half.output?.[0] ?? '' };
  }
  // 0.5 x, then times (erf + 1)
  if (!near(scalar(other, x) ?? 0, 0.5)) return undefined;
  const product = only(p);
  const h = other.output?.[0] ?? '';
  if (product?.op_type !== 'Mul' || !product.input?.includes(h)) return undefined;
  return { nodes: [scaled, erf, plus, other, product], output: product.output?.[0] ?? '' };
}
