/**
 * Streaming `train` keeps memory flat: the peak resident memory of a run on a
 * generated file of a million rows is that of a run on a tenth of it. Checks
 * memory, not time.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../src/random.js';
import { COMMAND, ROOT, spawnCollect, tempDir } from './fixtures/cli/run.js';

let dir: string;
let cleanup: () => Promise<void>;

async function writeRows(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  const random = new Random(42);
  out.write('x1,x2,label\n');
  let text = '';
  for (let i = 0; i < rows; i++) {
    const a = random.next();
    const b = random.next();
    text += `${a.toFixed(4)},${b.toFixed(4)},${a + b > 1 ? 'yes' : 'no'}\n`;
    if (text.length > 1 << 20) {
      if (!out.write(text)) await once(out, 'drain');
      text = '';
    }
  }
  out.end(text);
  await once(out, 'finish');
}

/** Runs `train` in a child process and returns its peak resident memory in MB. */
function peakMemory(
  args: string[],
): Promise<{ code: number | null; mb: number; stdout: string; stderr: string }> {
  const built = COMMAND.length === 1;
  const program = built ? join(ROOT, 'dist/cli/program.js') : join(ROOT, 'src/cli/program.ts');
  const node = [...(built ? [] : ['--import', 'tsx']), join(ROOT, 'test/fixtures/cli/measure.mjs'), program];
  return spawnCollect(process.execPath, [...node, ...args]).then((r) => ({
    ...r,
    mb: Number(/peak-rss-kb (\d+)/.exec(r.stderr)?.[1] ?? Number.NaN) / 1024,
  }));
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await Promise.all([
    writeRows(join(dir, 'million.csv'), 1_000_000),
    writeRows(join(dir, 'tenth.csv'), 100_000),
  ]);
});
afterAll(async () => cleanup());

describe('streaming train', () => {
  it('trains on a million rows in flat memory (first pass for the scaling statistics)', async () => {
    const args = (file: string) => [
      'train',
      join(dir, file),
      '--target',
      'label',
      '--stream',
      '--mode',
      'minibatch',
      '--batch-size',
      '64',
      '--hidden',
      '8',
      '--epochs',
      '1',
      '--test-split',
      '0.1',
      '--out',
      join(dir, `${file}.json`),
      '--json',
      '--quiet',
    ];
    const [small, large] = await Promise.all([
      peakMemory(args('tenth.csv')),
      peakMemory(args('million.csv')),
    ]);
    expect(small.code).toBe(0);
    expect(large.code).toBe(0);
    const doc = JSON.parse(large.stdout);
    expect(doc.settings.streamed).toBe(true);
    expect(doc.rows.train + doc.rows.test).toBe(1_000_000);
    expect(doc.scores.test.accuracy).toBeGreaterThan(0.95);
    process.stderr.write(
      `streaming peak memory: ${small.mb.toFixed(0)} MB for 100k rows, ${large.mb.toFixed(0)} MB for 1M rows\n`,
    );
    // Ten times the rows, the same memory: holding the million rows would add well over 100 MB.
    expect(large.mb - small.mb).toBeLessThan(40);
    expect(large.mb).toBeLessThan(300);
  });
});
