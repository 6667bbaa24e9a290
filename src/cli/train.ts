/**
 * `backprop train <data.csv> --target <col>`: reads a CSV file, encodes it
 * (scaling, one-hot inputs, class labels), trains a network by backpropagation
 * with the core's {@link Trainer} (the same step function as the library and the
 * playground), shows progress, and writes the model, a checkpoint on request and
 * a report. In sequential and minibatch modes a large file is streamed.
 *
 * @module
 */

import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ActivationName } from '../activations.js';
import type { DType } from '../backend/backend.js';
import type { Table } from '../data/csv.js';
import {
  buildEncoding,
  chooseColumns,
  type Encoding,
  featureNames,
  inputWidth,
  rowEncoder,
  type Scaling,
  type Task,
  targetWidth,
} from '../data/encoding.js';
import { DataError } from '../data/errors.js';
import { csvChunks, readCsvFile } from '../data/node/csv-stream.js';
import { profileRows, TableProfile } from '../data/profile.js';
import { splitRows, streamPart } from '../data/split.js';
import type { ShapedArray } from '../data/tensor.js';
import { BackpropError, DivergenceError } from '../errors.js';
import type { LossSpec, Reduction } from '../losses.js';
import type { ModelMeta } from '../model/format.js';
import { Network } from '../network.js';
import type { OptimizerName } from '../optimizers.js';
import { Random } from '../random.js';
import {
  type DataChunk,
  type EpochInfo,
  type Mode,
  Trainer,
  type TrainerCheckpoint,
  type TrainOptions,
} from '../train/trainer.js';
import { BAD_INPUT, CliError, RUNTIME_FAILURE } from './errors.js';
import { readJsonFile, readModel, writeFileAtomic } from './files.js';
import { fmt, lossChart, Progress } from './progress.js';
import { type ReportData, renderReport, reportFormat } from './report.js';
import { type Encoded, encodeRows, runNetwork, Scorer, type Scores, scoreEncoded } from './run-model.js';

/** Every option of `train`, after parsing. */
export interface TrainArgs {
  target: string[];
  inputs?: string[];
  ignore?: string[];
  task: Task;
  hidden: number[];
  activation: ActivationName;
  outputActivation?: ActivationName;
  loss?: LossSpec;
  reduction?: Reduction;
  mode: Mode;
  batchSize: number;
  learningRate?: number[];
  optimizer: OptimizerName;
  momentum?: number;
  weightDecay: number;
  epochs?: number;
  tolerance?: number;
  patience?: number;
  minDelta?: number;
  validationSplit?: number;
  testSplit: number;
  seed: number;
  dtype: DType;
  scale: Scaling;
  targetScale: 'standard' | 'none';
  shuffle: boolean;
  init?: string;
  out: string;
  checkpoint?: string;
  checkpointEvery: number;
  resume: boolean;
  stream?: boolean;
  chunkSize: number;
  report?: string;
  json: boolean;
  quiet: boolean;
}

/** The defaults that stand in for `--epochs` when it is not given. */
export const AUTO_EPOCHS = 200;
/** Without --epochs, small data sets get more epochs: enough for this many updates, at most {@link AUTO_MAX_EPOCHS}. */
export const AUTO_UPDATES = 20_000;
export const AUTO_MAX_EPOCHS = 5000;

/** The epoch limit without --epochs: 200, or enough epochs for {@link AUTO_UPDATES} updates on a small set. */
export function autoEpochs(rows: number, mode: Mode, batchSize: number): number {
  const perEpoch =
    mode === 'batch' ? 1 : mode === 'sequential' ? rows : Math.ceil(rows / Math.min(batchSize, rows));
  return Math.max(AUTO_EPOCHS, Math.min(AUTO_MAX_EPOCHS, Math.ceil(AUTO_UPDATES / perEpoch)));
}
export const AUTO_PATIENCE = 10;
/** Improvement of the monitored cost that counts for the automatic patience (scikit-learn's tol). */
export const AUTO_MIN_DELTA = 1e-4;
/** Files larger than this are streamed in sequential/minibatch mode even without --stream. */
export const STREAM_BYTES = 256 * 1024 * 1024;
/** Validation rows kept in memory when streaming. */
export const STREAM_VALIDATION_ROWS = 10_000;

