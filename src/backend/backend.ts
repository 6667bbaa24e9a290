/**
 * The numeric core's one interface. Layers, losses, optimizers and the training
 * loop call only these kernels, and allocate every matrix through them, so that a
 * backend may keep matrices in its own memory (a WebAssembly linear memory) and no
 * data is copied per call.
 *
 * Conventions: matrices are row-major; a layer's `weights` are fan-in x units
 * (the notes' w^(n)_mi is `weights[m][i]`); biases are a 1 x units matrix; a batch
 * of examples has one row per example.
 *
 * @module
 */

/** Element type of a matrix. `float32` is the fast default; `float64` is for checking against an oracle. */
export type DType = 'float32' | 'float64';

/** The dtype of a network made without one. */
export const DEFAULT_DTYPE: DType = 'float32';

/** Every dtype name. */
export const DTYPES: readonly DType[] = ['float32', 'float64'];

/** A typed array of either float type. */
export type FloatArray = Float32Array | Float64Array;

/** A row-major matrix whose storage belongs to a backend. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly dtype: DType;
  /**
   * A view of the storage, `rows * cols` long. Read it again after any allocation
   * on the same backend rather than keeping it: a WebAssembly memory that grows
   * detaches old views.
   */
  readonly data: FloatArray;
}

/** Names of the activation functions psi that kernels know. */
export type ActivationName =
  | 'linear'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky-relu'
  | 'elu'
  | 'softplus'
  | 'gelu'
  | 'softmax';

/** Names of the per-example losses L(i) (docs/design.md, "Losses and cost"). */
export type LossName = 'squared' | 'half-squared' | 'binary-cross-entropy' | 'cross-entropy';

/**
 * The kernels. Every method works in place on matrices the same backend
 * allocated; none allocates unless its name says so.
 */
export interface Backend {
  /** A short name for messages and benchmarks, e.g. `js` or `wasm-simd`. */
  readonly name: string;

  /** A zero-filled rows x cols matrix. */
  matrix(rows: number, cols: number, dtype: DType): Matrix;
  /** Gives the storage of `m` back; `m` must not be used afterwards. */
  free(m: Matrix): void;
  /**
   * A rows x cols matrix over the first rows * cols numbers of `m`'s storage,
   * shared, not copied: data read in place as another shape (a file's numbers
   * read into a matrix, then its rows encoded over themselves). Valid while `m`
   * is; freeing it does nothing (free `m`).
   */
  view?(m: Matrix, rows: number, cols: number): Matrix;
  /** The index (row-major) of the first number of `m` that is NaN or infinite, or -1. */
  firstNonFinite?(m: Matrix): number;

  /** dst <- src (same shape). */
  copy(src: Matrix, dst: Matrix): void;
  /** Every element of `m` <- value. */
  fill(m: Matrix, value: number): void;
  /**
   * Rows `indices[start .. start+count-1]` of `src`, in that order, into rows
   * 0..count-1 of `dst` (how a shuffled minibatch is gathered without allocating).
   */
  gatherRows(src: Matrix, indices: Uint32Array, start: number, count: number, dst: Matrix): void;

  /**
   * General matrix product C <- alpha op(A) op(B) + beta C, where op(X) is X or
   * its transpose. With beta = 0 the old contents of C are ignored (even NaN).
   * The three products of backpropagation are V = X W, dJ/dW = -X^T delta and the
   * upstream gradient delta W^T.
   */
  gemm(transA: boolean, transB: boolean, alpha: number, a: Matrix, b: Matrix, beta: number, c: Matrix): void;

  /**
   * The forward pass of one layer after its product: v <- v + 1 b^T (the bias
   * of each node added to every row), then out <- psi(v) row by row.
   */
  biasActivate(activation: ActivationName, v: Matrix, biases: Matrix, out: Matrix): void;

  /**
   * delta <- psi'(v) * upstream, element by element, or for softmax the
   * Jacobian product J^T upstream of each row. `upstream` is -dJ/d(out) and
   * `delta` becomes -dJ/dv. `delta` may be the same matrix as `upstream`.
   */
  activationBackward(
    activation: ActivationName,
    v: Matrix,
    out: Matrix,
    upstream: Matrix,
    delta: Matrix,
  ): void;

