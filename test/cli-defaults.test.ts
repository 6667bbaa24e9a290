/**
 * The command line's defaults, through the real binary: classes or numbers by
 * the rule, scaling of targets, when a run stops, the dtype a model records, the
 * header line, and training to the bit of the library under the plainest flags.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mode } from '../src/index.js';
import { Network } from '../src/network.js';
import { ROOT, runCli, tempDir } from './fixtures/cli/run.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('backprop-defaults-'));
});
afterAll(async () => cleanup());

/** Writes a CSV file of `header` and `rows` in the temporary folder. */
async function csv(name: string, header: string[], rows: (string | number)[][]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${[header, ...rows].map((r) => r.join(',')).join('\n')}\n`);
  return path;
}

async function readJson(path: string) {
  return JSON.parse(await readFile(path, 'utf8'));
}

/** Two inputs on a grid of eighths (exact in binary) and targets made from them. */
function grid(
  n: number,
  target: (a: number, b: number, i: number) => number | string,
): (number | string)[][] {
  return Array.from({ length: n }, (_, i) => {
    const a = ((i * 5) % 17) / 8 - 1;
    const b = ((i * 3) % 11) / 8 - 0.5;
    return [a, b, target(a, b, i)];
  });
}

describe('classes or numbers', () => {
  it('takes digits for 10 classes and says why in one line', async () => {
    const run = await runCli([
      'train',
      join(ROOT, 'data/digits.csv'),
      '--target',
      'digit',
      '--epochs',
      '1',
      '--hidden',
      '4',
      '--out',
      join(dir, 'digits.json'),
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).target).toMatchObject({ kind: 'classes', classes: [...'0123456789'] });
    const line = run.stderr.split('\n').filter((l) => l.startsWith("target 'digit'"));
    expect(line).toEqual([
      "target 'digit': classes, as its 10 distinct values are whole numbers, at most 20 and fewer than half the 1797 rows (--task numbers overrides)",
    ]);
  });

  it('takes a column of 30 whole numbers for a number, and --task overrides', async () => {
    const file = await csv(
      'thirty.csv',
      ['a', 'b', 'y'],
      grid(300, (_a, _b, i) => i % 30),
    );
    const numbers = await runCli([
      'train',
      file,
      '--target',
      'y',
      '--epochs',
      '1',
      '--hidden',
      '2',
      '--out',
      join(dir, 'numbers.json'),
      '--json',
    ]);
    expect(numbers.code).toBe(0);
    expect(JSON.parse(numbers.stdout).target.kind).toBe('numbers');
    expect(numbers.stderr).toContain(
      "target 'y': numbers, as its 30 distinct whole numbers are more than 20 (--task classes overrides)",
    );
    const classes = await runCli([
      'train',
      file,
      '--target',
      'y',
      '--task',
      'classes',
      '--epochs',
      '1',
      '--hidden',
      '2',
      '--out',
      join(dir, 'thirty.json'),
      '--json',
    ]);
    expect(classes.code).toBe(0);
    expect(JSON.parse(classes.stdout).target).toMatchObject({ kind: 'classes' });
    expect(JSON.parse(classes.stdout).target.classes).toHaveLength(30);
    expect(classes.stderr).toContain("target 'y': classes, as --task classes was given\n");
  });
});

describe('scaling', () => {
  let sigmoid01: string;
  beforeAll(async () => {
    sigmoid01 = await csv(
      'd1.csv',
      ['a', 'b', 'd1'],
      grid(40, (a, b) => (a + b > 0 ? 1 : 0)),
    );
  });

  it('--scale none scales nothing: under a sigmoid output 0/1 targets stay 0/1', async () => {
    // The case of a user's own network: one sigmoid output, a squared loss, raw data.
    const init = join(dir, 'd1-init.json');
    const net = new Network({
      inputs: 2,
      layers: [
        { units: 3, activation: 'tanh' },
        { units: 1, activation: 'sigmoid' },
      ],
      seed: 4,
    });
    await writeFile(init, JSON.stringify(net.toJSON()));
    const out = join(dir, 'd1.json');
    const args = ['train', sigmoid01, '--target', 'd1', '--init', init, '--scale', 'none'];
    const rest = ['--loss', 'half-squared', '--epochs', '2', '--out', out];
    const run = await runCli([...args, ...rest]);
    expect(run.code).toBe(0);
    const model = await readJson(out);
    expect(
      model.preprocessing.inputs.map((c: { offset: number; scale: number }) => [c.offset, c.scale]),
    ).toEqual([
      [0, 1],
      [0, 1],
    ]);
    // Two whole values in 40 rows are classes; under the sigmoid they are one output, 0 and 1.
    expect(model.preprocessing.target).toEqual({
      kind: 'classes',
      column: 'd1',
      classes: ['0', '1'],
      binary: true,
    });
    // The same as numbers: no offset, no scale.
    const numbers = await runCli([...args, '--task', 'numbers', ...rest]);
    expect(numbers.code).toBe(0);
    expect((await readJson(out)).preprocessing.target).toEqual({
      kind: 'numbers',
      columns: ['d1'],
      offset: [0],
      scale: [1],
    });
  });

  it('scales numeric targets under an unbounded output only, never under sigmoid or tanh', async () => {
    const file = await csv(
      'bounded.csv',
      ['a', 'b', 'y'],
      grid(60, (a, b) => Math.tanh(a - b) / 2 + 0.25),
    );
    const target = async (activation: string) => {
      const out = join(dir, `bounded-${activation}.json`);
      const run = await runCli([
        'train',
        file,
        '--target',
        'y',
        '--output-activation',
        activation,
        '--epochs',
        '1',
        '--hidden',
        '2',
        '--out',
        out,
      ]);
      expect(run.code).toBe(0);
      const model = await readJson(out);
      expect(model.preprocessing.inputs[0].offset).not.toBe(0); // inputs are standardized in every case
      return model.preprocessing.target;
    };
    for (const activation of ['sigmoid', 'tanh']) {
      expect(await target(activation)).toMatchObject({ kind: 'numbers', offset: [0], scale: [1] });
    }
    for (const activation of ['linear', 'relu']) {
      const t = await target(activation);
      expect(t.offset[0]).not.toBe(0);
      expect(t.scale[0]).not.toBe(1);
    }
  });
});

it('refuses the retired --target-scale in one line', async () => {
  const run = await runCli([
    'train',
    join(ROOT, 'data/iris.csv'),
    '--target',
    'species',
    '--target-scale',
    'none',
  ]);
  expect(run.code).toBe(2);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toContain('--scale applies to numeric inputs and targets alike');
});

describe('when a run stops', () => {
  let file: string;
  beforeAll(async () => {
    file = await csv(
      'stop.csv',
      ['a', 'b', 'y'],
      grid(200, (a, b) => a * 0.7 - b * b + 0.1),
    );
  });

  it('without --epochs: early stopping on 10% held out, the rule printed', async () => {
    const run = await runCli([
      'train',
      file,
      '--target',
      'y',
      '--hidden',
      '4',
      '--out',
      join(dir, 'auto.json'),
      '--json',
    ]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.rows).toEqual({ train: 180, validation: 20, test: 0 });
    expect(doc.settings.patience).toBe(10);
    expect(doc.settings.optimizer.weightDecay).toBe(0.01); // numbers, without --epochs
    expect(doc.history.epochs.length).toBeLessThanOrEqual(doc.settings.epochs);
    expect(run.stderr).toMatch(
      /\nstopping: no --epochs, so early stopping after 10 epochs without an improvement of 0\.0001 in the validation cost \(20 rows held out\), best weights restored; at most \d+ epochs/,
    );
  });

  it('--validation-split 0: patience watches the training cost', async () => {
    const run = await runCli([
      'train',
      file,
      '--target',
      'y',
      '--hidden',
      '4',
      '--validation-split',
      '0',
      '--out',
      join(dir, 'no-split.json'),
      '--json',
    ]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.rows.validation).toBe(0);
    expect(doc.history.epochs[0]).not.toHaveProperty('validationCost');
    expect(run.stderr).toContain(
      'without an improvement of 0.0001 in the training cost, best weights restored',
    );
  });

  it('--epochs n runs exactly n epochs', async () => {
    const run = await runCli([
      'train',
      file,
      '--target',
      'y',
      '--hidden',
      '4',
      '--epochs',
      '7',
      '--out',
      join(dir, 'seven.json'),
      '--json',
    ]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.history.epochs).toHaveLength(7);
    expect(doc.rows.validation).toBe(0);
    expect(doc.settings.optimizer.weightDecay).toBe(0); // as in the library
    expect(run.stderr).toContain('\nstopping: exactly 7 epochs (--epochs)\n');
  });
});

describe('the model file and the header line', () => {
  it('records the dtype, and predict runs in it', async () => {
    const file = await csv(
      'dtype.csv',
      ['a', 'b', 'y'],
      grid(50, (a, b) => a / 3 + b),
    );
    const out = join(dir, 'f64.json');
    const run = await runCli([
      'train',
      file,
      '--target',
      'y',
      '--hidden',
      '3',
      '--epochs',
      '3',
      '--dtype',
      'float64',
      '--scale',
      'none',
      '--out',
      out,
    ]);
    expect(run.code).toBe(0);
    const model = await readJson(out);
    expect(model.dtype).toBe('float64');
    const predicted = await runCli(['predict', out, file, '--json']);
    expect(predicted.code).toBe(0);
    const y = JSON.parse(predicted.stdout).predictions.map((p: { y: number }) => p.y);
    // Unscaled data: the network's outputs are the predictions, computed here in float64.
    const x = grid(50, () => 0).map((r) => [r[0] as number, r[1] as number]);
    const net = Network.fromJSON(model);
    expect(net.dtype).toBe('float64');
    const expected = net.predict(x).map((r) => r[0]);
    expect(y).toEqual(expected);
    const in32 = Network.fromJSON(model, { dtype: 'float32' })
      .predict(x)
      .map((r) => r[0]);
    expect(y).not.toEqual(in32);
    // export writes the weights in the model's dtype unless --dtype says otherwise.
    const tensors = join(dir, 'f64.safetensors');
    expect((await runCli(['export', out, '--to', 'safetensors', '--out', tensors])).code).toBe(0);
    const bytes = await readFile(tensors);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
    expect(header['0.weight'].dtype).toBe('F64');
  });

  it('describes the network trained with --init, not the default one', async () => {
    const file = await csv(
      'init.csv',
      ['a', 'b', 'y'],
      grid(30, (a, b) => a - b),
    );
    const init = join(dir, 'init.json');
    const net = new Network({
      inputs: 2,
      layers: [
        { units: 3, activation: 'tanh' },
        { units: 2, activation: 'sigmoid' },
        { units: 1, activation: 'linear' },
      ],
      seed: 1,
    });
    await writeFile(init, JSON.stringify(net.toJSON()));
    const run = await runCli([
      'train',
      file,
      '--target',
      'y',
      '--init',
      init,
      '--epochs',
      '1',
      '--out',
      join(dir, 'init-out.json'),
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'training 2-3-2-1 (2 inputs, hidden 3 tanh, 2 sigmoid, linear output) on 30 rows',
    );
    expect(run.stderr).not.toContain('100 relu');
  });
});

describe('the command line trains to the bit of the library', () => {
  const n = 24;
  const rows = grid(n, (a, b) => a * a - b / 2);
  const x = rows.map((r) => [r[0] as number, r[1] as number]);
  const d = rows.map((r) => [r[2] as number]);
  const epochs = 5;

  for (const mode of ['batch', 'sequential', 'minibatch'] as Mode[]) {
    it(`${mode}: same weights after ${epochs} epochs of sgd on the same data`, async () => {
      const file = await csv(`bits-${mode}.csv`, ['a', 'b', 'y'], rows);
      const start = new Network({
        inputs: 2,
        layers: [
          { units: 4, activation: 'tanh' },
          { units: 1, activation: 'linear' },
        ],
        seed: 11,
        dtype: 'float64',
      });
      const init = join(dir, `bits-${mode}-init.json`);
      await writeFile(init, JSON.stringify(start.toJSON()));
      const out = join(dir, `bits-${mode}.json`);
      const run = await runCli([
        'train',
        file,
        '--target',
        'y',
        '--init',
        init,
        '--scale',
        'none',
        '--no-shuffle',
        '--validation-split',
        '0',
        '--optimizer',
        'sgd',
        '--mode',
        mode,
        '--batch-size',
        '5',
        '--epochs',
        String(epochs),
        '--dtype',
        'float64',
        '--out',
        out,
      ]);
      expect(run.code).toBe(0);
      const cli = await readJson(out);

      const lib = Network.fromJSON(start.toJSON(), { dtype: 'float64' });
      await lib.fit(x, d, {
        loss: 'mse',
        mode,
        batchSize: mode === 'minibatch' ? 5 : undefined,
        optimizer: 'sgd',
        shuffle: false,
        epochs,
      });
      const ours = lib.toJSON();
      expect(cli.layers.map((l: { weights: number[][] }) => l.weights)).toEqual(
        ours.layers.map((l) => l.weights),
      );
      expect(cli.layers.map((l: { biases: number[] }) => l.biases)).toEqual(ours.layers.map((l) => l.biases));
      // Training moved the weights: the comparison is not of two copies of the start.
      expect(ours.layers[0].weights).not.toEqual(start.toJSON().layers[0].weights);
    });
  }
});
