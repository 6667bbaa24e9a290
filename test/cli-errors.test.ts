/**
 * docs/design.md, "Bad input", end to end through the real binary: every bad input gets exit
 * status 2 (1 for a failure during the run), one line on stderr naming the file,
 * line, column or option and what was expected, and no output file created or
 * overwritten.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, ROOT, runCli, tempDir } from './fixtures/cli/run.js';

let dir: string;
let cleanup: () => Promise<void>;
const SENTINEL = 'an older model that must survive\n';

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const files: Record<string, string> = {
    'good.csv': 'x1,x2,label\n0,0,a\n0,1,b\n1,0,b\n1,1,a\n0.5,0.5,a\n',
    'numbers.csv': 'x,y\n1,2\n2,4\n3,6\n4,8\n',
    'not-a-number.csv': 'x1,x2,label\n0,0,a\n0,abc,b\n1,0,b\n1,1,a\n',
    'ragged.csv': 'x1,x2,label\n0,0,a\n0,1,b,extra\n1,0,b\n',
    'empty.csv': '',
    'header-only.csv': 'x1,x2,label\n',
    'nan.csv': 'x1,x2,label\n0,0,a\n0,NaN,b\n1,0,b\n',
    'infinity.csv': 'x,y\n1,2\n2,Infinity\n3,6\n',
    'bad-quote.csv': 'x1,x2,label\n0,"0,a\n',
    'three-inputs.csv': 'a,b,c,label\n1,2,3,a\n4,5,6,b\n',
    'not-json.json': '{ "format": "backprop-mlp",\n  "version": 1,, }',
    'wrong-format.json': '{"format":"keras","version":1}',
    'bad-shape.json': JSON.stringify({
      format: 'backprop-mlp',
      version: 1,
      inputs: 2,
      layers: [{ units: 1, activation: 'linear', weights: [[1]], biases: [0] }],
    }),
    'bad-number.json': JSON.stringify({
      format: 'backprop-mlp',
      version: 1,
      inputs: 1,
      layers: [{ units: 1, activation: 'linear', weights: [['x']], biases: [0] }],
    }),
    'newer.json': JSON.stringify({ format: 'backprop-mlp', version: 99, inputs: 1, layers: [] }),
    'three-input-model.json': JSON.stringify({
      format: 'backprop-mlp',
      version: 1,
      inputs: 3,
      layers: [{ units: 1, activation: 'linear', weights: [[1], [1], [1]], biases: [0] }],
    }),
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
});
afterAll(async () => cleanup());

interface Case {
  name: string;
  args: (d: string) => string[];
  stderr: RegExp;
  code?: number;
}

const train =
  (data: string, ...rest: string[]) =>
  (d: string) => [
    'train',
    join(d, data),
    '--out',
    join(d, 'out.json'),
    '--report',
    join(d, 'report.svg'),
    '--epochs',
    '2',
    ...rest,
  ];

const cases: Case[] = [
  {
    name: 'a CSV cell that is not a number',
    args: train('not-a-number.csv', '--target', 'label'),
    stderr: /not-a-number\.csv line 3, column 'x2': expected a number, found 'abc'/,
  },
  {
    name: 'a ragged row',
    args: train('ragged.csv', '--target', 'label'),
    stderr: /ragged\.csv line 3: expected 3 fields as in the header, found 4/,
  },
  {
    name: 'an empty file',
    args: train('empty.csv', '--target', 'label'),
    stderr: /empty\.csv: the file is empty; expected a header line/,
  },
  {
    name: 'a header without rows',
    args: train('header-only.csv', '--target', 'label'),
    stderr: /header-only\.csv: the file has a header but no data rows/,
  },
  {
    name: 'a missing file',
    args: train('nowhere.csv', '--target', 'label'),
    stderr: /nowhere\.csv: cannot read the file \(no such file\)/,
  },
  {
    name: 'bad quoting',
    args: train('bad-quote.csv', '--target', 'label'),
    stderr: /bad-quote\.csv line \d+: not valid CSV/,
  },
  {
    name: 'a missing target column',
    args: train('good.csv', '--target', 'price'),
    stderr:
      /good\.csv: --target names column 'price', which the header does not have; expected one of: x1, x2, label/,
  },
  {
    name: 'NaN in data',
    args: train('nan.csv', '--target', 'label'),
    stderr: /nan\.csv line 3, column 'x2': expected a finite number \(no NaN or infinity\), found 'NaN'/,
  },
  {
    name: 'infinity in a target',
    args: train('infinity.csv', '--target', 'y'),
    stderr: /infinity\.csv line 3, column 'y': expected a finite number/,
  },
  {
    name: 'an unknown activation',
    args: train('good.csv', '--target', 'label', '--activation', 'swish'),
    stderr: /option '--activation <psi>' argument 'swish' is invalid\. expected one of linear, sigmoid/,
  },
  {
    name: 'an unknown loss',
    args: train('good.csv', '--target', 'label', '--loss', 'hinge'),
    stderr: /option '--loss <name>' argument 'hinge' is invalid/,
  },
  {
    name: 'a negative learning rate',
    args: train('good.csv', '--target', 'label', '--learning-rate', '-0.1'),
    stderr: /option '--learning-rate <eta>' argument '-0\.1' is invalid\. expected a number greater than 0/,
  },
  {
    name: 'a zero learning rate in a list',
    args: train('good.csv', '--target', 'label', '--learning-rate', '0.1,0'),
    stderr: /--learning-rate <eta>' argument '0\.1,0' is invalid/,
  },
  {
    name: 'a zero batch size',
    args: train('good.csv', '--target', 'label', '--batch-size', '0'),
    stderr: /option '--batch-size <B>' argument '0' is invalid\. expected a whole number of at least 1/,
  },
  {
    name: 'one rate per layer of the wrong count',
    args: train('good.csv', '--target', 'label', '--hidden', '4', '--learning-rate', '0.1,0.2,0.3'),
    stderr: /learningRate: expected one number or 2 \(one per layer\), got 3/,
  },
  {
    name: 'binary cross-entropy on a linear output',
    args: train(
      'good.csv',
      '--target',
      'label',
      '--loss',
      'binary-cross-entropy',
      '--output-activation',
      'linear',
    ),
    stderr: /loss 'binary-cross-entropy' needs outputs in \(0, 1\), but the output activation is 'linear'/,
  },
  {
    name: 'a missing --target',
    args: (d) => ['train', join(d, 'good.csv'), '--out', join(d, 'out.json')],
    stderr: /option --target: expected the target column\(s\), e\.g\. --target label/,
  },
  {
    name: 'an unknown option',
    args: train('good.csv', '--target', 'label', '--colour'),
    stderr: /unknown option '--colour'/,
  },
  {
    name: 'a report that is neither SVG nor HTML',
    args: (d) => [...train('good.csv', '--target', 'label')(d), '--report', join(d, 'r.png')],
    stderr: /option --report: expected a file name ending in \.svg or \.html/,
  },
  {
    name: 'a fraction out of range',
    args: train('good.csv', '--target', 'label', '--test-split', '1.5'),
    stderr: /--test-split <f>' argument '1\.5' is invalid\. expected a fraction/,
  },
  {
    name: '--init with shapes that do not fit',
    args: train('good.csv', '--target', 'label', '--init', 'DIR/three-input-model.json'),
    stderr: /three-input-model\.json: the model has 3 inputs and 1 output, the data needs 2 inputs/,
  },
  {
    name: '--resume without a checkpoint',
    args: train('good.csv', '--target', 'label', '--resume'),
    stderr: /option --resume: expected --checkpoint/,
  },
  {
    name: 'a model file that is not JSON',
    args: (d) => ['evaluate', join(d, 'not-json.json'), join(d, 'good.csv')],
    stderr: /not-json\.json line 2, column 16: not valid JSON \(Expected double-quoted property name\)/,
  },
  {
    name: 'a model of another format',
    args: (d) => ['predict', join(d, 'wrong-format.json'), join(d, 'good.csv'), '--out', join(d, 'out.json')],
    stderr: /wrong-format\.json: field format: expected 'backprop-mlp'/,
  },
  {
    name: 'a model whose weights do not match its inputs',
    args: (d) => ['evaluate', join(d, 'bad-shape.json'), join(d, 'good.csv')],
    stderr: /bad-shape\.json: field layers\[0\]\.weights/,
  },
  {
    name: 'a model with a non-number weight',
    args: (d) => ['evaluate', join(d, 'bad-number.json'), join(d, 'good.csv')],
    stderr: /bad-number\.json: field layers\[0\]\.weights\[0\]\[0\]: expected a finite number/,
  },
  {
    name: 'a model of a newer version',
    args: (d) => ['evaluate', join(d, 'newer.json'), join(d, 'good.csv')],
    stderr: /newer\.json: field version: 99 is newer than this reader/,
  },
  {
    name: 'a model whose shapes do not match the data',
    args: (d) => [
      'predict',
      join(d, 'three-input-model.json'),
      join(d, 'numbers.csv'),
      '--out',
      join(d, 'out.json'),
    ],
    stderr: /numbers\.csv: the model has 3 inputs but the file has 2 input columns \(x, y\)/,
  },
  {
    name: 'explain with targets that do not fit the model',
    args: (d) => [
      'explain',
      '--model',
      join(d, 'three-input-model.json'),
      '--data',
      join(d, 'three-inputs.csv'),
      '--target',
      'label',
      '--loss',
      'mse',
      '--learning-rate',
      '0.1',
    ],
    stderr: /three-inputs\.csv line 2, column 'label': expected a number, found 'a'/,
  },
  {
    name: 'explain with an unknown reduction',
    args: (d) => [
      'explain',
      '--model',
      join(d, 'three-input-model.json'),
      '--data',
      join(d, 'three-inputs.csv'),
      '--target',
      'label',
      '--loss',
      'mse',
      '--reduction',
      'max',
      '--learning-rate',
      '0.1',
    ],
    stderr: /option '--reduction <r>' argument 'max' is invalid\. expected one of mean, sum/,
  },
  {
    name: 'an output folder that does not exist',
    args: (d) => ['train', join(d, 'good.csv'), '--target', 'label', '--out', join(d, 'missing', 'm.json')],
    stderr: /option --out: the folder .*missing does not exist/,
  },
  {
    name: 'evaluate on a file without a column the model needs',
    args: (d) => ['evaluate', join(ROOT, 'test/fixtures/cli/xor-model.json'), join(d, 'numbers.csv')],
    stderr: /numbers\.csv, column 'x1': is missing; the model expects the input column 'x1' in the header/,
  },
  {
    name: 'evaluate on a class the model does not know',
    args: (d) => ['evaluate', join(ROOT, 'test/fixtures/cli/xor-model.json'), join(d, 'good.csv')],
    stderr: /good\.csv line 2, column 'label': expected one of the classes '0', '1', found 'a'/,
  },
  {
    name: 'an unknown data set',
    args: (d) => ['datasets', 'export', 'mnist', '--out', join(d, 'out.json')],
    stderr: /unknown data set 'mnist'; expected one of iris, digits, wine, breast-cancer, diabetes, line/,
  },
];

describe('bad input through the real binary', () => {
  it.concurrent.each(cases)('$name: exit 2, one line naming what was wrong, no file touched', async (c) => {
    const sub = (await tempDir('backprop-bad-')).dir;
    for (const f of await listFiles(dir)) await writeFile(join(sub, f), await readFile(join(dir, f)));
    await writeFile(join(sub, 'out.json'), SENTINEL);
    const before = await listFiles(sub);
    const args = c.args(sub).map((a) => a.replace('DIR/', `${sub}/`));
    const run = await runCli(args);
    expect(run.stderr).toMatch(c.stderr);
    expect(run.code).toBe(c.code ?? 2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(run.stdout).toBe('');
    expect(await readFile(join(sub, 'out.json'), 'utf8')).toBe(SENTINEL);
    expect(await listFiles(sub)).toEqual(before);
  });

  it('a cost that becomes infinite stops with exit 1, naming the epoch, and keeps the last finite weights', async () => {
    const csv = join(dir, 'big.csv');
    await writeFile(
      csv,
      `x,y\n${Array.from({ length: 50 }, (_, i) => `${i * 1000},${i * 1e6}`).join('\n')}\n`,
    );
    const out = join(dir, 'diverged.json');
    const run = await runCli([
      'train',
      csv,
      '--target',
      'y',
      '--hidden',
      'none',
      '--scale',
      'none',
      '--optimizer',
      'sgd',
      '--learning-rate',
      '10',
      '--epochs',
      '50',
      '--out',
      out,
      '--quiet',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/training diverged at epoch (\d+): the cost became (Infinity|NaN)/);
    const model = JSON.parse(await readFile(out, 'utf8'));
    expect(Number.isFinite(model.layers[0].weights[0][0])).toBe(true);
  });

  it('answers random bytes, CSV shapes and JSON with one line and exit 2, never a stack trace', async () => {
    const sub = (await tempDir('backprop-fuzz-')).dir;
    const samples = [
      ...fc
        .sample(fc.uint8Array({ minLength: 1, maxLength: 200 }), { numRuns: 3, seed: 11 })
        .map((b) => ({ name: 'bytes.csv', body: b })),
      ...fc
        .sample(
          fc.array(fc.array(fc.constantFrom('1', 'x', '"', '"a,b"', '', 'NaN', '2.5'), { maxLength: 4 }), {
            minLength: 1,
            maxLength: 6,
          }),
          { numRuns: 3, seed: 12 },
        )
        .map((rows) => ({
          name: 'shape.csv',
          body: new TextEncoder().encode(rows.map((r) => r.join(',')).join('\n')),
        })),
    ];
    const jsons = fc.sample(fc.jsonValue(), { numRuns: 3, seed: 13 });
    const runs = await Promise.all([
      ...samples.map(async (s, i) => {
        const file = join(sub, `${i}-${s.name}`);
        await writeFile(file, s.body);
        return runCli(['train', file, '--target', 'x', '--epochs', '1', '--out', join(sub, 'out.json')]);
      }),
      ...jsons.map(async (j, i) => {
        const file = join(sub, `${i}-model.json`);
        await writeFile(file, JSON.stringify(j));
        return runCli(['evaluate', file, join(ROOT, 'data/iris.csv')]);
      }),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^backprop: /);
      expect(run.stderr).not.toMatch(/\bat .*:\d+:\d+/);
    }
    expect((await listFiles(sub)).includes('out.json')).toBe(false);
  });
});
