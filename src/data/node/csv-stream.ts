/**
 * Reading a CSV file from disk, whole or as a stream of row chunks, with the
 * checks of {@link parseCsv}. The stream keeps one chunk of rows in memory at a
 * time, whatever the file's size.
 *
 * @module
 */

import { createReadStream } from 'node:fs';
import { Parser } from 'csv-parse';
import { csvOptions, csvParseError, RecordChecker, type Table } from '../csv.js';
import { DataError } from '../errors.js';

/** Why a file could not be opened, read or written, in words: the one wording of each system error. */
export function fileReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT'
    ? 'no such file'
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

/** Reads a whole CSV file into a {@link Table} (through {@link csvChunks}, the fast reader). */
export async function readCsvFile(path: string): Promise<Table> {
  const table: Table = { file: path, columns: [], rows: [], lines: [] };
  for await (const chunk of csvChunks(path, 1 << 16)) {
    table.columns = chunk.columns;
    for (let i = 0; i < chunk.rows.length; i++) {
      table.rows.push(chunk.rows[i]);
      table.lines.push(chunk.lines[i]);
    }
  }
  return table;
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
  parser.on('error', (err) => {
    failure ??= err;
  });
  parser.onRecord = (record, line) => {
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
  const fail = (err: unknown): never => {
    if (err instanceof DataError) throw err;
    throw csvParseError(err, path);
  };
  try {
    try {
      // A Transform whose readable side stays empty runs _transform synchronously in write().
      for await (const block of input) {
        parser.write(block);
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
    failure ??= parser.errored ?? undefined;
    if (failure === undefined) {
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
