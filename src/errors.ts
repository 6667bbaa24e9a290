/**
 * Errors the library throws. Each message says what was wrong and where, in one
 * line, so that the command line can print it as it is.
 *
 * @module
 */

/** A bad argument to a library function: wrong shape, a rate of zero, an unknown name. */
export class BackpropError extends Error {
  override name = 'BackpropError';
}

/** A model file that does not follow format v1; the message names the field. */
export class ModelFormatError extends BackpropError {
  override name = 'ModelFormatError';
  constructor(
    /** Path of the offending field, e.g. `layers[1].weights[2][0]`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Training whose cost became NaN or infinite; the network keeps the last finite weights. */
export class DivergenceError extends BackpropError {
  override name = 'DivergenceError';
  constructor(
    /** The 1-based epoch whose cost was not finite. */
    readonly epoch: number,
    /** The cost that was not finite. */
    readonly cost: number,
    /** What happened in the epochs before, for a caller that wants to show it. */
    readonly history: unknown,
  ) {
    super(
      `training diverged at epoch ${epoch}: the cost became ${cost}; ` +
        `the weights are those after epoch ${epoch - 1}. Try a smaller learning rate.`,
    );
  }
}

/** Throws a {@link BackpropError} with `message` unless `condition` holds. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new BackpropError(message);
}
