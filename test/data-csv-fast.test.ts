// The fast paths of the CSV readers: quote-free text split at commas, and plain
// numbers read straight into a typed array. Each must agree with the general
// reader (csv-parse and Number) to the row, the line and the bit, and the
// numeric one must give up, naming the line, on anything that is not plain numbers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/browser/esm/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CsvRecord,
  csvOptions,
  csvParseError,
  parseCsv,
  RecordChecker,
  type Table,
} from '../src/data/csv.js';
import { NotNumeric, type NumericTable, parseNumericCsv } from '../src/data/csv-numeric.js';
import { csvChunks, numericCsvChunks, readCsvFile, readNumericCsvFile } from '../src/data/node/csv-stream.js';

const dir = mkdtempSync(join(import.meta.dirname, '..', '.tmp', 'csv-fast-'));

/** The general reader alone: csv-parse for every input, as parseCsv read everything before the fast path. */
function general(text: string, file = '<input>'): Table | string {
  try {
    let records: CsvRecord[];
    try {
      records = parse(text, csvOptions()) as unknown as CsvRecord[];
    } catch (err) {
      throw csvParseError(err, file);
    }
    const checker = new RecordChecker(file);
    const rows: string[][] = [];
    const lines: number[] = [];
    for (const { record, info } of records) {
      const row = checker.accept(record, info.lines);
      if (row !== undefined) {
        rows.push(row);
        lines.push(info.lines);
      }
    }
    const columns = checker.header();
    if (rows.length === 0) return 'no rows';
    return { file, columns, rows, lines };
  } catch (err) {
    return (err as Error).message;
  }
}

function fast(text: string, file = '<input>'): Table | string {
  try {
    return parseCsv(text, file);
  } catch (err) {
    const message = (err as Error).message;
    return message.endsWith('expected at least one row') ? 'no rows' : message;
  }
}

function numeric(table: NumericTable | NotNumeric): NumericTable {
  if (table instanceof NotNumeric) throw new Error(`not numeric at line ${table.line}`);
  return table;
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of source) out.push(x);
  return out;
}

describe('quote-free CSV split at commas', () => {
  it('gives the rows, lines and errors of csv-parse for random quote-free text', () => {
    const piece = fc.constantFrom('a', '1', '-2.5', ',', ',', '\n', '\n', '\r\n', '\r', ' ', '', 'x y');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.boolean(), (pieces, bom) => {
        const text = (bom ? '\uFEFF' : '') + pieces.join('');
        const want = general(text);
        const got = fast(text);
        if (typeof want === 'string') expect(got).toBe(want === 'no rows' ? 'no rows' : want);
        else expect(got).toEqual(want);
      }),
      { numRuns: 400 },
    );
  });

  it('streams a file that turns to quotes after many lines with the lines and errors of the whole-file reader', async () => {
    const plain = Array.from({ length: 3000 }, (_, i) => `${i},text ${i},${i * 0.5}`).join('\n');
    const quoted = `${plain}\n"a, b",2,3\r\n4,"x\ny",6\n7,8\n`;
    const bad = `${plain}\n"a",2,3\n4,5,6\n6,"7"x,8\n`;
    for (const [name, text] of [
      ['quoted.csv', `a,b,c\n${quoted}`],
      ['bad.csv', `a,b,c\n${bad}`],
      ['ragged.csv', `a,b,c\n${plain}\n"q",1\n`],
    ]) {
      const path = join(dir, name);
      writeFileSync(path, text);
      const want = fast(text, path);
      let got: Table | string;
      try {
        const chunks = await collect(csvChunks(path, 500));
        got = {
          file: path,
          columns: chunks[0].columns,
          rows: chunks.flatMap((c) => c.rows),
          lines: chunks.flatMap((c) => c.lines),
        };
      } catch (err) {
        got = (err as Error).message;
      }
      expect(got, name).toEqual(want);
    }
    expect(fast(`a,b,c\n${bad}`, 'bad.csv')).toMatch(/^bad\.csv line 3004: not valid CSV/);
  });
});

