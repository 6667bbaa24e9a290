/**
 * `--class-weight` and `--sample-weight` of `train`: class labels turned into
 * the library's class indices, and a column of the file read as one weight
 * per row (that column is then not an input).
 *
 * @module
 */
import { classIndex } from '../../classification.js';
import type { Encoding } from '../../data/encoding.js';
import type { Network } from '../../network.js';
import type { TrainOptions } from '../../train/trainer.js';
import { classWeightsOf, exampleWeights } from '../../weights.js';
import { CliError } from '../errors.js';
import { type EncodedRows, runNetwork } from '../run-model.js';

/** The library's `classWeights` from `--class-weight`: labels as the model's class indices. */
export function classWeightsOption(
  spec: 'balanced' | Record<string, number> | undefined,
  encoding: Encoding,
): TrainOptions['classWeights'] {
  if (spec === undefined) return undefined;
  const target = encoding.target;
  if (target.kind !== 'classes') {
    throw new CliError('option --class-weight: the target holds numbers, not classes');
  }
  if (spec === 'balanced') return spec;
  const weights: Record<string, number> = {};
  for (const [label, w] of Object.entries(spec)) {
    const c = target.classes.indexOf(label);
    if (c < 0) {
      throw new CliError(
        `option --class-weight: no class '${label}' in column '${target.column}' (its classes: ${target.classes.join(', ')})`,
      );
    }
    weights[c] = w;
  }
  return weights;
}

/** Checks the `--sample-weight` column against the file's columns and the targets. */
export function checkWeightColumn(
  column: string,
  columns: readonly string[],
  targets: readonly string[],
  file: string,
): number {
  const col = columns.indexOf(column);
  if (col < 0) throw new CliError(`option --sample-weight: no column '${column}' in ${file}`);
  if (targets.includes(column)) throw new CliError(`option --sample-weight: '${column}' is a target column`);
  return col;
}

/**
 * The weights of the rows at `indices`: `value(i)` of row i, each a finite
 * number of at least 0, else an error naming the file, line and column.
 */
export function weightsOf(
  indices: ArrayLike<number>,
  value: (row: number) => string | number,
  line: (row: number) => number,
  file: string,
  column: string,
): Float64Array {
  const w = new Float64Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    const raw = value(i);
    const x = typeof raw === 'number' ? raw : raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(x) || x < 0) {
      throw new CliError(
        `${file}:${line(i)}: column '${column}': expected a weight of at least 0, got '${String(raw)}'`,
      );
    }
    w[k] = x;
  }
  return w;
}

/**
 * The share of rows classified right, each counted with its weight w_i (its
 * sample weight times its class's): sum_i w_i [right_i] / sum_i w_i.
 */
export function weightedAccuracy(
  net: Network,
  data: EncodedRows,
  sample: Float64Array | null,
  classWeights: TrainOptions['classWeights'],
): number {
  const { outputs } = runNetwork(net, data.x);
  const d = data.d!.data;
  const width = net.outputs;
  const every = Uint32Array.from({ length: data.rows }, (_, i) => i);
  const perClass = classWeights === undefined ? null : classWeightsOf(classWeights, d, width, every);
  const w = exampleWeights(d, width, data.rows, sample, perClass);
  let right = 0;
  let total = 0;
  for (let i = 0; i < data.rows; i++) {
    total += w[i];
    if (classIndex(outputs, i * width, width) === classIndex(d, i * width, width)) right += w[i];
  }
  return total > 0 ? right / total : Number.NaN;
}
