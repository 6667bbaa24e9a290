/**
 * `train` reads a file of plain numbers (more than a block of it) into the
 * backend's memory and trains on its rows there, encoded over themselves: the
 * same file with one quoted cell in its last row (which sends it to the text
 * reader, and the rows through a copy) gives the same model to the bit and the
 * same scores, with and without validation and test rows, in both dtypes.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../src/random.js';
import { tempDir, trainPlainAndQuoted, writePlainAndQuoted } from './fixtures/cli/run.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const random = new Random(5);
  const rows = Array.from({ length: 50_000 }, () => {
    const x = Array.from({ length: 6 }, () => Math.round(random.uniform(0, 255)));
    return [...x, (x[0] > 128 ? 1 : 0) + (x[1] > 100 ? 2 : 0)];
  });
  writePlainAndQuoted(dir, 'a,b,c,d,e,f,label', rows, 0);
  expect(statSync(join(dir, 'plain.csv')).size).toBeGreaterThan(1 << 20);
});
afterAll(async () => cleanup());

describe('train on numbers read into the backend', () => {
  it('gives the model and scores of the text reader, to the bit', async () => {
    for (const extra of [
      ['--dtype', 'float32'],
      ['--dtype', 'float32', '--test-split', '0.2', '--validation-split', '0.1'],
      ['--dtype', 'float64'],
    ]) {
      const [plain, quoted] = await trainPlainAndQuoted(dir, [
        '--target',
        'label',
        '--hidden',
        '12',
        '--epochs',
        '2',
        '--quiet',
        ...extra,
      ]);
      expect(plain.stderr).toBe('');
      expect(plain.code).toBe(0);
      expect(quoted.code).toBe(0);
      const a = JSON.parse(plain.stdout);
      const b = JSON.parse(quoted.stdout);
      expect(a.rows).toEqual(b.rows);
      expect(a.scores).toEqual(b.scores);
      expect(a.history.epochs.map((e: { cost: number }) => e.cost)).toEqual(
        b.history.epochs.map((e: { cost: number }) => e.cost),
      );
      expect(plain.model().layers).toEqual(quoted.model().layers);
    }
  });
});
