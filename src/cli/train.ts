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
import type { ActivationName } from '../activations.js';
import { DEFAULT_DTYPE } from '../backend/backend.js';
import { describeBackend, getBackend } from '../backend/index.js';
import { featureNames, inputWidth, targetWidth } from '../data/encoding.js';
import { DivergenceError } from '../errors.js';
import type { LossSpec } from '../losses.js';
import type { ModelMeta } from '../model/format.js';
import { Network } from '../network.js';
import { plural } from '../plural.js';
import { trainingRecord } from '../settings/record.js';
import { drive, yieldToEventLoop } from '../train/driver.js';
import {
  type DataChunk,
  type EpochInfo,
  Trainer,
  type TrainerCheckpoint,
  type TrainOptions,
} from '../train/trainer.js';
import { BAD_INPUT, CliError, RUNTIME_FAILURE } from './errors.js';
import { checkWritableFolder, readJsonFile, readModel, writeFileAtomic } from './files.js';
import { hiddenDropout, optimizerOptions, type TrainArgs } from './options.js';
import { etaText, lossChart, Progress, scheduleText } from './progress.js';
import { loadRenderer, renderReport, reportFormat } from './report.js';
import { type EncodedRows, type Scores, scoreEncoded } from './run-model.js';
import { type CheckpointFile, readCheckpoint, stripOutputs } from './train/checkpoint.js';
import {
  describeNetwork,
  stoppingRule,
  taskLine,
  validationSplitOf,
  weightDecayOf,
} from './train/defaults.js';
import { type DataPlan, prepareFile } from './train/prepare.js';
import { prepareStream } from './train/stream.js';
import { reportData, summaryLines } from './train/summary.js';
import { classWeightsOption, weightedAccuracy } from './train/weights.js';

/** Every option of `train`, after parsing: the settings table's rows and the command line's own. */
export type { TrainArgs } from './options.js';

/** Files larger than this are streamed in sequential/minibatch mode even without --stream. */
export const STREAM_BYTES = 256 * 1024 * 1024;

/** What `train --json` prints: the run's history and scores. */
export interface TrainResult {
  command: 'train';
  data: string;
  model: string;
  rows: { train: number; validation: number; test: number };
  history: { epochs: EpochInfo[]; stoppedBy: string | null; bestEpoch?: number };
  scores: Record<string, Scores>;
  /** With class or sample weights: the training rows' accuracy, each row counted with its weight. */
  weightedAccuracy?: number;
  seconds: number;
  [field: string]: unknown;
}

