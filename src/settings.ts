/**
 * The training settings: what each option means, its default, and the one
 * function that checks a caller's options and fills in the defaults.
 *
 * @module
 */

import { isClassification } from './classification.js';
import type { MatrixInput } from './data/tensor.js';
import { BackpropError } from './errors.js';
import { checkLossFits, defaultLoss, type LossName, type Reduction, resolveLoss } from './losses.js';
import type { Network } from './network.js';
import { OPTIMIZER_DEFAULTS, type OptimizerSettings } from './optimizers.js';
import { type ResolvedSchedule, resolveSchedule } from './schedules.js';
import { checkField } from './settings/check.js';
import {
  defaultLearningRate,
  FIELD_NAMES,
  FIELDS,
  type FieldName,
  type FieldOptions,
  fieldOf,
  MODES,
  type Mode,
  nearestName,
  OPTIMIZER_FIELDS,
} from './settings/fields.js';

export { MODES, type Mode };

/** Options of training that are not settings of the table: data and the choice of kernel path. */
export interface TrainerExtras {
  /** Examples for validation, instead of a split, with their weights if any. */
  validationData?: { inputs: MatrixInput; targets: MatrixInput; sampleWeights?: ArrayLike<number> };
  /**
   * Let small networks trained one example at a time with plain sgd skip kernel
   * dispatch (same results to the bit): `true` (default) runs whole runs of
   * updates in the WebAssembly small-network kernel where it compiles, else the
   * TypeScript inline path; `'wasm'` or `'js'` asks for one of them; `false`
   * uses the general kernels, to compare.
   */
  inlineSmallNetworks?: boolean | 'wasm' | 'js';
  /**
   * w_i, one weight (at least 0) per example of the inputs: the cost of a batch
   * of n examples becomes (1/n) sum_i w_i L(i) for `mean`, sum_i w_i L(i) for
   * `sum`. They follow their examples through the shuffles and the validation
   * split; a class weight multiplies them.
   */
  sampleWeights?: ArrayLike<number>;
}

/**
 * Options of training: one per row of the settings table (see `FIELDS` for
 * each one's meaning, default and range), each optional, plus {@link TrainerExtras}.
 */
export type TrainOptions = FieldOptions & TrainerExtras & AliasOptions;

/** Other names of rows (a row's `aliases`): `l2` is `weightDecay`. */
export interface AliasOptions {
  /** lambda of L2 weight decay: the same setting as `weightDecay`. */
  l2?: number;
}

/**
 * Keys a caller may pass besides the rows: the Trainer's ({@link TrainerExtras})
 * and `fit`'s own (`signal`, `onEpoch`), which reach the Trainer with the rest.
 */
const EXTRA_KEYS: readonly string[] = [
  'validationData',
  'inlineSmallNetworks',
  'sampleWeights',
  'signal',
  'onEpoch',
] satisfies (keyof TrainerExtras | 'signal' | 'onEpoch')[];

/** Settings after defaults, as the trainer uses them. */
export interface ResolvedSettings {
  loss: LossName;
  reduction: Reduction;
  mode: Mode;
  batchSize: number;
  learningRate: number[];
  /** The optimizer's name and its hyperparameters (the table's optimizer rows). */
  optimizer: OptimizerSettings;
  shuffle: boolean;
  seed: number;
  epochs: number;
  tolerance?: number;
  patience?: number;
  minDelta: number;
  validationSplit: number;
  /** The schedule of eta, with its parameters filled in. */
  schedule: ResolvedSchedule;
  /** The weights of the classes, as given. */
  classWeights?: 'balanced' | Readonly<Record<string, number>>;
}

// Every row has its resolved value here, under its own name or inside `optimizer`, and nothing else does.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type RowsOutside = Exclude<FieldName, (typeof OPTIMIZER_FIELDS)[number]>;
const resolvedKeysMatchRows: Same<keyof ResolvedSettings, RowsOutside> = true;
void resolvedKeysMatchRows;
// A resolved value is a value a caller could have given.
type Given = Omit<Required<FieldOptions>, 'optimizer'> & { optimizer: OptimizerSettings };
type Fits = {
  [K in RowsOutside]-?: Exclude<ResolvedSettings[K], undefined> extends Given[K] ? true : false;
}[RowsOutside];
const resolvedValuesFit: Same<Fits, true> = true;
void resolvedValuesFit;

/** The rows with a constant default. */
type Defaulted = { [K in FieldName]: (typeof FIELDS)[K] extends { default: unknown } ? K : never }[FieldName];

