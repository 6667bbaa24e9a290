// A pipe in place of a file (a shell's `<(...)`) can be read only once: `train`
// and `evaluate` read it once, whole or in one pass, numbers or text, and give
// what the same file gives; `train --stream`, which reads its file at every
// epoch, refuses it in one line and touches nothing.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, ROOT, runCli, tempDir } from './fixtures/cli/run.js';

let dir: string;
let cleanup: () => Promise<void>;
const iris = join(ROOT, 'data/iris.csv');
const text = readFileSync(iris, 'utf8');

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => cleanup());

/** A fresh named pipe that `text` is written into as soon as a reader opens it. */
function pipe(name: string): { path: string; written: Promise<void> } {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return { path, written: writeFile(path, text) };
}

describe('a pipe for a data file', () => {
  it('train and evaluate read it once and give what the file gives', { timeout: 60_000 }, async () => {
    const model = join(dir, 'iris.json');
    const trained = pipe('train.csv');
    const train = await runCli([
      'train',
      trained.path,
      '--target',
      'species',
      '--epochs',
      '20',
      '--quiet',
      '--out',
      model,
    ]);
    await trained.written;
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    const fromFile = await runCli(['evaluate', model, iris]);
    // Text labels: the numbers' reader stops at the first row, and the general one reads the pipe from there.
    const evaluated = pipe('evaluate.csv');
    const fromPipe = await runCli(['evaluate', model, evaluated.path]);
    await evaluated.written;
    expect(fromPipe.code).toBe(0);
    expect(fromPipe.stdout).toBe(fromFile.stdout);
  });

  it('train --stream refuses it in one line, exit 2, no model written', async () => {
    const path = join(dir, 'stream.csv');
    execFileSync('mkfifo', [path]);
    const out = join(dir, 'stream.json');
    const run = await runCli(['train', path, '--target', 'species', '--stream', '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/--stream reads the file again at every epoch.*pipe/);
    expect(await listFiles(dir)).not.toContain('stream.json');
  });
});
