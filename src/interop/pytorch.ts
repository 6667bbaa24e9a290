/**
 * A model file as a PyTorch training script: one Python file, needing torch
 * alone, that trains the network from the model's weights as `backprop train`
 * would (same preprocessing, loss and reduction, mode, optimizer with one
 * parameter group per layer, stopping rules, seeded splits and shuffles), on one
 * process or many under `torchrun`, and writes the result as safetensors for
 * `backprop import`.
 *
 * The settings come from the model file's `training` record, read leniently
 * (any field missing takes the library's default, as {@link resolveSettings}
 * gives it), and are written at the top of the script as a Python dict.
 *
 * @module
 */
import { DEFAULT_DTYPE } from '../backend/backend.js';
import { BackpropError } from '../errors.js';
import { Network } from '../network.js';
import { checkOptimizerSettings, type OptimizerSettings } from '../optimizers.js';
import { type ResolvedSettings, resolveSettings, type TrainOptions } from '../settings.js';
import { InteropError, type ModelFile, type TensorDType, validateModel } from './common.js';
import { TRAIN_SCRIPT } from './pytorch-script.js';

/** Options of {@link toPytorch}. */
export interface PytorchExportOptions {
  /** Element type of training; default the training record's or the model's `dtype`, else float32. */
  dtype?: TensorDType;
  /** The model's file name, for the script's first comment. */
  source?: string;
  /** The script's own file name, for its usage lines; default `train.py`. */
  scriptName?: string;
}

