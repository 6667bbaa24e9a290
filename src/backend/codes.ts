/**
 * The integer codes by which the AssemblyScript modules (assembly/index.ts and
 * assembly/small.ts) name activations and losses. This is the one list:
 * scripts/build-wasm.mjs writes it, with the fused pairs of the loss records,
 * into assembly/codes.generated.ts before it compiles the modules.
 *
 * @module
 */
import type { ActivationName, LossName } from './backend.js';

/** The code of each activation. */
export const ACTIVATION_CODES: Readonly<Record<ActivationName, number>> = {
  linear: 0,
  sigmoid: 1,
  tanh: 2,
  relu: 3,
  'leaky-relu': 4,
  elu: 5,
  softplus: 6,
  gelu: 7,
  softmax: 8,
};

/** The code of each loss. */
export const LOSS_CODES: Readonly<Record<LossName, number>> = {
  squared: 0,
  'half-squared': 1,
  'binary-cross-entropy': 2,
  'cross-entropy': 3,
};

/** The code of activation `name`. */
export function activationCode(name: ActivationName): number {
  const code = Object.hasOwn(ACTIVATION_CODES, name) ? ACTIVATION_CODES[name] : undefined;
  if (code === undefined) throw new Error(`unknown activation '${String(name)}'`);
  return code;
}

/** The code of loss `name`. */
export function lossCode(name: LossName): number {
  const code = Object.hasOwn(LOSS_CODES, name) ? LOSS_CODES[name] : undefined;
  if (code === undefined) throw new Error(`unknown loss '${String(name)}'`);
  return code;
}
