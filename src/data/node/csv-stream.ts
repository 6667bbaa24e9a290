/**
 * Reading a CSV file from disk, whole or as a stream of row chunks, with the
 * checks of {@link parseCsv}. The stream keeps one chunk of rows in memory at a
 * time, whatever the file's size.
 *
 * @module
 */

import { createReadStream, readFileSync } from 'node:fs';
import { type FileHandle, open, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Parser } from 'csv-parse';
import {
  type Allocate,
  NotNumeric,
  NumericCsvParser,
  type NumericTable,
  parseNumericCsv,
} from '../csv-numeric.js';
import {
  type CsvParse,
  csvOptions,
  csvParseError,
  parseCsvWith,
  RecordChecker,
  splitPlainCsv,
  type Table,
} from '../csv-records.js';
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

/** Options of {@link readCsvFile}. */
export interface ReadOptions {
  /** Where a regular file of plain numbers is read into (see NumericCsvParser). */
  allocate?: Allocate;
}

// csv-parse is loaded when a file needs it (quoted text, or rows read as text),
// never for a file of numbers: loading it is a good part of the command's start.
const require = createRequire(import.meta.url);
const csvParse = (): CsvParse => (require('csv-parse/sync') as { parse: CsvParse }).parse;

/** {@link parseCsvWith} with csv-parse, loaded on first need. */
function parseCsv(text: string | Uint8Array, file: string): Table {
  return parseCsvWith(csvParse, text, file);
}

/**
 * Reads a whole CSV file into a {@link Table}. A file of plain numbers is read
 * into `numbers` at once and into rows of text only if they are asked for.
 */
export async function readCsvFile(path: string, options: ReadOptions = {}): Promise<Table> {
  if (!(await isRegularFile(path))) {
    // A pipe can be read only once: its bytes are kept for the rows of text.
    const bytes = await readBytes(path);
    const numbers = parseNumericCsv(bytes, path);
    if (numbers instanceof NotNumeric) return parseCsv(bytes, path);
    return withText(numbers, () => parseCsv(bytes, path));
  }
  const numbers = await readNumbers(path, options.allocate);
  if (numbers instanceof NotNumeric) return parseCsv(await readBytes(path), path);
  // The rows of text, when asked for, from the file read again: its bytes are not kept.
  return withText(numbers, () => {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw fileError(err, path);
    }
    return parseCsv(bytes, path);
  });
}

/**
 * Whether `path` is a regular file, which can be read more than once (a pipe,
 * as a shell's `<(...)` gives, cannot: it is read once, whole, or not streamed).
 */
export async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (err) {
    throw fileError(err, path);
  }
}

/** The table of a file of numbers, whose rows of text `text()` reads the first time they are asked for. */
function withText(numbers: NumericTable, text: () => Table): Table {
  let rows: Table | undefined;
  return {
    file: numbers.file,
    columns: numbers.columns,
    numbers,
    get rows() {
      rows ??= text();
      return rows.rows;
    },
    get lines() {
      rows ??= text();
      return rows.lines;
    },
  };
}

/**
 * The whole file's numbers (see `parseNumericCsv`), read a block at a time into
 * one buffer: the file's bytes never sit in memory at once, and the values' arrays
 * are sized once, from the file's size and the length of its first lines.
 */
async function readNumbers(path: string, allocate?: Allocate): Promise<NumericTable | NotNumeric> {
  const handle = await openFile(path);
  try {
    const size = (await handle.stat()).size;
    const buffer = new Uint8Array(Math.min(BLOCK, Math.max(size, 1)));
    const filled = await readInto(handle, buffer, 0, path);
    let lines = 0;
    for (let i = buffer.indexOf(LF); i >= 0 && i < filled; i = buffer.indexOf(LF, i + 1)) lines++;
    // A tenth more than the first lines' length predicts: rows never touched cost no memory.
    const capacity = Math.ceil(((lines + 1) * size * 1.1) / Math.max(filled, 1)) + 16;
    const parser = new NumericCsvParser(path, capacity, false, allocate);
    for await (const _ of feedBlocks(handle, path, parser, buffer, filled));
    if (parser.failed) return parser.failed;
    if (parser.columns === undefined || parser.rows === 0) return new NotNumeric(parser.line);
    return parser.take(true);
  } finally {
    await handle.close();
  }
}