/** How `train` stops early on Ctrl-C. */
class Interrupted extends Error {}

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
  if (args.report) await loadRenderer(); // before training: a missing renderer is said at once
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

  // The backend now, not at the network: its threads start on the other core while this one reads the file.
  getBackend();
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
  // A model to start from comes first: its output activation decides whether targets are scaled.
  let net: Network | undefined;
  if (resumeFrom) net = Network.fromJSON(resumeFrom.model, { dtype: args.dtype });
  else if (args.init) net = (await readModel(args.init, { dtype: args.dtype })).net;
  const plan: DataPlan = {
    validationSplit: validationSplitOf(args),
    outputActivation: net?.outputActivation ?? args.outputActivation,
    dtype: net?.dtype ?? args.dtype ?? DEFAULT_DTYPE,
  };
  const prepared = streamed
    ? await prepareStream(dataFile, args, plan)
    : await prepareFile(dataFile, args, plan);
  const { encoding } = prepared;
  if (resumeFrom && resumeFrom.data.rows !== prepared.rows) {
    throw new CliError(
      `${dataFile}: has ${prepared.rows} rows but the checkpoint ${args.checkpoint} was made on ${resumeFrom.data.rows}; expected the same data`,
    );
  }

  // The network: from --init, from the checkpoint, or new.
  const m0 = inputWidth(encoding);
  const mN = targetWidth(encoding.target);
  const classes = encoding.target.kind === 'classes';
  const binary = encoding.target.kind === 'classes' && encoding.target.binary;
  const outputActivation: ActivationName =
    args.outputActivation ?? (classes ? (binary ? 'sigmoid' : 'softmax') : 'linear');
  const loss: LossSpec = args.loss ?? (classes ? (binary ? 'binary-cross-entropy' : 'cross-entropy') : 'mse');
  if (net && !resumeFrom) {
    if (net.inputs !== m0 || net.outputs !== mN) {
      throw new CliError(
        `${args.init}: the model has ${plural(net.inputs, 'input')} and ${plural(net.outputs, 'output')}, the data needs ${plural(m0, 'input')} (${featureNames(encoding).join(', ')}) and ${plural(mN, 'output')}`,
      );
    }
  } else if (!net) {
    const dropout = hiddenDropout(args.dropout, args.hidden.length);
    net = new Network({
      inputs: m0,
      layers: [
        ...args.hidden.map((units, i) => ({ units, activation: args.activation, dropout: dropout[i] })),
        { units: mN, activation: outputActivation },
      ],
      seed: args.seed,
      dtype: args.dtype,
    });
  }

  if (args.l2 !== undefined && args.weightDecay !== undefined && args.l2 !== args.weightDecay) {
    throw new CliError('option --l2: another name of --weight-decay, given both with different values');
  }
  if (args.sampleWeight && prepared.streamed) {
    throw new CliError('option --sample-weight: needs the rows in memory; leave out --stream');
  }
  const stopping = stoppingRule(args, prepared.trainRows, prepared.validation?.rows ?? 0);
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
    ...optimizerOptions(args),
    weightDecay: args.l2 ?? weightDecayOf(args, encoding.target.kind),
    schedule: args.schedule,
    classWeights: classWeightsOption(args.classWeight, encoding),
    sampleWeights: prepared.weights?.train,
    shuffle: args.shuffle,
    seed: args.seed,
    epochs: stopping.epochs,
    tolerance: args.tolerance,
    patience: stopping.patience,
    minDelta: stopping.minDelta,
    validationData: prepared.validation
      ? {
          inputs: prepared.validation.x,
          targets: prepared.validation.d!,
          sampleWeights: prepared.weights?.validation,
        }
      : undefined,
  };
  let interrupted = false;
  const stream = typeof prepared.train === 'function' ? prepared.train : undefined;
  // The shuffle of a streamed epoch is seeded by the trainer's epoch, so a resumed run reads the same order.
  // A Ctrl-C stops a streamed epoch at the next chunk; the run resumes from the epoch's start.
  const source = stream
    ? (): AsyncIterable<DataChunk> => stopAtInterrupt(stream(trainer.epoch), () => interrupted)
    : (prepared.train as EncodedRows).x;
  const targets = typeof prepared.train === 'function' ? null : prepared.train.d!;
  const trainer: Trainer = new Trainer(net, source, targets, options);
  const settings = trainer.settings;
  if (resumeFrom) trainer.restore(resumeFrom.trainer);

  const eta = etaText(settings.learningRate);
  const schedule =
    settings.schedule.name === 'constant' && settings.schedule.warmup === 0
      ? ''
      : `, schedule ${scheduleText(settings.schedule)}`;
  // Said once the settings are known to be good: a refused run prints its one error line only.
  const targetColumns =
    encoding.target.kind === 'classes' ? [encoding.target.column] : encoding.target.columns;
  log(taskLine(targetColumns, prepared.task));
  log(
    `training ${describeNetwork(net)} on ${prepared.trainRows} rows of ${dataFile}` +
      `${prepared.validation ? `, ${prepared.validation.rows} validation` : ''}${prepared.testRows ? `, ${prepared.testRows} test` : ''}` +
      `${prepared.streamed ? ' (streamed)' : ''}: ${settings.optimizer.name}, eta ${eta}${schedule}` +
      `${settings.optimizer.weightDecay ? `, weight decay ${settings.optimizer.weightDecay}` : ''}` +
      `${settings.optimizer.l1 ? `, l1 ${settings.optimizer.l1}` : ''}` +
      `${settings.classWeights ? `, class weights ${args.classWeight === 'balanced' ? 'balanced' : JSON.stringify(args.classWeight)}` : ''}` +
      `${args.sampleWeight ? `, sample weights from '${args.sampleWeight}'` : ''}, ${settings.mode}` +
      `${settings.mode === 'minibatch' ? ` of ${settings.batchSize}` : ''}, ${settings.loss}/${settings.reduction}, ` +
      `up to ${settings.epochs} epochs${settings.patience !== undefined ? `, patience ${settings.patience}` : ''}` +
      `${resumeFrom ? `, resuming after epoch ${trainer.epoch}` : ''}`,
  );
  log(stopping.rule);
  if ((args as TrainArgs & { verbose?: boolean }).verbose) log(describeBackend(net.dtype));

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
    eta,
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
    // An epoch at a time (or 50 ms of one) between chances for a Ctrl-C to come in.
    await drive(trainer, {
      onEpoch: async (info) => {
        if (streamed) lastEpochCheckpoint = trainer.checkpoint();
        await onEpoch(info);
        // A stream stops after the epoch under way even when it was the last one.
        if (interrupted && (streamed || !trainer.stopReason)) throw new Interrupted();
      },
      between: async () => {
        await yieldToEventLoop();
        if (interrupted) throw new Interrupted();
      },
    });
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
      prepared.release?.();
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
  const weighted =
    (settings.classWeights !== undefined || prepared.weights) &&
    typeof prepared.train !== 'function' &&
    encoding.target.kind === 'classes' &&
    (history.length > 0 || diverged)
      ? weightedAccuracy(net, prepared.train, prepared.weights?.train ?? null, settings.classWeights)
      : undefined;
  prepared.release?.();

  const meta: ModelMeta = {
    inputColumns: encoding.inputs.map((c) => c.column),
    targetColumns: encoding.target.kind === 'classes' ? [encoding.target.column] : encoding.target.columns,
    ...(encoding.target.kind === 'classes' ? { classes: encoding.target.classes } : {}),
    preprocessing: encoding,
    training: trainingRecord(settings, {
      data: dataFile,
      rows: prepared.trainRows,
      epochs: history.length,
      stoppedBy,
      bestEpoch,
      finalCost: history.at(-1)?.cost,
      validationSplit: prepared.validation ? prepared.validation.rows / prepared.rows : 0,
      testSplit: args.testSplit,
      sampleWeights: args.sampleWeight,
    }),
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
    weighted,
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
      layers: net.layers.map((l) => ({
        units: l.units,
        activation: l.activation,
        ...(l.dropout > 0 ? { dropout: l.dropout } : {}),
      })),
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
    ...(weighted !== undefined ? { weightedAccuracy: weighted } : {}),
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

export { BAD_INPUT };
