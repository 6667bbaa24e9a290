/**
 * Reading a CSV file from disk, whole or as a stream of row chunks, with the
 * checks of {@link parseCsv}. The stream keeps one chunk of rows in memory at a
 * time, whatever the file's size.
 *
 * @module
 */

import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { type CsvRecord, csvOptions, csvParseError, parseCsv, RecordChecker, type Table } from '../csv.js';
import { DataError } from '../errors.js';

/** A failure to open or read a file, as a one-line {@link DataError}. */
export function fileError(err: unknown, file: string): DataError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const reason =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'it is a directory'
        : code === 'EACCES'
          ? 'permission denied'
          : String((err as Error)?.message ?? err).split('\n')[0];
  return new DataError({ file }, `cannot read the file (${reason}); expected a readable CSV file`);
}

/** Reads a whole CSV file into a {@link Table}. */
export async function readCsvFile(path: string): Promise<Table> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw fileError(err, path);
  }
  return parseCsv(bytes, path);
}

/** A chunk of data rows with the header and each row's line. */
export interface RowChunk {
  columns: string[];
  rows: string[][];
  lines: number[];
}

/**
 * Streams a CSV file as chunks of at most `size` rows. Throws {@link DataError}
 * (file, line) for a ragged row or bad quoting when it reaches it, and for an
 * empty file or one without data rows at the end.
 */
export async function* csvChunks(path: string, size = 4096): AsyncGenerator<RowChunk> {
  const input = createReadStream(path, { highWaterMark: 1 << 16 });
  const parser = input.pipe(parse(csvOptions()));
  let opened: unknown;
  input.on('error', (err) => {
    opened = err;
    parser.destroy(err);
  });
  const checker = new RecordChecker(path);
  let rows: string[][] = [];
  let lines: number[] = [];
  let total = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<CsvRecord>) {
      const row = checker.accept(record, info.lines);
      if (row === undefined) continue;
      rows.push(row);
      lines.push(info.lines);
      if (rows.length >= size) {
        total += rows.length;
        yield { columns: checker.columns!, rows, lines };
        rows = [];
        lines = [];
      }
    }
  } catch (err) {
    if (opened !== undefined) throw fileError(opened, path);
    if (err instanceof DataError) throw err;
    throw csvParseError(err, path);
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
