// A file of plain numbers profiled and encoded from its numbers gives exactly
// what profiling and encoding its rows of text gives: statistics, class labels,
// encoded inputs and targets, bit for bit.
import { describe, expect, it } from 'vitest';
import { encodeRows } from '../src/cli/run-model.js';
import { parseCsv } from '../src/data/csv.js';
import { NotNumeric, type NumericTable, parseNumericCsv } from '../src/data/csv-numeric.js';
import { buildEncoding, rowEncoder } from '../src/data/encoding.js';
import {
  encodeNumbers,
  encodesFromNumbers,
  groupsOf,
  numericView,
  profileNumbers,
} from '../src/data/numeric-table.js';
import { profileRows } from '../src/data/profile.js';
import { Random } from '../src/random.js';

const rng = new Random(5);
const rows = Array.from({ length: 400 }, (_, i) => [
  String(i % 7),
  (rng.normal() * 3).toFixed(4),
  String(Math.round(rng.uniform(-50, 50))),
  `${(rng.uniform(0, 1) * 1e-3).toExponential(6)}`,
]);
const text = `label,x,y,z\n${rows.map((r) => r.join(',')).join('\n')}\n`;
const numbers = parseNumericCsv(text, 'n.csv') as NumericTable;
const strings = parseCsv(text, 'n.csv');

