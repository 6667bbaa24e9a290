/**
 * Exit statuses and one-line messages of the command line (docs/design.md, "The
 * command line" and "Bad input"): 0 success, 1 a failure during the run, 2 bad
 * usage or bad input.
 *
 * @module
 */

import { fileReason } from '../data/node/csv-stream.js';
import { BackpropError, DivergenceError } from '../errors.js';

export { fileReason };

/** Exit status for bad usage or bad input. */
export const BAD_INPUT = 2;
/** Exit status for a failure during the run. */
export const RUNTIME_FAILURE = 1;

/** An error the command line reports as one line and exits with `exitCode`. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = BAD_INPUT,
  ) {
    super(message);
  }
}

/** A bad option value: the message names the option and what was expected. */
export function badOption(option: string, value: unknown, expected: string): CliError {
  return new CliError(`option ${option}: expected ${expected}, got '${String(value)}'`);
}

/**
 * The exit status and the one-line message for anything thrown: library errors
 * about the user's input (bad data, bad model file, bad settings) are 2, a
 * diverging training or an unexpected failure is 1. Never a stack trace unless
 * BACKPROP_DEBUG is set.
 */
export function describeError(err: unknown): { exitCode: number; message: string } {
  const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();
  if (err instanceof CliError) return { exitCode: err.exitCode, message: oneLine(err.message) };
  if (err instanceof DivergenceError) return { exitCode: RUNTIME_FAILURE, message: oneLine(err.message) };
  if (err instanceof BackpropError) return { exitCode: BAD_INPUT, message: oneLine(err.message) };
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
    const where = e.path ?? e.syscall;
    return { exitCode: RUNTIME_FAILURE, message: oneLine(`${where}: ${fileReason(e)}`) };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { exitCode: RUNTIME_FAILURE, message: oneLine(`unexpected failure: ${message}`) };
}