/** Each alias of a row (`l2`) and the row it names (`weightDecay`). */
const ALIASES = new Map<string, FieldName>(
  FIELD_NAMES.flatMap((k) => (fieldOf(k).aliases ?? []).map((a) => [a, k] as [string, FieldName])),
);

/** The options with each alias given under its row's name; an alias and its row that disagree are refused. */
function unalias(options: TrainOptions): TrainOptions {
  let out = options;
  for (const [alias, k] of ALIASES) {
    if (!Object.hasOwn(options, alias)) continue;
    const value = (options as Record<string, unknown>)[alias];
    const own = options[k];
    if (own !== undefined && value !== undefined && own !== value) {
      throw new BackpropError(
        `${alias}: another name of ${k}, given both as ${String(value)} and ${String(own)}`,
      );
    }
    const { [alias]: _, ...rest } = out as Record<string, unknown>;
    out = { ...rest, [k]: own ?? value } as TrainOptions;
  }
  return out;
}

/** Refuses a key that is no setting, naming the nearest one. */
function refuseUnknownKeys(options: object): void {
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(FIELDS, key) || EXTRA_KEYS.includes(key) || ALIASES.has(key)) continue;
    const near = nearestName(key, [...FIELD_NAMES, ...ALIASES.keys(), ...EXTRA_KEYS]);
    throw new BackpropError(`${key}: unknown option${near ? `; did you mean '${near}'?` : ''}`);
  }
}

/**
 * Checks options against the network and the number of examples n (unknown for
 * a stream) and fills in the defaults.
 */
export function resolveSettings(net: Network, raw: TrainOptions, n: number | null): ResolvedSettings {
  if (typeof raw !== 'object' || raw === null) throw new BackpropError('options: expected an object');
  refuseUnknownKeys(raw);
  const options = unalias(raw);
  const output = net.outputActivation;
  // The loss first: its own messages name the loss and reduction (and sse/mse fix the reduction).
  const { loss, reduction } = resolveLoss(options.loss ?? defaultLoss(output), options.reduction);
  checkLossFits(loss, output);
  const layers = net.layers.length;
  // Each value given against its row: type and range.
  for (const name of FIELD_NAMES) {
    const value = options[name];
    if (value !== undefined) checkField(name, fieldOf(name), value, layers);
  }
  const o = options as Required<FieldOptions>;
  if (o.classWeights !== undefined && !isClassification(loss, output)) {
    throw new BackpropError(
      `classWeights: the outputs are numbers under loss '${loss}' and a ${output} output, not classes`,
    );
  }
  const given = <K extends Defaulted>(name: K) =>
    (options[name] ?? FIELDS[name].default) as Exclude<FieldOptions[K], undefined>;
  const mode = given('mode');
  let batchSize: number;
  if (mode === 'sequential') batchSize = 1;
  else if (mode === 'batch') {
    if (n === null)
      throw new BackpropError(
        'mode: batch mode needs the whole data set in memory; use minibatch on a stream',
      );
    batchSize = n;
  } else {
    batchSize = o.batchSize ?? Math.min(32, n ?? 32);
    if (n !== null && batchSize > n) {
      throw new BackpropError(`batchSize: ${batchSize} is more than the ${n} training examples`);
    }
  }
  const optimizerName = given('optimizer');
  const rate = o.learningRate ?? defaultLearningRate(optimizerName);
  const learningRate = typeof rate === 'number' ? new Array<number>(layers).fill(rate) : [...rate];
  const optimizer: OptimizerSettings = { name: optimizerName, ...OPTIMIZER_DEFAULTS };
  for (const k of OPTIMIZER_FIELDS) if (o[k] !== undefined) optimizer[k] = o[k];
  const validationSplit = given('validationSplit');
  if (validationSplit > 0 && options.validationData) {
    throw new BackpropError('validationSplit: give either validationSplit or validationData, not both');
  }
  return {
    loss,
    reduction,
    mode,
    batchSize,
    learningRate,
    optimizer,
    shuffle: given('shuffle'),
    seed: o.seed ?? net.seed ?? 0,
    epochs: given('epochs'),
    tolerance: o.tolerance,
    patience: o.patience,
    minDelta: given('minDelta'),
    validationSplit,
    schedule: resolveSchedule(given('schedule')),
    ...(o.classWeights !== undefined ? { classWeights: o.classWeights } : {}),
  };
}