describe('a numeric table read from its numbers', () => {
  it('marks the columns spelled as numbers print', () => {
    expect(numbers).not.toBeInstanceOf(NotNumeric);
    expect(Array.from(numbers.canonical)).toEqual([1, 0, 1, 0]);
    expect(numericView({ numbers }, ['label'])).toBe(numbers);
    // x is spelled 1.2340, not as 1.234 prints; but it is not whole: numbers, whatever the spelling.
    expect(numericView({ numbers }, ['x'])).toBe(numbers);
    expect(numericView({ numbers }, ['x'], { task: 'classes' })).toBeUndefined();
    expect(numericView({ numbers }, ['x'], { loss: 'cross-entropy' })).toBeUndefined();
    // Whole numbers spelled otherwise (3.0) could be classes, whose labels are their text.
    const spelled = parseNumericCsv('a,b\n1,3.0\n2,4.0\n3,3.0\n', 's.csv') as NumericTable;
    expect(numericView({ numbers: spelled }, ['b'])).toBeUndefined();
    expect(numericView({ numbers: spelled }, ['b'], { task: 'numbers' })).toBe(spelled);
    expect(numericView({ numbers: spelled }, ['a', 'b'])).toBe(spelled);
    expect(numericView({}, ['label'])).toBeUndefined();
  });

  it('profiles every column as the rows of text profile', () => {
    const subset = Uint32Array.from({ length: 150 }, (_, i) => (i * 7) % 400);
    for (const indices of [undefined, subset]) {
      const a = profileNumbers(numbers, indices);
      const b = profileRows(strings.columns, strings.rows, strings.lines, indices);
      expect(a.rows).toBe(b.rows);
      for (let j = 0; j < 4; j++) {
        const [p, q] = [a.columns[j], b.columns[j]];
        expect([p.count, p.numbers, p.mean, p.m2, p.min, p.max, p.kind]).toEqual([
          q.count,
          q.numbers,
          q.mean,
          q.m2,
          q.min,
          q.max,
          q.kind,
        ]);
      }
      expect(a.columns[0].sortedValues()).toEqual(b.columns[0].sortedValues());
      expect(a.columns[2].values).toEqual(b.columns[2].values);
      // Distinct values counted for the named columns only; the statistics of all the same.
      const c = profileNumbers(numbers, indices, ['y', 'label']);
      for (let j = 0; j < 4; j++) {
        const [p, q] = [c.columns[j], a.columns[j]];
        expect([p.mean, p.m2, p.min, p.max, p.kind]).toEqual([q.mean, q.m2, q.min, q.max, q.kind]);
        expect(p.values).toEqual(j === 0 || j === 2 ? q.values : undefined);
      }
    }
  });

  it('encodes inputs and class or numeric targets to the same bits as the row encoder', () => {
    const all = profileNumbers(numbers);
    const indices = new Random(2).shuffle(Uint32Array.from({ length: 400 }, (_, i) => i));
    for (const [target, task, loss] of [
      ['label', 'classes', undefined],
      ['y', 'numbers', undefined],
      ['label', 'classes', 'binary-cross-entropy'],
    ] as const) {
      const binaryRows = loss
        ? strings.rows.map((r) => [String(Number(r[0]) % 2), ...r.slice(1)])
        : strings.rows;
      const binaryText = `label,x,y,z\n${binaryRows.map((r) => r.join(',')).join('\n')}\n`;
      const table = loss ? (parseNumericCsv(binaryText) as NumericTable) : numbers;
      const profile = loss ? profileNumbers(table) : all;
      const options = {
        file: 'n.csv',
        inputColumns: ['label', 'x', 'y', 'z'].filter((c) => c !== target),
        targetColumns: [target],
        scaling: 'standard' as const,
        task,
        loss,
        scaleTargets: task === 'numbers',
      };
      const encoding = buildEncoding(profile, profile, options);
      const encoder = rowEncoder(encoding, strings.columns, 'n.csv', true);
      const viaText = encodeRows(encoder, binaryRows, strings.lines, indices, 'float64');
      expect(encodesFromNumbers(table, encoding, true)).toBe(true);
      const viaNumbers = encodeNumbers(table, encoding, 'float64', { indices })!;
      expect(viaNumbers.x.data).toEqual(viaText.x.data);
      expect(viaNumbers.d!.data).toEqual(viaText.d!.data);
      expect(viaNumbers.x.shape).toEqual(viaText.x.shape);
      // float32 inputs are the float64 ones rounded once, by either reader; targets stay float64.
      const rounded = Float32Array.from(viaText.x.data);
      for (const enc of [
        encodeRows(encoder, binaryRows, strings.lines, indices, 'float32'),
        encodeNumbers(table, encoding, 'float32', { indices })!,
      ]) {
        expect(enc.x.data).toBeInstanceOf(Float32Array);
        expect(enc.x.data).toEqual(rounded);
        expect(enc.d!.data).toEqual(viaText.d!.data);
      }
      // Into arrays that held other rows before (a stream's reused buffers): the same numbers.
      const size = viaText.x.data.length + viaText.d!.data.length;
      const into = { x: new Float32Array(size).fill(7), d: new Float64Array(size).fill(7) };
      const reused = encodeNumbers(table, encoding, 'float32', { indices, into })!;
      expect(reused.x.data).toEqual(rounded);
      expect(reused.d!.data).toEqual(viaText.d!.data);
      expect(reused.x.data.buffer).toBe(into.x.buffer);
    }
    const index = new Map(['0', '1', '2', '3', '4', '5', '6'].map((k, i) => [k, i] as const));
    expect(Array.from(groupsOf(numbers, 0, index).subarray(0, 8))).toEqual([0, 1, 2, 3, 4, 5, 6, 0]);
  });

  it('encodes in place, over the table, to the same bits, only where that is safe', () => {
    // The target in the middle: the inputs around it move down the row, and rows move up.
    const options = {
      file: 'n.csv',
      inputColumns: ['label', 'x', 'z'],
      targetColumns: ['y'],
      scaling: 'standard' as const,
      task: 'numbers' as const,
      scaleTargets: true,
    };
    const fresh = () => parseNumericCsv(text, 'n.csv') as NumericTable;
    const encoding = buildEncoding(profileNumbers(numbers), profileNumbers(numbers), options);
    const ascending = Uint32Array.from({ length: 300 }, (_, i) => i + Math.floor(i / 3));
    for (const indices of [undefined, ascending]) {
      const expected = encodeNumbers(numbers, encoding, 'float64', { indices })!;
      const table = fresh();
      const inPlace = encodeNumbers(table, encoding, 'float64', { indices, inPlace: true })!;
      expect(inPlace.x.data.buffer).toBe(table.values.buffer);
      expect(inPlace.x.data).toEqual(expected.x.data);
      expect(inPlace.d!.data).toEqual(expected.d!.data);
    }
    // Out of order rows, inputs in another order than the table's, or another dtype: a fresh array.
    const shuffled = new Random(3).shuffle(Uint32Array.from({ length: 400 }, (_, i) => i));
    const reordered = buildEncoding(profileNumbers(numbers), profileNumbers(numbers), {
      ...options,
      inputColumns: ['z', 'label', 'x'],
    });
    for (const [enc, dtype, indices] of [
      [encoding, 'float64', shuffled],
      [reordered, 'float64', undefined],
      [encoding, 'float32', undefined],
    ] as const) {
      const table = fresh();
      const before = Float64Array.from(table.values);
      const out = encodeNumbers(table, enc, dtype, { indices, inPlace: true })!;
      expect(out.x.data.buffer).not.toBe(table.values.buffer);
      expect(out.x.data).toEqual(encodeNumbers(numbers, enc, dtype, { indices })!.x.data);
      expect(Float64Array.from(table.values)).toEqual(before);
    }
  });
});
