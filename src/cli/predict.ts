/**
 * `backprop predict <model.json> <data.csv> [--out preds.csv]`: the model run
 * on raw rows (scaled and encoded as in training): the predicted label and each
 * class's probability, or the numeric outputs in the data's units. The file is
 * read in chunks and the output written to a temporary file renamed at the end.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { formatCsv, formatCsvRows } from '../data/csv-records.js';
import { decodeOutput, type Encoding } from '../data/encoding.js';
import { CliError, fileReason, RUNTIME_FAILURE } from './errors.js';
import { modelEncoding, readModel } from './files.js';
import { encodedChunks, runNetwork } from './run-model.js';

/** Header of the predictions file. */
export function predictionColumns(enc: Encoding): string[] {
  const t = enc.target;
  if (t.kind === 'classes') return [t.column, ...t.classes.map((c) => `p_${c}`)];
  return [...t.columns];
}

/** Runs `predict`; resolves to the exit status. */
export async function predict(
  modelPath: string,
  dataFile: string,
  opts: { out?: string; json: boolean },
): Promise<number> {
  const model = await readModel(modelPath);
  const { net } = model;
  let temp: string | undefined;
  let handle: FileHandle | undefined;
  const buffered: string[] = [];
  const json: unknown[] = [];
  const write = async (text: string) => {
    if (handle) await handle.write(text);
    else buffered.push(text);
  };
  try {
    let encoding: Encoding | undefined;
    let unknown: ReadonlyMap<string, string> = new Map();
    const chunks = encodedChunks(dataFile, 4096, net.dtype, false, (columns) =>
      modelEncoding(model, modelPath, columns, dataFile),
    );
    for await (const enc of chunks) {
      unknown = enc.unknown;
      if (!encoding) {
        encoding = enc.encoding;
        if (opts.out) {
          temp = join(
            dirname(opts.out),
            `.${basename(opts.out)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
          );
          handle = await open(temp, 'w').catch((err: NodeJS.ErrnoException) => {
            throw new CliError(
              `${opts.out}: cannot write the file (${fileReason(err, true)})`,
              RUNTIME_FAILURE,
            );
          });
        }
        if (!opts.json) await write(formatCsv(predictionColumns(encoding), []));
      }
      const { outputs } = runNetwork(net, enc.x);
      const rows: (string | number)[][] = [];
      for (let r = 0; r < enc.rows; r++) {
        const y = decodeOutput(encoding.target, outputs, r * net.outputs);
        if (y.kind === 'classes') {
          if (opts.json) {
            const t = encoding.target as { classes: string[] };
            json.push({
              label: y.label,
              probabilities: Object.fromEntries(t.classes.map((c, i) => [c, y.probabilities[i]])),
            });
          } else rows.push([y.label, ...y.probabilities]);
        } else if (opts.json) {
          const t = encoding.target as { columns: string[] };
          json.push(Object.fromEntries(t.columns.map((c, k) => [c, y.values[k]])));
        } else rows.push(y.values);
      }
      if (!opts.json) await write(formatCsvRows(rows));
    }
    if (opts.json)
      await write(
        `${JSON.stringify({ command: 'predict', model: modelPath, data: dataFile, predictions: json })}\n`,
      );
    if (handle) {
      await handle.close();
      handle = undefined;
      await rename(temp!, opts.out!);
      temp = undefined;
    } else process.stdout.write(buffered.join(''));
    for (const [column, where] of unknown) {
      process.stderr.write(
        `warning: ${dataFile} ${where} in column '${column}' is a value the model never saw (encoded as all zeros)\n`,
      );
    }
    return 0;
  } finally {
    if (handle) await handle.close().catch(() => {});
    if (temp) await unlink(temp).catch(() => {});
  }
}
