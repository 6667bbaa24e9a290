/**
 * ONNX out and in. A model becomes the graph `torch.onnx.export` writes for an
 * `nn.Sequential` of `Linear` and activation modules: per layer a Gemm node
 * (transB = 1, weights stored units x fan-in as `<k>.weight`, biases as
 * `<k>.bias`) and an activation node, input `input` and output `output` of shape
 * [batch, m], the batch dimension symbolic. Reading accepts that shape of graph
 * (Gemm, or MatMul followed by Add, then one activation operator) and refuses
 * any other operator, naming it.
 *
 * @module
 */
import type { ActivationName } from '../backend/backend.js';
import {
  encodeFloats,
  flatten,
  InteropError,
  LEAKY_SLOPE,
  type ModelFile,
  optionalFields,
  type TensorDType,
  validateModel,
} from './common.js';
import {
  encodeOnnx,
  ONNX_ATTR,
  ONNX_DTYPE,
  ONNX_METADATA_KEY,
  ONNX_RAW_INPUTS_KEY,
  type OnnxAttribute,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
} from './onnx-schema.js';

export { ONNX_METADATA_KEY, ONNX_RAW_INPUTS_KEY };

/** Options of {@link toOnnx}. */
export interface OnnxExportOptions {
  /** Element type of the weights, input and output. Default `float32`, what serving engines expect. */
  dtype?: TensorDType;
  /**
   * Opset of the default domain, 13 to 21. Default 17 (what `torch.onnx.export`
   * writes). From 20 on gelu is the Gelu operator; before, its erf expansion.
   */
  opset?: number;
  /**
   * Put the model's numeric preprocessing into the graph, so that `input` takes
   * raw column values: (x - offset) / scale per input column before the first
   * layer, and for numeric targets y * scale + offset after the last. Needs a
   * `preprocessing` whose inputs are all numbers (text columns are one-hot
   * encoded outside the graph). Default false: the graph takes scaled inputs.
   */
  rawInputs?: boolean;
}

const IR_VERSION: Record<number, number> = {
  13: 7,
  14: 7,
  15: 8,
  16: 8,
  17: 8,
  18: 8,
  19: 9,
  20: 9,
  21: 10,
};

/** The ONNX operator of each element-wise activation (gelu and linear are special). */
const OPERATOR: Partial<Record<ActivationName, string>> = {
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  relu: 'Relu',
  'leaky-relu': 'LeakyRelu',
  elu: 'Elu',
  softplus: 'Softplus',
  softmax: 'Softmax',
};

/**
 * The ONNX model (protobuf bytes of `onnx.ModelProto`) that computes what the
 * model computes: for each layer n, v = out^(n-1) W + b (a Gemm of the input with
 * the stored units x fan-in weights, transB = 1) and out^(n) = psi(v). Input
 * `input` and output `output` are [batch, m] with a symbolic `batch`. The
 * optional fields (columns, scaling, class labels, training settings) travel as
 * JSON in the metadata entry `backprop`; the graph itself takes inputs already
 * scaled, as the network does.
 *
 * @example
 * const bytes = toOnnx(net.toJSON());
 * const session = await ort.InferenceSession.create(bytes);
 */
