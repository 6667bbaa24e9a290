import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCsv, parseCsv } from '../src/data/csv.js';
import { DataError } from '../src/data/errors.js';
import { MAX_CATEGORIES, parseCell, profileRows } from '../src/data/profile.js';

describe('parseCsv', () => {
  it('reads quoted fields, a BOM, CRLF and blank trailing lines', () => {
    const text = '\uFEFFname,"x, y",z\r\n"a ""quoted"" one","1,5",2\r\nb,"line\nbreak",3\r\n\r\n\r\n   \r\n';
    const t = parseCsv(text, 'a.csv');
    expect(t.columns).toEqual(['name', 'x, y', 'z']);
    expect(t.rows).toEqual([
      ['a "quoted" one', '1,5', '2'],
      ['b', 'line\nbreak', '3'],
    ]);
    expect(t.lines).toEqual([2, 4]);
  });

  it('reads the same rows from bytes with a BOM and from LF, CRLF or CR line ends', () => {
    const rows = [
      ['1', '2'],
      ['3', '4'],
    ];
    for (const eol of ['\n', '\r\n', '\r']) {
      const text = `a,b${eol}1,2${eol}3,4${eol}`;
      expect(parseCsv(text).rows).toEqual(rows);
      const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)]);
      expect(parseCsv(bytes).columns).toEqual(['a', 'b']);
    }
    expect(parseCsv('a,b\n1,2\r\n3,4').rows).toEqual(rows); // mixed line ends
  });

  it('names the file and line of a ragged row', () => {
    expect(() => parseCsv('a,b\n1,2\n3,4,5\n', 'r.csv')).toThrow(
      new DataError({ file: 'r.csv', line: 3 }, 'expected 2 fields as in the header, found 3'),
    );
    expect(() => parseCsv('a,b\n1,2\n3\n', 'r.csv')).toThrow(
      /^r\.csv line 3: expected 2 fields as in the header, found 1$/,
    );
  });

  it('refuses an empty file, a header without rows, a repeated column and bad quoting', () => {
    expect(() => parseCsv('', 'e.csv')).toThrow(/^e\.csv: the file is empty; expected a header line/);
    expect(() => parseCsv('\n\n  \n', 'e.csv')).toThrow(/the file is empty/);
    expect(() => parseCsv('a,b\n', 'h.csv')).toThrow(/^h\.csv: the file has a header but no data rows/);
    expect(() => parseCsv('a,a\n1,2\n', 'd.csv')).toThrow(
      /^d\.csv line 1, column 'a': the header names this column twice/,
    );
    expect(() => parseCsv('a,b\n1,"2\n', 'q.csv')).toThrow(
      /^q\.csv line \d+: not valid CSV \(Quote Not Closed/,
    );
  });

  it('names blank header cells after their position', () => {
    expect(parseCsv(',y\n0,1\n').columns).toEqual(['column1', 'y']);
  });

  it('reads back what formatCsv writes, whatever the fields hold', () => {
    const field = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', 'é', '1', '.') }),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 8 }),
        fc.context(),
        (cols, n, ctx) => {
          const header = Array.from({ length: cols }, (_, j) => `c${j}`);
          const rows = fc.sample(fc.array(field, { minLength: cols, maxLength: cols }), n);
          ctx.log(JSON.stringify(rows));
          // A row whose fields are all blank is a blank line, which readers skip by design.
          const kept = rows.filter((r) => r.some((f) => f.trim() !== ''));
          const text = formatCsv(header, rows);
          if (kept.length === 0) {
            expect(() => parseCsv(text)).toThrow(DataError);
            return;
          }
          const t = parseCsv(text);
          expect(t.columns).toEqual(header);
          expect(t.rows).toEqual(kept);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('answers random bytes with rows or a one-line DataError, never another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          const t = parseCsv(bytes, 'random.csv');
          expect(t.rows.length).toBeGreaterThan(0);
          for (const r of t.rows) expect(r.length).toBe(t.columns.length);
        } catch (err) {
          expect(err).toBeInstanceOf(DataError);
          expect((err as Error).message).toMatch(/^random\.csv/);
          expect((err as Error).message).not.toMatch(/\n/);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('answers random CSV shapes (ragged rows, quotes, blank lines) the same way', () => {
    const cell = fc.constantFrom('1', '2.5', '-3e2', 'x', '"q"', '"a,b"', '', ' ', '"', 'NaN', '"\n"');
    const line = fc.array(cell, { maxLength: 5 }).map((cells) => cells.join(','));
    const eol = fc.constantFrom('\n', '\r\n', '\r');
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), eol, fc.boolean(), (lines, end, bom) => {
        const text = (bom ? '\uFEFF' : '') + lines.join(end);
        try {
          const t = parseCsv(text, 'shape.csv');
          for (const r of t.rows) expect(r.length).toBe(t.columns.length);
        } catch (err) {
          expect(err).toBeInstanceOf(DataError);
          expect((err as Error).message).not.toMatch(/\n/);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseCell and profiles', () => {
  it('reads decimal and exponent numbers, flags NaN and infinity, leaves text', () => {
    expect(parseCell(' -1.5e3 ')).toBe(-1500);
    expect(parseCell('.5')).toBe(0.5);
    expect(parseCell('7.')).toBe(7);
    expect(parseCell('0x10')).toBeUndefined();
    expect(parseCell('')).toBeUndefined();
    expect(parseCell('abc')).toBeUndefined();
    for (const s of ['NaN', 'nan', 'inf', '-Infinity', '1e999']) expect(parseCell(s)).toBeNaN();
  });

  it('types columns and keeps exact statistics', () => {
    const rows = [
      ['1', 'red', '3'],
      ['2', 'blue', 'x'],
      ['3', 'red', '5'],
      ['6', 'green', '6'],
    ];
    const p = profileRows(['a', 'b', 'c'], rows, [2, 3, 4, 5]);
    const a = p.get('a');
    expect(a.kind).toBe('number');
    expect(a.mean).toBe(3);
    expect(a.std).toBeCloseTo(Math.sqrt((4 + 1 + 0 + 9) / 4), 12);
    expect([a.min, a.max]).toEqual([1, 6]);
    expect(p.get('b').kind).toBe('text');
    expect(p.get('b').sortedValues()).toEqual(['blue', 'green', 'red']);
    expect(p.get('c').kind).toBe('number'); // mostly numbers: its reader reports 'x'
    expect(p.get('c').firstText).toEqual({ line: 3, value: 'x' });
  });

  it('orders numeric labels by value and stops counting distinct values past the cap', () => {
    const p = profileRows(['d'], [['10'], ['9'], ['1'], ['10']], [2, 3, 4, 5]);
    expect(p.get('d').sortedValues()).toEqual(['1', '9', '10']);
    const many = Array.from({ length: MAX_CATEGORIES + 1 }, (_, i) => [`v${i}`]);
    const q = profileRows(
      ['t'],
      many,
      many.map((_, i) => i + 2),
    );
    expect(q.get('t').sortedValues()).toBeUndefined();
  });
});
