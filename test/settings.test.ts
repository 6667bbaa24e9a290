// The settings table drives the library's checks and defaults, the optimizer's
// hyperparameters, the command line's flags and help, and the model file's
// training record: each test loops over the table, so a new row is covered.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import {
  BackpropError,
  expectation,
  FIELD_NAMES,
  type Field,
  fieldOf,
  interval,
  ModelFormatError,
  Network,
  OPTIMIZER_DEFAULTS,
  OPTIMIZER_FIELDS,
  resolveSettings,
  Trainer,
  type TrainOptions,
  trainingRecord,
  validateModel,
} from '../src/index.js';
import { defaultSetup, encodeSetup, trainOptions } from '../web/src/setup.js';
import { ROOT, runCli, tempDir } from './fixtures/cli/run.js';

const net = () =>
  new Network({
    inputs: 2,
    layers: [
      { units: 3, activation: 'tanh' },
      { units: 1, activation: 'sigmoid' },
    ],
    seed: 3,
  });
const X = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
const D = [[0], [1], [1], [0]];

/** The rows whose values this file knows how to make (the table may hold richer types). */
const SIMPLE = FIELD_NAMES.filter((k) =>
  ['number', 'integer', 'boolean', 'enum', 'rates'].includes(fieldOf(k).type),
);

/** Values a row must refuse: just outside its range, the wrong type, a name it does not have. */
function badValues(row: Field): unknown[] {
  if (row.type === 'boolean') return ['yes', 1];
  if (row.type === 'enum') return ['no-such-name', 3];
  const r = interval(row.range ?? '(-inf, inf)');
  const bad: unknown[] = ['1', Number.NaN];
  if (r.lo !== -Infinity) bad.push(r.loOpen ? r.lo : r.lo - 1);
  if (r.hi !== Infinity) bad.push(r.hiOpen ? r.hi : r.hi + 1);
  if (row.type === 'integer') bad.push(r.lo + 1.5);
  if (row.type === 'rates') bad.push([0.1, -1]);
  return bad;
}

/** The record name of a row. */
const recordName = (k: (typeof FIELD_NAMES)[number]) => {
  const r = fieldOf(k).record;
  return r === true ? k : (r as string);
};

describe('the library reads its rules from the table', () => {
  it('refuses an unknown key, naming the nearest known one', async () => {
    await expect(net().fit(X, D, { epoch: 10 } as TrainOptions)).rejects.toThrow(
      /^epoch: unknown option; did you mean 'epochs'\?$/,
    );
    expect(() => resolveSettings(net(), { learningrate: 0.1 } as TrainOptions, 4)).toThrow(
      /^learningrate: unknown option; did you mean 'learningRate'\?$/,
    );
    expect(() => resolveSettings(net(), { banana: 1 } as TrainOptions, 4)).toThrow(
      /^banana: unknown option$/,
    );
    // fit's own keys and the Trainer's pass.
    const history = await net().fit(X, D, {
      epochs: 2,
      signal: new AbortController().signal,
      onEpoch: () => {},
      validationData: { inputs: X, targets: D },
      inlineSmallNetworks: false,
    });
    expect(history.epochs).toHaveLength(2);
  });

  it("fills in every row's constant default", () => {
    const settings = resolveSettings(net(), {}, 4);
    const record = trainingRecord(settings, {}) as Record<string, unknown>;
    for (const k of SIMPLE) {
      const row = fieldOf(k);
      if (row.default === undefined || row.record === undefined) continue;
      expect(record[recordName(k)], k).toEqual(row.default);
    }
    for (const k of OPTIMIZER_FIELDS) expect(settings.optimizer[k], k).toBe(OPTIMIZER_DEFAULTS[k]);
  });

  it("refuses every row's values outside its type and range, in the row's words", () => {
    for (const k of SIMPLE) {
      const row = fieldOf(k);
      for (const value of badValues(row)) {
        const call = () => resolveSettings(net(), { [k]: value } as TrainOptions, 4);
        expect(call, `${k} = ${String(value)}`).toThrow(BackpropError);
        // loss and reduction keep the losses' own wording ("unknown loss 'x'").
        if (k === 'loss' || k === 'reduction') continue;
        if (row.type === 'rates' && Array.isArray(value)) {
          expect(call).toThrow(/^learningRate\[1\] \(eta\^\(2\)\): expected a positive number, got -1$/);
        } else if (row.type === 'enum') {
          expect(call).toThrow(new RegExp(`^${k}: unknown .*, expected ${expectation(row)}$`));
        } else if (row.type === 'rates' && typeof value !== 'number') {
          expect(call).toThrow(/^learningRate: expected a number or an array of numbers, got /);
        } else {
          const words = expectation(row).replace(/[[\]()]/g, '\\$&');
          expect(call, `${k} = ${String(value)}`).toThrow(new RegExp(`^${k}: expected ${words}, got `));
        }
      }
    }
  });

  it("accepts each number row's bounds where they are closed", () => {
    for (const k of SIMPLE) {
      const row = fieldOf(k);
      if (row.type !== 'number' && row.type !== 'integer') continue;
      const r = interval(row.range!);
      if (!r.loOpen && r.lo !== -Infinity) {
        expect(() => resolveSettings(net(), { [k]: r.lo } as TrainOptions, 4), k).not.toThrow();
      }
    }
  });
});

