/**
 * `backprop export` and `backprop import`: a model file to and from ONNX,
 * TensorFlow.js layers format and safetensors (PyTorch). The conversions are
 * the library's (src/interop); this module reads and writes the files, each
 * output through a temporary name and a rename, and nothing at all when the
 * input cannot be converted.
 *
 * @module
 */

import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { type Command, Option } from 'commander';
import { DEFAULT_DTYPE } from '../backend/backend.js';
import { BackpropError } from '../errors.js';
import type { TfjsModelJson } from '../interop/tfjs.js';
import { type ModelFile, validateModel } from '../model/format.js';
import { CliError, fileReason } from './errors.js';
import { readJsonFile, writeFileAtomic } from './files.js';

const FORMATS = ['onnx', 'tfjs', 'safetensors'] as const;
type Format = (typeof FORMATS)[number];
/** What export writes: the formats import reads, and a PyTorch training script. */
const EXPORT_FORMATS = [...FORMATS, 'pytorch'] as const;
type ExportFormat = (typeof EXPORT_FORMATS)[number];

const EXPORT_HELP = `
What each format holds:
  onnx         one file: per layer a Gemm (transB = 1, weights units x fan-in) and the
               activation operator; input 'input' and output 'output' of shape
               [batch, m] with a symbolic batch; opset 17 by default (gelu as its erf
               expansion; --opset 20 writes the Gelu operator). Runs in ONNX Runtime.
  tfjs         --out model.json plus model.weights.bin beside it (or a directory to put
               both in): a Sequential of Dense layers that tf.loadLayersModel loads.
               float32 only.
  safetensors  the state dict of an nn.Sequential of Linear and activation modules
               ('0.weight' units x fan-in, '0.bias', ...); the Python that builds the
               module and loads the file is printed on stdout (it needs the Python
               packages torch and safetensors).
  pytorch      a training script, train.py, needing torch alone: it trains the network
               from these weights as 'backprop train' would (the model's preprocessing,
               its training record's loss, mode, optimizer, per-layer rates and stopping
               rules, or the library's defaults without a record), on one process
               (python train.py data.csv) or many (torchrun --nproc_per_node=4 train.py
               data.csv), and writes model.safetensors for 'backprop import'. The model
               must come from 'backprop train'. See docs/pytorch.md.
Column names, scaling and class labels travel as metadata ('backprop'); the exported
networks take inputs already scaled, as the network does, except an ONNX graph
exported with --raw-inputs, which scales raw numeric columns itself (and scales
numeric predictions back).

Examples:
  backprop export model.json --to onnx --out model.onnx
  backprop export model.json --to tfjs --out web/model.json
  backprop export model.json --to safetensors --out model.safetensors > load_model.py
  backprop export model.json --to pytorch --out train.py --dtype float64`;

const IMPORT_HELP = `
Reads:
  .onnx         a chain of Gemm (or MatMul + Add) and activation nodes, e.g. what
                torch.onnx.export writes for an nn.Sequential of Linear, ReLU, Sigmoid,
                Tanh, LeakyReLU(0.01), ELU, Softplus, GELU and Softmax.
  .json         a TensorFlow.js layers model of Dense layers; its weights files are
                read from beside it (or --weights).
  .safetensors  a state dict of an nn.Sequential of Linear modules; give the
                activations with --layers, one per Linear layer (not needed for a file
                that backprop wrote).
Anything the network cannot express (a convolution, a residual Add, batch norm) is
refused with a message naming it, and no file is written.

Examples:
  backprop import mlp.onnx --out model.json
  backprop import web/model.json --out model.json
  backprop import mlp.safetensors --layers relu,relu,softmax --out model.json`;

/** The format of `path`: by --from, else by extension, else by the first bytes. */
function detectFormat(path: string, bytes: Uint8Array): Format {
  const ext = extname(path).toLowerCase();
  if (ext === '.onnx') return 'onnx';
  if (ext === '.safetensors') return 'safetensors';
  if (ext === '.json') return 'tfjs';
  if (bytes[0] === 0x7b) return 'tfjs';
  if (bytes.length > 8 && bytes[8] === 0x7b) return 'safetensors';
  return 'onnx';
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new CliError(`${path}: cannot read the file (${fileReason(err)})`);
  }
}

/** Names `file` in an error from a converter, which knows only bytes. */
async function convert<T>(file: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof BackpropError) throw new CliError(`${file}: ${err.message}`);
    throw err;
  }
}

interface ExportOptions {
  to: ExportFormat;
  out: string;
  dtype?: 'float32' | 'float64';
  opset: number;
  rawInputs?: boolean;
  json?: boolean;
}

