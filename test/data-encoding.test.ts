import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildEncoding,
  chooseColumns,
  chooseTask,
  decodeOutput,
  type Encoding,
  featureNames,
  inputWidth,
  parseEncoding,
  rowEncoder,
  targetWidth,
} from '../src/data/encoding.js';
import { ClassScorer, NumberScorer } from '../src/data/metrics.js';
import { profileRows } from '../src/data/profile.js';
import { splitRows, streamPart } from '../src/data/split.js';
import { BackpropError, ModelFormatError } from '../src/errors.js';

const header = ['size', 'colour', 'kind'];
const rows = [
  ['1', 'red', 'b'],
  ['3', 'blue', 'a'],
  ['5', 'red', 'c'],
  ['7', 'green', 'a'],
];
const lines = [2, 3, 4, 5];

function encode(options: Partial<Parameters<typeof buildEncoding>[2]> = {}): Encoding {
  const p = profileRows(header, rows, lines);
  const choice = chooseColumns(header, 'f.csv', { target: ['kind'] });
  return buildEncoding(p, p, { ...choice, file: 'f.csv', scaling: 'standard', ...options });
}

describe('encoding', () => {
  it('scales numbers, one-hot encodes text inputs and class labels in a stable order', () => {
    const enc = encode();
    expect(enc.target).toEqual({ kind: 'classes', column: 'kind', classes: ['a', 'b', 'c'], binary: false });
    expect(featureNames(enc)).toEqual(['size', 'colour=blue', 'colour=green', 'colour=red']);
    expect(inputWidth(enc)).toBe(4);
    expect(targetWidth(enc.target)).toBe(3);
    const encoder = rowEncoder(enc, header, 'f.csv', true);
    const x = new Float64Array(4);
    const d = new Float64Array(3);
    encoder.encode(['7', 'green', 'a'], 5, x, 0, d, 0);
    const std = Math.sqrt((9 + 1 + 1 + 9) / 4);
    expect(Array.from(x)).toEqual([(7 - 4) / std, 0, 1, 0]);
    expect(Array.from(d)).toEqual([1, 0, 0]);
  });

  it('minmax maps the training range to [0, 1]; none leaves numbers as they are', () => {
    const mm = encode({ scaling: 'minmax' }).inputs[0];
    expect(mm).toEqual({ column: 'size', kind: 'number', offset: 1, scale: 6 });
    expect(encode({ scaling: 'none' }).inputs[0]).toEqual({
      column: 'size',
      kind: 'number',
      offset: 0,
      scale: 1,
    });
  });

  it('takes the target for classes or numbers by the rule, with a reason, and --task overrides', () => {
    const h = ['x', 'y'];
    const column = (values: string[]) =>
      profileRows(
        h,
        values.map((v, i) => [String(i), v]),
        values.map((_, i) => i + 2),
      ).get('y');
    const digits = Array.from({ length: 100 }, (_, i) => String(i % 10));
    expect(chooseTask([column(digits)], 100)).toEqual({
      kind: 'classes',
      reason: 'its 10 distinct values are whole numbers, at most 20 and fewer than half the 100 rows',
    });
    const thirty = Array.from({ length: 300 }, (_, i) => String(i % 30));
    expect(chooseTask([column(thirty)], 300)).toEqual({
      kind: 'numbers',
      reason: 'its 30 distinct whole numbers are more than 20',
    });
    // Ten values in 15 rows: not fewer than half the rows.
    expect(chooseTask([column(digits.slice(0, 15))], 15).kind).toBe('numbers');
    expect(chooseTask([column(['0.5', '1', '2', '0.5'])], 4).reason).toBe(
      'its values are numbers, not all whole',
    );
    expect(chooseTask([column(['a', 'b', 'a'])], 3).reason).toBe('its values are not all numbers');
    expect(chooseTask([column(thirty)], 300, 'auto', 'cross-entropy').kind).toBe('classes');
    expect(chooseTask([column(digits)], 100, 'numbers')).toEqual({
      kind: 'numbers',
      reason: '--task numbers was given',
    });
    expect(chooseTask([column(digits), column(digits)], 100).kind).toBe('numbers');
  });

  it('scales numeric targets like the inputs under an unbounded output only', () => {
    const h = ['x', 'y'];
    const r = [
      ['1', '0'],
      ['2', '1'],
      ['3', '1'],
    ];
    const p = profileRows(h, r, [2, 3, 4]);
    const base = { inputColumns: ['x'], targetColumns: ['y'], file: 'g.csv' };
    const target = (o: object) => buildEncoding(p, p, { ...base, scaling: 'standard', ...o }).target;
    for (const outputActivation of ['linear', 'relu', 'gelu', undefined] as const) {
      expect(target({ outputActivation })).toMatchObject({ offset: [2 / 3], scale: [Math.sqrt(2 / 9)] });
    }
    for (const outputActivation of ['sigmoid', 'tanh', 'softmax'] as const) {
      expect(target({ outputActivation })).toMatchObject({ offset: [0], scale: [1] });
    }
    expect(target({ scaling: 'none' })).toMatchObject({ offset: [0], scale: [1] });
  });

  it('follows the rule for the target: numbers unless text or a cross-entropy loss; BCE on two classes is one output', () => {
    const h = ['x', 'y'];
    const r = [
      ['1', '0'],
      ['2', '1'],
      ['3', '1'],
    ];
    const p = profileRows(h, r, [2, 3, 4]);
    const base = { inputColumns: ['x'], targetColumns: ['y'], file: 'g.csv', scaling: 'none' as const };
    expect(buildEncoding(p, p, base).target.kind).toBe('numbers');
    expect(buildEncoding(p, p, { ...base, loss: 'cross-entropy' }).target).toEqual({
      kind: 'classes',
      column: 'y',
      classes: ['0', '1'],
      binary: false,
    });
    const bce = buildEncoding(p, p, { ...base, loss: 'binary-cross-entropy' });
    expect(bce.target).toMatchObject({ kind: 'classes', binary: true });
    expect(targetWidth(bce.target)).toBe(1);
    expect(decodeOutput(bce.target, [0.75])).toMatchObject({ label: '1', probabilities: [0.25, 0.75] });
    const scaled = buildEncoding(p, p, { ...base, scaling: 'standard' }).target;
    expect(scaled.kind === 'numbers' && scaled.offset[0]).toBeCloseTo(2 / 3, 12);
    expect(decodeOutput(scaled, [0]).kind === 'numbers' && decodeOutput(scaled, [1])).toMatchObject({
      values: [2 / 3 + Math.sqrt(2 / 9)],
    });
  });

  it('names file, line and column of a bad cell, a missing column, an unknown class', () => {
    const h = ['x', 'y'];
    const r = [
      ['1', '0'],
      ['oops', '1'],
      ['3', '1'],
    ];
    const p = profileRows(h, r, [2, 3, 4]);
    const base = { inputColumns: ['x'], targetColumns: ['y'], file: 'g.csv', scaling: 'none' as const };
    expect(() => buildEncoding(p, p, base)).toThrow(
      "g.csv line 3, column 'x': expected a number, found 'oops'",
    );
    const q = profileRows(
      h,
      [
        ['1', '0'],
        ['inf', '1'],
      ],
      [2, 3],
    );
    expect(() => buildEncoding(q, q, base)).toThrow(
      "g.csv line 3, column 'x': expected a finite number (no NaN or infinity), found 'inf'",
    );
    expect(() => chooseColumns(h, 'g.csv', { target: ['z'] })).toThrow(
      "g.csv: --target names column 'z', which the header does not have; expected one of: x, y",
    );
    const enc = encode();
    expect(() => rowEncoder(enc, ['size', 'kind'], 'h.csv', true)).toThrow(
      /^h\.csv, column 'colour': is missing/,
    );
    const encoder = rowEncoder(enc, header, 'h.csv', true);
    const x = new Float64Array(4);
    expect(() => encoder.encode(['1', 'red', 'zzz'], 9, x, 0, new Float64Array(3), 0)).toThrow(
      "h.csv line 9, column 'kind': expected one of the classes 'a', 'b', 'c', found 'zzz'",
    );
    encoder.encode(['1', 'purple', 'a'], 10, x, 0, new Float64Array(3), 0);
    expect(Array.from(x.subarray(1))).toEqual([0, 0, 0]);
    expect(encoder.unknown.get('colour')).toBe("line 10: 'purple'");
  });

  it('round-trips through JSON and rejects a broken recipe naming the field', () => {
    const enc = encode();
    expect(parseEncoding(JSON.parse(JSON.stringify(enc)))).toEqual(enc);
    const broken = JSON.parse(JSON.stringify(enc));
    broken.inputs[0].scale = 0;
    expect(() => parseEncoding(broken, 'preprocessing')).toThrow(
      new ModelFormatError('preprocessing.inputs[0].scale', 'expected a positive number'),
    );
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        try {
          parseEncoding(json);
        } catch (err) {
          expect(err).toBeInstanceOf(ModelFormatError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('splits', () => {
  it('is seeded, disjoint, complete and stratified', () => {
    const groups = Array.from({ length: 100 }, (_, i) => (i < 90 ? 0 : 1));
    const a = splitRows(100, { test: 0.2, validation: 0.1, seed: 3, groups });
    const b = splitRows(100, { test: 0.2, validation: 0.1, seed: 3, groups });
    expect(a).toEqual(b);
    expect(splitRows(100, { test: 0.2, seed: 4, groups }).test).not.toEqual(a.test);
    const all = [...a.train, ...a.validation, ...a.test].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(a.test.length).toBe(20);
    expect([...a.test].filter((i) => groups[i] === 1).length).toBe(2); // 20% of the small class
    expect(() => splitRows(10, { test: 0.6, validation: 0.5 })).toThrow(BackpropError);
  });

  it('assigns streamed rows by a seeded hash in about the right proportions', () => {
    const counts = { train: 0, validation: 0, test: 0 };
    for (let i = 0; i < 20000; i++) counts[streamPart(i, 7, 0.1, 0.2)]++;
    expect(counts.test / 20000).toBeCloseTo(0.2, 1);
    expect(counts.validation / 20000).toBeCloseTo(0.1, 1);
    expect(streamPart(123, 7, 0.1, 0.2)).toBe(streamPart(123, 7, 0.1, 0.2));
  });
});

describe('metrics', () => {
  it('counts the confusion matrix, precision and recall', () => {
    const s = new ClassScorer(['a', 'b']);
    for (const [t, p] of [
      [0, 0],
      [0, 0],
      [0, 1],
      [1, 1],
    ])
      s.add(t, p);
    const r = s.scores();
    expect(r.confusion).toEqual([
      [2, 1],
      [0, 1],
    ]);
    expect(r.accuracy).toBe(0.75);
    expect(r.precision).toEqual([1, 0.5]);
    expect(r.recall).toEqual([2 / 3, 1]);
  });

  it('computes MSE, MAE and R^2', () => {
    const s = new NumberScorer(['y']);
    s.add([1], [1.5]);
    s.add([2], [2]);
    s.add([3], [2.5]);
    const r = s.scores();
    expect(r.mse[0]).toBeCloseTo(0.5 / 3, 12);
    expect(r.mae[0]).toBeCloseTo(1 / 3, 12);
    expect(r.r2[0]).toBeCloseTo(1 - 0.5 / 2, 12);
  });
});
