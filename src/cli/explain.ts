/**
 * `backprop explain`: one step of plain gradient descent on the rows of a CSV
 * file, with every intermediate value (docs/design.md, "Step trace"). The inputs
 * are never scaled and numeric targets are used as they are, so that a learner
 * can check each number by hand or against another tool. A class column is
 * one-hot encoded over the model's classes, as `train` encodes it.
 *
 * @module
 */

import { type Encoding, rowEncoder, type TargetEncoding } from '../data/encoding.js';
import { readCsvFile } from '../data/node/csv-stream.js';
import { explain, formatExplain } from '../explain.js';
import { type ExplainFormat, formatExplainAs } from '../explain-format.js';
import type { LossSpec, Reduction } from '../losses.js';
import type { Network } from '../network.js';
import { plural } from '../plural.js';
import { CliError } from './errors.js';
import { readModel } from './files.js';
import { encodeRows } from './run-model.js';

/** Options of `explain`. */
export interface ExplainArgs {
  model: string;
  data: string;
  target: string[];
  inputs?: string[];
  loss: LossSpec;
  reduction?: Reduction;
  learningRate: number[];
  dtype: 'float32' | 'float64';
  digits: number;
  /** Seed of the dropout masks (a model with dropout). */
  seed?: number;
  json?: boolean;
  /** `text` (default), or a worked example in `latex` or `markdown`. */
  format?: 'text' | ExplainFormat;
}

/**
 * The model's classes when `targets` is its one class column, else undefined.
 * A model saved by `train` names the column in its preprocessing; one saved by
 * the library may carry `meta.classes` and `meta.targetColumns`.
 */
function classTarget(net: Network, saved: TargetEncoding | undefined, targets: string[]) {
  if (targets.length !== 1) return undefined;
  if (saved?.kind === 'classes') return saved.column === targets[0] ? saved : undefined;
  const classes = net.meta.classes;
  const named = net.meta.targetColumns;
  if (!classes || classes.length < 2 || (named && named[0] !== targets[0])) return undefined;
  const binary = net.outputs === 1 && classes.length === 2;
  if (!binary && net.outputs !== classes.length) return undefined;
  return { kind: 'classes' as const, column: targets[0], classes, binary };
}

/** Runs `explain`; resolves to the exit status. */
export async function explainCommand(args: ExplainArgs): Promise<number> {
  const { net, encoding: saved } = await readModel(args.model, { dtype: args.dtype });
  const table = await readCsvFile(args.data);
  const { columns, rows, lines, file } = table;
  for (const t of args.target) {
    if (!columns.includes(t)) {
      throw new CliError(
        `${file}: --target names column '${t}', which the header does not have; expected one of: ${columns.join(', ')}`,
      );
    }
  }
  const modelColumns = net.meta.inputColumns?.filter((c) => columns.includes(c));
  let inputs =
    args.inputs ??
    (modelColumns?.length === net.inputs ? modelColumns : columns.filter((c) => !args.target.includes(c)));
  for (const c of inputs) {
    if (!columns.includes(c)) {
      throw new CliError(
        `${file}: --inputs names column '${c}', which the header does not have; expected one of: ${columns.join(', ')}`,
      );
    }
  }
  inputs = inputs.filter((c) => !args.target.includes(c));
  if (inputs.length !== net.inputs) {
    throw new CliError(
      `${file}: the model ${args.model} has ${plural(net.inputs, 'input')} but the file has ${plural(inputs.length, 'input column')} (${inputs.join(', ')}); expected ${net.inputs} (choose them with --inputs)`,
    );
  }
  const classes = classTarget(net, saved?.target, args.target);
  if (!classes && args.target.length !== net.outputs) {
    throw new CliError(
      `option --target: the model ${args.model} has ${plural(net.outputs, 'output')}, expected as many numeric target columns or its class column, got ${args.target.join(', ')}`,
    );
  }
  if (args.learningRate.length !== 1 && args.learningRate.length !== net.layers.length) {
    throw new CliError(
      `option --learning-rate: expected one eta or ${net.layers.length} (one per layer), got ${args.learningRate.length}`,
    );
  }
  // The values as they are: numbers unscaled, a class column one-hot over the model's classes.
  const encoding: Encoding = {
    scaling: 'none',
    inputs: inputs.map((column) => ({ column, kind: 'number', offset: 0, scale: 1 })),
    target: classes ?? {
      kind: 'numbers',
      columns: args.target,
      offset: args.target.map(() => 0),
      scale: args.target.map(() => 1),
    },
  };
  const encoded = encodeRows(rowEncoder(encoding, columns, file, true), rows, lines, undefined, 'float64');
  const x = encoded.x;
  const d = encoded.d!;
  const options = {
    loss: args.loss,
    reduction: args.reduction,
    learningRate: args.learningRate.length === 1 ? args.learningRate[0] : args.learningRate,
    seed: args.seed,
  };
  const trace = explain(net, x, d, options);
  if (args.json) {
    process.stdout.write(`${JSON.stringify(trace)}\n`);
  } else if (args.format === 'latex' || args.format === 'markdown') {
    process.stdout.write(formatExplainAs(args.format, net, x, d, options, { digits: args.digits, trace }));
  } else {
    process.stdout.write(`${formatExplain(net, x, d, options, { digits: args.digits, trace })}\n`);
  }
  return 0;
}