async function exportCommand(modelPath: string, opts: ExportOptions, dtypeGiven: boolean): Promise<void> {
  const json = await readJsonFile(modelPath);
  const model: ModelFile = await convert(modelPath, () => validateModel(json));
  // The model file's own dtype unless --dtype is given.
  const dtype = opts.dtype ?? model.dtype ?? DEFAULT_DTYPE;
  const written: string[] = [];
  let python: string | undefined;
  if (opts.to === 'pytorch') {
    if (opts.rawInputs)
      throw new CliError('option --raw-inputs: the training script reads raw columns already');
    const { toPytorch } = await import('../interop/pytorch.js');
    const script = await convert(modelPath, () =>
      toPytorch(model, {
        dtype: dtypeGiven ? opts.dtype : undefined,
        source: basename(modelPath),
        scriptName: basename(opts.out),
      }),
    );
    await writeFileAtomic(opts.out, script);
    written.push(opts.out);
  } else if (opts.to === 'onnx') {
    // Each converter is loaded when it is used (ONNX brings protobufjs).
    const { toOnnx } = await import('../interop/onnx.js');
    const bytes = await convert(modelPath, () =>
      toOnnx(model, { dtype, opset: opts.opset, rawInputs: opts.rawInputs }),
    );
    await writeFileAtomic(opts.out, bytes);
    written.push(opts.out);
  } else if (opts.to === 'tfjs') {
    if (opts.dtype === 'float64')
      throw new CliError('option --dtype: TensorFlow.js layers models hold float32 only');
    let jsonPath = opts.out;
    if (extname(opts.out).toLowerCase() !== '.json') {
      await mkdir(opts.out, { recursive: true });
      jsonPath = join(opts.out, 'model.json');
    }
    const weightsName = `${basename(jsonPath, extname(jsonPath))}.weights.bin`;
    const { toTfjs } = await import('../interop/tfjs.js');
    const { modelJson, weightsBin } = await convert(modelPath, () =>
      toTfjs(model, { weightsPath: weightsName }),
    );
    const weightsPath = join(dirname(jsonPath), weightsName);
    // The weights first: a model.json is never left pointing at a missing file.
    await writeFileAtomic(weightsPath, weightsBin);
    await writeFileAtomic(jsonPath, `${JSON.stringify(modelJson)}\n`);
    written.push(jsonPath, weightsPath);
  } else {
    if (opts.rawInputs)
      throw new CliError('option --raw-inputs: only an ONNX graph can hold the preprocessing');
    const { toSafetensors } = await import('../interop/safetensors.js');
    const result = await convert(modelPath, () =>
      toSafetensors(model, { dtype, fileName: basename(opts.out) }),
    );
    await writeFileAtomic(opts.out, result.bytes);
    written.push(opts.out);
    python = result.python;
  }
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ format: opts.to, files: written, ...(python ? { python } : {}) })}\n`,
    );
  } else {
    if (python) process.stdout.write(python);
    process.stderr.write(`wrote ${written.join(' and ')} (${opts.to})\n`);
  }
  const dropped = model.layers.flatMap((l, n) => (l.dropout ? [`layers[${n}] p = ${l.dropout}`] : []));
  if (dropped.length > 0) {
    process.stderr.write(
      opts.to === 'pytorch'
        ? `note: dropout (${dropped.join(', ')}) trains as nn.Dropout(p) in the script, with PyTorch's masks, not backprop's\n`
        : `note: dropout (${dropped.join(', ')}) is left out: it acts only in training, and the exported network predicts with every node, as backprop does\n`,
    );
  }
  if (opts.to === 'pytorch' && !opts.json) {
    process.stderr.write(
      `run it: python ${opts.out} <data.csv>   or   torchrun --nproc_per_node=2 ${opts.out} <data.csv>\n`,
    );
  } else if (model.preprocessing !== undefined && !opts.rawInputs && !opts.json) {
    process.stderr.write(
      `note: the exported network takes scaled, encoded inputs; the recipe (model.json's preprocessing) travels in the metadata entry 'backprop'\n`,
    );
  }
}

interface ImportOptions {
  out: string;
  from?: Format;
  layers?: string;
  weights?: string[];
  json?: boolean;
}

async function readTfjs(path: string, bytes: Uint8Array, weights: string[] | undefined): Promise<ModelFile> {
  let modelJson: TfjsModelJson;
  try {
    modelJson = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new CliError(
      `${path}: not valid JSON (${(err as Error).message}); expected a TensorFlow.js model.json`,
    );
  }
  let data: Uint8Array | Record<string, Uint8Array>;
  if (weights?.length) {
    const parts = await Promise.all(weights.map(readBytes));
    data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      data.set(part, at);
      at += part.length;
    }
  } else {
    const paths = Array.isArray(modelJson?.weightsManifest)
      ? modelJson.weightsManifest.flatMap((g) => g.paths ?? [])
      : [];
    data = {};
    for (const p of paths) data[p] = await readBytes(join(dirname(path), p));
  }
  const { fromTfjs } = await import('../interop/tfjs.js');
  return convert(path, () => fromTfjs(modelJson, data));
}

