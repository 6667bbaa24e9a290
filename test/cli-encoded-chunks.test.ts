// evaluate and predict read a file through encodedChunks: plain numbers from
// their numbers, and from the first chunk that cannot be read so the general
// reader goes on from the same row. Either way the encoded rows are those of
// the general reader, to the bit, and its messages name the bad line.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Encoded, encodedChunks, encodeRows } from '../src/cli/run-model.js';
import { parseCsv } from '../src/data/csv.js';
import { buildEncoding, type Encoding, rowEncoder } from '../src/data/encoding.js';
import { profileRows } from '../src/data/profile.js';
import { Random } from '../src/random.js';

const dir = mkdtempSync(join(import.meta.dirname, '..', '.tmp', 'encoded-chunks-'));
const rng = new Random(11);
const rows = Array.from({ length: 5000 }, (_, i) => [
  String(i % 4),
  String(Math.round(rng.uniform(0, 255))),
  (rng.normal() * 2).toFixed(3),
]);

function file(name: string, body: string[][]): string {
  const path = join(dir, name);
  writeFileSync(path, `label,p,q\n${body.map((r) => r.join(',')).join('\n')}\n`);
  return path;
}

/** The model's encoding: classes 0..3 from the label, p and q standardized. */
function encodingOf(classes = ['0', '1', '2', '3']): Encoding {
  const profile = profileRows(
    ['label', 'p', 'q'],
    rows,
    rows.map((_, i) => i + 2),
  );
  const encoding = buildEncoding(profile, profile, {
    file: 'train.csv',
    inputColumns: ['p', 'q'],
    targetColumns: ['label'],
    scaling: 'standard',
    task: 'classes',
  });
  if (encoding.target.kind === 'classes') encoding.target.classes = classes;
  return encoding;
}

/** Every chunk's rows joined, inputs and targets. */
async function read(path: string, encoding: Encoding, targets: boolean, dtype: 'float32' | 'float64') {
  const x: number[] = [];
  const d: number[] = [];
  let n = 0;
  for await (const c of encodedChunks(path, 700, dtype, targets, () => encoding)) {
    x.push(...c.x.data);
    if (c.d) d.push(...c.d.data);
    n += c.rows;
    expect(c.rows).toBeLessThanOrEqual(700);
  }
  return { x, d, n };
}

/** What the general reader and the row encoder give for the whole file. */
function general(path: string, encoding: Encoding, targets: boolean, dtype: 'float32' | 'float64'): Encoded {
  const table = parseCsv(readFileSync(path), path);
  return encodeRows(
    rowEncoder(encoding, table.columns, path, targets),
    table.rows,
    table.lines,
    undefined,
    dtype,
  );
}

describe('encodedChunks', () => {
  it('encodes a file of numbers as the general reader does, with and without targets, in either dtype', async () => {
    const path = file('numbers.csv', rows);
    const encoding = encodingOf();
    for (const dtype of ['float32', 'float64'] as const) {
      for (const targets of [true, false]) {
        const got = await read(path, encoding, targets, dtype);
        const want = general(path, encoding, targets, dtype);
        expect(got.n).toBe(5000);
        expect(got.x).toEqual(Array.from(want.x.data));
        expect(got.d).toEqual(targets ? Array.from(want.d!.data) : []);
      }
    }
  });

  it('goes on with the general reader from the row that is not plain numbers', async () => {
    const quoted = rows.map((r, i) => (i === 3100 ? [r[0], `"${r[1]}"`, r[2]] : r));
    const path = file('quoted.csv', quoted);
    const encoding = encodingOf();
    const got = await read(path, encoding, true, 'float32');
    const want = general(path, encoding, true, 'float32');
    expect(got.n).toBe(5000);
    expect(got.x).toEqual(Array.from(want.x.data));
    expect(got.d).toEqual(Array.from(want.d!.data));
  });

  it("says where a bad cell or a label the model lacks is, in the general reader's words", async () => {
    const bad = rows.map((r, i) => (i === 4200 ? [r[0], 'oops', r[2]] : r));
    const badPath = file('bad.csv', bad);
    const encoding = encodingOf();
    const want = (() => {
      try {
        general(badPath, encoding, true, 'float32');
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(want).toMatch(/line 4202/);
    await expect(read(badPath, encoding, true, 'float32')).rejects.toThrow(want);
    // Label 3 is no class of a model trained on 0..2: the first row with it is named.
    const partial = encodingOf(['0', '1', '2']);
    const numbers = file('numbers.csv', rows);
    const unseen = (() => {
      try {
        general(numbers, partial, true, 'float32');
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(unseen).toMatch(/line 5\b/);
    await expect(read(numbers, partial, true, 'float32')).rejects.toThrow(unseen);
  });
});