  /**
   * The sum over rows of the loss L(i) of each example, from the output layer's
   * v and out against the targets d. Sigmoid + binary cross-entropy and softmax +
   * cross-entropy are computed from v (log-sum-exp), so they stay finite.
   * With `weights` (one per row, w_i), the sum is sum_i w_i L(i).
   */
  lossSum(
    loss: LossName,
    activation: ActivationName,
    v: Matrix,
    out: Matrix,
    targets: Matrix,
    weights?: ArrayLike<number> | null,
  ): number;
  /**
   * {@link Backend.lossSum} into `sum[0]` instead of returned, for the training
   * loop (optional; it falls back on lossSum): V8 boxes a double returned from a
   * call that it does not inline on the heap, 16 bytes of garbage a step.
   */
  lossSumInto?(
    loss: LossName,
    activation: ActivationName,
    v: Matrix,
    out: Matrix,
    targets: Matrix,
    sum: Float64Array,
    weights?: ArrayLike<number> | null,
  ): void;

  /**
   * The output layer's local gradient delta = -dJ/dv for J = scale * sum_i L(i)
   * (scale is 1/n for a mean, 1 for a sum). Fused for sigmoid + binary
   * cross-entropy and softmax + cross-entropy (delta = scale (d - y)); otherwise
   * dL/d(out) followed by {@link Backend.activationBackward}. With `weights`
   * (one per row), J = scale * sum_i w_i L(i): row i's delta carries w_i.
   */
  lossDelta(
    loss: LossName,
    activation: ActivationName,
    v: Matrix,
    out: Matrix,
    targets: Matrix,
    scale: number,
    delta: Matrix,
    weights?: ArrayLike<number> | null,
  ): void;

  /** out <- alpha * (sum of the rows of a) + beta * out; `out` is 1 x a.cols (dJ/db from delta). */
  sumRows(alpha: number, a: Matrix, beta: number, out: Matrix): void;

  /**
   * Plain steepest descent on a layer's weights straight from backpropagation:
   * w <- w + eta x^T delta, without the gradient dJ/dw = -x^T delta in between
   * (one pass over the weights instead of three). Optional, and only where the
   * result is to the bit what that gradient's product followed by
   * {@link Backend.sgd} with lambda 0 gives; elsewhere it returns false and does nothing.
   */
  descend?(x: Matrix, delta: Matrix, eta: number, w: Matrix): boolean;

  /** L1's subgradient added to a gradient: g <- g + lambda1 sign(w), with sign(0) = 0 (`torch.sign`). */
  l1(w: Matrix, g: Matrix, lambda1: number): void;
  /** Plain steepest descent: w <- w - eta (g + lambda w). */
  sgd(w: Matrix, g: Matrix, eta: number, lambda: number): void;
  /**
   * Heavy-ball momentum as PyTorch computes it: g' = g + lambda w,
   * b <- mu b + g', then w <- w - eta b, or with Nesterov w <- w - eta (g' + mu b).
   */
  momentum(w: Matrix, g: Matrix, b: Matrix, eta: number, mu: number, nesterov: boolean, lambda: number): void;
  /**
   * Adam as PyTorch computes it, at step t >= 1: g' = g + lambda w,
   * m <- beta1 m + (1 - beta1) g', s <- beta2 s + (1 - beta2) g'^2,
   * w <- w - (eta / (1 - beta1^t)) m / (sqrt(s) / sqrt(1 - beta2^t) + eps).
   */
  adam(
    w: Matrix,
    g: Matrix,
    m: Matrix,
    s: Matrix,
    eta: number,
    beta1: number,
    beta2: number,
    eps: number,
    t: number,
    lambda: number,
  ): void;
  /** RMSProp as PyTorch computes it: g' = g + lambda w, s <- rho s + (1 - rho) g'^2, w <- w - eta g' / (sqrt(s) + eps). */
  rmsprop(w: Matrix, g: Matrix, s: Matrix, eta: number, rho: number, eps: number, lambda: number): void;
}