/** The checkpoint file: everything needed to continue a run exactly. */
interface CheckpointFile {
  format: 'backprop-train-checkpoint';
  version: 1;
  data: { file: string; rows: number };
  settings: Omit<TrainArgs, 'out' | 'report' | 'json' | 'quiet' | 'resume' | 'checkpoint' | 'init'>;
  model: ReturnType<Network['toJSON']>;
  trainer: TrainerCheckpoint;
}

/** What `train --json` prints: the run's history and scores. */
export interface TrainResult {
  command: 'train';
  data: string;
  model: string;
  rows: { train: number; validation: number; test: number };
  history: { epochs: EpochInfo[]; stoppedBy: string | null; bestEpoch?: number };
  scores: Record<string, Scores>;
  seconds: number;
  [field: string]: unknown;
}

/** How `train` stops early on Ctrl-C. */
class Interrupted extends Error {}

/** The parts of a run that the final steps need, for in-memory and streamed data alike. */
interface Prepared {
  encoding: Encoding;
  rows: number;
  /** In-memory rows, or a stream of chunks for epoch `epoch` (0-based; it seeds the shuffle). */
  train: Encoded | ((epoch: number) => AsyncIterable<DataChunk>);
  trainRows: number;
  /** Rows held out for testing (scored at the end). */
  testRows: number;
  validation?: Encoded;
  test?: Encoded;
  /** Scores of the training rows (and of test rows, streamed) after training. */
  finalScores: (
    net: Network,
    options: TrainOptions & { loss: string; reduction: Reduction },
  ) => Promise<Record<string, Scores>>;
  /** Up to a few thousand raw rows for pictures. */
  sample: { columns: string[]; rows: string[][] };
  streamed: boolean;
}