export function toOnnx(model: ModelFile, options: OnnxExportOptions = {}): Uint8Array {
  validateModel(model);
  const dtype = options.dtype ?? 'float32';
  const opset = options.opset ?? 17;
  const irVersion = IR_VERSION[opset];
  if (irVersion === undefined) throw new InteropError(`opset must be an integer from 13 to 21, got ${opset}`);
  const elemType = dtype === 'float32' ? ONNX_DTYPE.FLOAT : ONNX_DTYPE.DOUBLE;
  const tensor = (name: string, dims: number[], values: ArrayLike<number>): OnnxTensor => ({
    name,
    dims,
    data_type: elemType,
    raw_data: encodeFloats(values, dtype),
  });
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const affine = options.rawInputs ? numericPreprocessing(model) : undefined;
  let current = 'input';
  if (affine) {
    initializers.push(tensor('preprocess.offset', [model.inputs], affine.inputOffset));
    initializers.push(tensor('preprocess.scale', [model.inputs], affine.inputScale));
    nodes.push({
      name: '/preprocess/Sub',
      op_type: 'Sub',
      input: [current, 'preprocess.offset'],
      output: ['/preprocess/Sub_output_0'],
    });
    nodes.push({
      name: '/preprocess/Div',
      op_type: 'Div',
      input: ['/preprocess/Sub_output_0', 'preprocess.scale'],
      output: ['/preprocess/Div_output_0'],
    });
    current = '/preprocess/Div_output_0';
  }
  // The network's output; with numeric targets to scale back it feeds the postprocessing.
  const networkOutput = affine?.targetScale ? '/network/output' : 'output';
  let module = 0; // index of the module in the equivalent nn.Sequential
  model.layers.forEach((layer, n) => {
    const last = n === model.layers.length - 1;
    const fanIn = layer.weights.length;
    const weightName = `${module}.weight`;
    const biasName = `${module}.bias`;
    initializers.push(tensor(weightName, [layer.units, fanIn], flatten(layer.weights, true)));
    initializers.push(tensor(biasName, [layer.units], layer.biases));
    const v = last && layer.activation === 'linear' ? networkOutput : `/${module}/Gemm_output_0`;
    nodes.push({
      name: `/${module}/Gemm`,
      op_type: 'Gemm',
      input: [current, weightName, biasName],
      output: [v],
      attribute: [floatAttr('alpha', 1), floatAttr('beta', 1), intAttr('transB', 1)],
    });
    current = v;
    module++;
    if (layer.activation === 'linear') return;
    const out = last ? networkOutput : `/${module}/${activationOperator(layer.activation, opset)}_output_0`;
    if (layer.activation === 'gelu' && opset < 20) {
      geluExpansion(module, current, out, tensor, nodes, initializers);
    } else {
      nodes.push(activationNode(layer.activation, module, current, out, opset));
    }
    current = out;
    module++;
  });
  if (affine?.targetScale) {
    const units = model.layers[model.layers.length - 1].units;
    initializers.push(tensor('postprocess.scale', [units], affine.targetScale));
    initializers.push(tensor('postprocess.offset', [units], affine.targetOffset!));
    nodes.push({
      name: '/postprocess/Mul',
      op_type: 'Mul',
      input: [current, 'postprocess.scale'],
      output: ['/postprocess/Mul_output_0'],
    });
    nodes.push({
      name: '/postprocess/Add',
      op_type: 'Add',
      input: ['/postprocess/Mul_output_0', 'postprocess.offset'],
      output: ['output'],
    });
  }
  const metadata = [{ key: ONNX_METADATA_KEY, value: JSON.stringify(optionalFields(model)) }];
  if (affine) metadata.push({ key: ONNX_RAW_INPUTS_KEY, value: 'true' });
  const io = (name: string, units: number) => ({
    name,
    type: {
      tensor_type: { elem_type: elemType, shape: { dim: [{ dim_param: 'batch' }, { dim_value: units }] } },
    },
  });
  const onnx: OnnxModel = {
    ir_version: irVersion,
    opset_import: [{ domain: '', version: opset }],
    producer_name: 'backprop',
    doc_string: affine
      ? 'A multilayer perceptron exported by backprop, with its preprocessing: the input takes raw column values.'
      : 'A multilayer perceptron exported by backprop; the input is scaled as the model file says.',
    graph: {
      name: 'backprop_mlp',
      node: nodes,
      initializer: initializers,
      input: [io('input', model.inputs)],
      output: [io('output', model.layers[model.layers.length - 1].units)],
    },
    metadata_props: metadata,
  };
  return encodeOnnx(onnx);
}

/**
 * The affine maps of a model's preprocessing (an optional field of the model file,
 * written by the data layer): per input column x -> (x - offset) / scale, and
 * for numeric targets the network's y -> y * scale + offset. Throws when an
 * input is not a number column.
 */
