// Training reaches what the issue asks: XOR at 100%, iris at 0.95 or more on a
// held-out third, digits at 0.96 or more on a held-out quarter, on the plain
// TypeScript backend. Accuracies and times are printed for the record; speed is
// not asserted.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { datasets, type FitOptions, getBackend, Network } from '../src/index.js';
import { accuracy, lcg, oneHot } from './support/core.js';

function readCsv(name: string): string[][] {
  const rows: string[][] = parse(readFileSync(new URL(`../data/${name}`, import.meta.url), 'utf8'), {
    from_line: 2,
    skip_empty_lines: true,
  });
  return rows;
}

/** The indices 0..n-1 in a seeded random order (Fisher-Yates). */
function shuffled(indices: number[], seed: number): number[] {
  const next = lcg(seed);
  const a = [...indices];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

describe('XOR', () => {
  const xor = datasets.xor(4);
  const cases: { hidden: number; mode: FitOptions['mode']; seeds: number[] }[] = [
    { hidden: 4, mode: 'batch', seeds: [0, 1, 2, 3, 4] },
    { hidden: 4, mode: 'sequential', seeds: [0, 1] },
    // Two hidden nodes are the fewest that can do it; some seeds end in a local minimum.
    { hidden: 2, mode: 'batch', seeds: [1] },
    { hidden: 2, mode: 'sequential', seeds: [2] },
  ];
  for (const { hidden, mode, seeds } of cases) {
    it(`2-${hidden}-1 tanh/sigmoid in ${mode} mode classifies all four points (seeds ${seeds.join(', ')})`, async () => {
      for (const seed of seeds) {
        const net = new Network({
          inputs: 2,
          layers: [
            { units: hidden, activation: 'tanh' },
            { units: 1, activation: 'sigmoid' },
          ],
          seed,
        });
        const history = await net.fit(xor.inputs, xor.targets, { mode, learningRate: 0.5, epochs: 2000 });
        const outputs = net.predict(xor.inputs);
        const reached = accuracy(outputs, xor.targets);
        console.log(
          `XOR 2-${hidden}-1 ${mode} seed ${seed}: accuracy ${reached}, cost ${history.epochs.at(-1)!.cost.toPrecision(3)}, outputs ${outputs.map((o) => o[0].toFixed(3)).join(' ')}`,
        );
        expect(reached).toBe(1);
      }
    });
  }
});

describe('iris', () => {
  it('4-8-3 tanh/softmax reaches at least 0.95 on a stratified held-out third', async () => {
    const rows = readCsv('iris.csv');
    expect(rows.length).toBe(150);
    const species = [...new Set(rows.map((r) => r[4]))];
    expect(species).toHaveLength(3);
    const labels = rows.map((r) => species.indexOf(r[4]));
    const raw = rows.map((r) => r.slice(0, 4).map(Number));
    // A third of each species is held out.
    const train: number[] = [];
    const test: number[] = [];
    species.forEach((_, k) => {
      const members = shuffled(
        labels.flatMap((l, i) => (l === k ? [i] : [])),
        7 + k,
      );
      const cut = Math.round(members.length / 3);
      test.push(...members.slice(0, cut));
      train.push(...members.slice(cut));
    });
    // Standardized with the training rows' mean and standard deviation.
    const mean = [0, 1, 2, 3].map((c) => train.reduce((s, i) => s + raw[i][c], 0) / train.length);
    const sd = [0, 1, 2, 3].map((c) =>
      Math.sqrt(train.reduce((s, i) => s + (raw[i][c] - mean[c]) ** 2, 0) / train.length),
    );
    const inputs = raw.map((r) => r.map((v, c) => (v - mean[c]) / sd[c]));
    const targets = oneHot(labels, 3);
    const net = new Network({
      inputs: 4,
      layers: [
        { units: 8, activation: 'tanh' },
        { units: 3, activation: 'softmax' },
      ],
      seed: 1,
    });
    const started = performance.now();
    await net.fit(
      train.map((i) => inputs[i]),
      train.map((i) => targets[i]),
      { optimizer: 'adam', learningRate: 0.01, mode: 'minibatch', batchSize: 16, epochs: 200 },
    );
    const seconds = (performance.now() - started) / 1000;
    const reached = accuracy(
      net.predict(test.map((i) => inputs[i])),
      test.map((i) => targets[i]),
    );
    console.log(
      `iris 4-8-3: test accuracy ${reached.toFixed(4)} on ${test.length} held-out rows, ${seconds.toFixed(2)} s`,
    );
    expect(reached).toBeGreaterThanOrEqual(0.95);
  });
});

describe('digits', () => {
  it('64-128-10 relu/softmax with adam reaches at least 0.96 on a held-out quarter', async () => {
    const rows = readCsv('digits.csv');
    expect(rows.length).toBe(1797);
    expect(rows[0].length).toBe(65);
    // Pixels are 0..16.
    const inputs = rows.map((r) => r.slice(0, 64).map((v) => Number(v) / 16));
    const targets = oneHot(
      rows.map((r) => Number(r[64])),
      10,
    );
    const order = shuffled(
      rows.map((_, i) => i),
      12345,
    );
    const cut = Math.round(rows.length / 4);
    const test = order.slice(0, cut);
    const train = order.slice(cut);
    const net = new Network({
      inputs: 64,
      layers: [
        { units: 128, activation: 'relu' },
        { units: 10, activation: 'softmax' },
      ],
      seed: 1,
    });
    const started = performance.now();
    const history = await net.fit(
      train.map((i) => inputs[i]),
      train.map((i) => targets[i]),
      { optimizer: 'adam', learningRate: 0.002, mode: 'minibatch', batchSize: 32, epochs: 30 },
    );
    const seconds = (performance.now() - started) / 1000;
    const reached = accuracy(
      net.predict(test.map((i) => inputs[i])),
      test.map((i) => targets[i]),
    );
    const last = history.epochs.at(-1)!;
    console.log(
      `digits 64-128-10 (${getBackend().name} backend, float32): test accuracy ${reached.toFixed(4)} on ${test.length} held-out rows, ` +
        `training accuracy ${last.accuracy?.toFixed(4)}, ${history.epochs.length} epochs in ${seconds.toFixed(2)} s`,
    );
    expect(reached).toBeGreaterThanOrEqual(0.96);
  });
});
