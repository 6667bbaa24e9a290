/**
 * Checkpoints, Ctrl-C and --resume through the real binary: a resumed run ends
 * at exactly the weights of an uninterrupted one with the same seed.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './fixtures/cli/run.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await runCli([
    'datasets',
    'export',
    'spirals',
    '--rows',
    '600',
    '--seed',
    '3',
    '--out',
    join(dir, 'small.csv'),
  ]);
  await runCli([
    'datasets',
    'export',
    'spirals',
    '--rows',
    '10000',
    '--seed',
    '5',
    '--out',
    join(dir, 'big.csv'),
  ]);
});
afterAll(async () => cleanup());

const layers = async (file: string) => JSON.parse(await readFile(file, 'utf8')).layers;
const common = [
  '--target',
  'label',
  '--task',
  'classes',
  '--hidden',
  '16,8',
  '--seed',
  '9',
  '--validation-split',
  '0.2',
];

describe('checkpoints and --resume', () => {
  it('continues from a checkpoint to exactly the weights of the uninterrupted run', async () => {
    const data = join(dir, 'small.csv');
    const full = await runCli([
      'train',
      data,
      ...common,
      '--epochs',
      '10',
      '--checkpoint',
      join(dir, 'a.ckpt.json'),
      '--checkpoint-every',
      '4',
      '--out',
      join(dir, 'a.json'),
      '--quiet',
    ]);
    expect(full.code).toBe(0);
    const checkpoint = JSON.parse(await readFile(join(dir, 'a.ckpt.json'), 'utf8'));
    expect(checkpoint.trainer.epoch).toBe(8);
    const resumed = await runCli([
      'train',
      data,
      '--resume',
      '--checkpoint',
      join(dir, 'a.ckpt.json'),
      '--out',
      join(dir, 'b.json'),
      '--json',
      '--quiet',
    ]);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).history.epochs).toHaveLength(10);
    expect(await layers(join(dir, 'b.json'))).toEqual(await layers(join(dir, 'a.json')));
  });

  it('does the same when streaming the file in chunks', async () => {
    const data = join(dir, 'small.csv');
    const stream = ['--stream', '--chunk-size', '50', '--epochs', '6', '--quiet'];
    const full = await runCli([
      'train',
      data,
      ...common,
      ...stream,
      '--checkpoint',
      join(dir, 's.ckpt.json'),
      '--checkpoint-every',
      '4',
      '--out',
      join(dir, 's.json'),
    ]);
    expect(full.code).toBe(0);
    const resumed = await runCli([
      'train',
      data,
      '--resume',
      '--checkpoint',
      join(dir, 's.ckpt.json'),
      '--out',
      join(dir, 's2.json'),
      '--quiet',
    ]);
    expect(resumed.code).toBe(0);
    expect(await layers(join(dir, 's2.json'))).toEqual(await layers(join(dir, 's.json')));
  });

  it('saves a checkpoint on Ctrl-C, exits with a message, and --resume reaches the uninterrupted weights', async () => {
    const data = join(dir, 'big.csv');
    const args = ['train', data, ...common, '--epochs', '25'];
    const [uninterrupted, interrupted] = await Promise.all([
      runCli([...args, '--out', join(dir, 'u.json'), '--quiet']),
      runCli([...args, '--out', join(dir, 'i.json'), '--checkpoint', join(dir, 'i.ckpt.json')], {
        onStderr: (text, child) => {
          // Without a terminal, progress is a line per few seconds, the first after epoch 1.
          if (/epoch \d+\/25/.test(text) && !child.killed) child.kill('SIGINT');
        },
      }),
    ]);
    expect(uninterrupted.code).toBe(0);
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(
      /interrupted (during|after) epoch \d+: checkpoint saved to .*i\.ckpt\.json; continue with the same command and --resume/,
    );
    await expect(access(join(dir, 'i.json'))).rejects.toThrow(); // no model from an interrupted run
    const checkpoint = JSON.parse(await readFile(join(dir, 'i.ckpt.json'), 'utf8'));
    expect(checkpoint.trainer.epoch).toBeLessThan(25);
    const resumed = await runCli([
      ...args,
      '--resume',
      '--checkpoint',
      join(dir, 'i.ckpt.json'),
      '--out',
      join(dir, 'i.json'),
      '--quiet',
    ]);
    expect(resumed.code).toBe(0);
    expect(await layers(join(dir, 'i.json'))).toEqual(await layers(join(dir, 'u.json')));
  });

  it('refuses a checkpoint made on other data', async () => {
    const run = await runCli([
      'train',
      join(dir, 'big.csv'),
      '--target',
      'label',
      '--resume',
      '--checkpoint',
      join(dir, 'a.ckpt.json'),
      '--out',
      join(dir, 'x.json'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /big\.csv: has 10000 rows but the checkpoint .*a\.ckpt\.json was made on 600; expected the same data/,
    );
  });
});
