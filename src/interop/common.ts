/**
 * What the three converters share: the model file's shape as they read it, the
 * error they throw, and conversions between nested arrays and flat tensors.
 *
 * Every converter speaks of a layer as the notes do: `weights` is fan-in x units
 * (w^(n)_mi is `weights[m][i]`), `biases` has one entry per node. ONNX's Gemm
 * with transB = 1 and PyTorch's `nn.Linear` keep the transpose (units x fan-in,
 * "out x in"); TensorFlow.js's Dense kernel is fan-in x units as ours.
 *
 * @module
 */
import { ACTIVATION_NAMES, LEAKY_RELU_SLOPE } from '../activations.js';
import { BackpropError } from '../errors.js';
import { type ModelFile, type ModelLayer, validateModel } from '../model/format.js';

export type { ModelFile, ModelLayer } from '../model/format.js';
export { validateModel } from '../model/format.js';

/** Element type of an exported tensor. float32 is what serving engines expect. */
export type TensorDType = 'float32' | 'float64';

/**
 * A file that cannot become (or come from) a multilayer perceptron: an operator,
 * layer or tensor the MLP cannot express, or a file that is not of the format.
 * Nothing is half-imported: the converter throws before returning anything.
 */
export class InteropError extends BackpropError {
  override name = 'InteropError';
}

/** The activation names a model file may hold (docs/design.md, "Model file"). */
export const ACTIVATIONS = ACTIVATION_NAMES;

/** The slope of leaky-relu for v <= 0. */
export const LEAKY_SLOPE = LEAKY_RELU_SLOPE;

/** The fields of a model file other than the four required ones (columns, classes, preprocessing, training). */
export function optionalFields(model: ModelFile): Record<string, unknown> {
  const { format: _f, version: _v, inputs: _i, layers: _l, ...rest } = model;
  return rest;
}

/** A model file of these layers and the optional fields an exporter kept, checked: what every importer returns. */
export function modelOf(layers: ModelLayer[], optional: Record<string, unknown>): ModelFile {
  return validateModel({
    ...optional,
    format: 'backprop-mlp',
    version: 1,
    inputs: layers[0].weights.length,
    layers,
  });
}

/** Row-major flat copy of `weights` (fan-in x units), or of its transpose (units x fan-in). */
export function flatten(weights: number[][], transpose: boolean): number[] {
  const rows = weights.length;
  const cols = rows ? weights[0].length : 0;
  const flat = new Array<number>(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      flat[transpose ? c * rows + r : r * cols + c] = weights[r][c];
    }
  }
  return flat;
}

/**
 * The fan-in x units matrix held in `data`, row-major, which is fan-in x units
 * as it is, or units x fan-in when `transposed` (ONNX Gemm transB, PyTorch Linear).
 */
export function unflatten(
  data: ArrayLike<number>,
  fanIn: number,
  units: number,
  transposed: boolean,
): number[][] {
  const weights: number[][] = [];
  for (let m = 0; m < fanIn; m++) {
    const row = new Array<number>(units);
    for (let i = 0; i < units; i++) row[i] = data[transposed ? i * fanIn + m : m * units + i];
    weights.push(row);
  }
  return weights;
}

/** Little-endian bytes of `values` as float32 or float64. */
export function encodeFloats(values: ArrayLike<number>, dtype: TensorDType): Uint8Array {
  const array = dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
  const bytes = new Uint8Array(array.buffer);
  if (!littleEndianHost) swapBytes(bytes, array.BYTES_PER_ELEMENT);
  return bytes;
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let at = 0; at < bytes.length; at += width) bytes.subarray(at, at + width).reverse();
}

/** Element types a tensor may be read from, with the width of one element in bytes. */
export type ReadableDType = 'float16' | 'bfloat16' | 'float32' | 'float64';

const WIDTH: Record<ReadableDType, number> = { float16: 2, bfloat16: 2, float32: 4, float64: 8 };

/** Bytes per element of `dtype`. */
export function dtypeWidth(dtype: ReadableDType): number {
  return WIDTH[dtype];
}

/**
 * `count` little-endian floats of `dtype` from `bytes`, as exact float64 values
 * (every float16, bfloat16 and float32 value is a float64 value). Works at any
 * byte offset, aligned or not.
 */
export function decodeFloats(bytes: Uint8Array, dtype: ReadableDType, count: number): Float64Array {
  const width = WIDTH[dtype];
  if (bytes.length !== count * width) {
    throw new InteropError(`expected ${count * width} bytes of ${dtype} data, found ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const at = k * width;
    if (dtype === 'float32') out[k] = view.getFloat32(at, true);
    else if (dtype === 'float64') out[k] = view.getFloat64(at, true);
    else if (dtype === 'bfloat16') out[k] = bfloat16ToNumber(view.getUint16(at, true));
    else out[k] = float16ToNumber(view.getUint16(at, true));
  }
  return out;
}

/** The value of an IEEE 754 half-precision number given by its 16 bits. */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** The value of a bfloat16 (the top half of a float32) given by its 16 bits. */
export function bfloat16ToNumber(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits << 16);
  return view.getFloat32(0);
}

/** Throws unless every value is finite, naming the tensor. */
export function checkFinite(values: ArrayLike<number>, what: string): void {
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k]))
      throw new InteropError(`${what} holds a non-finite number (${values[k]})`);
  }
}
