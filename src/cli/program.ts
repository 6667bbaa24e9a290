/**
 * The `backprop` command line: commander's program with the
 * subcommands train, evaluate, predict, explain and datasets, each with --help.
 *
 * @module
 */

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { MAX_CLASS_VALUES } from '../data/encoding.js';
import type { datasetsExport } from './datasets.js';
import { describeError } from './errors.js';
import type { explainCommand } from './explain.js';
import { addGradcheckCommand } from './gradcheck.js';
import { addInteropCommands } from './interop.js';
import {
  ACTIVATIONS,
  classWeightSpec,
  columnList,
  DTYPES,
  dropoutRates,
  fraction,
  LOSSES,
  layerSizes,
  nonNegativeInteger,
  nonNegativeNumber,
  oneOf,
  parserOf,
  positiveInteger,
  REDUCTIONS,
  rates,
  SCALINGS,
  TASKS,
  tableOptions,
} from './options.js';
import {
  AUTO_EPOCHS,
  AUTO_MAX_EPOCHS,
  AUTO_MIN_DELTA,
  AUTO_PATIENCE,
  AUTO_UPDATES,
  AUTO_VALIDATION_SPLIT,
  AUTO_WEIGHT_DECAY,
} from './train/defaults.js';
import type { TrainArgs, TrainResult } from './train.js';

// Each command's module is loaded when the command runs: `backprop --help` and
// `backprop predict` do not pay for loading what training or ONNX need.

const TRAIN_HELP = `
Defaults (chosen to match or beat scikit-learn's MLPClassifier/MLPRegressor):
  one hidden layer of 100 relu nodes; adam with eta 0.001 (sgd, momentum and
  nesterov: 0.1), minibatches of 32, numeric inputs standardized (statistics
  kept in the model), numeric targets scaled the same way when the output
  activation is unbounded (linear, relu, leaky-relu, elu, softplus, gelu; never
  under sigmoid, tanh or softmax, whose range the targets must fit); --scale
  none scales nothing. predict and evaluate scale back: you see raw units.
  Without --epochs: early stopping on a seeded ${AUTO_VALIDATION_SPLIT} validation split (stratified
  for classes): after ${AUTO_PATIENCE} epochs without an improvement of ${AUTO_MIN_DELTA} in the
  validation cost the best weights are restored; at most ${AUTO_EPOCHS} epochs (small sets:
  enough for ${AUTO_UPDATES} updates, at most ${AUTO_MAX_EPOCHS}). --validation-split 0 turns the
  split off (patience then watches the training cost). With --epochs n: exactly
  n epochs unless --patience or --tolerance is given. train prints the rule used.
  Without --epochs, L2 weight decay ${AUTO_WEIGHT_DECAY.classes} for classes, ${AUTO_WEIGHT_DECAY.numbers} for numbers
  (noisy numeric targets overfit sooner); with --epochs, 0, as in the library.

Target: a single target column holds class labels (one-hot, softmax output,
  cross-entropy) when its values are not all numbers; or when they are whole
  numbers with at most ${MAX_CLASS_VALUES} distinct values, fewer than half the rows (a digit
  or label column); or when --loss is cross-entropy or binary-cross-entropy (two
  classes under binary-cross-entropy or a sigmoid output: one output, 0 and 1).
  Otherwise it is a number (linear output, mse). --task overrides the rule;
  train says in one line which it chose and why. Several target columns are
  numbers, one output node each. Text input columns are one-hot encoded.

Large files: with --stream (automatic above 256 MB in sequential/minibatch
  mode) the file is read in chunks each epoch and memory stays flat. A first
  pass computes exact scaling statistics over every row; rows go to
  validation/test by a seeded hash of their position (at most 10000 validation
  rows are kept); rows are shuffled within each chunk only.

Checkpoints: --checkpoint <file> saves every --checkpoint-every epochs; Ctrl-C
  saves one (to --checkpoint, else <out>.checkpoint.json) and exits with status
  130; rerun with --resume --checkpoint <file> to continue to exactly the weights
  an uninterrupted run reaches (the settings come from the checkpoint).

Exit status: 0 success, 1 failure during the run (e.g. the cost became NaN:
  the last finite weights are saved), 2 bad usage or bad input, 130 interrupted.

Examples:
  backprop train data/iris.csv --target species --test-split 0.25 --report iris.html
  backprop train data.csv --target price --hidden 64,32 --epochs 200 --out price.json
  backprop train xor.csv --target label --hidden 2 --activation sigmoid --loss half-squared \\
      --optimizer sgd --mode batch --learning-rate 0.5 --epochs 5000`;