function numericPreprocessing(model: ModelFile): {
  inputOffset: number[];
  inputScale: number[];
  targetOffset?: number[];
  targetScale?: number[];
} {
  const pre = model.preprocessing as
    | {
        inputs?: { column?: string; kind?: string; offset?: number; scale?: number }[];
        target?: Record<string, unknown>;
      }
    | undefined;
  if (!pre || !Array.isArray(pre.inputs)) {
    throw new InteropError('raw inputs need the preprocessing of the model file, and this model has none');
  }
  const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  for (const c of pre.inputs) {
    if (c.kind !== 'number' || !finite(c.offset) || !finite(c.scale) || c.scale === 0) {
      throw new InteropError(
        `input column '${c.column}' is ${c.kind === 'category' ? 'text, one-hot encoded' : 'not a scaled number'}, which an ONNX float input cannot carry; export without raw inputs`,
      );
    }
  }
  if (pre.inputs.length !== model.inputs) {
    throw new InteropError(
      `the preprocessing describes ${pre.inputs.length} inputs; the network has ${model.inputs}`,
    );
  }
  const result: ReturnType<typeof numericPreprocessing> = {
    inputOffset: pre.inputs.map((c) => c.offset!),
    inputScale: pre.inputs.map((c) => c.scale!),
  };
  const target = pre.target;
  if (target?.kind === 'numbers') {
    const offset = target.offset as number[];
    const scale = target.scale as number[];
    const units = model.layers[model.layers.length - 1].units;
    if (
      !Array.isArray(offset) ||
      !Array.isArray(scale) ||
      offset.length !== units ||
      scale.length !== units
    ) {
      throw new InteropError(`the preprocessing's target scaling does not have ${units} entries`);
    }
    result.targetOffset = offset;
    result.targetScale = scale;
  }
  return result;
}

function floatAttr(name: string, f: number): OnnxAttribute {
  return { name, type: ONNX_ATTR.FLOAT, f };
}

function intAttr(name: string, i: number): OnnxAttribute {
  return { name, type: ONNX_ATTR.INT, i };
}

function activationOperator(activation: ActivationName, opset: number): string {
  if (activation === 'gelu') return opset >= 20 ? 'Gelu' : 'Mul_1';
  return OPERATOR[activation]!;
}

function activationNode(
  activation: ActivationName,
  module: number,
  input: string,
  output: string,
  opset: number,
) {
  const op = activationOperator(activation, opset);
  const attribute: OnnxAttribute[] = [];
  if (activation === 'leaky-relu') attribute.push(floatAttr('alpha', LEAKY_SLOPE));
  if (activation === 'elu') attribute.push(floatAttr('alpha', 1));
  if (activation === 'softmax') attribute.push(intAttr('axis', -1));
  return { name: `/${module}/${op}`, op_type: op, input: [input], output: [output], attribute };
}

/** gelu(v) = v Phi(v) = (v (erf(v / sqrt 2) + 1)) 0.5, written as torch.onnx.export writes nn.GELU before opset 20. */
function geluExpansion(
  module: number,
  v: string,
  out: string,
  tensor: (name: string, dims: number[], values: ArrayLike<number>) => OnnxTensor,
  nodes: OnnxNode[],
  initializers: OnnxTensor[],
): void {
  const p = `/${module}`;
  initializers.push(tensor(`${p}/Constant_output_0`, [], [Math.SQRT2]));
  initializers.push(tensor(`${p}/Constant_1_output_0`, [], [1]));
  initializers.push(tensor(`${p}/Constant_2_output_0`, [], [0.5]));
  const node = (op: string, name: string, input: string[], output: string): OnnxNode => ({
    name: `${p}/${name}`,
    op_type: op,
    input,
    output: [output],
  });
  nodes.push(node('Div', 'Div', [v, `${p}/Constant_output_0`], `${p}/Div_output_0`));
  nodes.push(node('Erf', 'Erf', [`${p}/Div_output_0`], `${p}/Erf_output_0`));
  nodes.push(node('Add', 'Add', [`${p}/Erf_output_0`, `${p}/Constant_1_output_0`], `${p}/Add_output_0`));
  nodes.push(node('Mul', 'Mul', [v, `${p}/Add_output_0`], `${p}/Mul_output_0`));
  nodes.push(node('Mul', 'Mul_1', [`${p}/Mul_output_0`, `${p}/Constant_2_output_0`], out));
}

// ---------------------------------------------------------------- reading
