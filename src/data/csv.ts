/**
 * Reading CSV text into rows of strings, with the checks every reader shares
 * (see csv-records.ts): a header line, no ragged rows, blank lines skipped.
 * Quoted text is csv-parse's (quoted fields, a byte-order mark, CRLF or LF line
 * ends); this module has no Node import, so the playground can read a CSV the
 * user drops in the browser.
 *
 * @module
 */

import { parse } from 'csv-parse/browser/esm/sync';
import { type CsvParse, parseCsvWith, type Table } from './csv-records.js';

export * from './csv-records.js';

const csvParse = (): CsvParse => parse as CsvParse;

/**
 * Parses CSV text (or its UTF-8 bytes) with a header line into a {@link Table}.
 *
 * @param text - the file's content; a UTF-8 byte-order mark is skipped.
 * @param file - the name used in error messages.
 * @throws DataError for an empty file, a file with a header and no rows, invalid
 *   quoting or a ragged row, naming the file and line.
 * @example parseCsv('x,y\n1,2\n', 'a.csv') // { columns: ['x','y'], rows: [['1','2']], lines: [2] }
 */
export function parseCsv(text: string | Uint8Array, file = '<input>'): Table {
  return parseCsvWith(csvParse, text, file);
}
