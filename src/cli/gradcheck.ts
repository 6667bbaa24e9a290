/**
 * `backprop gradcheck`: every backpropagated dJ/dw of a model on the rows of a
 * CSV file against central finite differences, per layer, with a verdict
 * (the library's {@link gradientCheck}). Without --target the rows are encoded
 * by the model's own preprocessing (scaling, one-hot), as training sees them;
 * with --target they are used as numbers, as they are, like `explain`.
 *
 * @module
 */
import { type Command, Option } from 'commander';
import { requireNumbers, rowEncoder } from '../data/encoding.js';
import { readCsvFile } from '../data/node/csv-stream.js';
import { profileRows } from '../data/profile.js';
import { formatGradientCheck, gradientCheck } from '../gradcheck.js';
import type { LossSpec, Reduction } from '../losses.js';
import { plural } from '../plural.js';
import { CliError, RUNTIME_FAILURE } from './errors.js';
import { modelEncoding, readModel } from './files.js';
import { columnList, LOSSES, oneOf, positiveInteger, positiveNumber, REDUCTIONS } from './options.js';
import { encodeRows, modelLoss } from './run-model.js';

/** Options of `gradcheck`. */
export interface GradcheckArgs {
  model: string;
  data: string;
  target?: string[];
  inputs?: string[];
  loss?: LossSpec;
  reduction?: Reduction;
  rows?: number;
  step?: number;
  tolerance?: number;
  json?: boolean;
}

type Rows = { x: number[][]; d: number[][] };

/** Rows as numbers, as they are: like `explain`. */
function plainRows(
  args: GradcheckArgs,
  target: string[],
  table: Awaited<ReturnType<typeof readCsvFile>>,
  inputsNeeded: number,
  modelColumns: string[] | undefined,
): Rows {
  const { columns, rows, lines, file } = table;
  for (const c of [...target, ...(args.inputs ?? [])]) {
    if (!columns.includes(c)) {
      throw new CliError(
        `${file}: column '${c}' is not in the header; expected one of: ${columns.join(', ')}`,
      );
    }
  }
  const fromModel = modelColumns?.filter((c) => columns.includes(c) && !target.includes(c));
  const inputs =
    args.inputs ??
    (fromModel?.length === inputsNeeded ? fromModel : columns.filter((c) => !target.includes(c)));
  if (inputs.length !== inputsNeeded) {
    throw new CliError(
      `${file}: the model has ${plural(inputsNeeded, 'input')} but the file has ${plural(inputs.length, 'input column')} (${inputs.join(', ')}); choose them with --inputs`,
    );
  }
  const profile = profileRows(columns, rows, lines);
  for (const c of [...inputs, ...target]) requireNumbers(profile.get(c), file);
  const pick = (names: string[]) => {
    const at = names.map((c) => columns.indexOf(c));
    return rows.map((r) => at.map((j) => Number(r[j].trim())));
  };
  return { x: pick(inputs), d: pick(target) };
}

/** Runs `gradcheck`; resolves to 0 when every layer passes, 1 when one fails. */
export async function gradcheckCommand(args: GradcheckArgs): Promise<number> {
  const loaded = await readModel(args.model, { dtype: 'float64' });
  const { net } = loaded;
  const table = await readCsvFile(args.data);
  let data: Rows;
  if (args.target) {
    if (args.target.length !== net.outputs) {
      throw new CliError(
        `option --target: the model ${args.model} has ${plural(net.outputs, 'output')}, expected as many target columns, got ${args.target.length}`,
      );
    }
    data = plainRows(args, args.target, table, net.inputs, net.meta.inputColumns);
  } else {
    if (!loaded.encoding) {
      throw new CliError(
        `option --target: ${args.model} holds no preprocessing; name the target column(s), e.g. --target label`,
      );
    }
    const enc = modelEncoding(loaded, args.model, table.columns, table.file);
    const encoded = encodeRows(
      rowEncoder(enc, table.columns, table.file, true),
      table.rows,
      table.lines,
      undefined,
      'float64',
    );
    const rows = (flat: Float32Array | Float64Array, width: number) =>
      Array.from({ length: encoded.rows }, (_, r) => Array.from(flat.subarray(r * width, (r + 1) * width)));
    data = { x: rows(encoded.x.data, net.inputs), d: rows(encoded.d!.data, net.outputs) };
  }
  if (args.rows !== undefined) data = { x: data.x.slice(0, args.rows), d: data.d.slice(0, args.rows) };
  const trained = modelLoss(net);
  const result = gradientCheck(net, data.x, data.d, {
    loss: args.loss ?? trained.loss,
    reduction: args.reduction ?? (args.loss ? undefined : trained.reduction),
    step: args.step,
    tolerance: args.tolerance,
  });
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${formatGradientCheck(result)}\n`);
  return result.passed ? 0 : RUNTIME_FAILURE;
}

/** Registers `backprop gradcheck` on `program`; `done` receives the exit status. */
export function addGradcheckCommand(program: Command, done: (status: number) => void): void {
  program
    .command('gradcheck')
    .summary('check every backpropagated dJ/dw against finite differences')
    .description(
      "Compare every dJ/dw^(n)_mi that backpropagation gives with the central difference (J(w + h) - J(w - h)) / 2h, in float64, and print per layer the largest relative error and a verdict naming the layer where they disagree. Exit status 1 when a layer fails. Without --target the rows are encoded by the model's preprocessing, as training sees them; with --target they are used as numbers, as they are.",
    )
    .requiredOption('--model <model.json>', 'model file')
    .requiredOption('--data <data.csv>', 'CSV file of examples')
    .option(
      '--target <cols>',
      "target column(s), used as numbers (default: the model's preprocessing)",
      columnList,
    )
    .option('--inputs <cols>', "with --target: input columns (default: the model's)", columnList)
    .addOption(new Option('--loss <name>', "loss L (default: the model's)").argParser(oneOf(LOSSES)))
    .addOption(new Option('--reduction <r>', 'mean or sum').argParser(oneOf(REDUCTIONS)))
    .option(
      '--rows <n>',
      'check on the first n rows only (each weight costs two passes over them)',
      positiveInteger,
    )
    .option('--step <h>', 'h of the finite differences (default 1e-5)', positiveNumber)
    .option('--tolerance <e>', 'largest relative error that passes (default 1e-5)', positiveNumber)
    .option('--json', 'print the result as one JSON document on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  backprop gradcheck --model iris.json --data data/iris.csv\n  backprop gradcheck --model net.json --data xor.csv --target label --loss half-squared',
    )
    .action(async (opts: GradcheckArgs) => {
      done(await gradcheckCommand(opts));
    });
}