async function openFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (err) {
    throw fileError(err, path);
  }
}

async function readInto(handle: FileHandle, buffer: Uint8Array, at: number, path: string): Promise<number> {
  try {
    return (await handle.read(buffer, at, buffer.length - at, null)).bytesRead;
  } catch (err) {
    throw fileError(err, path);
  }
}

/**
 * Feeds the rest of the file to `parser` a block at a time, through `buffer`
 * (its first `filled` bytes already read): the bytes after the last whole line
 * stay at its front and the next block is read after them; a line longer than
 * the buffer grows it. Yields whenever a bounded parser is full: take its rows,
 * then resume. Returns at the end of the file or at a line the parser refused.
 */
async function* feedBlocks(
  handle: FileHandle,
  path: string,
  parser: NumericCsvParser,
  buffer: Uint8Array,
  filled: number,
): AsyncGenerator<void> {
  let final = false;
  let fresh = filled;
  while (!final) {
    if (fresh === 0) {
      if (filled === buffer.length) {
        const grown = new Uint8Array(buffer.length * 2);
        grown.set(buffer);
        buffer = grown;
      }
      fresh = await readInto(handle, buffer, filled, path);
      final = fresh === 0;
      filled += fresh;
    }
    fresh = 0;
    let pos = 0;
    for (;;) {
      pos = parser.feed(buffer, pos, filled, final);
      if (pos < 0 || !parser.bounded || parser.rows < parser.lines.length) break;
      yield;
    }
    if (pos < 0) return;
    buffer.copyWithin(0, pos, filled);
    filled -= pos;
  }
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

/** Bytes read from a file at a time; a line longer than this grows the buffer. */
const BLOCK = 1 << 20;
const LF = 10;

/**
 * Streams a CSV file of numbers as chunks of at most `size` rows in typed
 * arrays, one block of the file in memory at a time. When a line is not
 * plain numbers it yields {@link NotNumeric} (that line) and stops: the caller
 * reads the file with {@link csvChunks} then, which checks it. (Chunks before
 * that line have been yielded: a caller that must not act on a file that may
 * be bad keeps them until the end.) With `reuse`, each chunk's arrays are
 * overwritten by the next ones (for a caller that is done with a chunk when
 * it asks for the next): no new memory per chunk.
 */
export async function* numericCsvChunks(
  path: string,
  size = 4096,
  reuse = false,
): AsyncGenerator<NumericTable | NotNumeric> {
  // Bounded to one chunk: it stops when full, and the chunk is handed over before it reads on.
  size = Math.max(1, Math.floor(size));
  const parser = new NumericCsvParser(path, size, true);
  const handle = await openFile(path);
  let total = 0;
  try {
    for await (const _ of feedBlocks(handle, path, parser, new Uint8Array(BLOCK), 0)) {
      const table = parser.take(false, reuse);
      total += table.rows;
      yield table;
    }
  } finally {
    await handle.close();
  }
  if (parser.failed) {
    yield parser.failed;
    return;
  }
  if (parser.columns === undefined || total + parser.rows === 0) {
    yield new NotNumeric(parser.line);
    return;
  }
  if (parser.rows > 0) yield parser.take(true);
}

/**
 * csv-parse's parser, handing each record to `onRecord` with the line it ended
 * on. The `info: true` option gives the line too but copies the parser's whole
 * state per record, which makes a large file three times slower to read; `push`
 * runs at the moment a record is complete, when `info.lines` is exactly its line.
 * Records never go to the stream's readable side, so nothing queues there.
 */
function lineTaggingParser(): LineTagging {
  LineTaggingParser ??= class extends (require('csv-parse') as typeof import('csv-parse')).Parser {
    onRecord: (record: string[], line: number) => void = () => {};
    override push(chunk: unknown, encoding?: BufferEncoding): boolean {
      if (chunk === null) return super.push(chunk, encoding);
      this.onRecord(chunk as string[], this.info.lines);
      return true;
    }
  };
  return new LineTaggingParser({ ...csvOptions(), info: false });
}

type LineTagging = Parser & { onRecord: (record: string[], line: number) => void };
/** The class of {@link lineTaggingParser}, made once csv-parse is loaded. */
let LineTaggingParser:
  | (new (
      options: ReturnType<typeof csvOptions> & { info: false },
    ) => LineTagging)
  | undefined;

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
  const parser = lineTaggingParser();
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