async function importCommand(file: string, opts: ImportOptions): Promise<void> {
  const bytes = await readBytes(file);
  const format = opts.from ?? detectFormat(file, bytes);
  if (opts.layers !== undefined && format !== 'safetensors') {
    throw new CliError(
      `option --layers: only a safetensors file needs its activations given; ${file} is ${format}`,
    );
  }
  if (opts.weights !== undefined && format !== 'tfjs') {
    throw new CliError(
      `option --weights: only a TensorFlow.js model.json has separate weights; ${file} is ${format}`,
    );
  }
  let model: ModelFile;
  if (format === 'onnx') {
    const { fromOnnx } = await import('../interop/onnx-import.js');
    model = await convert(file, () => fromOnnx(bytes));
  } else if (format === 'safetensors') {
    const { fromSafetensors } = await import('../interop/safetensors.js');
    model = await convert(file, () => fromSafetensors(bytes, opts.layers));
  } else model = await readTfjs(file, bytes, opts.weights);
  await writeFileAtomic(opts.out, `${JSON.stringify(model)}\n`);
  const shape = [model.inputs, ...model.layers.map((l) => `${l.units} ${l.activation}`)].join(' -> ');
  if (opts.json)
    process.stdout.write(
      `${JSON.stringify({ format, out: opts.out, inputs: model.inputs, layers: model.layers.map((l) => ({ units: l.units, activation: l.activation })) })}\n`,
    );
  else process.stderr.write(`wrote ${opts.out} from ${format}: ${shape}\n`);
}

function opsetNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 13 || n > 21)
    throw new CliError(`option --opset: expected a whole number from 13 to 21, got '${value}'`);
  return n;
}

function collectPaths(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * Registers `backprop export <model.json> --to onnx|tfjs|safetensors --out <path>`
 * and `backprop import <file> --out <model.json> [--layers ...]` on `program`.
 * Errors are thrown (a {@link CliError}, exit status 2 for bad input, 1 for a
 * file that cannot be written) for the program's handler to print as one line.
 */
export function addInteropCommands(program: Command): void {
  program
    .command('export')
    .summary('convert a model to ONNX, TensorFlow.js, safetensors or a PyTorch training script')
    .description(
      'Write a model file as an ONNX model, a TensorFlow.js layers model, a safetensors state dict for PyTorch, or a PyTorch script that trains it as backprop train would.',
    )
    .argument('<model.json>', 'model file')
    .addOption(
      new Option('--to <format>', 'onnx, tfjs, safetensors or pytorch')
        .choices(EXPORT_FORMATS)
        .makeOptionMandatory(),
    )
    .requiredOption('--out <path>', 'file to write (tfjs: model.json, or a directory; pytorch: train.py)')
    .addOption(
      new Option(
        '--dtype <type>',
        "element type of the weights (onnx, safetensors) or of training (pytorch); default the model's",
      ).choices(['float32', 'float64']),
    )
    .option('--opset <n>', 'ONNX opset, 13 to 21', opsetNumber, 17)
    .option(
      '--raw-inputs',
      'onnx: put the numeric scaling into the graph, so that it takes raw column values',
    )
    .option('--json', 'print what was written as one JSON document on stdout')
    .addHelpText('after', EXPORT_HELP)
    .action(async (modelPath: string, opts: ExportOptions, command: Command) => {
      await exportCommand(modelPath, opts, command.getOptionValueSource('dtype') === 'cli');
    });

  program
    .command('import')
    .summary('convert an ONNX, TensorFlow.js or safetensors MLP to a model file')
    .description(
      'Read a multilayer perceptron from ONNX, a TensorFlow.js layers model or safetensors and write a model file.',
    )
    .argument('<file>', '.onnx, model.json (TensorFlow.js) or .safetensors')
    .requiredOption('--out <model.json>', 'model file to write')
    .addOption(
      new Option('--from <format>', 'the input format (default: from the file name)').choices(FORMATS),
    )
    .option('--layers <activations>', 'safetensors: one activation per Linear layer, e.g. relu,relu,softmax')
    .option(
      '--weights <file.bin>',
      'tfjs: weights file(s) in manifest order (default: beside model.json)',
      collectPaths,
    )
    .option('--json', 'print a summary of the imported model as one JSON document on stdout')
    .addHelpText('after', IMPORT_HELP)
    .action(async (file: string, opts: ImportOptions) => {
      await importCommand(file, opts);
    });
}
