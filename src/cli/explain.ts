/**
 * `backprop explain`: one step of plain gradient descent on the rows of a CSV
 * file, with every intermediate value (SPEC section 5). The inputs are never
 * scaled and the target columns are used as numbers, as they are, so that a
 * learner can check each number by hand or against another tool.
 *
 * @module
 */

import { requireNumbers } from '../data/encoding.js';
import { readCsvFile } from '../data/node/csv-stream.js';
import { profileRows } from '../data/profile.js';
import { explain, formatExplain } from '../explain.js';
import type { LossSpec, Reduction } from '../losses.js';
import { CliError } from './errors.js';
import { readModel } from './files.js';

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
  json?: boolean;
}

/** Runs `explain`; resolves to the exit status. */
export async function explainCommand(args: ExplainArgs): Promise<number> {
  const { net } = await readModel(args.model, { dtype: args.dtype });
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
      `${file}: the model ${args.model} has ${net.inputs} inputs but the file has ${inputs.length} input columns (${inputs.join(', ')}); expected ${net.inputs} (choose them with --inputs)`,
    );
  }
  if (args.target.length !== net.outputs) {
    throw new CliError(
      `option --target: the model ${args.model} has ${net.outputs} outputs, expected as many target columns, got ${args.target.length} (${args.target.join(', ')})`,
    );
  }
  if (args.learningRate.length !== 1 && args.learningRate.length !== net.layers.length) {
    throw new CliError(
      `option --learning-rate: expected one eta or ${net.layers.length} (one per layer), got ${args.learningRate.length}`,
    );
  }
  const profile = profileRows(columns, rows, lines);
  for (const c of [...inputs, ...args.target]) requireNumbers(profile.get(c), file);
  const at = (names: string[]) => names.map((c) => columns.indexOf(c));
  const xi = at(inputs);
  const di = at(args.target);
  const x = rows.map((r) => xi.map((j) => Number(r[j].trim())));
  const d = rows.map((r) => di.map((j) => Number(r[j].trim())));
  const options = {
    loss: args.loss,
    reduction: args.reduction,
    learningRate: args.learningRate.length === 1 ? args.learningRate[0] : args.learningRate,
  };
  const trace = explain(net, x, d, options);
  if (args.json) {
    process.stdout.write(`${JSON.stringify(trace)}\n`);
  } else {
    process.stdout.write(`${formatExplain(net, x, d, options, { digits: args.digits, trace })}\n`);
  }
  return 0;
}
