/**
 * `train` reads a file of plain numbers from its numbers, whole or streamed,
 * when its target is a number however it is spelled (`24.50`): the same task line, scaling and
 * model, to the bit, as reading the same file as text (which one quoted cell
 * forces).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../src/random.js';
import { tempDir, trainPlainAndQuoted, writePlainAndQuoted } from './fixtures/cli/run.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const random = new Random(8);
  const rows = Array.from({ length: 600 }, () => {
    const a = Math.round(random.uniform(0, 100));
    const b = random.normal().toFixed(3);
    // Spelled with two decimals, as prices are: 24.50, not as 24.5 prints.
    return [a, b, (a * 0.3 + Number(b) * 2 + 10).toFixed(2)];
  });
  writePlainAndQuoted(dir, 'a,b,price', rows, 1);
});
afterAll(async () => cleanup());

describe('a numeric target spelled otherwise than numbers print', () => {
  it.each([[[]], [['--stream', '--chunk-size', '128']]])(
    'trains from the numbers exactly as from the text (%j)',
    async (extra: string[]) => {
      const [plain, quoted] = await trainPlainAndQuoted(dir, [
        '--target',
        'price',
        '--hidden',
        '5',
        '--epochs',
        '4',
        '--test-split',
        '0.2',
        ...extra,
      ]);
      expect(plain.code).toBe(0);
      expect(quoted.code).toBe(0);
      const task = (stderr: string) => stderr.split('\n').find((l) => l.startsWith("target 'price'"));
      expect(task(plain.stderr)).toMatch(/numbers, as its values are numbers, not all whole/);
      expect(task(plain.stderr)).toBe(task(quoted.stderr));
      expect(JSON.parse(plain.stdout).scores).toEqual(JSON.parse(quoted.stdout).scores);
      expect(plain.model().layers).toEqual(quoted.model().layers);
      expect(plain.model().preprocessing).toEqual(quoted.model().preprocessing);
    },
  );
});
