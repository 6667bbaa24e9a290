/**
 * Checking a value against its row of the settings table: the type and the
 * range, with one-line messages that say what was expected. The library, the
 * optimizer, the command line's parsers and the model file's reader all use
 * these, so a setting's rule and its wording are written once.
 *
 * @module
 */

import { BackpropError } from '../errors.js';
import { resolveSchedule, type ScheduleSpec } from '../schedules.js';
import { type Field, interval } from './fields.js';

/** A value as a message shows it: strings quoted and cut short, objects by kind. */
export function describe(x: unknown): string {
  if (typeof x === 'string') return `'${x.length > 40 ? `${x.slice(0, 40)}...` : x}'`;
  if (Array.isArray(x)) return 'an array';
  if (x === null) return 'null';
  return typeof x === 'object' ? 'an object' : String(x);
}

/** "a, b or c". */
export function orList(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** What a value of this row must be, e.g. "a whole number of at least 1", "a number in [0, 1)". */
export function expectation(row: Field): string {
  switch (row.type) {
    case 'boolean':
      return 'true or false';
    case 'enum': {
      const values = row.values ?? [];
      return values.length > 3 ? `one of ${orList(values)}` : orList(values);
    }
    case 'schedule':
      return "a schedule's name or { name, ...parameters }";
    case 'class-weights':
      return "'balanced' or { class index: a weight of at least 0 }";
    default: {
      const r = interval(row.range ?? '(-inf, inf)');
      const whole = row.type === 'integer';
      const noun = whole ? 'a whole number' : 'a number';
      if (r.hi === Infinity) {
        if (r.lo === -Infinity) return whole ? noun : 'a finite number';
        if (r.lo === 0 && r.loOpen && !whole) return 'a positive number';
        return `${noun} ${r.loOpen ? 'greater than' : 'of at least'} ${r.lo}`;
      }
      return `${noun} in ${row.range}`;
    }
  }
}

/** Whether `x` is a number of the row's type inside its range. */
function numberFits(row: Field, x: unknown): x is number {
  if (typeof x !== 'number' || Number.isNaN(x)) return false;
  if (row.type === 'integer' ? !Number.isSafeInteger(x) : !Number.isFinite(x)) return false;
  const r = interval(row.range ?? '(-inf, inf)');
  return (r.loOpen ? x > r.lo : x >= r.lo) && (r.hiOpen ? x < r.hi : x <= r.hi);
}

/**
 * What is wrong with `value` as the setting `name` of `row`, as `[where, what]`
 * (where: the name, or `learningRate[1] (eta^(2))` for one of a list), or null
 * when it fits. `layers` is N, the count a list of rates must have; unknown
 * (undefined) skips that count.
 */
export function fieldProblem(
  name: string,
  row: Field,
  value: unknown,
  layers?: number,
): [where: string, what: string] | null {
  const got = `got ${describe(value)}`;
  switch (row.type) {
    case 'boolean':
      return typeof value === 'boolean' ? null : [name, `expected true or false, ${got}`];
    case 'enum':
      return typeof value === 'string' && (row.values ?? []).includes(value)
        ? null
        : [name, `unknown ${describe(value)}, expected ${expectation(row)}`];
    case 'rates': {
      if (typeof value === 'number')
        return numberFits(row, value) ? null : [name, `expected ${expectation(row)}, ${got}`];
      if (!Array.isArray(value)) return [name, `expected a number or an array of numbers, ${got}`];
      if (layers !== undefined && value.length !== layers) {
        return [name, `expected one number or ${layers} (one per layer), got ${value.length}`];
      }
      for (let i = 0; i < value.length; i++) {
        if (!numberFits(row, value[i])) {
          return [
            `${name}[${i}] (eta^(${i + 1}))`,
            `expected ${expectation(row)}, got ${describe(value[i])}`,
          ];
        }
      }
      return null;
    }
    case 'schedule':
      try {
        resolveSchedule(value as ScheduleSpec);
        return null;
      } catch (e) {
        // The schedule's own message names its field: "schedule.epochs: ...".
        const message = (e as Error).message;
        const colon = message.indexOf(': ');
        return [`${name}${message.slice('schedule'.length, colon)}`, message.slice(colon + 2)];
      }
    case 'class-weights': {
      if (value === 'balanced') return null;
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return [name, `expected ${expectation(row)}, ${got}`];
      for (const [key, w] of Object.entries(value)) {
        if (typeof w !== 'number' || !Number.isFinite(w) || w < 0)
          return [`${name}.${key}`, `expected a weight of at least 0, got ${describe(w)}`];
      }
      return null;
    }
    default:
      return numberFits(row, value) ? null : [name, `expected ${expectation(row)}, ${got}`];
  }
}

/** Throws a {@link BackpropError} naming the setting when `value` does not fit its row. */
export function checkField(name: string, row: Field, value: unknown, layers?: number): void {
  const problem = fieldProblem(name, row, value, layers);
  if (problem) throw new BackpropError(`${problem[0]}: ${problem[1]}`);
}
