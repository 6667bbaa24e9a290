/**
 * Errors about a data file: each names the file, the line and the column when
 * they are known, and says what was expected, in one line.
 *
 * @module
 */

import { BackpropError } from '../errors.js';

/** Where in a data file something went wrong. */
export interface DataLocation {
  /** The file's name as the user gave it (or `<input>` for a string). */
  file?: string;
  /** 1-based line of the file (a record's last line when a quoted field spans lines). */
  line?: number;
  /** The column's header name. */
  column?: string;
}

/** Bad input in a CSV file: a ragged row, a cell that is not a number, an empty file... */
export class DataError extends BackpropError {
  override name = 'DataError';
  constructor(
    readonly where: DataLocation,
    /** What was wrong and what was expected, without the location. */
    readonly detail: string,
  ) {
    super(`${formatLocation(where)}${detail}`);
  }
}

/** `data.csv line 3, column 'x': ` (each part only when known). */
export function formatLocation(where: DataLocation): string {
  const parts: string[] = [];
  if (where.file !== undefined) parts.push(where.file);
  if (where.line !== undefined) parts.push(`line ${where.line}`);
  let s = parts.join(' ');
  if (where.column !== undefined) s += `${s ? ', ' : ''}column '${where.column}'`;
  return s ? `${s}: ` : '';
}
