/**
 * The model file, format v1 (docs/design.md, "Model file"): JSON with no code in it.
 *
 * ```json
 * { "format": "backprop-mlp", "version": 1, "inputs": 3,
 *   "layers": [ { "units": 4, "activation": "tanh", "weights": [[...], [...], [...]], "biases": [0, 0, 0, 0] } ] }
 * ```
 *
 * `weights` has `inputs` (or the previous layer's `units`) rows and `units`
 * columns. Optional fields carry what is needed to predict on raw data. The
 * reader rejects an unknown format, a newer version, a shape that does not match
 * or a non-finite number with a {@link ModelFormatError} naming the field.
 *
 * @module
 */
import { ACTIVATION_NAMES, type ActivationName, isActivationName } from '../activations.js';
import { dropoutProblem } from '../dropout.js';
import { ModelFormatError } from '../errors.js';
import { describe } from '../settings/check.js';
import { checkTrainingRecord, type TrainingRecord } from '../settings/record.js';

/** The `format` field of every model file. */
export const MODEL_FORMAT = 'backprop-mlp';
/** The newest version this library reads and the one it writes. */
export const MODEL_VERSION = 1;

/** One layer n of a model file. */
export interface ModelLayer {
  units: number;
  activation: ActivationName;
  /** Dropout rate p of a hidden layer while training; absent for none (files written before it load). */
  dropout?: number;
  /** fan-in x units: `weights[m][i]` is w^(n)_mi. */
  weights: number[][];
  biases: number[];
}

/**
 * Optional fields: what a user needs to predict on raw data. The command line
 * fills them; the library keeps them as they are.
 */
export interface ModelMeta {
  /** Names of the raw input columns, in order. */
  inputColumns?: string[];
  /** Names of the target columns, in order. */
  targetColumns?: string[];
  /** Class labels of a categorical target, one per output node (or two for one sigmoid node). */
  classes?: string[];
  /** How raw inputs are turned into network inputs (scaling, one-hot); written by the data layer. */
  preprocessing?: unknown;
  /** The settings the network was trained with and the facts of the run. */
  training?: TrainingRecord;
  [field: string]: unknown;
}

/** A whole model file. */
export interface ModelFile extends ModelMeta {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
  inputs: number;
  /** The element type the network was trained in; readers use it unless told otherwise. Absent: float32. */
  dtype?: 'float32' | 'float64';
  layers: ModelLayer[];
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function positiveInteger(x: unknown, field: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 1) {
    throw new ModelFormatError(field, `expected a whole number of at least 1, got ${describe(x)}`);
  }
  return x;
}

function finiteVector(x: unknown, length: number, field: string): number[] {
  if (!Array.isArray(x))
    throw new ModelFormatError(field, `expected an array of ${length} numbers, got ${describe(x)}`);
  if (x.length !== length) throw new ModelFormatError(field, `expected ${length} numbers, got ${x.length}`);
  for (let i = 0; i < length; i++) {
    const value = x[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ModelFormatError(`${field}[${i}]`, `expected a finite number, got ${describe(value)}`);
    }
  }
  return x as number[];
}

function stringList(x: unknown, field: string): void {
  if (x === undefined) return;
  if (!Array.isArray(x) || x.some((s) => typeof s !== 'string')) {
    throw new ModelFormatError(field, 'expected an array of strings');
  }
}

/**
 * Checks that `json` is a model file of format v1 and returns it typed.
 * Throws a {@link ModelFormatError} naming the first bad field.
 */
export function validateModel(json: unknown): ModelFile {
  if (!isRecord(json))
    throw new ModelFormatError('(top level)', `expected a JSON object, got ${describe(json)}`);
  if (json.format !== MODEL_FORMAT) {
    throw new ModelFormatError('format', `expected '${MODEL_FORMAT}', got ${describe(json.format)}`);
  }
  const version = json.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new ModelFormatError('version', `expected a whole number, got ${describe(version)}`);
  }
  if (version > MODEL_VERSION) {
    throw new ModelFormatError(
      'version',
      `${version} is newer than this reader, which reads up to ${MODEL_VERSION}: update backprop`,
    );
  }
  const inputs = positiveInteger(json.inputs, 'inputs');
  if (!Array.isArray(json.layers) || json.layers.length === 0) {
    throw new ModelFormatError(
      'layers',
      `expected a non-empty array of layers, got ${describe(json.layers)}`,
    );
  }
  let fanIn = inputs;
  const last = json.layers.length - 1;
  json.layers.forEach((layer: unknown, n: number) => {
    const at = `layers[${n}]`;
    if (!isRecord(layer)) throw new ModelFormatError(at, `expected an object, got ${describe(layer)}`);
    const units = positiveInteger(layer.units, `${at}.units`);
    if (!isActivationName(layer.activation)) {
      throw new ModelFormatError(
        `${at}.activation`,
        `unknown activation ${describe(layer.activation)}: expected one of ${ACTIVATION_NAMES.join(', ')}`,
      );
    }
    if (layer.dropout !== undefined) {
      const problem = dropoutProblem(layer.dropout, n === last);
      if (problem) throw new ModelFormatError(`${at}.dropout`, problem);
    }
    const rows = layer.weights;
    if (!Array.isArray(rows)) {
      throw new ModelFormatError(
        `${at}.weights`,
        `expected ${fanIn} rows of ${units} numbers, got ${describe(rows)}`,
      );
    }
    if (rows.length !== fanIn) {
      throw new ModelFormatError(
        `${at}.weights`,
        `expected ${fanIn} rows (fan-in ${n === 0 ? 'inputs' : `layers[${n - 1}].units`} = ${fanIn}), got ${rows.length}`,
      );
    }
    for (let m = 0; m < rows.length; m++) finiteVector(rows[m], units, `${at}.weights[${m}]`);
    finiteVector(layer.biases, units, `${at}.biases`);
    fanIn = units;
  });
  if (json.dtype !== undefined && json.dtype !== 'float32' && json.dtype !== 'float64') {
    throw new ModelFormatError('dtype', `expected 'float32' or 'float64', got ${describe(json.dtype)}`);
  }
  stringList(json.inputColumns, 'inputColumns');
  stringList(json.targetColumns, 'targetColumns');
  stringList(json.classes, 'classes');
  if (json.training !== undefined) checkTrainingRecord(json.training);
  return json as unknown as ModelFile;
}

/** Parses model file text, naming the JSON syntax error or the bad field. */
export function parseModel(text: string): ModelFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError('(file)', `not valid JSON: ${(e as Error).message}`);
  }
  return validateModel(json);
}
