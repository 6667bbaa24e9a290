/**
 * The binary's edges, through the real binary: a reader that closes the pipe
 * early, one wording for a missing file or folder, and `explain` on a class
 * column.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND, ROOT, runCli, tempDir } from './fixtures/cli/run.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await cleanup();
});

describe('the backprop binary', () => {
  it('ends quietly when the reader of its output stops early (datasets export digits | head -1)', async () => {
    const result = await new Promise<{ code: number | null; stderr: string; first: string }>((done, fail) => {
      const child = spawn(process.execPath, [...COMMAND, 'datasets', 'export', 'digits'], {
        cwd: ROOT,
        env: { ...process.env, NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let first = '';
      let stderr = '';
      child.stdout.once('data', (b) => {
        first = String(b).split('\n')[0];
        child.stdout.destroy(); // the reader goes away, as head does
      });
      child.stderr.on('data', (b) => {
        stderr += b;
      });
      child.on('error', fail);
      child.on('close', (code) => done({ code, stderr, first }));
    });
    expect(result.first).toMatch(/^p0,p1,/);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('says a missing file and a missing folder in one wording each', async () => {
    const missing = await runCli(['predict', join(dir, 'nope.json'), join(dir, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `backprop: ${join(dir, 'nope.json')}: cannot read the file (no such file); expected a readable JSON file\n`,
    );
    const folder = await runCli(['datasets', 'export', 'iris', '--out', join(dir, 'no-folder', 'iris.csv')]);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toBe(
      `backprop: ${join(dir, 'no-folder', 'iris.csv')}: cannot write the file (no such folder)\n`,
    );
  });

  it('explains a step on a class column, one-hot over the model’s classes', async () => {
    const model = join(dir, 'iris.json');
    const train = await runCli([
      'train',
      join(ROOT, 'data/iris.csv'),
      '--target',
      'species',
      '--hidden',
      '3',
      '--epochs',
      '2',
      '--quiet',
      '--out',
      model,
    ]);
    expect(train.code, train.stderr).toBe(0);
    const lines = readFileSync(join(ROOT, 'data/iris.csv'), 'utf8').split('\n');
    const rows = join(dir, 'three-flowers.csv');
    writeFileSync(rows, [lines[0], lines[1], lines[51], lines[101], ''].join('\n')); // one of each species
    const explain = await runCli([
      'explain',
      '--model',
      model,
      '--data',
      rows,
      '--target',
      'species',
      '--loss',
      'cross-entropy',
      '--learning-rate',
      '0.1',
      '--json',
    ]);
    expect(explain.code, explain.stderr).toBe(0);
    const trace = JSON.parse(explain.stdout) as { layers: { delta: number[][]; out: number[][] }[] };
    const output = trace.layers.at(-1)!;
    // Softmax with cross-entropy, mean over 3: delta = (d - y) / 3, so row i is
    // positive exactly at the one-hot 1 of its class (setosa, versicolor, virginica).
    output.delta.forEach((row, i) => {
      row.forEach((delta, k) => {
        const d = k === i ? 1 : 0;
        expect(delta).toBeCloseTo((d - output.out[i][k]) / 3, 12);
      });
    });
  });
});
