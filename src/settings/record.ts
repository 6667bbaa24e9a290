/**
 * The `training` record of a model file: the settings a network was trained
 * with (the rows of the settings table marked `record`, as resolved) and the
 * facts of the run (data, rows, epochs run, why it stopped, ...). The command
 * line and the playground both write it with {@link trainingRecord}, so a model
 * file has one shape whichever wrote it; the reader checks the type of every
 * field it knows and keeps the others as they are (older files wrote more).
 *
 * @module
 */

import { ModelFormatError } from '../errors.js';
import type { ResolvedSettings } from '../settings.js';
import { describe, fieldProblem } from './check.js';
import { type CliValueOf, FIELD_NAMES, FIELDS, type FieldName, fieldOf } from './fields.js';

/** The rows saved in the record. */
type RecordedField = {
  [K in FieldName]: (typeof FIELDS)[K] extends { record: true | string } ? K : never;
}[FieldName];
/** A row's name in the record: its `record` when that is a name, else its own. */
type RecordName<K extends FieldName> = (typeof FIELDS)[K] extends { record: infer R extends string } ? R : K;

/** The settings of the run, each under its record name, as resolved (one rate per layer). */
export type RecordedSettings = {
  -readonly [K in RecordedField as RecordName<K>]?: CliValueOf<(typeof FIELDS)[K]>;
};

/** What happened in the run. */
export interface RunFacts {
  /** The data trained on: a CSV file, or the playground's data set. */
  data?: string;
  /** Training examples (rows) the network was trained on. */
  rows?: number;
  /** Epochs run. */
  epochs?: number;
  /** Why training stopped (`epochs`, `tolerance`, `patience`, `divergence`, ...); null while it has not. */
  stoppedBy?: string | null;
  /** The epoch whose weights were kept, when patience restored the best. */
  bestEpoch?: number;
  /** J over the training examples in the last epoch (null in JSON when it was not finite). */
  finalCost?: number | null;
  /** Fraction of the examples held out for validation, as split (overrides the setting). */
  validationSplit?: number;
  /** Fraction of the examples held out for testing. */
  testSplit?: number;
  /** The playground's link (its query string) that rebuilds the experiment. */
  playground?: string;
  /** Where each example's weight came from: the column of the data file. */
  sampleWeights?: string;
}

/** A model file's `training` field. */
export type TrainingRecord = RecordedSettings & RunFacts;

/** Each recorded row and its name in the record. */
const RECORDED: readonly [FieldName, string][] = FIELD_NAMES.flatMap((k) => {
  const r = fieldOf(k).record;
  return r === undefined ? [] : [[k, r === true ? k : r] as [FieldName, string]];
});

/** The value of row `k` in resolved settings (the optimizer's rows sit in `optimizer`). */
function resolvedValue(settings: ResolvedSettings, k: FieldName): unknown {
  if (k === 'optimizer') return settings.optimizer.name;
  if (k in settings.optimizer) return settings.optimizer[k as keyof ResolvedSettings['optimizer']];
  return settings[k as keyof ResolvedSettings];
}

/** The record of a run: its resolved settings and its facts. */
export function trainingRecord(settings: ResolvedSettings, facts: RunFacts): TrainingRecord {
  const record: Record<string, unknown> = {};
  for (const [k, name] of RECORDED) {
    const value = resolvedValue(settings, k);
    if (value !== undefined) record[name] = Array.isArray(value) ? [...value] : value;
  }
  for (const [k, value] of Object.entries(facts)) if (value !== undefined) record[k] = value;
  return record as TrainingRecord;
}

/** The facts' rules: what each must be. */
const FACT_RULES: Record<keyof RunFacts, [test: (x: unknown) => boolean, expected: string]> = {
  data: [(x) => typeof x === 'string', 'a string'],
  rows: [(x) => Number.isSafeInteger(x) && (x as number) >= 0, 'a whole number of at least 0'],
  epochs: [(x) => Number.isSafeInteger(x) && (x as number) >= 0, 'a whole number of at least 0'],
  stoppedBy: [(x) => x === null || typeof x === 'string', 'a string or null'],
  bestEpoch: [(x) => Number.isSafeInteger(x) && (x as number) >= 0, 'a whole number of at least 0'],
  finalCost: [(x) => x === null || typeof x === 'number', 'a number or null'],
  validationSplit: [(x) => typeof x === 'number' && x >= 0 && x < 1, 'a number in [0, 1)'],
  testSplit: [(x) => typeof x === 'number' && x >= 0 && x < 1, 'a number in [0, 1)'],
  playground: [(x) => typeof x === 'string', 'a string'],
  sampleWeights: [(x) => typeof x === 'string', 'a string'],
};

const ROW_OF_NAME = new Map(RECORDED.map(([k, name]) => [name, k]));

/**
 * Checks a model file's `training` field: an object whose known fields have
 * their types and ranges; unknown fields are kept (files of older versions
 * wrote others). An older command line wrote `optimizer` as an object
 * `{ name, momentum, ... }`, which is accepted too. Throws a
 * {@link ModelFormatError} naming the field.
 */
export function checkTrainingRecord(json: unknown, at = 'training'): TrainingRecord {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ModelFormatError(at, `expected an object, got ${describe(json)}`);
  }
  for (const [key, value] of Object.entries(json)) {
    if (Object.hasOwn(FACT_RULES, key) && key !== 'validationSplit') {
      const [test, expected] = FACT_RULES[key as keyof RunFacts];
      if (!test(value))
        throw new ModelFormatError(`${at}.${key}`, `expected ${expected}, got ${describe(value)}`);
      continue;
    }
    const k = ROW_OF_NAME.get(key);
    if (k === undefined) continue;
    if (k === 'optimizer' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const { name, ...hyperparameters } = value as Record<string, unknown>;
      const problem = fieldProblem('name', FIELDS.optimizer, name);
      if (problem) throw new ModelFormatError(`${at}.optimizer.name`, problem[1]);
      checkTrainingRecord(hyperparameters, `${at}.optimizer`);
      continue;
    }
    const problem = fieldProblem(key, fieldOf(k), value);
    if (problem) throw new ModelFormatError(`${at}.${problem[0]}`, problem[1]);
  }
  return json as TrainingRecord;
}
