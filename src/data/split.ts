/**
 * Seeded splits of a data set into training, validation and test rows, and the
 * per-row rule the streaming reader uses where the rows cannot be held.
 *
 * @module
 */

import { BackpropError } from '../errors.js';
import { Random } from '../random.js';

/** Row indices of each part, each in increasing order. */
export interface Split {
  train: Uint32Array;
  validation: Uint32Array;
  test: Uint32Array;
}

/**
 * Splits n rows at random (seeded): a fraction `test` of them for testing, a
 * fraction `validation` (of all n) for validation, the rest for training. With
 * `groups` (e.g. each row's class) the split is stratified: every group is split
 * in the same proportions, so a small class is not left out of a part.
 *
 * @example splitRows(10, { test: 0.2, seed: 1 }).test.length // 2
 */
export function splitRows(
  n: number,
  options: { validation?: number; test?: number; seed?: number; groups?: ArrayLike<number> },
): Split {
  const validation = options.validation ?? 0;
  const test = options.test ?? 0;
  checkFraction(validation, '--validation-split');
  checkFraction(test, '--test-split');
  if (validation + test >= 1) {
    throw new BackpropError(
      `--validation-split ${validation} and --test-split ${test}: expected fractions that add up to less than 1`,
    );
  }
  const random = new Random(options.seed ?? 0);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const g = options.groups ? options.groups[i] : 0;
    let list = groups.get(g);
    if (list === undefined) groups.set(g, (list = []));
    list.push(i);
  }
  const parts = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  for (const g of [...groups.keys()].sort((a, b) => a - b)) {
    const rows = Uint32Array.from(groups.get(g)!);
    random.shuffle(rows);
    const nTest = Math.round(rows.length * test);
    const nValidation = Math.round(rows.length * validation);
    for (let k = 0; k < rows.length; k++) {
      const part = k < nTest ? parts.test : k < nTest + nValidation ? parts.validation : parts.train;
      part.push(rows[k]);
    }
  }
  if (parts.train.length === 0) {
    throw new BackpropError(
      `the splits leave no training rows out of ${n}; expected smaller --validation-split/--test-split`,
    );
  }
  const sorted = (a: number[]) => Uint32Array.from(a.sort((x, y) => x - y));
  return { train: sorted(parts.train), validation: sorted(parts.validation), test: sorted(parts.test) };
}

function checkFraction(f: number, option: string): void {
  if (!(f >= 0 && f < 1)) throw new BackpropError(`${option} ${f}: expected a fraction in [0, 1)`);
}

/**
 * The part of row `index` when rows stream by and cannot be shuffled: a seeded
 * hash of the row's index against the fractions, so each row always lands in the
 * same part for the same seed, in constant memory.
 */
export function streamPart(
  index: number,
  seed: number,
  validation: number,
  test: number,
): 'train' | 'validation' | 'test' {
  let h = Math.imul(index ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(seed | 0, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  h ^= h >>> 15;
  const u = (h >>> 0) / 4294967296;
  return u < test ? 'test' : u < test + validation ? 'validation' : 'train';
}
