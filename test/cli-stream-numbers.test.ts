/**
 * A streamed `train` on a file of plain numbers reads it as numbers, and
 * trains exactly as the text stream does: the same file with one quoted cell
 * in its last row (which sends the whole run to the text stream) gives the
 * same model to the bit, the same scores and the same validation and test rows.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../src/random.js';
import { runCli, tempDir } from './fixtures/cli/run.js';

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
  const text = (quoteLast: boolean) =>
    `p,q,label\n${rows
      .map((r, i) => (quoteLast && i === rows.length - 1 ? `${r[0]},"${r[1]}",${r[2]}` : r.join(',')))
      .join('\n')}\n`;
  writeFileSync(join(dir, 'plain.csv'), text(false));
  writeFileSync(join(dir, 'quoted.csv'), text(true));
});
afterAll(async () => cleanup());

describe('streamed train on numbers', () => {
  it('gives the model and scores of the text stream, to the bit', async () => {
    const train = (file: string, extra: string[]) =>
      runCli([
        'train',
        join(dir, file),
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
        '--out',
        join(dir, `${file}.json`),
        '--json',
        '--quiet',
        ...extra,
      ]);
    for (const dtype of ['float32', 'float64']) {
      const [plain, quoted] = await Promise.all([
        train('plain.csv', ['--dtype', dtype]),
        train('quoted.csv', ['--dtype', dtype]),
      ]);
      expect(plain.stderr).toBe('');
      expect(plain.code).toBe(0);
      expect(quoted.code).toBe(0);
      const a = JSON.parse(plain.stdout);
      const b = JSON.parse(quoted.stdout);
      expect(a.settings.streamed).toBe(true);
      expect(a.rows).toEqual(b.rows);
      expect(a.scores).toEqual(b.scores);
      const model = (file: string) => JSON.parse(readFileSync(join(dir, `${file}.json`), 'utf8'));
      expect(model('plain.csv').layers).toEqual(model('quoted.csv').layers);
      expect(model('plain.csv').preprocessing).toEqual(model('quoted.csv').preprocessing);
    }
  });
});