/** Runs `train`; resolves to the exit status. */
export async function train(
  dataFile: string,
  args: TrainArgs,
  onResult?: (result: TrainResult) => void,
): Promise<number> {
  const format = args.report ? reportFormat(args.report) : undefined;
  if (args.report && !format) {
    throw new CliError(`option --report: expected a file name ending in .svg or .html, got '${args.report}'`);
  }
  if (!args.resume && (args.target === undefined || args.target.length === 0)) {
    throw new CliError('option --target: expected the target column(s), e.g. --target label');
  }
  if (args.resume && !args.checkpoint) {
    throw new CliError(
      'option --resume: expected --checkpoint <file> naming the checkpoint to continue from',
    );
  }
  let resumeFrom: CheckpointFile | undefined;
  if (args.resume) {
    resumeFrom = readCheckpoint(await readJsonFile(args.checkpoint!), args.checkpoint!);
    // The run continues with the settings it started with; only where output goes may change.
    args = { ...args, ...resumeFrom.settings };
  }
  for (const [option, path] of [
    ['--out', args.out],
    ['--report', args.report],
    ['--checkpoint', args.checkpoint],
  ] as const) {
    if (path !== undefined) await checkWritableFolder(option, path);
  }
  const started = Date.now();
  const log = (line: string) => {
    if (!args.quiet) process.stderr.write(`${line}\n`);
  };

  const size = await stat(dataFile).then(
    (s) => s.size,
    () => -1,
  );
  const streamed = args.stream ?? (size > STREAM_BYTES && args.mode !== 'batch');
  if (streamed && args.mode === 'batch') {
    throw new CliError(
      'option --stream: batch mode needs every row in memory; use --mode minibatch or sequential',
    );
  }
  const prepared = streamed
    ? await prepareStream(dataFile, args)
    : prepareTable(await readCsvFile(dataFile), args);
  const { encoding } = prepared;
  if (resumeFrom && resumeFrom.data.rows !== prepared.rows) {
    throw new CliError(
      `${dataFile}: has ${prepared.rows} rows but the checkpoint ${args.checkpoint} was made on ${resumeFrom.data.rows}; expected the same data`,
    );
  }
  if (
    encoding.target.kind === 'numbers' &&
    args.task === 'auto' &&
    encoding.target.columns.length === 1 &&
    !args.loss
  ) {
    const p = prepared.classHint;
    if (p) log(p);
  }

  // The network: from --init, from the checkpoint, or new.
  const m0 = inputWidth(encoding);
  const mN = targetWidth(encoding.target);
  const classes = encoding.target.kind === 'classes';
  const binary = encoding.target.kind === 'classes' && encoding.target.binary;
  const outputActivation: ActivationName =
    args.outputActivation ?? (classes ? (binary ? 'sigmoid' : 'softmax') : 'linear');
  const loss: LossSpec = args.loss ?? (classes ? (binary ? 'binary-cross-entropy' : 'cross-entropy') : 'mse');
  let net: Network;
  if (resumeFrom) {
    net = Network.fromJSON(resumeFrom.model, { dtype: args.dtype });
  } else if (args.init) {
    net = (await readModel(args.init, { dtype: args.dtype })).net;
    if (net.inputs !== m0 || net.outputs !== mN) {
      throw new CliError(
        `${args.init}: the model has ${net.inputs} inputs and ${net.outputs} outputs, the data needs ${m0} inputs (${featureNames(encoding).join(', ')}) and ${mN} outputs`,
      );
    }
  } else {
    net = new Network({
      inputs: m0,
      layers: [
        ...args.hidden.map((units) => ({ units, activation: args.activation })),
        { units: mN, activation: outputActivation },
      ],
      seed: args.seed,
      dtype: args.dtype,
    });
  }

  const auto = args.epochs === undefined;
  const options: TrainOptions = {
    loss,
    reduction: args.reduction,
    mode: args.mode,
    batchSize: args.mode === 'minibatch' ? Math.min(args.batchSize, prepared.trainRows) : undefined,
    learningRate: args.learningRate
      ? args.learningRate.length === 1
        ? args.learningRate[0]
        : args.learningRate
      : undefined,
    optimizer: args.optimizer,
    momentum: args.momentum,
    weightDecay: args.weightDecay,
    shuffle: args.shuffle,
    seed: args.seed,
    epochs: args.epochs ?? autoEpochs(prepared.trainRows, args.mode, args.batchSize),
    tolerance: args.tolerance,
    patience: args.patience ?? (auto ? AUTO_PATIENCE : undefined),
    minDelta: args.minDelta ?? (auto ? AUTO_MIN_DELTA : 0),
    validationData: prepared.validation
      ? { inputs: prepared.validation.x, targets: prepared.validation.d! }
      : undefined,
  };
  let interrupted = false;
  const stream = typeof prepared.train === 'function' ? prepared.train : undefined;
  // The shuffle of a streamed epoch is seeded by the trainer's epoch, so a resumed run reads the same order.
  // A Ctrl-C stops a streamed epoch at the next chunk; the run resumes from the epoch's start.
  const source = stream
    ? (): AsyncIterable<DataChunk> => stopAtInterrupt(stream(trainer.epoch), () => interrupted)
    : (prepared.train as Encoded).x;
  const targets = typeof prepared.train === 'function' ? null : prepared.train.d!;
  const trainer: Trainer = new Trainer(net, source, targets, options);
  const settings = trainer.settings;
  if (resumeFrom) trainer.restore(resumeFrom.trainer);

  const etaText = settings.learningRate.every((r) => r === settings.learningRate[0])
    ? fmt(settings.learningRate[0])
    : settings.learningRate.map(fmt).join(',');
  log(
    `training ${net.layers.map((l) => l.units).join('-')} (${m0} inputs${args.hidden.length ? `, ${args.hidden.join(',')} hidden ${args.activation}` : ''}, ` +
      `${net.outputActivation} output) on ${prepared.trainRows} rows of ${dataFile}` +
      `${prepared.validation ? `, ${prepared.validation.rows} validation` : ''}${prepared.testRows ? `, ${prepared.testRows} test` : ''}` +
      `${prepared.streamed ? ' (streamed)' : ''}: ${settings.optimizer.name}, eta ${etaText}, ${settings.mode}` +
      `${settings.mode === 'minibatch' ? ` of ${settings.batchSize}` : ''}, ${settings.loss}/${settings.reduction}, ` +
      `up to ${settings.epochs} epochs${settings.patience !== undefined ? `, patience ${settings.patience}` : ''}` +
      `${resumeFrom ? `, resuming after epoch ${trainer.epoch}` : ''}`,
  );

  const checkpointPath = args.checkpoint ?? `${args.out}.checkpoint.json`;
  const settingsToSave = stripOutputs(args);
  const saveCheckpoint = async (cp: TrainerCheckpoint) => {
    const file: CheckpointFile = {
      format: 'backprop-train-checkpoint',
      version: 1,
      data: { file: dataFile, rows: prepared.rows },
      settings: settingsToSave,
      model: net.toJSON({}),
      trainer: cp,
    };
    await writeFileAtomic(checkpointPath, JSON.stringify(file));
  };

  const progress = new Progress(process.stderr, {
    maxEpochs: settings.epochs,
    rowsPerEpoch: prepared.trainRows,
    eta: etaText,
    startEpoch: trainer.epoch,
    quiet: args.quiet,
  });
  const onSigint = () => {
    if (interrupted) process.exit(130); // a second Ctrl-C: leave at once (every file is still whole)
    interrupted = true;
  };
  process.on('SIGINT', onSigint);
  let diverged: DivergenceError | undefined;
  let lastEpochCheckpoint: TrainerCheckpoint | undefined = streamed ? trainer.checkpoint() : undefined;
  try {
    const onEpoch = async (info: EpochInfo) => {
      progress.update(info);
      if (args.checkpoint && info.epoch % args.checkpointEvery === 0 && !trainer.stopReason) {
        await saveCheckpoint(trainer.checkpoint());
      }
    };
    if (typeof prepared.train === 'function') {
      while (!trainer.stopReason) {
        const info = await trainer.runEpochAsync();
        lastEpochCheckpoint = trainer.checkpoint();
        await onEpoch(info);
        if (interrupted) throw new Interrupted();
      }
    } else {
      // An epoch at a time, or 50 ms of one, between chances for a Ctrl-C to come in.
      let sliceEnd = performance.now() + 50;
      while (!trainer.stopReason) {
        const info = trainer.run({ epochs: 1, until: sliceEnd });
        if (info) await onEpoch(info);
        if (performance.now() >= sliceEnd) {
          await new Promise((resolve) => setImmediate(resolve));
          sliceEnd = performance.now() + 50;
        }
        if (interrupted && !trainer.stopReason) throw new Interrupted();
      }
    }
  } catch (err) {
    progress.stop();
    if (err instanceof Interrupted || (interrupted && streamed)) {
      // In memory the checkpoint is mid-epoch; a stream restarts the epoch it was in.
      await saveCheckpoint(streamed ? lastEpochCheckpoint! : trainer.checkpoint());
      const where =
        !streamed && trainer.midEpoch ? `during epoch ${trainer.epoch + 1}` : `after epoch ${trainer.epoch}`;
      process.stderr.write(
        `interrupted ${where}: checkpoint saved to ${checkpointPath}; ` +
          `continue with the same command and --resume --checkpoint ${checkpointPath}\n`,
      );
      trainer.dispose();
      return 130;
    }
    if (!(err instanceof DivergenceError)) {
      trainer.dispose();
      throw err;
    }
    diverged = err;
  } finally {
    process.off('SIGINT', onSigint);
  }
  progress.stop();
  const history = trainer.history;
  const stoppedBy = diverged ? 'divergence' : trainer.stopReason;
  const bestEpoch = settings.patience !== undefined ? trainer.bestEpoch : undefined;
  trainer.dispose();

  // Scores in the data's terms.
  const scores: Record<string, Scores> = {};
  if (history.length > 0 || diverged) {
    const final = await prepared.finalScores(net, {
      ...options,
      loss: settings.loss,
      reduction: settings.reduction,
    });
    Object.assign(scores, final);
    if (prepared.validation) {
      scores.validation = scoreEncoded(net, encoding, prepared.validation, settings.loss, settings.reduction);
    }
    if (prepared.test && !scores.test) {
      scores.test = scoreEncoded(net, encoding, prepared.test, settings.loss, settings.reduction);
    }
  }

  const meta: ModelMeta = {
    inputColumns: encoding.inputs.map((c) => c.column),
    targetColumns: encoding.target.kind === 'classes' ? [encoding.target.column] : encoding.target.columns,
    ...(encoding.target.kind === 'classes' ? { classes: encoding.target.classes } : {}),
    preprocessing: encoding,
    training: {
      data: dataFile,
      rows: prepared.trainRows,
      loss: settings.loss,
      reduction: settings.reduction,
      mode: settings.mode,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      optimizer: settings.optimizer,
      shuffle: settings.shuffle,
      seed: settings.seed,
      epochs: history.length,
      maxEpochs: settings.epochs,
      patience: settings.patience,
      tolerance: settings.tolerance,
      validationSplit: prepared.validation ? prepared.validation.rows / prepared.rows : 0,
      testSplit: args.testSplit,
      stoppedBy,
      bestEpoch,
      finalCost: history.at(-1)?.cost,
    },
  };
  await writeFileAtomic(args.out, `${JSON.stringify(net.toJSON(meta))}\n`);

  const seconds = (Date.now() - started) / 1000;
  const summary = summaryLines(
    args,
    dataFile,
    net,
    history,
    stoppedBy ?? 'epochs',
    bestEpoch,
    scores,
    seconds,
  );
  if (args.report && format) {
    const report = reportData(net, encoding, prepared, history, scores, summary, dataFile);
    await writeFileAtomic(args.report, await renderReport(report, format));
  }

  const doc = {
    command: 'train' as const,
    data: dataFile,
    model: args.out,
    report: args.report ?? null,
    rows: {
      train: prepared.trainRows,
      validation: prepared.validation?.rows ?? 0,
      test: prepared.testRows,
    },
    network: {
      inputs: net.inputs,
      layers: net.layers.map((l) => ({ units: l.units, activation: l.activation })),
    },
    inputs: featureNames(encoding),
    target: encoding.target,
    settings: {
      ...settings,
      validationSplit: prepared.validation ? prepared.validation.rows / prepared.rows : 0,
      testSplit: args.testSplit,
      scale: args.scale,
      streamed: prepared.streamed,
    },
    history: { epochs: history, stoppedBy, bestEpoch },
    scores,
    seconds,
    ...(diverged ? { error: diverged.message } : {}),
  };
  onResult?.(doc);
  if (args.json) {
    process.stdout.write(`${JSON.stringify(doc)}\n`);
  } else {
    const chart = lossChart(
      history.map((h) => h.cost),
      history.some((h) => h.validationCost !== undefined)
        ? history.map((h) => h.validationCost ?? Number.NaN)
        : undefined,
      { color: Boolean(process.stdout.isTTY) },
    );
    process.stdout.write(`${summary.join('\n')}\n${chart ? `\n${chart}\n` : ''}`);
  }
  if (diverged) {
    process.stderr.write(
      `${diverged.message.split('Try')[0].trim()} Saved those weights to ${args.out}. Try a smaller --learning-rate.\n`,
    );
    return RUNTIME_FAILURE;
  }
  return 0;
}

