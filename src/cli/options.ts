/**
 * Parsers for option values. Each throws commander's InvalidArgumentError with
 * what was expected, which commander prints as one line naming the option.
 *
 * @module
 */

import { InvalidArgumentError } from 'commander';

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

/** Column names separated by commas. */
export function columnList(value: string): string[] {
  const names = value.split(',').map((s) => s.trim());
  if (names.some((n) => n === ''))
    throw new InvalidArgumentError('expected column names separated by commas, e.g. a,b.');
  return names;
}
