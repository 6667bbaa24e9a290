/**
 * CSV records and the checks every reader shares: a header line, no ragged
 * rows, blank lines skipped; quote-free text split at its commas; CSV written
 * out. Quoted text is csv-parse's to read, given by the caller
 * ({@link parseCsvWith}): csv.ts gives it for the browser and the tests, the
 * Node readers load it only for a file that needs it, so that reading a file
 * of numbers never loads it. No Node import, no package.
 *
 * @module
 */

import type { NumericTable } from './csv-numeric.js';
import { DataError } from './errors.js';

/** A CSV file read into memory: the header and the data rows, as strings. */
export interface Table {
  /** The file's name, for messages. */
  file: string;
  /** Column names from the header line. */
  columns: string[];
  /** Data rows, each `columns.length` long. */
  rows: string[][];
  /** The 1-based line of each row in the file (its last line if a quoted field spans lines). */
  lines: number[];
  /**
   * The same rows as numbers, when the file is plain numbers and a reader took
   * the fast path (see csv-numeric.ts); `rows` and `lines` are then built only
   * when first read.
   */
  numbers?: NumericTable;
}

/** csv-parse options shared by the in-memory and the streaming readers. */
export function csvOptions() {
  return {
    bom: true,
    info: true,
    relax_column_count: true,
    relax_quotes: false,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n', '\r'],
  };
}

/** What csv-parse gives back per record with `info: true`. */
export interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/**
 * Turns a csv-parse error (unclosed quote, bad character after a quote...) into a
 * {@link DataError} naming the file and line.
 */
export function csvParseError(err: unknown, file: string): DataError {
  const e = err as { message?: string; lines?: number; code?: string };
  const message = String(e?.message ?? err).split('\n')[0];
  // csv-parse's messages end with "at line N": keep the text, move the line to the front.
  const detail = message.replace(/:? *(at|on) line \d+\.?/g, '').replace(/^Invalid Record Length: /, '');
  return new DataError(
    { file, line: typeof e?.lines === 'number' ? e.lines : undefined },
    `not valid CSV (${detail.trim() || e?.code || 'parse error'}); expected comma-separated fields with "double quotes" around fields that hold commas`,
  );
}

/**
 * Checks records one at a time against the header: skips blank lines, rejects a
 * row with more or fewer fields than the header. Shared by {@link parseCsv} and
 * the Node streaming reader.
 */
export class RecordChecker {
  columns: string[] | undefined;
  constructor(readonly file: string) {}

  /**
   * Takes one record; returns its fields when it is a data row, `undefined` when
   * it was the header or a blank line. Throws {@link DataError} for a ragged row
   * or a bad header.
   */
  accept(record: string[], line: number): string[] | undefined {
    if (record.every((f) => f.trim() === '')) return undefined;
    if (this.columns === undefined) {
      this.columns = checkHeader(record, this.file, line);
      return undefined;
    }
    if (record.length !== this.columns.length) {
      throw new DataError(
        { file: this.file, line },
        `expected ${this.columns.length} fields as in the header, found ${record.length}`,
      );
    }
    return record;
  }

  /** The header, or a {@link DataError} when the file had none (it was empty). */
  header(): string[] {
    if (this.columns === undefined) {
      throw new DataError({ file: this.file }, 'the file is empty; expected a header line of column names');
    }
    return this.columns;
  }
}

/** Column names of a header record: blank names become `column<i>`; a name given twice is refused. */
export function checkHeader(record: string[], file: string, line: number): string[] {
  const columns = record.map((name, i) => name.trim() || `column${i + 1}`);
  const seen = new Set<string>();
  for (const name of columns) {
    if (seen.has(name)) {
      throw new DataError(
        { file, line, column: name },
        'the header names this column twice; expected unique column names',
      );
    }
    seen.add(name);
  }
  return columns;
}

/** csv-parse's synchronous parse of a whole text, as its sync API gives it. */
export type CsvParse = (text: string, options: ReturnType<typeof csvOptions>) => unknown;

/**
 * Parses CSV text (or its UTF-8 bytes) with a header line into a {@link Table},
 * reading quoted text with `parse` (see the module comment; `parseCsv` in
 * csv.ts passes csv-parse's).
 */
export function parseCsvWith(parse: () => CsvParse, text: string | Uint8Array, file = '<input>'): Table {
  // The browser build of csv-parse takes strings (its Buffer is a polyfill): decode bytes first.
  const source = typeof text === 'string' ? text : new TextDecoder('utf-8').decode(text);
  const checker = new RecordChecker(file);
  const rows: string[][] = [];
  const lines: number[] = [];
  const take = (record: string[], line: number): void => {
    const row = checker.accept(record, line);
    if (row !== undefined) {
      rows.push(row);
      lines.push(line);
    }
  };
  if (source.includes('"')) {
    let records: CsvRecord[];
    try {
      records = parse()(source, csvOptions()) as unknown as CsvRecord[];
    } catch (err) {
      throw csvParseError(err, file);
    }
    for (const { record, info } of records) take(record, info.lines);
  } else {
    splitPlainCsv(source, take);
  }
  const columns = checker.header();
  if (rows.length === 0) {
    throw new DataError({ file }, 'the file has a header but no data rows; expected at least one row');
  }
  return { file, columns, rows, lines };
}

/**
 * CSV text without a double quote, record by record, as csv-parse reads it with
 * {@link csvOptions} (a byte-order mark skipped, CRLF, LF or CR line ends, empty
 * lines skipped) but many times faster: with no quote, a record is a line split
 * at its commas. Lines are counted on from `linesBefore` (a piece of a file that
 * starts after that many lines); returns the last line's number.
 */
export function splitPlainCsv(
  text: string,
  onRecord: (record: string[], line: number) => void,
  linesBefore = 0,
): number {
  let pos = linesBefore === 0 && text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = linesBefore;
  const n = text.length;
  // The next CR at or after pos, or -1 when there is none left (then never searched again).
  let cr = text.indexOf('\r', pos);
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = n;
    if (cr >= 0 && cr < pos) cr = text.indexOf('\r', pos);
    let next = end + 1;
    if (cr >= 0 && cr < end) {
      next = cr + 1 === end ? end + 1 : cr + 1;
      end = cr;
    }
    line++;
    if (end > pos) onRecord(text.slice(pos, end).split(','), line);
    pos = next;
  }
  return line;
}

/**
 * Formats rows as CSV text (RFC 4180 quoting: a field holding a comma, quote or line
 * break is quoted, quotes doubled), with LF line ends.
 */
export function formatCsv(columns: readonly string[], rows: Iterable<readonly (string | number)[]>): string {
  return `${columns.map(quoteField).join(',')}\n${formatCsvRows(rows)}`;
}

/** Rows as CSV lines (no header), each ending in LF. */
export function formatCsvRows(rows: Iterable<readonly (string | number)[]>): string {
  let out = '';
  for (const row of rows)
    out += `${row.map((f) => quoteField(typeof f === 'number' ? formatNumber(f) : f)).join(',')}\n`;
  return out;
}

/** Shortest text that reads back as the same double. */
export function formatNumber(x: number): string {
  return String(x);
}

function quoteField(f: string): string {
  return /[",\r\n]/.test(f) || f !== f.trim() ? `"${f.replace(/"/g, '""')}"` : f;
}
