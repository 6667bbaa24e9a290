/**
 * Reading a CSV file from disk, whole or as a stream of row chunks, with the
 * checks of {@link parseCsv}. The stream keeps one chunk of rows in memory at a
 * time, whatever the file's size.
 *
 * @module
 */

import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Parser } from 'csv-parse';
import { csvOptions, csvParseError, parseCsv, RecordChecker, splitPlainCsv, type Table } from '../csv.js';
import { NotNumeric, NumericCsvParser, type NumericTable, parseNumericCsv } from '../csv-numeric.js';
import { DataError } from '../errors.js';

/**
 * Why a file could not be opened, read or written, in words: the one wording of
 * each system error. Writing, a missing path means a missing folder.
 */
export function fileReason(err: unknown, writing = false): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT'
    ? writing
      ? 'no such folder'
      : 'no such file'
    : code === 'EISDIR'
      ? 'it is a directory'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ENOTDIR'
          ? 'a folder on its path is a file'
          : code === 'ENOSPC'
            ? 'no space left on the device'
            : String((err as Error)?.message ?? err).split('\n')[0];
}

/** A failure to open or read a file, as a one-line {@link DataError}. */
export function fileError(err: unknown, file: string): DataError {
  return new DataError({ file }, `cannot read the file (${fileReason(err)}); expected a readable CSV file`);
}

/**
 * Reads a whole CSV file into a {@link Table}. A file of plain numbers is read
 * into `numbers` at once and into rows of text only if they are asked for.
 */
export async function readCsvFile(path: string): Promise<Table> {
  const bytes = await readBytes(path);
  const numbers = parseNumericCsv(bytes, path);
  if (numbers instanceof NotNumeric) return parseCsv(bytes, path);
  let text: Table | undefined;
  return {
    file: path,
    columns: numbers.columns,
    numbers,
    get rows() {
      text ??= parseCsv(bytes, path);
      return text.rows;
    },
    get lines() {
      text ??= parseCsv(bytes, path);
      return text.lines;
    },
  };
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw fileError(err, path);
  }
}

/**
 * Reads a whole CSV file of numbers into one Float64Array (see
 * `parseNumericCsv`), or returns {@link NotNumeric} when the file is anything
 * but plain numbers: read it with {@link readCsvFile} then, which checks it.
 */
export async function readNumericCsvFile(path: string): Promise<NumericTable | NotNumeric> {
  return parseNumericCsv(await readBytes(path), path);
}

/**
 * Streams a CSV file of numbers as chunks of at most `size` rows in
 * Float64Arrays, one block of the file in memory at a time. When a line is not
 * plain numbers it yields {@link NotNumeric} (that line) and stops: the caller
 * reads the file with {@link csvChunks} then, which checks it. (Chunks before
 * that line have been yielded: a caller that must not act on a file that may
 * be bad keeps them until the end.)
 */
export async function* numericCsvChunks(
  path: string,
  size = 4096,
): AsyncGenerator<NumericTable | NotNumeric> {
  const parser = new NumericCsvParser(path, size);
  let carry = new Uint8Array(0);
  let total = 0;
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    try {
      for await (const block of input as AsyncIterable<Uint8Array>) {
        const bytes = carry.length > 0 ? concat(carry, block) : block;
        const stop = parser.feed(bytes, 0, bytes.length, false);
        if (stop < 0) break;
        carry = bytes.slice(stop);
        if (parser.rows >= size) {
          const table = parser.take();
          const whole = table.rows - (table.rows % size);
          total += whole;
          yield* pieces(table, 0, whole, size);
          // The rows past the last whole chunk go back to the parser.
          parser.keep(table, whole);
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException)?.syscall !== undefined) throw fileError(err, path);
      throw err;
    }
  } finally {
    input.destroy();
  }
  if (!parser.failed) parser.feed(carry, 0, carry.length, true);
  if (parser.failed) {
    yield parser.failed;
    return;
  }
  total += parser.rows;
  if (parser.columns === undefined || total === 0) {
    yield new NotNumeric(parser.line);
    return;
  }
  if (parser.rows > 0) {
    const table = parser.take();
    yield* pieces(table, 0, table.rows, size);
  }
}