/** What the script trains with: the resolved settings and what the data split needs. */
export interface PytorchSettings extends Omit<ResolvedSettings, 'optimizer' | 'batchSize'> {
  optimizer: OptimizerSettings;
  /** B of minibatch mode; null in batch mode (every row) and 1 in sequential mode. */
  batchSize: number | null;
  outputActivation: string;
  dtype: TensorDType;
  testSplit: number;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The value, or undefined for null (a record may hold null for "not set"). */
function given<T>(x: T | null | undefined): T | undefined {
  return x === null ? undefined : x;
}

/**
 * The settings `backprop train` would use for `model`: its `training` record
 * where it has one (optimizer given as a name or as `{ name, momentum, ... }`;
 * the epoch limit from `maxEpochs`, else `epochs`), the library's defaults for
 * the rest.
 *
 * @throws InteropError naming the field of the record that cannot be used.
 */
export function pytorchSettings(model: ModelFile, options: PytorchExportOptions = {}): PytorchSettings {
  const record = isRecord(model.training) ? model.training : {};
  const optimizer = record.optimizer;
  const hyper = isRecord(optimizer) ? optimizer : {};
  const pick = (key: string) => given(hyper[key] ?? record[key]) as number | undefined;
  const mode = given(record.mode) as TrainOptions['mode'];
  const trainOptions: TrainOptions = {
    loss: given(record.loss) as TrainOptions['loss'],
    reduction: given(record.reduction) as TrainOptions['reduction'],
    mode,
    batchSize: mode === 'minibatch' || mode === undefined ? pick('batchSize') : undefined,
    learningRate: given(record.learningRate) as TrainOptions['learningRate'],
    optimizer: (typeof optimizer === 'string' ? optimizer : given(hyper.name)) as TrainOptions['optimizer'],
    momentum: pick('momentum'),
    beta1: pick('beta1'),
    beta2: pick('beta2'),
    epsilon: pick('epsilon'),
    rho: pick('rho'),
    weightDecay: pick('weightDecay'),
    shuffle: given(record.shuffle) as boolean | undefined,
    seed: pick('seed'),
    epochs: pick('maxEpochs') ?? pick('epochs'),
    tolerance: pick('tolerance'),
    patience: pick('patience'),
    minDelta: pick('minDelta'),
  };
  // The script trains as torch.optim does: it writes no L1 term, schedule or weights, so it refuses them.
  const schedule = record.schedule;
  const unsupported =
    typeof record.l1 === 'number' && record.l1 > 0
      ? 'l1'
      : schedule !== undefined &&
          schedule !== 'constant' &&
          !(isRecord(schedule) && schedule.name === 'constant' && !schedule.warmup)
        ? 'schedule'
        : record.classWeights !== undefined
          ? 'classWeights'
          : record.sampleWeights !== undefined
            ? 'sampleWeights'
            : null;
  if (unsupported) {
    throw new InteropError(
      `training record: ${unsupported}: the PyTorch script does not train with it yet; train without it to export a script`,
    );
  }
  let settings: ResolvedSettings;
  const net = Network.fromJSON(model, { dtype: 'float64' });
  try {
    // Batch mode takes every row the script reads, whatever their number.
    settings = resolveSettings(net, trainOptions, mode === 'batch' ? Number.MAX_SAFE_INTEGER : null);
    checkOptimizerSettings(settings.optimizer);
  } catch (error) {
    if (error instanceof BackpropError) throw new InteropError(`training record: ${error.message}`);
    throw error;
  }
  const fraction = (key: string): number => {
    const f = given(record[key]) ?? 0;
    if (typeof f !== 'number' || !(f >= 0 && f < 1))
      throw new InteropError(`training record: ${key}: expected a fraction in [0, 1), got ${String(f)}`);
    return f;
  };
  const dtype = options.dtype ?? given(record.dtype) ?? given(model.dtype) ?? DEFAULT_DTYPE;
  if (dtype !== 'float32' && dtype !== 'float64')
    throw new InteropError(`dtype: expected float32 or float64, got ${String(dtype)}`);
  return {
    ...settings,
    batchSize: settings.mode === 'batch' ? null : settings.batchSize,
    outputActivation: model.layers[model.layers.length - 1].activation,
    dtype,
    validationSplit: fraction('validationSplit'),
    testSplit: fraction('testSplit'),
  };
}

/** `value` as a Python literal (dicts, lists, strings, numbers, True/False/None). */
function python(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : JSON.stringify(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => python(v, indent)).join(', ')}]`;
  const inner = `${indent}    `;
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `${inner}${JSON.stringify(k)}: ${python(v, inner)},`,
  );
  return `{\n${entries.join('\n')}\n${indent}}`;
}

/**
 * The Python training script of `model` (see the module comment). The model
 * must carry its preprocessing (input columns, scaling, target encoding), as a
 * model file written by `backprop train` does, so that the script reads a CSV
 * file as `backprop train` reads it.
 *
 * @example
 * writeFileSync('train.py', toPytorch(JSON.parse(readFileSync('model.json', 'utf8'))));
 * // python train.py data.csv   or   torchrun --nproc_per_node=4 train.py data.csv
 */
export function toPytorch(model: ModelFile, options: PytorchExportOptions = {}): string {
  validateModel(model);
  const pre = model.preprocessing;
  if (!isRecord(pre) || !Array.isArray(pre.inputs) || !isRecord(pre.target)) {
    throw new InteropError(
      'the model holds no preprocessing (input columns, scaling, target encoding), so a script cannot read a CSV file for it; export a model written by backprop train',
    );
  }
  const settings = pytorchSettings(model, options);
  const shape = [model.inputs, ...model.layers.map((l) => `${l.units} ${l.activation}`)].join(' -> ');
  const fill: Record<string, string> = {
    __SOURCE__: options.source ?? 'a backprop model file',
    __SCRIPT__: options.scriptName ?? 'train.py',
    __SHAPE__: shape,
    __SETTINGS__: python(settings),
    // A JSON text inside a JSON string literal, which Python reads as the same string.
    __MODEL__: JSON.stringify(JSON.stringify(model)),
  };
  return TRAIN_SCRIPT.replace(/__(SOURCE|SCRIPT|SHAPE|SETTINGS|MODEL)__/g, (key) => fill[key]);
}
