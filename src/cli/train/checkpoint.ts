/**
 * The checkpoint file of `backprop train`: everything needed to continue a run exactly.
 *
 * @module
 */

import type { Network } from '../../network.js';
import type { TrainerCheckpoint } from '../../train/trainer.js';
import { CliError } from '../errors.js';
import type { TrainArgs } from '../train.js';

/** The checkpoint file: everything needed to continue a run exactly. */
export interface CheckpointFile {
  format: 'backprop-train-checkpoint';
  version: 1;
  data: { file: string; rows: number };
  settings: Omit<TrainArgs, 'out' | 'report' | 'json' | 'quiet' | 'resume' | 'checkpoint' | 'init'>;
  model: ReturnType<Network['toJSON']>;
  trainer: TrainerCheckpoint;
}

/** The settings a checkpoint keeps: every option but where output goes. */
export function stripOutputs(args: TrainArgs): CheckpointFile['settings'] {
  const { out: _o, report: _r, json: _j, quiet: _q, resume: _re, checkpoint: _c, init: _i, ...rest } = args;
  return rest;
}

/** Checks a parsed checkpoint file's shape. */
export function readCheckpoint(json: unknown, path: string): CheckpointFile {
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