/**
 * Builds the program. `done` receives each command's exit status.
 *
 * The lead wires the export/import commands here: see the marked spot below.
 */
export function buildProgram(
  done: (status: number) => void,
  hooks: { onTrainResult?: (result: TrainResult) => void } = {},
): Command {
  const program = new Command('backprop')
    .description(
      'Train multilayer perceptrons by gradient descent and backpropagation on CSV files, in the notation of the course notes.',
    )
    .version('0.1.0')
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({
      outputError: () => {}, // main() prints commander's errors as one line
    });

  const trainCommand = program
    .command('train')
    .summary('train a network on a CSV file')
    .description('Train a multilayer perceptron on a CSV file and save the model.')
    .argument('<data.csv>', 'CSV file with a header line')
    .option('--target <cols>', 'target column(s), comma-separated (required unless --resume)', columnList)
    .option(
      '--inputs <cols>',
      'input columns (default: every column that is not a target or ignored)',
      columnList,
    )
    .option('--ignore <cols>', 'columns to leave out (e.g. an id column)', columnList)
    .addOption(
      new Option('--task <task>', 'auto (the rule below), classes or numbers')
        .argParser(oneOf(TASKS))
        .default('auto'),
    )
    .option('--hidden <sizes>', 'hidden layer sizes, e.g. 64,32, or none', layerSizes, [100])
    .addOption(
      new Option('--activation <psi>', 'activation of hidden layers')
        .argParser(oneOf(ACTIVATIONS))
        .default('relu'),
    )
    .option(
      '--dropout <rates>',
      'dropout rate of the hidden layers while training (kept nodes scaled by 1/(1-p), none dropped when predicting): one for all, or one per hidden layer, e.g. 0.2,0.1',
      dropoutRates,
    )
    .addOption(
      new Option(
        '--output-activation <psi>',
        'activation of the output layer (default: softmax for classes, sigmoid for two classes with binary-cross-entropy, linear for numbers)',
      ).argParser(oneOf(ACTIVATIONS)),
    );
  // The settings of training: one flag per row of the settings table, in its order.
  const cliDefaults = {
    epochs: `${AUTO_EPOCHS} or more with early stopping, see below`,
    patience: `${AUTO_PATIENCE} without --epochs`,
    minDelta: `${AUTO_MIN_DELTA} without --epochs, else 0`,
    validationSplit: `${AUTO_VALIDATION_SPLIT} without --epochs, else 0`,
    weightDecay: `${AUTO_WEIGHT_DECAY.classes} for classes, ${AUTO_WEIGHT_DECAY.numbers} for numbers without --epochs, else 0`,
  };
  for (const option of tableOptions(cliDefaults)) trainCommand.addOption(option);
  trainCommand
    .addOption(new Option('--l2 <lambda>', 'the same as --weight-decay').argParser(parserOf('weightDecay')!))
    .option(
      '--class-weight <spec>',
      "weight of each class's examples in the cost: balanced (n / (classes x count of the class)) or label=w,label=w,...",
      classWeightSpec,
    )
    .option(
      '--sample-weight <column>',
      "column holding each row's weight in the cost (it is then not an input)",
    )
    .option('--test-split <f>', 'fraction of rows held out for testing (scored at the end)', fraction, 0)
    .addOption(new Option('--dtype <type>', 'float32 or float64').argParser(oneOf(DTYPES)).default('float32'))
    .addOption(
      new Option(
        '--scale <method>',
        'scaling of numeric inputs and targets: standard, minmax or none (nothing scaled anywhere)',
      )
        .argParser(oneOf(SCALINGS))
        .default('standard'),
    )
    .addOption(
      new Option('--target-scale <method>').hideHelp().argParser(() => {
        throw new InvalidArgumentError(
          'retired: --scale applies to numeric inputs and targets alike (--scale none scales nothing).',
        );
      }),
    )
    .option('--init <model.json>', 'start from the weights of this model')
    .option('--out <model.json>', 'where to save the model', 'model.json')
    .option('--checkpoint <file>', 'checkpoint file: saved every --checkpoint-every epochs and on Ctrl-C')
    .option('--checkpoint-every <n>', 'epochs between checkpoints', positiveInteger, 10)
    .option('--resume', 'continue from --checkpoint')
    .option('--stream', 'stream the file in chunks instead of reading it whole (sequential/minibatch)')
    .option('--chunk-size <rows>', 'rows per chunk when streaming', positiveInteger, 4096)
    .option('--report <file>', 'write pictures of the run: a .svg or .html file')
    .option('--json', 'print one JSON document (history and scores) on stdout')
    .option('--quiet', 'no progress on stderr')
    .option('--verbose', 'also say which backend computes (e.g. wasm-simd on 2 threads)')
    .addHelpText('after', TRAIN_HELP)
    .action(async (data: string, _opts: unknown, cmd: Command) => {
      const o = cmd.opts() as TrainArgs & {
        resume?: boolean;
        json?: boolean;
        quiet?: boolean;
        stream?: boolean;
      };
      const args: TrainArgs = {
        ...o,
        resume: Boolean(o.resume),
        json: Boolean(o.json),
        quiet: Boolean(o.quiet),
        stream: o.stream ? true : undefined,
      };
      const { train } = await import('./train.js');
      done(await train(data, args, hooks.onTrainResult));
    });

  program
    .command('evaluate')
    .summary('score a model on a labelled CSV file')
    .description(
      'Score a model on a CSV file that has its target column(s): cost, accuracy, per-class precision and recall and the confusion matrix for classes; MSE, MAE and R^2 for numbers.',
    )
    .argument('<model.json>', 'model file')
    .argument('<data.csv>', "CSV file with the model's input and target columns")
    .option('--json', 'print the scores as one JSON document on stdout')
    .action(async (model: string, data: string, opts: { json?: boolean }) => {
      const { evaluate } = await import('./evaluate.js');
      done(await evaluate(model, data, { json: Boolean(opts.json) }));
    });

  program
    .command('predict')
    .summary('predict with a model on a CSV file')
    .description(
      "Run a model on the rows of a CSV file (raw values: the model scales and encodes them): the predicted label and each class's probability, or the numeric outputs.",
    )
    .argument('<model.json>', 'model file')
    .argument('<data.csv>', "CSV file with the model's input columns")
    .option('--out <preds.csv>', 'write the predictions here (default: stdout)')
    .option('--json', 'print the predictions as one JSON document on stdout')
    .action(async (model: string, data: string, opts: { out?: string; json?: boolean }) => {
      const { predict } = await import('./predict.js');
      done(await predict(model, data, { out: opts.out, json: Boolean(opts.json) }));
    });

  program
    .command('explain')
    .summary("one step of backpropagation, every number in the notes' notation")
    .description(
      'Print one step of plain gradient descent on the rows of a CSV file: v, psi, x_out, delta per node, each gradient and each update w - eta^(n) dJ/dw. Inputs are never scaled; the target columns are used as numbers, as they are.',
    )
    .requiredOption('--model <model.json>', 'model file')
    .requiredOption('--data <data.csv>', 'CSV file: input columns and target columns, all numbers')
    .requiredOption('--target <cols>', 'target column(s), one per output node', columnList)
    .addOption(new Option('--loss <name>', 'loss L').argParser(oneOf(LOSSES)).makeOptionMandatory())
    .addOption(new Option('--reduction <r>', 'mean or sum (implied by sse/mse)').argParser(oneOf(REDUCTIONS)))
    .requiredOption('--learning-rate <eta>', 'eta, or one per layer: eta1,eta2,...', rates)
    .option(
      '--inputs <cols>',
      "input columns (default: the model's, else every non-target column)",
      columnList,
    )
    .addOption(new Option('--dtype <type>', 'float32 or float64').argParser(oneOf(DTYPES)).default('float64'))
    .option('--digits <n>', 'significant digits in the text form', positiveInteger, 6)
    .option(
      '--seed <n>',
      'seed of the dropout masks of a model with dropout: the masks of the first update of a training run with this seed (default 0)',
      nonNegativeInteger,
    )
    .addOption(
      new Option('--format <f>', 'text, or a worked example for a handout: latex or markdown')
        .choices(['text', 'latex', 'markdown'])
        .default('text'),
    )
    .option(
      '--json',
      'print the trace as one JSON document: loss, then per layer v, out, delta, the gradients and the weights after the step',
    )
    .addHelpText(
      'after',
      '\nExample:\n  backprop explain --model net.json --data xor.csv --target label --loss half-squared --reduction sum --learning-rate 0.5',
    )
    .action(async (opts: Parameters<typeof explainCommand>[0]) => {
      const { explainCommand } = await import('./explain.js');
      done(await explainCommand(opts));
    });

  const datasets = program
    .command('datasets')
    .summary('list and export the bundled and generated data sets')
    .description(
      'List the bundled data sets (iris, digits) and the generators (line, xor, circles, moons, spirals, blobs).',
    )
    .option('--json', 'print the list as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { datasetsList } = await import('./datasets.js');
      done(datasetsList(Boolean(opts.json)));
    });
  datasets
    .command('export')
    .description('Write a data set as CSV: a bundled one as it is, or n generated rows.')
    .argument('<name>', 'iris, digits, line, xor, circles, moons, spirals or blobs')
    .option('--out <file.csv>', 'write here (default: stdout)')
    .option('--rows <n>', 'rows to generate', positiveInteger, 200)
    .option('--seed <n>', 'seed of the generator', nonNegativeInteger, 0)
    .option(
      '--noise <sigma>',
      "standard deviation of the noise (default: the generator's)",
      nonNegativeNumber,
    )
    .option('--centers <k>', 'blobs: number of classes', positiveInteger)
    .action(async (name: string, opts: Parameters<typeof datasetsExport>[1]) => {
      const { datasetsExport } = await import('./datasets.js');
      done(await datasetsExport(name, opts));
    });

  // export and import: ONNX, TensorFlow.js and safetensors (src/cli/interop.ts).
  addInteropCommands(program);
  // gradcheck: backpropagation against finite differences (src/cli/gradcheck.ts).
  addGradcheckCommand(program, done);

  return program;
}

/** Runs the command line on `argv` (as process.argv); resolves to the exit status. */
export async function main(
  argv: string[],
  hooks: { onTrainResult?: (result: TrainResult) => void } = {},
): Promise<number> {
  let status = 0;
  const program = buildProgram((s) => {
    status = s;
  }, hooks);
  try {
    await program.parseAsync(argv);
    return status;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
        return 0;
      if (err.code === 'commander.help' || err.code === 'commander.executeSubCommandAsync')
        return err.exitCode === 0 ? 0 : 2;
      const message = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
      process.stderr.write(`backprop: ${message} (see backprop ${commandName(program, argv)}--help)\n`);
      return 2;
    }
    const { exitCode, message } = describeError(err);
    process.stderr.write(`backprop: ${message}\n`);
    if (process.env.BACKPROP_DEBUG && err instanceof Error && err.stack)
      process.stderr.write(`${err.stack}\n`);
    return exitCode;
  }
}

/** The subcommand named on the command line (every one the program has), followed by a space, or ''. */
function commandName(program: Command, argv: string[]): string {
  const name = argv.slice(2).find((a) => !a.startsWith('-'));
  return name && program.commands.some((c) => c.name() === name) ? `${name} ` : '';
}
