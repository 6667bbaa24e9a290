/**
 * The command line's readers in process, under random input (fast-check): model
 * files, checkpoints' JSON and CSV files on disk answer with a one-line message
 * that the exit-status mapping turns into 2, never a stack trace or a crash.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../src/cli/errors.js';
import { readJsonFile, readModel } from '../src/cli/files.js';
import { parseCsv } from '../src/data/csv.js';
import { csvChunks, readCsvFile } from '../src/data/node/csv-stream.js';
import { tempDir } from './fixtures/cli/run.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => cleanup());

/** A model-like object: mostly valid, with random damage, so the reader's deeper checks are reached. */
const modelish = fc.record(
  {
    format: fc.oneof(fc.constant('backprop-mlp'), fc.string()),
    version: fc.oneof(fc.constant(1), fc.integer(), fc.string()),
    inputs: fc.oneof(fc.constant(2), fc.integer({ min: -2, max: 4 }), fc.double()),
    layers: fc.array(
      fc.record(
        {
          units: fc.oneof(fc.constant(1), fc.integer({ min: -1, max: 3 })),
          activation: fc.oneof(fc.constantFrom('linear', 'sigmoid', 'softmax', 'swish'), fc.string()),
          weights: fc.array(
            fc.array(fc.oneof(fc.double(), fc.string(), fc.constant(null)), { maxLength: 3 }),
            { maxLength: 3 },
          ),
          biases: fc.array(fc.oneof(fc.double(), fc.constant('x')), { maxLength: 3 }),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 3 },
    ),
    preprocessing: fc.oneof(fc.constant(undefined), fc.jsonValue()),
  },
  { requiredKeys: [] },
);

/** CSV-like text: two columns mostly, quoted line breaks, blank lines, any line ends. */
const csvShape = fc
  .tuple(
    fc.array(
      fc.array(fc.constantFrom('1', 'a', '"x\ny"', '"p,q"', '', ' ', '"\r\n"'), {
        minLength: 0,
        maxLength: 3,
      }),
      { maxLength: 10 },
    ),
    fc.constantFrom('\n', '\r\n', '\r'),
  )
  .map(([rows, end]) => new TextEncoder().encode(['h1,h2', ...rows.map((r) => r.join(','))].join(end)));

function expectOneLineInputError(err: unknown): void {
  const { exitCode, message } = describeError(err);
  expect(exitCode).toBe(2);
  expect(message).not.toMatch(/\n/);
  expect(message).not.toMatch(/unexpected failure/);
}

describe('readers under random input', () => {
  it('readModel answers random JSON and model-like objects with a message naming the file', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), modelish), async (json) => {
        const file = join(dir, `m${n++}.json`);
        await writeFile(file, JSON.stringify(json) ?? 'undefined');
        try {
          const model = await readModel(file);
          expect(model.net.inputs).toBeGreaterThan(0);
        } catch (err) {
          expectOneLineInputError(err);
          expect((err as Error).message).toContain(file);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('readJsonFile answers random bytes with a message and a line and column', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 100 }), async (bytes) => {
        const file = join(dir, `j${n++}.json`);
        await writeFile(file, bytes);
        try {
          await readJsonFile(file);
        } catch (err) {
          expectOneLineInputError(err);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the streaming CSV reader gives the rows, lines and errors of the in-memory parser', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uint8Array({ maxLength: 300 }), csvShape),
        fc.integer({ min: 1, max: 5 }),
        async (bytes, size) => {
          const file = join(dir, `c${n++}.csv`);
          await writeFile(file, bytes);
          const streamed = { rows: [] as string[][], lines: [] as number[] };
          let failure: unknown;
          try {
            for await (const chunk of csvChunks(file, size)) {
              expect(chunk.rows.length).toBeLessThanOrEqual(size);
              streamed.rows.push(...chunk.rows);
              streamed.lines.push(...chunk.lines);
            }
          } catch (err) {
            failure = err;
            expectOneLineInputError(err);
          }
          // parseCsv (the browser-safe reader) asks csv-parse for each record's info.
          try {
            const whole = parseCsv(bytes, file);
            expect(failure).toBeUndefined();
            expect(streamed).toEqual({ rows: whole.rows, lines: whole.lines });
            expect((await readCsvFile(file)).rows).toEqual(whole.rows);
          } catch (err) {
            expectOneLineInputError(err);
            expect((failure as Error)?.message).toBe((err as Error).message);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
