/**
 * A schedule, L1 and weights in a model file's training record (a save/load
 * round trip, the reader's checks) and through a checkpoint (resumed to the
 * bit); on the command line, the flags into the record, and class weights on
 * imbalanced digits raising the recall of the class cut to a tenth.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTrainingRecord, Network, Random, Trainer, trainingRecord } from '../src/index.js';
import { ROOT, runCli, tempDir } from './fixtures/cli/run.js';

const N = 40;

function problem() {
  const random = new Random(3);
  const X = Array.from({ length: N }, () => [random.uniform(-1, 1), random.uniform(-1, 1)]);
  const D = X.map((x) => {
    const l = x[0] > 0.3 ? 0 : x[1] > 0 ? 1 : 2;
    return [0, 1, 2].map((k) => (k === l ? 1 : 0));
  });
  const w = X.map(() => random.uniform(0.2, 3));
  return { X, D, w };
}

function network(dtype: 'float32' | 'float64' = 'float64'): Network {
  return new Network({
    inputs: 2,
    layers: [
      { units: 5, activation: 'tanh' },
      { units: 3, activation: 'softmax' },
    ],
    dtype,
    seed: 6,
  });
}

const flat = (net: Network) => net.getWeights().flatMap((l) => [...l.weights.flat(), ...l.biases]);

describe('the training record', () => {
  it('keeps the schedule, l1 and the class weights through a save/load round trip', () => {
    const { X, D, w } = problem();
    const net = network();
    const trainer = new Trainer(net, X, D, {
      epochs: 2,
      l1: 0.01,
      l2: 0.001,
      schedule: { name: 'cosine', epochs: 10, warmup: 2 },
      classWeights: { 0: 2, 2: 0.5 },
      sampleWeights: w,
    });
    trainer.run();
    const record = trainingRecord(trainer.settings, { epochs: 2, sampleWeights: 'given' });
    trainer.dispose();
    const file = JSON.parse(JSON.stringify(net.toJSON({ training: record })));
    const loaded = Network.fromJSON(file);
    const training = loaded.meta.training as Record<string, unknown>;
    expect(training.l1).toBe(0.01);
    expect(training.weightDecay).toBe(0.001);
    expect(training).not.toHaveProperty('l2');
    expect(training.schedule).toEqual({
      name: 'cosine',
      epochs: 10,
      etaMin: 0,
      warmup: 2,
      warmupStart: 1 / 3,
    });
    expect(training.classWeights).toEqual({ 0: 2, 2: 0.5 });
    expect(training.sampleWeights).toBe('given');
    expect(flat(loaded)).toEqual(flat(net));
    // The record's settings train again to the same weights.
    const again = network();
    const { schedule, l1, weightDecay, classWeights } = training as never;
    const t2 = new Trainer(again, X, D, {
      epochs: 2,
      l1,
      weightDecay,
      schedule,
      classWeights,
      sampleWeights: w,
    });
    t2.run();
    t2.dispose();
    expect(flat(again)).toEqual(flat(net));
  });

  it('refuses a bad schedule, l1 or class weight, naming the field', () => {
    expect(() => checkTrainingRecord({ schedule: { name: 'cosine' } })).toThrow(/training\.schedule\.epochs/);
    expect(() => checkTrainingRecord({ l1: -1 })).toThrow(/training\.l1/);
    expect(() => checkTrainingRecord({ classWeights: { 1: 'x' } })).toThrow(/training\.classWeights\.1/);
  });
});

describe('a checkpoint keeps the schedule, the weights and L1 to the bit', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const mode of ['batch', 'sequential', 'minibatch'] as const) {
      it(`${mode}, ${dtype}: stopped mid-run, through JSON, resumed`, () => {
        const { X, D, w } = problem();
        const options = {
          mode,
          batchSize: 7,
          epochs: 12,
          learningRate: 0.2,
          l1: 0.003,
          schedule: { name: 'plateau', patience: 1, factor: 0.5, threshold: 0.01, warmup: 2 },
          classWeights: 'balanced',
          sampleWeights: w,
          validationSplit: 0.2,
        } as const;
        const whole = network(dtype);
        const a = new Trainer(whole, X, D, options);
        a.run();
        const part = network(dtype);
        const b = new Trainer(part, X, D, options);
        b.run({ epochs: 5 });
        if (mode !== 'batch') b.step();
        const saved = JSON.parse(JSON.stringify(b.checkpoint()));
        b.dispose();
        const resumed = network(dtype);
        const c = new Trainer(resumed, X, D, options);
        c.restore(saved);
        c.run();
        expect(flat(resumed)).toEqual(flat(whole));
        const summary = (t: Trainer) => t.history.map((h) => [h.cost, h.validationCost, ...h.learningRate]);
        expect(summary(c)).toEqual(summary(a));
        expect(new Set(a.history.map((h) => h.learningRate[0])).size).toBeGreaterThan(1);
        a.dispose();
        c.dispose();
      });
    }
  }

  it('an older checkpoint (no schedule, no rates in its history) still loads', () => {
    const { X, D } = problem();
    const a = new Trainer(network(), X, D, { epochs: 4 });
    a.run({ epochs: 2 });
    const old = JSON.parse(JSON.stringify(a.checkpoint()));
    for (const h of old.history) delete h.learningRate;
    a.run();
    const c = new Trainer(network(), X, D, { epochs: 4 });
    c.restore(old);
    c.run();
    expect(c.history.map((h) => h.learningRate)).toEqual(a.history.map((h) => h.learningRate));
    a.dispose();
    c.dispose();
  });
});

describe('the command line', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const digitsOf = async (): Promise<string[]> =>
    (await readFile(join(ROOT, 'data/digits.csv'), 'utf8')).trim().split('\n');

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    // Digits split 70/30 at random (seeded); the training part keeps a tenth of the 8s.
    const [header, ...rows] = await digitsOf();
    const random = new Random(12345);
    const order = random.shuffle(Uint32Array.from({ length: rows.length }, (_, i) => i));
    const test = Array.from(order.subarray(0, Math.round(rows.length * 0.3)), (i) => rows[i]);
    const train = Array.from(order.subarray(test.length), (i) => rows[i]);
    const eights = train.filter((r) => r.endsWith(',8'));
    const kept = eights.slice(0, Math.round(eights.length / 10));
    const imbalanced = [...train.filter((r) => !r.endsWith(',8')), ...kept];
    await writeFile(join(dir, 'train.csv'), `${[header, ...imbalanced].join('\n')}\n`);
    await writeFile(join(dir, 'test.csv'), `${[header, ...test].join('\n')}\n`);
  });
  afterAll(async () => cleanup());

  async function recallOf8(seed: number, extra: string[]): Promise<number> {
    const model = join(dir, `m-${seed}-${extra.length}.json`);
    const trained = await runCli([
      'train',
      join(dir, 'train.csv'),
      '--target',
      'digit',
      '--epochs',
      '30',
      '--seed',
      String(seed),
      '--quiet',
      '--out',
      model,
      ...extra,
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    const scored = await runCli(['evaluate', model, join(dir, 'test.csv'), '--json']);
    const scores = JSON.parse(scored.stdout);
    // Beside the plain accuracy, the balanced weights of training make the weighted one the mean recall.
    const meanRecall = scores.recall.reduce((x: number, y: number) => x + y, 0) / scores.recall.length;
    if (extra.length > 0) expect(scores.weightedAccuracy).toBeCloseTo(meanRecall, 12);
    else expect(scores).not.toHaveProperty('weightedAccuracy');
    return scores.recall[scores.classes.indexOf('8')];
  }

  it('--class-weight balanced raises the recall of the class cut to a tenth (two seeds)', async () => {
    for (const seed of [1, 2]) {
      const before = await recallOf8(seed, []);
      const after = await recallOf8(seed, ['--class-weight', 'balanced']);
      expect(after, `seed ${seed}: recall of 8 ${before} -> ${after}`).toBeGreaterThan(before);
    }
  }, 120_000);

  it('puts --schedule, --l1, --class-weight and --sample-weight in the record, and refuses bad ones', async () => {
    const iris = (await readFile(join(ROOT, 'data/iris.csv'), 'utf8')).trim().split('\n');
    const weighted = [`${iris[0]},w`, ...iris.slice(1).map((r, i) => `${r},${i % 3 === 0 ? 2 : 0.5}`)];
    await writeFile(join(dir, 'iris-w.csv'), `${weighted.join('\n')}\n`);
    const model = join(dir, 'iris-w.json');
    const run = await runCli([
      'train',
      join(dir, 'iris-w.csv'),
      '--target',
      'species',
      '--epochs',
      '4',
      '--schedule',
      'step,stepSize=2,gamma=0.5',
      '--l1',
      '0.001',
      '--class-weight',
      'setosa=2,virginica=0.5',
      '--sample-weight',
      'w',
      '--json',
      '--out',
      model,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.history.epochs.map((h: { learningRate: number[] }) => h.learningRate[0])).toEqual([
      0.001, 0.001, 0.0005, 0.0005,
    ]);
    expect(doc.weightedAccuracy).toBeGreaterThanOrEqual(0);
    const file = JSON.parse(await readFile(model, 'utf8'));
    expect(file.inputColumns).not.toContain('w');
    expect(file.training).toMatchObject({
      l1: 0.001,
      schedule: { name: 'step', stepSize: 2, gamma: 0.5 },
      classWeights: { 0: 2, 2: 0.5 },
      sampleWeights: 'w',
    });
    const bad = await runCli([
      'train',
      join(dir, 'iris-w.csv'),
      '--target',
      'species',
      '--class-weight',
      'daisy=2',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(
      "backprop: option --class-weight: no class 'daisy' in column 'species' (its classes: setosa, versicolor, virginica)",
    );
    const noColumn = await runCli([
      'train',
      join(dir, 'iris-w.csv'),
      '--target',
      'species',
      '--sample-weight',
      'v',
    ]);
    expect(noColumn.code).toBe(2);
    expect(noColumn.stderr).toContain("option --sample-weight: no column 'v' in");
  }, 60_000);
});
