/**
 * Parsers for option values. Each throws commander's InvalidArgumentError with
 * what was expected, which commander prints as one line naming the option.
 *
 * @module
 */

import { InvalidArgumentError, Option } from 'commander';
import type { ActivationName } from '../activations.js';
import type { DType } from '../backend/backend.js';
import type { Scaling, Task } from '../data/encoding.js';
import {
  type CliValueOf,
  expectation,
  FIELD_NAMES,
  type FIELDS,
  type Field,
  type FieldName,
  type FieldOptions,
  fieldOf,
  fieldProblem,
  OPTIMIZER_FIELDS,
  type OptimizerField,
} from '../index.js';
import { CliError } from './errors.js';

// The names of activations, losses, optimizers, modes, reductions and dtypes are the core's own lists.
export {
  ACTIVATION_NAMES as ACTIVATIONS,
  DTYPES,
  LOSS_SPECS as LOSSES,
  MODES,
  OPTIMIZER_NAMES as OPTIMIZERS,
  REDUCTIONS,
} from '../index.js';
export const SCALINGS = ['standard', 'minmax', 'none'] as const;
export const TASKS = ['auto', 'classes', 'numbers'] as const;

/** A parser accepting one of `names`. */
export function oneOf<T extends string>(names: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(names as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${names.join(', ')}.`);
    }
    return value as T;
  };
}

/** A number > 0 (a rate, a tolerance). */
export function positiveNumber(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x <= 0)
    throw new InvalidArgumentError('expected a number greater than 0.');
  return x;
}

/** A number >= 0. */
export function nonNegativeNumber(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x < 0)
    throw new InvalidArgumentError('expected a number of at least 0.');
  return x;
}

/** A whole number >= 1 (epochs, a batch size). */
export function positiveInteger(value: string): number {
  const x = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(x) || x < 1) {
    throw new InvalidArgumentError('expected a whole number of at least 1.');
  }
  return x;
}

/** A whole number >= 0 (a seed, patience). */
export function nonNegativeInteger(value: string): number {
  const x = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(x))
    throw new InvalidArgumentError('expected a whole number of at least 0.');
  return x;
}

/** A fraction in [0, 1). */
export function fraction(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x < 0 || x >= 1) {
    throw new InvalidArgumentError('expected a fraction of at least 0 and less than 1, e.g. 0.2.');
  }
  return x;
}

/** `eta` or `eta1,eta2,...`: each > 0. */
export function rates(value: string): number[] {
  const parts = value.split(',');
  return parts.map((p) => {
    const x = Number(p);
    if (p.trim() === '' || !Number.isFinite(x) || x <= 0) {
      throw new InvalidArgumentError(
        'expected a number greater than 0, or one per layer separated by commas (e.g. 0.1,0.05).',
      );
    }
    return x;
  });
}

/** Hidden layer sizes `64,32`; `none` (or `0`) for no hidden layer. */
export function layerSizes(value: string): number[] {
  const v = value.trim();
  if (v === 'none' || v === '0' || v === '') return [];
  return v.split(',').map((p) => {
    const x = Number(p);
    if (!/^\s*\d+\s*$/.test(p) || x < 1) {
      throw new InvalidArgumentError(
        'expected layer sizes as whole numbers separated by commas (e.g. 64,32), or none.',
      );
    }
    return x;
  });
}

/** Dropout rates `0.2` (every hidden layer) or `0.2,0.1` (one per hidden layer): each in [0, 1). */
export function dropoutRates(value: string): number[] {
  return value.split(',').map((p) => {
    const x = Number(p);
    if (p.trim() === '' || !Number.isFinite(x) || x < 0 || x >= 1) {
      throw new InvalidArgumentError(
        'expected a rate of at least 0 and less than 1, or one per hidden layer separated by commas (e.g. 0.2,0.1).',
      );
    }
    return x;
  });
}

/** The dropout rate of each of `hidden` hidden layers from `--dropout`: one rate for all, or one each. */
export function hiddenDropout(rates: readonly number[] | undefined, hidden: number): number[] {
  if (!rates) return Array.from({ length: hidden }, () => 0);
  if (hidden === 0) throw new CliError('option --dropout: there is no hidden layer to drop nodes from');
  if (rates.length === 1) return Array.from({ length: hidden }, () => rates[0]);
  if (rates.length !== hidden) {
    throw new CliError(
      `option --dropout: ${rates.length} rates for ${hidden} hidden layers; give one rate, or one per hidden layer`,
    );
  }
  return [...rates];
}

/** Column names separated by commas. */
export function columnList(value: string): string[] {
  const names = value.split(',').map((s) => s.trim());
  if (names.some((n) => n === ''))
    throw new InvalidArgumentError('expected column names separated by commas, e.g. a,b.');
  return names;
}

// ---------------------------------------------------------------- train options from the settings table

type F = typeof FIELDS;
/** The rows that have a flag of `train`. */
type CliField = { [K in FieldName]: F[K] extends { cli: object } ? K : never }[FieldName];
/** The rows whose flag has a default on the command line: always set after parsing. */
type CliDefaulted = { [K in CliField]: F[K] extends { cli: { default: unknown } } ? K : never }[CliField];

/** The options of `train` that are rows of the settings table, as commander parses them. */
export type TableArgs = { -readonly [K in CliDefaulted]: CliValueOf<F[K]> } & {
  -readonly [K in Exclude<CliField, CliDefaulted>]?: CliValueOf<F[K]>;
};

/** The options of `train` that only the command line has: data, network, files, output. */
export interface CliOnlyArgs {
  target: string[];
  inputs?: string[];
  ignore?: string[];
  task: Task;
  hidden: number[];
  activation: ActivationName;
  dropout?: number[];
  outputActivation?: ActivationName;
  testSplit: number;
  dtype: DType;
  scale: Scaling;
  targetScale?: 'standard' | 'none';
  init?: string;
  out: string;
  checkpoint?: string;
  checkpointEvery: number;
  resume: boolean;
  stream?: boolean;
  chunkSize: number;
  report?: string;
  json: boolean;
  quiet: boolean;
  /** `--class-weight`: balanced, or a weight per class label. */
  classWeight?: 'balanced' | Record<string, number>;
  /** `--sample-weight`: the column holding each row's weight (then not an input). */
  sampleWeight?: string;
  /** `--l2`: another name of --weight-decay. */
  l2?: number;
}

/** `balanced` or `label=w,label=w,...` (each w a number of at least 0). */
export function classWeightSpec(value: string): 'balanced' | Record<string, number> {
  if (value.trim() === 'balanced') return 'balanced';
  const weights: Record<string, number> = {};
  for (const pair of value.split(',')) {
    const eq = pair.lastIndexOf('=');
    const w = Number(pair.slice(eq + 1));
    if (eq <= 0 || pair.slice(eq + 1).trim() === '' || !Number.isFinite(w) || w < 0) {
      throw new InvalidArgumentError(
        `expected balanced, or label=weight pairs separated by commas (e.g. 7=2,3=0.5); got '${pair}'.`,
      );
    }
    weights[pair.slice(0, eq).trim()] = w;
  }
  return weights;
}

/** Every option of `train`, after parsing. */
export type TrainArgs = TableArgs & CliOnlyArgs;

/** `batchSize` -> `batch-size`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The parser of a row's flag: its type and range, with the row's wording of what is expected. */
export function parserOf(name: FieldName): ((value: string) => unknown) | undefined {
  const row = fieldOf(name);
  const parse = row.cli?.parse;
  if (parse) {
    return (value: string) => {
      try {
        return parse(value);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    };
  }
  switch (row.type) {
    case 'boolean':
      return undefined;
    case 'number':
    case 'integer':
      break;
    case 'enum':
      return oneOf(row.values ?? []);
    case 'rates':
      return rates;
    default:
      throw new Error(`settings row ${name}: a flag of type ${row.type} needs cli.parse`);
  }
  return (value: string) => {
    const x = Number(value);
    const written = row.type === 'integer' ? /^\s*-?\d+\s*$/.test(value) : value.trim() !== '';
    if (!written || fieldProblem(name, row, x))
      throw new InvalidArgumentError(`expected ${expectation(row)}.`);
    return x;
  };
}

/** The text after a row's help: its default on the command line, else the library's. */
function defaultNote(row: Field, cliDefaultText?: string): string {
  const text =
    cliDefaultText ??
    row.cli?.defaultText ??
    (row.default !== undefined ? String(row.default) : row.defaultText);
  return text === undefined ? '' : ` (default: ${text})`;
}

/**
 * The flags of `train` for the table's rows, in its order: `--<kebab name> <arg>`,
 * the row's parser, and its doc as help. A row with a command-line default gets
 * it from commander (shown as `(default: ...)`); otherwise the help names the
 * default in words. `cliDefaultText` describes defaults that the command line
 * computes (the epochs, patience and minDelta of early stopping).
 */
export function tableOptions(cliDefaultText: Partial<Record<FieldName, string>> = {}): Option[] {
  const options: Option[] = [];
  for (const name of FIELD_NAMES) {
    const row = fieldOf(name);
    if (!row.cli) continue;
    const flag = `--${kebab(name)}`;
    if (row.type === 'boolean') {
      // --shuffle / --no-shuffle: the flag that turns the default off is the one a user types.
      const on = row.cli.default ?? row.default;
      options.push(new Option(`--no-${kebab(name)}`, `turn off: ${row.doc}`));
      if (on !== true) options.at(-1)!.default(false);
      continue;
    }
    const option = new Option(
      `${flag} <${row.cli.arg ?? 'value'}>`,
      row.cli.default !== undefined ? row.doc : `${row.doc}${defaultNote(row, cliDefaultText[name])}`,
    );
    option.argParser(parserOf(name)!);
    if (row.cli.default !== undefined) option.default(row.cli.default, cliDefaultText[name]);
    options.push(option);
  }
  return options;
}

/** The optimizer's hyperparameters as parsed (undefined where not given: the library's default). */
export function optimizerOptions(args: TableArgs): Pick<FieldOptions, OptimizerField> {
  const options: Pick<FieldOptions, OptimizerField> = {};
  for (const k of OPTIMIZER_FIELDS) if (args[k] !== undefined) options[k] = args[k];
  return options;
}