/** Rows [from, to) of `table` in chunks of `size` (views, not copies). */
function* pieces(table: NumericTable, from: number, to: number, size: number): Generator<NumericTable> {
  const cols = table.columns.length;
  for (let r = from; r < to; r += size) {
    const end = Math.min(to, r + size);
    yield {
      ...table,
      rows: end - r,
      values: table.values.subarray(r * cols, end * cols),
      lines: table.lines.subarray(r, end),
    };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * csv-parse's parser, handing each record to `onRecord` with the line it ended
 * on. The `info: true` option gives the line too but copies the parser's whole
 * state per record, which makes a large file three times slower to read; `push`
 * runs at the moment a record is complete, when `info.lines` is exactly its line.
 * Records never go to the stream's readable side, so nothing queues there.
 */
class LineTaggingParser extends Parser {
  onRecord: (record: string[], line: number) => void = () => {};
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) return super.push(chunk, encoding);
    this.onRecord(chunk as string[], this.info.lines);
    return true;
  }
}

/** A chunk of data rows with the header and each row's line. */
export interface RowChunk {
  columns: string[];
  rows: string[][];
  lines: number[];
}

/**
 * Streams a CSV file as chunks of at most `size` rows (one 64 KiB block of the
 * file at a time is parsed, so memory stays flat). Throws {@link DataError} (file,
 * line) for a ragged row or bad quoting when it reaches it, and for an empty
 * file or one without data rows at the end.
 */
export async function* csvChunks(path: string, size = 4096): AsyncGenerator<RowChunk> {
  const input = createReadStream(path, { highWaterMark: 1 << 16 });
  const parser = new LineTaggingParser({ ...csvOptions(), info: false });
  const checker = new RecordChecker(path);
  let rows: string[][] = [];
  let lines: number[] = [];
  let total = 0;
  let failure: unknown;
  // Until the first double quote the file is split at line ends and commas
  // (splitPlainCsv, many times faster); from there csv-parse reads the rest,
  // its line numbers counted on from `linesBefore`.
  let plain = true;
  let carry = '';
  let linesBefore = 0;
  const decoder = new TextDecoder('utf-8');
  parser.on('error', (err) => {
    failure ??= err;
  });
  const onRecord = (record: string[], line: number): void => {
    if (failure !== undefined) return;
    try {
      const row = checker.accept(record, line);
      if (row === undefined) return;
      rows.push(row);
      lines.push(line);
    } catch (err) {
      failure = err;
    }
  };
  parser.onRecord = (record, line) => onRecord(record, line + linesBefore);
  const fail = (err: unknown): never => {
    if (err instanceof DataError) throw err;
    const e = err as { lines?: number };
    if (typeof e?.lines === 'number') e.lines += linesBefore;
    throw csvParseError(err, path);
  };
  const write = (text: string, final: boolean): void => {
    if (plain && !text.includes('"')) {
      // Whole lines only; the rest waits for the next block.
      let cut = final ? text.length : text.lastIndexOf('\n') + 1;
      if (cut === 0) cut = text.lastIndexOf('\r', text.length - 2) + 1;
      carry = text.slice(cut);
      linesBefore = splitPlainCsv(text.slice(0, cut), onRecord, linesBefore);
      return;
    }
    plain = false;
    carry = '';
    if (text.length > 0) parser.write(text);
  };
  try {
    try {
      // A Transform whose readable side stays empty runs _transform synchronously in write().
      for await (const block of input as AsyncIterable<Uint8Array>) {
        write(carry + decoder.decode(block, { stream: true }), false);
        // A parse error is known at once (errored) though its 'error' event comes a tick later.
        failure ??= parser.errored ?? undefined;
        if (failure !== undefined) fail(failure);
        while (rows.length >= size) {
          total += size;
          yield { columns: checker.columns!, rows: rows.slice(0, size), lines: lines.slice(0, size) };
          rows = rows.slice(size);
          lines = lines.slice(size);
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException)?.syscall !== undefined) throw fileError(err, path);
      throw err;
    }
    write(carry + decoder.decode(), true);
    failure ??= parser.errored ?? undefined;
    if (failure === undefined && !plain) {
      const finished = new Promise<void>((resolve) => {
        parser.once('finish', resolve);
        parser.once('error', () => resolve());
      });
      parser.end();
      await finished;
    }
    failure ??= parser.errored ?? undefined;
    if (failure !== undefined) fail(failure);
  } finally {
    input.destroy();
    parser.destroy();
  }
  const columns = checker.header();
  total += rows.length;
  if (total === 0)
    throw new DataError({ file: path }, 'the file has a header but no data rows; expected at least one row');
  if (rows.length > 0) yield { columns, rows, lines };
}

/** The header line of a CSV file (reads only until the first record). */
export async function readHeader(path: string): Promise<string[]> {
  for await (const chunk of csvChunks(path, 1)) return chunk.columns;
  throw new DataError({ file: path }, 'the file is empty; expected a header line of column names');
}