describe('numeric CSV into a Float64Array', () => {
  it('reads every value as the double Number(cell) gives, whatever its spelling', () => {
    const spelled = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => String(x)),
      fc
        .double({ min: -1e6, max: 1e6, noNaN: true })
        .chain((x) => fc.integer({ min: 0, max: 12 }).map((d) => x.toFixed(d))),
      fc
        .double({ noNaN: true, noDefaultInfinity: true })
        .chain((x) =>
          fc
            .integer({ min: 0, max: 20 })
            .map((d) => x.toExponential(d).replace('e+', fc.sample(fc.constantFrom('e', 'E+', 'e+'), 1)[0])),
        ),
      fc.integer({ min: -1e9, max: 1e9 }).map(String),
      fc.constantFrom(
        '0',
        '-0',
        '+1',
        '.5',
        '-.25',
        '1.',
        '007',
        '1e-400',
        '123456789012345678901234567890',
        '0.1e1',
      ),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(spelled, spelled), { minLength: 1, maxLength: 20 }), (rows) => {
        // A spelling that overflows (toExponential rounding up past the largest double) is not a number here.
        fc.pre(rows.flat().every((cell) => Number.isFinite(Number(cell))));
        const text = `x,y\n${rows.map((r) => r.join(',')).join('\n')}\n`;
        const t = numeric(parseNumericCsv(text, 'n.csv'));
        expect(t.columns).toEqual(['x', 'y']);
        expect(t.rows).toBe(rows.length);
        const want = rows.flat().map(Number);
        for (let i = 0; i < want.length; i++)
          expect(Object.is(t.values[i], want[i]), rows.flat()[i]).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps each row`s line across blank lines, CRLF, CR and a byte-order mark', () => {
    const t = numeric(parseNumericCsv('\uFEFFa,b\r\n1,2\r\n\r\n3,4\r5,6\n\n7,8', 'l.csv'));
    expect(t.columns).toEqual(['a', 'b']);
    expect(Array.from(t.values)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(t.lines)).toEqual([2, 4, 5, 7]);
  });

  it('gives up on anything but plain numbers, naming the line, and leaves the verdict to the general reader', () => {
    const cases: [string, number][] = [
      ['a,b\n1,2\nx,3\n', 3], // text
      ['a,b\n1,2\n3,\n', 3], // a blank cell
      ['a,b\n1,2\n3\n', 3], // too few fields
      ['a,b\n1,2\n3,4,5\n', 3], // too many
      ['a,b\n1,NaN\n', 2],
      ['a,b\n1,1e999\n', 2], // not finite
      ['a,b\n1, 2\n', 2], // a space
      ['a,b\n1,"2"\n', 2], // a quote
      ['"a",b\n1,2\n', 1], // a quoted header
      ['a,b\n1.2.3,4\n', 2],
      ['a,b\n1e,4\n', 2],
      ['a,b\n', 1], // no rows
      ['', 0], // empty
    ];
    for (const [text, line] of cases) {
      const got = parseNumericCsv(text, 'bad.csv');
      expect(got, JSON.stringify(text)).toBeInstanceOf(NotNumeric);
      expect((got as NotNumeric).line, JSON.stringify(text)).toBe(line);
    }
    // A repeated column is refused as the general reader refuses it.
    expect(() => parseNumericCsv('a,a\n1,2\n', 'h.csv')).toThrow(
      /^h\.csv line 1, column 'a': the header names this column twice/,
    );
  });

  it('keeps values in float32 while float32 holds them exactly, and widens without changing any', async () => {
    const pixels = Array.from({ length: 3000 }, (_, i) => `${i % 10},${(i * 37) % 256},${-(i % 7)}`);
    const whole = numeric(parseNumericCsv(`label,x,y\n${pixels.join('\n')}\n`));
    expect(whole.values).toBeInstanceOf(Float32Array);
    expect(Array.from(whole.values)).toEqual(pixels.flatMap((r) => r.split(',').map(Number)));
    // One value past float32's precision, deep in the file: every value is still Number(cell).
    const late = [...pixels.slice(0, 2500), '1,0.1,16777217', ...pixels.slice(2500)];
    const text = `label,x,y\n${late.join('\n')}\n`;
    const widened = numeric(parseNumericCsv(text));
    expect(widened.values).toBeInstanceOf(Float64Array);
    const expected = late.flatMap((r) => r.split(',').map(Number));
    expect(Array.from(widened.values)).toEqual(expected);
    const path = join(dir, 'late.csv');
    writeFileSync(path, text);
    for (const size of [1, 999, 2500, 100_000]) {
      const chunks = (await collect(numericCsvChunks(path, size))).map(numeric);
      expect(chunks.flatMap((c) => Array.from(c.values))).toEqual(expected);
    }
  });

  it('streams the same values and lines as the whole-file reader, in chunks of any size', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `${i % 10},${(i * 0.37).toFixed(3)},${-i}e-2`);
    const text = `label,x,y\r\n${rows.join('\r\n')}\r\n`;
    const path = join(dir, 'numbers.csv');
    writeFileSync(path, text);
    const whole = numeric(await readNumericCsvFile(path));
    expect(whole.rows).toBe(5000);
    for (const size of [1, 777, 5000, 100_000]) {
      const chunks = (await collect(numericCsvChunks(path, size))).map(numeric);
      expect(chunks.every((c) => c.rows <= size)).toBe(true);
      expect(Float64Array.from(chunks.flatMap((c) => Array.from(c.values)))).toEqual(whole.values);
      expect(Uint32Array.from(chunks.flatMap((c) => Array.from(c.lines)))).toEqual(whole.lines);
      // Reusing the buffers, each chunk read before asking for the next: the same numbers.
      const values: number[] = [];
      const lines: number[] = [];
      for await (const c of numericCsvChunks(path, size, true)) {
        values.push(...numeric(c).values);
        lines.push(...numeric(c).lines);
      }
      expect(Float64Array.from(values)).toEqual(whole.values);
      expect(Uint32Array.from(lines)).toEqual(whole.lines);
    }
    // Lines longer than a block of the file (1 MiB) grow the buffer.
    const wide = Array.from({ length: 3 }, (_, r) => Array.from({ length: 150_000 }, (_, c) => (r * c) % 97));
    writeFileSync(
      path,
      `${wide[0].map((_, c) => `c${c}`).join(',')}\n${wide.map((r) => r.join(',')).join('\n')}\n`,
    );
    const read = (await collect(numericCsvChunks(path, 2, true))).map(numeric);
    expect(read.map((c) => c.rows)).toEqual([2, 1]);
    expect(Array.from(read[1].values)).toEqual(wide[2]);
    // A text cell deep in the file: the stream says where, after the rows before it.
    writeFileSync(
      path,
      `label,x,y\n${rows.slice(0, 3000).join('\n')}\n1,oops,2\n${rows.slice(3000).join('\n')}\n`,
    );
    const parts = await collect(numericCsvChunks(path, 1000));
    const last = parts.at(-1);
    expect(last).toBeInstanceOf(NotNumeric);
    expect((last as NotNumeric).line).toBe(3002);
    expect(await readNumericCsvFile(path)).toEqual(new NotNumeric(3002));
  });

  it('reads a whole file a block at a time to the numbers of its bytes read at once', async () => {
    // Long lines first, then short ones: the rows the first block predicts are too few, and the arrays grow.
    const short = Array.from({ length: 200_000 }, (_, i) => `${i % 10},${i % 7},${i % 3}`);
    const long = Array.from({ length: 60_000 }, (_, i) => `${i},${(i * 0.123456789).toFixed(9)},-${i}e-3`);
    const text = `label,x,y\r\n${[...long, ...short].join('\r\n')}\r\n`;
    expect(text.length).toBeGreaterThan(2 << 20);
    const path = join(dir, 'blocks.csv');
    writeFileSync(path, text);
    const expected = numeric(parseNumericCsv(text, path));
    const table = await readCsvFile(path);
    const read = numeric(table.numbers!);
    expect(read.rows).toBe(260_000);
    expect(read.values).toEqual(expected.values);
    expect(read.lines).toEqual(expected.lines);
    expect(read.canonical).toEqual(expected.canonical);
    // The rows of text, when asked for, are read again from the file.
    expect(table.rows.length).toBe(260_000);
    expect(table.rows[60_000]).toEqual(short[0].split(','));
    expect(table.lines[60_000]).toBe(60_002);
    // A file that is not plain numbers is read as text, with the same checks.
    writeFileSync(path, 'a,b\n1,"2"\n');
    const quoted = await readCsvFile(path);
    expect(quoted.numbers).toBeUndefined();
    expect(quoted.rows).toEqual([['1', '2']]);
  });

  it('moves the numbers to an array the caller gives once a first block reads as numbers, and only then', async () => {
    const rows = Array.from({ length: 150_000 }, (_, i) => `${i % 10},${i % 251},${(i * 7) % 13}`);
    const text = `label,x,y\n${rows.join('\n')}\n`;
    expect(text.length).toBeGreaterThan(1 << 20); // more than a block of the file
    const path = join(dir, 'allocate.csv');
    writeFileSync(path, text);
    const expected = numeric(parseNumericCsv(text, path));
    const asked: Float32Array[] = [];
    const allocate = (length: number) => {
      const a = new Float32Array(length);
      asked.push(a);
      return a;
    };
    const read = numeric((await readCsvFile(path, { allocate })).numbers!);
    expect(asked.length).toBe(1);
    expect(read.values.buffer).toBe(asked[0].buffer);
    expect(read.values).toEqual(expected.values);
    expect(read.lines).toEqual(expected.lines);
    // Not numbers in the first block: never asked. A value float32 cannot hold, later: moved off it.
    asked.length = 0;
    writeFileSync(path, `label,x,y\n1,a,2\n${rows.join('\n')}\n`);
    expect((await readCsvFile(path, { allocate })).numbers).toBeUndefined();
    expect(asked.length).toBe(0);
    const late = [...rows, '1,0.1,2'];
    writeFileSync(path, `label,x,y\n${late.join('\n')}\n`);
    const widened = numeric((await readCsvFile(path, { allocate })).numbers!);
    expect(asked.length).toBe(1);
    expect(widened.values).toBeInstanceOf(Float64Array);
    expect(Array.from(widened.values)).toEqual(late.flatMap((r) => r.split(',').map(Number)));
  });

  it('reads a pipe once, numbers or text (a shell gives one for <(...))', async () => {
    for (const text of ['x,y\n1,2\n3,4\n', 'x,y\n1,"2"\n3,4\n']) {
      const fifo = join(dir, `pipe-${text.length}`);
      execFileSync('mkfifo', [fifo]);
      // The writer blocks until the reader opens the pipe: both at once.
      const [table] = await Promise.all([readCsvFile(fifo), writeFile(fifo, text)]);
      expect(table.rows).toEqual([
        ['1', '2'],
        ['3', '4'],
      ]);
      expect(table.numbers !== undefined).toBe(!text.includes('"'));
    }
  });
});