describe('the command line reads its flags from the table', () => {
  let train: Command;
  beforeAll(() => {
    train = buildProgram(() => {}).commands.find((c) => c.name() === 'train')!;
  });

  it("has a flag for every row with a cli entry, its help the row's doc", () => {
    for (const k of FIELD_NAMES) {
      const row = fieldOf(k);
      const kebab = k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      const option = train.options.find((o: Option) => o.long === `--${kebab}` || o.long === `--no-${kebab}`);
      if (!row.cli) {
        expect(option, k).toBeUndefined();
        continue;
      }
      expect(option, k).toBeDefined();
      expect(option!.description, k).toContain(row.doc);
      expect(option!.attributeName(), k).toBe(k);
      // A boolean row is its --no- flag, which commander defaults to true by itself.
      if (row.cli.default !== undefined && row.type !== 'boolean') {
        expect(option!.defaultValue, k).toEqual(row.cli.default);
      }
    }
    for (const flag of ['--beta1', '--beta2', '--epsilon', '--rho', '--momentum', '--weight-decay']) {
      expect(
        train.options.some((o: Option) => o.long === flag),
        flag,
      ).toBe(true);
    }
  });
});

describe('the training record', () => {
  it('round-trips through a model file, and reads the shapes older files wrote', () => {
    const n = net();
    const trainer = new Trainer(n, X, D, { optimizer: 'adam', beta1: 0.8, patience: 3, epochs: 5 });
    const record = trainingRecord(trainer.settings, {
      data: 'xor.csv',
      rows: 4,
      epochs: 5,
      stoppedBy: 'epochs',
      finalCost: 0.25,
    });
    trainer.dispose();
    expect(record).toMatchObject({ optimizer: 'adam', beta1: 0.8, patience: 3, maxEpochs: 5, epochs: 5 });
    const file = JSON.parse(JSON.stringify(n.toJSON({ training: record })));
    expect(validateModel(file).training).toEqual(record);
    expect(Network.fromJSON(file).meta.training).toEqual(record);

    const base = n.toJSON({});
    // The command line's old shape: the optimizer as an object.
    const oldCli = {
      data: 'iris.csv',
      optimizer: {
        name: 'adam',
        momentum: 0.9,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        rho: 0.99,
        weightDecay: 0,
      },
      learningRate: [0.001, 0.001],
      epochs: 150,
      maxEpochs: 150,
    };
    // The playground's old shape: its setup, with fields the record does not know.
    const oldPage = { dataset: 'xor', size: 200, noise: 0.1, optimizer: 'sgd', tolerance: 0, seed: 1 };
    for (const training of [oldCli, oldPage])
      expect(() => validateModel({ ...base, training })).not.toThrow();

    const bad: [unknown, RegExp][] = [
      [{ batchSize: 'ten' }, /^training\.batchSize: expected a whole number of at least 1, got 'ten'$/],
      [{ optimizer: 'adagrad' }, /^training\.optimizer: unknown 'adagrad', expected one of sgd/],
      [{ optimizer: { name: 'adagrad' } }, /^training\.optimizer\.name: unknown 'adagrad'/],
      [
        { optimizer: { name: 'adam', beta1: 2 } },
        /^training\.optimizer\.beta1: expected a number in \[0, 1\)/,
      ],
      [{ learningRate: [0.1, 0] }, /^training\.learningRate\[1\] \(eta\^\(2\)\): expected a positive number/],
      [{ epochs: -1 }, /^training\.epochs: expected a whole number of at least 0, got -1$/],
      [{ data: 3 }, /^training\.data: expected a string, got 3$/],
      ['fast', /^training: expected an object, got 'fast'$/],
    ];
    for (const [training, pattern] of bad) {
      expect(() => validateModel({ ...base, training }), String(pattern)).toThrow(ModelFormatError);
      expect(() => validateModel({ ...base, training }), String(pattern)).toThrow(pattern);
    }
  });

  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(async () => cleanup());

  it('--beta1, --beta2, --epsilon, --rho reach the optimizer through the real binary; both writers give one shape', async () => {
    const out = join(dir, 'iris.json');
    const run = await runCli([
      'train',
      join(ROOT, 'data/iris.csv'),
      '--target',
      'species',
      '--hidden',
      '4',
      '--epochs',
      '2',
      '--beta1',
      '0.5',
      '--beta2',
      '0.99',
      '--epsilon',
      '1e-6',
      '--rho',
      '0.95',
      '--momentum',
      '0.8',
      '--out',
      out,
      '--json',
      '--quiet',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const expected = { beta1: 0.5, beta2: 0.99, epsilon: 1e-6, rho: 0.95, momentum: 0.8 };
    expect(JSON.parse(run.stdout).settings.optimizer).toMatchObject({ name: 'adam', ...expected });
    const cli = JSON.parse(await readFile(out, 'utf8')).training;
    expect(cli).toMatchObject({
      optimizer: 'adam',
      ...expected,
      data: join(ROOT, 'data/iris.csv'),
      epochs: 2,
    });

    // The playground's writer: trainingRecord of its Trainer's settings and the page's facts.
    const setup = defaultSetup('xor');
    const trainer = new Trainer(net(), X, D, { ...trainOptions(setup, X.length), epochs: 10 });
    const page = trainingRecord(trainer.settings, {
      data: 'xor',
      testSplit: setup.testFraction,
      playground: encodeSetup(setup),
      epochs: 0,
      rows: X.length,
      stoppedBy: null,
    });
    trainer.dispose();
    const settingsKeys = (r: object) =>
      Object.keys(r)
        .filter((k) => FIELD_NAMES.some((f) => fieldOf(f).record && recordName(f) === k))
        .sort();
    // The same settings in both (tolerance and patience only where set).
    const optional = new Set(['tolerance', 'patience', 'classWeights']);
    expect(settingsKeys(cli).filter((k) => !optional.has(k))).toEqual(
      settingsKeys(page).filter((k) => !optional.has(k)),
    );
    for (const record of [cli, page]) {
      for (const [k, v] of Object.entries(record)) {
        const f = FIELD_NAMES.find((name) => recordName(name) === k);
        if (f && (fieldOf(f).type === 'number' || fieldOf(f).type === 'integer'))
          expect(typeof v, k).toBe('number');
      }
    }
    const badFlag = await runCli([
      'train',
      join(ROOT, 'data/iris.csv'),
      '--target',
      'species',
      '--beta1',
      '1',
    ]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(
      /option '--beta1 <beta1>' argument '1' is invalid\. expected a number in \[0, 1\)/,
    );
  }, 120_000);
});