/** The chunks of `source`, until `stopped()` says so. */
async function* stopAtInterrupt(
  source: AsyncIterable<DataChunk>,
  stopped: () => boolean,
): AsyncGenerator<DataChunk> {
  for await (const chunk of source) {
    if (stopped()) throw new Interrupted();
    yield chunk;
  }
}

/** Refuses an output path whose folder does not exist, before any training is done. */
async function checkWritableFolder(option: string, path: string): Promise<void> {
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

function stripOutputs(args: TrainArgs): CheckpointFile['settings'] {
  const { out: _o, report: _r, json: _j, quiet: _q, resume: _re, checkpoint: _c, init: _i, ...rest } = args;
  return rest;
}

function readCheckpoint(json: unknown, path: string): CheckpointFile {
  const cp = json as Partial<CheckpointFile>;
  if (typeof cp !== 'object' || cp === null || cp.format !== 'backprop-train-checkpoint') {
    throw new CliError(
      `${path}: field format: expected 'backprop-train-checkpoint'; this is not a checkpoint of backprop train`,
    );
  }
  if (cp.version !== 1) throw new CliError(`${path}: field version: expected 1, got ${String(cp.version)}`);
  for (const field of ['data', 'settings', 'model', 'trainer'] as const) {
    if (typeof cp[field] !== 'object' || cp[field] === null) {
      throw new CliError(`${path}: field ${field}: expected an object`);
    }
  }
  return cp as CheckpointFile;
}

/** Reads the whole file: exact stratified splits, scaling statistics from the training rows. */
function prepareTable(table: Table, args: TrainArgs): Prepared & { classHint?: string } {
  const { file, columns, rows, lines } = table;
  const choice = chooseColumns(columns, file, {
    target: args.target,
    inputs: args.inputs,
    ignore: args.ignore,
  });
  const all = profileRows(columns, rows, lines);
  const options = {
    ...choice,
    file,
    scaling: args.scale,
    task: args.task,
    loss: args.loss,
    scaleTargets: args.targetScale === 'standard',
  };
  // First the target alone (for stratifying), then the scaling from the training rows.
  const draft = buildEncoding(all, all, options);
  let groups: Uint32Array | undefined;
  if (draft.target.kind === 'classes') {
    const col = columns.indexOf(draft.target.column);
    const index = new Map(draft.target.classes.map((k, i) => [k, i] as const));
    groups = Uint32Array.from(rows, (r) => index.get(r[col].trim()) ?? 0);
  }
  // SPEC section 6: --validation-split defaults to 0, whatever the target.
  const validationFraction = args.validationSplit ?? 0;
  const split = splitRows(rows.length, {
    validation: validationFraction,
    test: args.testSplit,
    seed: args.seed,
    groups,
  });
  const fit =
    split.validation.length + split.test.length > 0 ? profileRows(columns, rows, lines, split.train) : all;
  const encoding = buildEncoding(all, fit, options);
  const encoder = rowEncoder(encoding, columns, file, true);
  const train = encodeRows(encoder, rows, lines, split.train);
  const validation =
    split.validation.length > 0 ? encodeRows(encoder, rows, lines, split.validation) : undefined;
  const test = split.test.length > 0 ? encodeRows(encoder, rows, lines, split.test) : undefined;
  const sampleIdx = sampleIndices(rows.length, 3000, args.seed);
  return {
    encoding,
    rows: rows.length,
    train,
    trainRows: train.rows,
    testRows: test?.rows ?? 0,
    validation,
    test,
    streamed: false,
    sample: { columns, rows: Array.from(sampleIdx, (i) => rows[i]) },
    classHint: classHint(all, encoding),
    finalScores: async (net, o) => ({
      train: scoreEncoded(net, encoding, train, o.loss as never, o.reduction),
    }),
  };
}

function classHint(all: TableProfile, encoding: Encoding): string | undefined {
  if (encoding.target.kind !== 'numbers') return undefined;
  const p = all.get(encoding.target.columns[0]);
  const values = p.sortedValues();
  if (values && values.length <= 50 && values.every((v) => Number.isInteger(Number(v)))) {
    return (
      `note: target '${p.name}' holds numbers, so it is fitted as a number (linear output, mse); ` +
      `give --task classes or --loss cross-entropy to treat its ${values.length} distinct values as classes`
    );
  }
  return undefined;
}

function sampleIndices(n: number, k: number, seed: number): Uint32Array {
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  if (n <= k) return all;
  return new Random(seed ^ 0x51a7).shuffle(all).slice(0, k).sort();
}

/**
 * Streams the file: a first pass profiles every row (column types, classes,
 * exact scaling statistics by Welford's formulas), then each epoch reads the file
 * again in chunks. Rows go to validation and test by a seeded hash of their
 * index; at most {@link STREAM_VALIDATION_ROWS} validation rows are kept.
 */
async function prepareStream(file: string, args: TrainArgs): Promise<Prepared & { classHint?: string }> {
  let profile: TableProfile | undefined;
  let header: string[] = [];
  let index = 0;
  const validationFraction = args.validationSplit ?? 0;
  const validationRaw: { rows: string[][]; lines: number[] } = { rows: [], lines: [] };
  const sample: string[][] = [];
  let trainRows = 0;
  let testRows = 0;
  for await (const chunk of csvChunks(file, args.chunkSize)) {
    if (!profile) {
      header = chunk.columns;
      chooseColumns(header, file, { target: args.target, inputs: args.inputs, ignore: args.ignore });
      profile = new TableProfile(header);
    }
    for (let r = 0; r < chunk.rows.length; r++, index++) {
      profile.add(chunk.rows[r], chunk.lines[r]);
      const part = streamPart(index, args.seed, validationFraction, args.testSplit);
      if (part === 'validation' && validationRaw.rows.length < STREAM_VALIDATION_ROWS) {
        validationRaw.rows.push(chunk.rows[r]);
        validationRaw.lines.push(chunk.lines[r]);
      } else if (part === 'train') {
        trainRows++;
        if (sample.length < 3000) sample.push(chunk.rows[r]);
      } else if (part === 'test') testRows++;
    }
  }
  if (!profile) throw new DataError({ file }, 'the file is empty; expected a header line of column names');
  const choice = chooseColumns(header, file, {
    target: args.target,
    inputs: args.inputs,
    ignore: args.ignore,
  });
  const encoding = buildEncoding(profile, profile, {
    ...choice,
    file,
    scaling: args.scale,
    task: args.task,
    loss: args.loss,
    scaleTargets: args.targetScale === 'standard',
  });
  if (trainRows === 0)
    throw new BackpropError(
      'the splits leave no training rows; expected smaller --validation-split/--test-split',
    );
  const encoder = rowEncoder(encoding, header, file, true);
  const validation =
    validationRaw.rows.length > 0 ? encodeRows(encoder, validationRaw.rows, validationRaw.lines) : undefined;
  const m0 = encoder.inputs;
  const mN = encoder.outputs;
  const size = args.chunkSize;
  const stream = (epoch: number) => {
    const random = new Random((args.seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
    return (async function* (): AsyncGenerator<DataChunk> {
      const x = new Float64Array(size * m0);
      const d = new Float64Array(size * mN);
      const order = new Uint32Array(size);
      let i = 0;
      for await (const chunk of csvChunks(file, size)) {
        let n = 0;
        for (let r = 0; r < chunk.rows.length; r++, i++) {
          if (streamPart(i, args.seed, validationFraction, args.testSplit) !== 'train') continue;
          order[n++] = r;
        }
        // Rows are shuffled within a chunk (seeded per epoch); the file's order between chunks stays.
        const idx = order.subarray(0, n);
        if (args.shuffle) random.shuffle(idx);
        for (let k = 0; k < n; k++) {
          encoder.encode(chunk.rows[idx[k]], chunk.lines[idx[k]], x, k * m0, d, k * mN);
        }
        if (n > 0) {
          yield {
            inputs: { data: x.subarray(0, n * m0), shape: [n, m0] } as ShapedArray,
            targets: { data: d.subarray(0, n * mN), shape: [n, mN] } as ShapedArray,
          };
        }
      }
    })();
  };
  return {
    encoding,
    rows: index,
    train: stream,
    trainRows,
    testRows,
    validation,
    streamed: true,
    sample: { columns: header, rows: sample },
    classHint: classHint(profile, encoding),
    finalScores: async (net, o) => {
      const scorers = { train: new Scorer(encoding.target), test: new Scorer(encoding.target) };
      let i = 0;
      for await (const chunk of csvChunks(file, size)) {
        const parts = chunk.rows.map(() => streamPart(i++, args.seed, validationFraction, args.testSplit));
        for (const part of ['train', 'test'] as const) {
          const idx = parts.flatMap((p, r) => (p === part ? [r] : []));
          if (idx.length === 0) continue;
          const enc = encodeRows(encoder, chunk.rows, chunk.lines, idx);
          const { outputs, lossSum } = runNetwork(net, enc.x, enc.d, o.loss as never);
          scorers[part].add(outputs, enc.d!.data, net.outputs, enc.rows, lossSum);
        }
      }
      const result: Record<string, Scores> = { train: scorers.train.result(o.reduction) };
      if (testRows > 0) result.test = scorers.test.result(o.reduction);
      return result;
    },
  };
}

function describeScores(name: string, s: Scores & { cost?: number }): string {
  const cost = s.cost !== undefined ? `cost ${fmt(s.cost)}, ` : '';
  if (s.kind === 'classes') return `${name}: ${cost}accuracy ${s.accuracy.toFixed(4)} (${s.rows} rows)`;
  const per = s.columns.map(
    (c, k) =>
      `${s.columns.length > 1 ? `${c}: ` : ''}MSE ${fmt(s.mse[k])}, MAE ${fmt(s.mae[k])}, R^2 ${s.r2[k].toFixed(4)}`,
  );
  return `${name}: ${cost}${per.join('; ')} (${s.rows} rows)`;
}

function summaryLines(
  args: TrainArgs,
  dataFile: string,
  net: Network,
  history: EpochInfo[],
  stoppedBy: string,
  bestEpoch: number | undefined,
  scores: Record<string, Scores>,
  seconds: number,
): string[] {
  const last = history.at(-1);
  const lines = [
    `trained on ${dataFile}: ${history.length} epochs in ${seconds.toFixed(1)} s, stopped by ${stoppedBy}` +
      `${bestEpoch ? ` (best weights from epoch ${bestEpoch} kept)` : ''}`,
  ];
  if (last) {
    lines.push(
      `last epoch: cost ${fmt(last.cost)}${last.validationCost !== undefined ? `, validation cost ${fmt(last.validationCost)}` : ''}`,
    );
  }
  for (const [name, s] of Object.entries(scores)) lines.push(describeScores(name, s));
  lines.push(`model (${net.parameterCount} weights and biases) saved to ${args.out}`);
  if (args.report) lines.push(`report saved to ${args.report}`);
  return lines;
}

/** The pictures: loss curves, regions or curve when the inputs allow, a confusion matrix for classes. */
function reportData(
  net: Network,
  encoding: Encoding,
  prepared: Prepared,
  history: EpochInfo[],
  scores: Record<string, Scores>,
  summary: string[],
  dataFile: string,
): ReportData {
  const costs: ReportData['costs'] = [];
  for (const h of history) {
    costs.push({ epoch: h.epoch, cost: h.cost, set: 'training' });
    if (h.validationCost !== undefined)
      costs.push({ epoch: h.epoch, cost: h.validationCost, set: 'validation' });
  }
  const data: ReportData = { title: `backprop train ${dataFile}`, costs, summary };
  const confusionOf = scores.test ?? scores.validation ?? scores.train;
  if (confusionOf?.kind === 'classes') {
    const rowsName = scores.test ? 'test rows' : scores.validation ? 'validation rows' : 'training rows';
    data.confusion = { scores: confusionOf, rowsName };
  }
  const numeric = encoding.inputs.every((c) => c.kind === 'number');
  const { columns, rows } = prepared.sample;
  const predictRaw = (points: number[][]): number[][] => {
    const x = new Float64Array(points.length * net.inputs);
    for (let r = 0; r < points.length; r++) {
      for (let k = 0; k < net.inputs; k++) {
        const c = encoding.inputs[k] as { offset: number; scale: number };
        x[r * net.inputs + k] = (points[r][k] - c.offset) / c.scale;
      }
    }
    const { outputs } = runNetwork(net, { data: x, shape: [points.length, net.inputs] });
    return points.map((_, r) => Array.from(outputs.subarray(r * net.outputs, (r + 1) * net.outputs)));
  };
  const col = (name: string) => columns.indexOf(name);
  const target = encoding.target;
  if (numeric && encoding.inputs.length === 2 && rows.length > 0) {
    const [a, b] = encoding.inputs.map((c) => col(c.column));
    const xs = rows.map((r) => Number(r[a]));
    const ys = rows.map((r) => Number(r[b]));
    const [x0, x1] = padRange(xs);
    const [y0, y1] = padRange(ys);
    const g = 60;
    const cells: NonNullable<ReportData['regions']>['cells'] = [];
    const grid: number[][] = [];
    for (let i = 0; i < g; i++)
      for (let j = 0; j < g; j++)
        grid.push([x0 + ((i + 0.5) * (x1 - x0)) / g, y0 + ((j + 0.5) * (y1 - y0)) / g]);
    const out = predictRaw(grid);
    const value = (y: number[]): string | number => {
      if (target.kind === 'classes') {
        if (target.binary) return target.classes[y[0] >= 0.5 ? 1 : 0];
        let best = 0;
        for (let k = 1; k < y.length; k++) if (y[k] > y[best]) best = k;
        return target.classes[best];
      }
      return y[0] * target.scale[0] + target.offset[0];
    };
    grid.forEach((p, k) => {
      const w = (x1 - x0) / g / 2;
      const h = (y1 - y0) / g / 2;
      cells.push({ x: p[0] - w, x2: p[0] + w, y: p[1] - h, y2: p[1] + h, value: value(out[k]) });
    });
    const t = target.kind === 'classes' ? col(target.column) : col(target.columns[0]);
    const points = rows.map((r, k) => ({
      x: xs[k],
      y: ys[k],
      value: target.kind === 'classes' ? r[t].trim() : Number(r[t]),
    }));
    data.regions = {
      xName: encoding.inputs[0].column,
      yName: encoding.inputs[1].column,
      cells,
      points,
      classes: target.kind === 'classes',
    };
  } else if (
    numeric &&
    encoding.inputs.length === 1 &&
    target.kind === 'numbers' &&
    target.columns.length === 1 &&
    rows.length > 0
  ) {
    const a = col(encoding.inputs[0].column);
    const t = col(target.columns[0]);
    const xs = rows.map((r) => Number(r[a]));
    const [x0, x1] = padRange(xs);
    const grid = Array.from({ length: 200 }, (_, i) => [x0 + (i * (x1 - x0)) / 199]);
    const out = predictRaw(grid);
    data.curve = {
      xName: encoding.inputs[0].column,
      yName: target.columns[0],
      points: rows.map((r, k) => ({ x: xs[k], y: Number(r[t]) })),
      curve: grid.map((p, k) => ({ x: p[0], y: out[k][0] * target.scale[0] + target.offset[0] })),
    };
  }
  return data;
}

function padRange(values: number[]): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

export { BAD_INPUT };
