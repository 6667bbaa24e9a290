/**
 * What `train` does when the user does not say: how long it trains and when it
 * stops, and the lines that tell the user which network and which rules it chose.
 *
 * @module
 */

import type { TaskChoice } from '../../data/encoding.js';
import type { Network } from '../../network.js';
import { plural } from '../../plural.js';
import type { Mode } from '../../train/trainer.js';
import { fmt } from '../progress.js';

/** Without --epochs, the least epoch limit. */
export const AUTO_EPOCHS = 200;
/** Without --epochs, small data sets get more epochs: enough for this many updates, at most {@link AUTO_MAX_EPOCHS}. */
export const AUTO_UPDATES = 20_000;
export const AUTO_MAX_EPOCHS = 5000;
/** Without --epochs: stop after this many epochs without improvement, and keep the best weights. */
export const AUTO_PATIENCE = 10;
/** Improvement of the monitored cost that counts for the automatic patience (scikit-learn's tol). */
export const AUTO_MIN_DELTA = 1e-4;
/** Without --epochs, this fraction of the rows (seeded, stratified for classes) is held out to stop on. */
export const AUTO_VALIDATION_SPLIT = 0.1;

/**
 * Without --epochs, the L2 weight decay lambda (0 with --epochs, as in the
 * library). Measured on held-out splits of scikit-learn's data sets: squared
 * errors on noisy numeric targets overfit without a firmer pull (diabetes R^2
 * 0.26 at 0.003, 0.29 at 0.01), while 0.01 costs classes accuracy (digits 0.980
 * at 0.003, 0.973 at 0.01).
 */
export const AUTO_WEIGHT_DECAY = { classes: 0.003, numbers: 0.01 } as const;

/** The weight decay of a run: as given, else {@link AUTO_WEIGHT_DECAY} without --epochs, else 0. */
export function weightDecayOf(
  args: { epochs?: number; weightDecay?: number },
  task: keyof typeof AUTO_WEIGHT_DECAY,
): number {
  return args.weightDecay ?? (args.epochs === undefined ? AUTO_WEIGHT_DECAY[task] : 0);
}

/** The epoch limit without --epochs: 200, or enough epochs for {@link AUTO_UPDATES} updates on a small set. */
export function autoEpochs(rows: number, mode: Mode, batchSize: number): number {
  const perEpoch =
    mode === 'batch' ? 1 : mode === 'sequential' ? rows : Math.ceil(rows / Math.min(batchSize, rows));
  return Math.max(AUTO_EPOCHS, Math.min(AUTO_MAX_EPOCHS, Math.ceil(AUTO_UPDATES / perEpoch)));
}

/** The options that decide when a run stops, as the user gave them. */
export interface StoppingArgs {
  epochs?: number;
  patience?: number;
  minDelta?: number;
  tolerance?: number;
  validationSplit?: number;
  mode: Mode;
  batchSize: number;
}

/** When a run stops, with the rule in words. */
export interface Stopping {
  epochs: number;
  patience?: number;
  minDelta: number;
  rule: string;
}

/** The validation fraction: as given, else {@link AUTO_VALIDATION_SPLIT} without --epochs, else 0. */
export function validationSplitOf(args: StoppingArgs): number {
  return args.validationSplit ?? (args.epochs === undefined ? AUTO_VALIDATION_SPLIT : 0);
}

/**
 * Without --epochs: early stopping (patience {@link AUTO_PATIENCE}, best weights
 * restored) on the validation cost, or the training cost without a validation
 * split, up to {@link autoEpochs}. With --epochs n: exactly n epochs unless
 * --patience or --tolerance is given.
 */
export function stoppingRule(args: StoppingArgs, trainRows: number, validationRows: number): Stopping {
  const auto = args.epochs === undefined;
  const epochs = args.epochs ?? autoEpochs(trainRows, args.mode, args.batchSize);
  const patience = args.patience ?? (auto ? AUTO_PATIENCE : undefined);
  const minDelta = args.minDelta ?? (auto ? AUTO_MIN_DELTA : 0);
  const watched = validationRows > 0 ? `validation cost (${validationRows} rows held out)` : 'training cost';
  const parts: string[] = [];
  if (patience !== undefined) {
    parts.push(
      `after ${patience} epochs without an improvement of ${minDelta} in the ${watched}, best weights restored`,
    );
  }
  if (args.tolerance !== undefined) parts.push(`when the ${watched} is at or below ${fmt(args.tolerance)}`);
  let rule: string;
  if (!auto && parts.length === 0) rule = `exactly ${epochs} epochs (--epochs)`;
  else if (auto) {
    rule =
      `no --epochs, so early stopping ${parts.join(', or ')}; at most ${epochs} epochs ` +
      `(enough for ${AUTO_UPDATES} updates, between ${AUTO_EPOCHS} and ${AUTO_MAX_EPOCHS})`;
  } else rule = `at most ${epochs} epochs (--epochs), or ${parts.join(', or ')}`;
  return { epochs, patience, minDelta, rule: `stopping: ${rule}` };
}

/** The network as trained: its layers and activations, e.g. `4-100-3 (4 inputs, hidden 100 relu, softmax output)`. */
export function describeNetwork(net: Network): string {
  const hidden = net.layers
    .slice(0, -1)
    .map((l) => `${l.units} ${l.activation}${l.dropout > 0 ? ` dropout ${l.dropout}` : ''}`);
  return (
    `${[net.inputs, ...net.layers.map((l) => l.units)].join('-')} (${plural(net.inputs, 'input')}, ` +
    `${hidden.length > 0 ? `hidden ${hidden.join(', ')}` : 'no hidden layer'}, ${net.outputActivation} output)`
  );
}

/** The line that says whether the target holds classes or numbers, and why. */
export function taskLine(columns: readonly string[], choice: TaskChoice): string {
  const other = choice.kind === 'classes' ? 'numbers' : 'classes';
  return (
    `target ${columns.map((c) => `'${c}'`).join(', ')}: ${choice.kind}, as ${choice.reason}` +
    `${choice.reason.startsWith('--task') ? '' : ` (--task ${other} overrides)`}`
  );
}
