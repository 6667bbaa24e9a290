import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../src/data/csv.js';
import { listFiles, ROOT, runCli, tempDir } from './fixtures/cli/run.js';

let dir: string;
let cleanup: () => Promise<void>;
const iris = join(ROOT, 'data/iris.csv');

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => cleanup());

describe('backprop train / evaluate / predict on iris', () => {
  let trained: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    trained = await runCli([
      'train',
      iris,
      '--target',
      'species',
      '--hidden',
      '16',
      '--epochs',
      '150',
      '--test-split',
      '0.25',
      '--validation-split',
      '0.1',
      '--seed',
      '2',
      '--out',
      join(dir, 'iris.json'),
      '--report',
      join(dir, 'iris.html'),
      '--json',
    ]);
  });

  it('prints exactly one JSON document on stdout, with history and scores', () => {
    expect(trained.code).toBe(0);
    const doc = JSON.parse(trained.stdout);
    expect(trained.stdout.trim().split('\n')).toHaveLength(1);
    expect(doc.history.epochs).toHaveLength(150);
    expect(doc.history.epochs[0]).toHaveProperty('validationCost');
    expect(doc.rows).toEqual({ train: 96, validation: 15, test: 39 });
    expect(doc.target).toEqual({
      kind: 'classes',
      column: 'species',
      classes: ['setosa', 'versicolor', 'virginica'],
      binary: false,
    });
    expect(doc.settings).toMatchObject({
      optimizer: { name: 'adam' },
      batchSize: 32,
      mode: 'minibatch',
      loss: 'cross-entropy',
    });
    expect(doc.scores.test.kind).toBe('classes');
    expect(doc.scores.test.accuracy).toBeGreaterThan(0.85);
    expect(trained.stderr).toMatch(/epoch 1\/150/); // progress goes to stderr
  });

  it('keeps what predict needs in the model file', async () => {
    const model = JSON.parse(await readFile(join(dir, 'iris.json'), 'utf8'));
    expect(model).toMatchObject({ format: 'backprop-mlp', version: 1, inputs: 4 });
    expect(model.layers.map((l: { units: number; activation: string }) => [l.units, l.activation])).toEqual([
      [16, 'relu'],
      [3, 'softmax'],
    ]);
    expect(model.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(model.inputColumns).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(model.preprocessing.scaling).toBe('standard');
    expect(model.preprocessing.inputs[0].scale).toBeGreaterThan(0);
    expect(model.training).toMatchObject({ loss: 'cross-entropy', epochs: 150 });
  });

  it('writes an HTML report with the Vega-rendered charts and no temporary file', async () => {
    const html = await readFile(join(dir, 'iris.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).toContain('Cost J per epoch');
    expect(html).toContain('Confusion matrix (test rows');
    expect((await listFiles(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('evaluates: cost, accuracy, per-class precision and recall, confusion matrix', async () => {
    const text = await runCli(['evaluate', join(dir, 'iris.json'), iris]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/accuracy: 0\.9\d{3}/);
    expect(text.stdout).toMatch(/class\s+precision\s+recall\s+rows/);
    expect(text.stdout).toMatch(/setosa\s+1\.0000\s+1\.0000\s+50/);
    expect(text.stdout).toContain('confusion matrix');
    const json = await runCli(['evaluate', join(dir, 'iris.json'), iris, '--json']);
    const doc = JSON.parse(json.stdout);
    expect(doc.rows).toBe(150);
    expect(doc.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(150);
    expect(doc.confusion[0][0]).toBe(50);
    expect(doc.cost).toBeGreaterThan(0);
  });

  it('predicts labels and class probabilities from raw rows, to a file or stdout', async () => {
    const out = join(dir, 'preds.csv');
    const run = await runCli(['predict', join(dir, 'iris.json'), iris, '--out', out]);
    expect(run.code).toBe(0);
    const preds = parseCsv(await readFile(out, 'utf8'));
    expect(preds.columns).toEqual(['species', 'p_setosa', 'p_versicolor', 'p_virginica']);
    expect(preds.rows).toHaveLength(150);
    const correct = preds.rows.filter(
      (r, i) => r[0] === (i < 50 ? 'setosa' : i < 100 ? 'versicolor' : 'virginica'),
    );
    expect(correct.length).toBeGreaterThan(135);
    for (const r of preds.rows) expect(Number(r[1]) + Number(r[2]) + Number(r[3])).toBeCloseTo(1, 5);
    // Inputs only (no target column) work too.
    const inputsOnly = join(dir, 'inputs.csv');
    await writeFile(inputsOnly, 'petal_width,petal_length,sepal_width,sepal_length\n0.2,1.4,3.5,5.1\n');
    const one = await runCli(['predict', join(dir, 'iris.json'), inputsOnly]);
    expect(one.stdout.split('\n')[1]).toMatch(/^setosa,/);
  });
});

describe('numbers, pictures and data sets', () => {
  it('fits the notes best-fit line with a linear neuron and draws it', async () => {
    const csv = join(dir, 'line.csv');
    const exported = await runCli([
      'datasets',
      'export',
      'line',
      '--rows',
      '200',
      '--seed',
      '4',
      '--out',
      csv,
    ]);
    expect(exported.code).toBe(0);
    const run = await runCli([
      'train',
      csv,
      '--target',
      'y',
      '--hidden',
      'none',
      '--optimizer',
      'sgd',
      '--mode',
      'batch',
      '--learning-rate',
      '0.5',
      '--epochs',
      '200',
      '--scale',
      'none',
      '--out',
      join(dir, 'line.json'),
      '--report',
      join(dir, 'line.svg'),
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/R\^2 0\.9\d+/);
    expect(run.stdout).toContain('cost J per epoch'); // the terminal chart
    const model = JSON.parse(await readFile(join(dir, 'line.json'), 'utf8'));
    // y = 2x + 1 + noise: least squares lands near slope 2, intercept 1.
    expect(model.layers[0].weights[0][0]).toBeCloseTo(2, 0);
    expect(model.layers[0].biases[0]).toBeCloseTo(1, 0);
    const svg = await readFile(join(dir, 'line.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('Data and fitted curve');
    const ev = await runCli(['evaluate', join(dir, 'line.json'), csv, '--json']);
    const doc = JSON.parse(ev.stdout);
    expect(doc.kind).toBe('numbers');
    expect(doc.r2[0]).toBeGreaterThan(0.9);
    expect(doc.mse[0]).toBeLessThan(0.1);
    expect(doc.mae[0]).toBeLessThan(0.3);
  });

  it('draws decision regions for two input columns', async () => {
    const csv = join(dir, 'moons.csv');
    await runCli(['datasets', 'export', 'moons', '--rows', '200', '--seed', '1', '--out', csv]);
    const run = await runCli([
      'train',
      csv,
      '--target',
      'label',
      '--task',
      'classes',
      '--hidden',
      '8',
      '--epochs',
      '30',
      '--report',
      join(dir, 'moons.svg'),
      '--out',
      join(dir, 'moons.json'),
      '--quiet',
    ]);
    expect(run.code).toBe(0);
    const svg = await readFile(join(dir, 'moons.svg'), 'utf8');
    expect(svg).toContain('Decision regions with the data');
    expect(svg).toContain('Confusion matrix');
  });

  it('lists and exports the bundled and generated data sets', async () => {
    const list = await runCli(['datasets', '--json']);
    const names = JSON.parse(list.stdout).datasets.map((d: { name: string }) => d.name);
    expect(names).toEqual([
      'iris',
      'digits',
      'wine',
      'breast-cancer',
      'diabetes',
      'line',
      'xor',
      'circles',
      'moons',
      'spirals',
      'blobs',
    ]);
    const text = await runCli(['datasets']);
    expect(text.stdout).toContain('spirals');
    const digits = await runCli(['datasets', 'export', 'digits']);
    expect(digits.stdout).toBe(await readFile(join(ROOT, 'data/digits.csv'), 'utf8'));
    const blobs = await runCli(['datasets', 'export', 'blobs', '--rows', '9', '--centers', '3']);
    const t = parseCsv(blobs.stdout);
    expect(t.columns).toEqual(['x1', 'x2', 'label']);
    expect(t.rows.map((r) => r[2])).toEqual(['0', '1', '2', '0', '1', '2', '0', '1', '2']);
  });

  it('has --help on every command, naming the defaults', async () => {
    const train = await runCli(['train', '--help']);
    expect(train.code).toBe(0);
    for (const option of [
      '--target',
      '--hidden',
      '--activation',
      '--output-activation',
      '--loss',
      '--reduction',
      '--mode',
      '--batch-size',
      '--learning-rate',
      '--optimizer',
      '--epochs',
      '--tolerance',
      '--patience',
      '--validation-split',
      '--test-split',
      '--seed',
      '--dtype',
      '--scale',
      '--no-shuffle',
      '--init',
      '--out',
      '--checkpoint',
      '--resume',
      '--json',
      '--report',
    ]) {
      expect(train.stdout).toContain(option);
    }
    expect(train.stdout).toContain('scikit-learn');
    for (const cmd of ['evaluate', 'predict', 'explain', 'datasets']) {
      const help = await runCli([cmd, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: backprop ${cmd}`);
    }
  });
});

describe('backprop explain', () => {
  it('gives the step trace of a hand-computed step', async () => {
    // One linear neuron, w = 0.5, b = 0.25; x = 2, d = 3: y = 1.25, e = 1.75.
    // Half-squared loss, sum: J = 1/2 e^2; delta = e psi'(v) = 1.75; dJ/dw = -delta x = -3.5.
    const model = join(dir, 'neuron.json');
    await writeFile(
      model,
      JSON.stringify({
        format: 'backprop-mlp',
        version: 1,
        inputs: 1,
        layers: [{ units: 1, activation: 'linear', weights: [[0.5]], biases: [0.25] }],
      }),
    );
    const csv = join(dir, 'one.csv');
    await writeFile(csv, 'x,d\n2,3\n');
    const args = [
      'explain',
      '--model',
      model,
      '--data',
      csv,
      '--target',
      'd',
      '--loss',
      'half-squared',
      '--reduction',
      'sum',
      '--learning-rate',
      '0.1',
    ];
    const run = await runCli([...args, '--json']);
    expect(run.code).toBe(0);
    const trace = JSON.parse(run.stdout);
    expect(Object.keys(trace)).toEqual(['loss', 'layers']);
    expect(Object.keys(trace.layers[0])).toEqual([
      'v',
      'out',
      'delta',
      'gradWeights',
      'gradBiases',
      'weights',
      'biases',
    ]);
    expect(trace.loss).toBeCloseTo(0.5 * 1.75 ** 2, 12);
    expect(trace.layers[0].v).toEqual([[1.25]]);
    expect(trace.layers[0].delta).toEqual([[1.75]]);
    expect(trace.layers[0].gradWeights).toEqual([[-3.5]]);
    expect(trace.layers[0].gradBiases).toEqual([-1.75]);
    expect(trace.layers[0].weights[0][0]).toBeCloseTo(0.5 + 0.1 * 3.5, 12);
    expect(trace.layers[0].biases[0]).toBeCloseTo(0.25 + 0.1 * 1.75, 12);
    const text = await runCli(args);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/delta\^\(1\)_1/);
    expect(text.stdout).toContain('1.75');
  });
});
