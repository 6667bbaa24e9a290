/**
 * A streamed `train` on a file of plain numbers reads it as numbers, and
 * trains exactly as the text stream does: the same file with one quoted cell
 * in its last row (which sends the whole run to the text stream) gives the
 * same model to the bit, the same scores and the same validation and test rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../src/random.js';
import { tempDir, trainPlainAndQuoted, writePlainAndQuoted } from './fixtures/cli/run.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const random = new Random(3);
  const rows = Array.from({ length: 3000 }, () => {
    const a = Math.round(random.uniform(0, 255));
    const b = random.normal().toFixed(3);
    return [a, b, (a > 128 ? 1 : 0) + (Number(b) > 0 ? 2 : 0)];
  });
  writePlainAndQuoted(dir, 'p,q,label', rows, 1);
});
afterAll(async () => cleanup());

describe('streamed train on numbers', () => {
  it('gives the model and scores of the text stream, to the bit', async () => {
    for (const dtype of ['float32', 'float64']) {
      const [plain, quoted] = await trainPlainAndQuoted(dir, [
        '--target',
        'label',
        '--stream',
        '--chunk-size',
        '700',
        '--hidden',
        '6',
        '--epochs',
        '3',
        '--test-split',
        '0.2',
        '--validation-split',
        '0.1',
        '--quiet',
        '--dtype',
        dtype,
      ]);
      expect(plain.stderr).toBe('');
      expect(plain.code).toBe(0);
      expect(quoted.code).toBe(0);
      const a = JSON.parse(plain.stdout);
      const b = JSON.parse(quoted.stdout);
      expect(a.settings.streamed).toBe(true);
      expect(a.rows).toEqual(b.rows);
      expect(a.scores).toEqual(b.scores);
      expect(plain.model().layers).toEqual(quoted.model().layers);
      expect(plain.model().preprocessing).toEqual(quoted.model().preprocessing);
    }
  });
});
