/**
 * Files the command line writes and reads. Every output is written to a
 * temporary name beside its destination and renamed into place, so an
 * interrupted run never leaves a truncated file, and bad input never touches an
 * existing one.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type Encoding, inputWidth, parseEncoding, targetWidth } from '../data/encoding.js';
import { fileError } from '../data/node/csv-stream.js';
import { BackpropError, ModelFormatError } from '../errors.js';
import { Network } from '../network.js';
import { plural } from '../plural.js';
import { CliError, fileReason, RUNTIME_FAILURE } from './errors.js';

/** Writes `content` to `path` through a temporary file and a rename (atomic on one file system). */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, content);
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw new CliError(`${path}: cannot write the file (${fileReason(err, true)})`, RUNTIME_FAILURE);
  }
}

/** The position `pos` of `text` as line and column, both 1-based. */
function lineColumn(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  return { line, column: pos - before.lastIndexOf('\n') };
}

/** Reads and parses a JSON file; bad JSON gets a message with its line and column. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new BackpropError(
      fileError(err, path).message.replace('a readable CSV file', 'a readable JSON file'),
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    const where = at ? lineColumn(text, Number(at[1])) : undefined;
    const reason = message.replace(/^JSON\.parse: /, '').replace(/ in JSON at position \d+.*$/, '');
    throw new BackpropError(
      `${path}${where ? ` line ${where.line}, column ${where.column}` : ''}: not valid JSON (${reason.split('\n')[0]}); expected a model file`,
    );
  }
}

/** A model read from disk, with the recipe that turns raw CSV rows into its inputs. */
export interface LoadedModel {
  net: Network;
  /** From the model's metadata; undefined for a model saved without one. */
  encoding: Encoding | undefined;
}

/**
 * Reads a model file (docs/design.md, "Model file"). A bad field gets a message naming the file
 * and the field.
 */
export async function readModel(
  path: string,
  options: { dtype?: 'float32' | 'float64' } = {},
): Promise<LoadedModel> {
  const json = await readJsonFile(path);
  try {
    const net = Network.fromJSON(json, options);
    const pre = net.meta.preprocessing;
    const encoding = pre === undefined ? undefined : parseEncoding(pre, 'preprocessing');
    return { net, encoding };
  } catch (err) {
    if (err instanceof ModelFormatError) throw new BackpropError(`${path}: field ${err.message}`);
    if (err instanceof BackpropError) throw new BackpropError(`${path}: ${err.message}`);
    throw err;
  }
}

/**
 * The encoding of a model saved without one (e.g. by the library): every input
 * is a number used as it is, taken from `meta.inputColumns` or else from the
 * data's columns that are not targets, in order.
 */
export function plainEncoding(net: Network, header: readonly string[], file: string): Encoding {
  const meta = net.meta;
  const targetColumns = meta.targetColumns ?? [];
  const inputColumns =
    meta.inputColumns ?? header.filter((c) => !targetColumns.includes(c)).slice(0, net.inputs);
  if (inputColumns.length !== net.inputs) {
    throw new CliError(
      `${file}: the model has ${plural(net.inputs, 'input')} but the file has ${plural(inputColumns.length, 'input column')} (${inputColumns.join(', ')})`,
    );
  }
  const classes = meta.classes;
  const target: Encoding['target'] =
    classes && classes.length >= 2 && targetColumns.length === 1
      ? {
          kind: 'classes',
          column: targetColumns[0],
          classes,
          binary: net.outputs === 1 && classes.length === 2,
        }
      : {
          kind: 'numbers',
          columns:
            targetColumns.length === net.outputs
              ? targetColumns
              : Array.from({ length: net.outputs }, (_, k) => `output${k + 1}`),
          offset: Array(net.outputs).fill(0),
          scale: Array(net.outputs).fill(1),
        };
  return {
    scaling: 'none',
    inputs: inputColumns.map((column) => ({ column, kind: 'number', offset: 0, scale: 1 })),
    target,
  };
}

/**
 * The encoding to use for `model` on a file with this header: the model's own,
 * or a plain one for a model saved without one. Checks that it fits the network.
 */
export function modelEncoding(
  model: LoadedModel,
  modelPath: string,
  header: readonly string[],
  file: string,
): Encoding {
  const enc = model.encoding ?? plainEncoding(model.net, header, file);
  const m0 = inputWidth(enc);
  const mN = targetWidth(enc.target);
  if (m0 !== model.net.inputs || mN !== model.net.outputs) {
    throw new CliError(
      `${modelPath}: the network has ${plural(model.net.inputs, 'input')} and ${plural(model.net.outputs, 'output')} but its preprocessing gives ${m0} and ${mN}; expected a model saved by backprop train`,
    );
  }
  return enc;
}

/** Refuses an output path whose folder does not exist, before any training is done. */
export async function checkWritableFolder(option: string, path: string): Promise<void> {
  const folder = dirname(resolve(path));
  const ok = await stat(folder).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!ok)
    throw new CliError(
      `option ${option}: the folder ${folder} does not exist; expected a path in an existing folder`,
    );
}
