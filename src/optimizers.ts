/**
 * Optimizers: what turns the gradients dJ/dW of a step into new weights. Each
 * keeps only its state (velocities, moment estimates); the update rules
 * themselves are kernels of the backend, plain functions of weights, gradients
 * and hyperparameters. eta is per layer (eta^(n)).
 *
 * | name | update of w with gradient g = dJ/dw (+ lambda1 sign(w) with L1, + lambda w with weight decay) |
 * |---|---|
 * | `sgd` | w <- w - eta g: the notes' steepest descent, w + eta sum delta x_out |
 * | `momentum` | b <- mu b + g; w <- w - eta b |
 * | `nesterov` | b <- mu b + g; w <- w - eta (g + mu b) |
 * | `adam` | m, s moment estimates with bias correction (Kingma and Ba) |
 * | `rmsprop` | s <- rho s + (1 - rho) g^2; w <- w - eta g / (sqrt(s) + eps) |
 *
 * The formulas, defaults and the order of operations are PyTorch's, so float64
 * training matches `torch.optim` to rounding. Weight decay applies to biases
 * too, as `torch.optim` does with `weight_decay`. L1 adds lambda1 sign(w) to the
 * gradient first, with sign(0) = 0 (`torch.sign`, the subgradient PyTorch's
 * autograd gives |w| at 0), as if lambda1 sum |w| were part of J; it too
 * applies to biases.
 *
 * @module
 */
import type { Backend, Matrix } from './backend/backend.js';
import { BackpropError } from './errors.js';
import { weightGradient } from './propagation.js';
import { checkField } from './settings/check.js';
import {
  defaultLearningRate,
  FIELDS,
  type FieldOptions,
  OPTIMIZER_FIELDS,
  OPTIMIZER_NAMES,
  type OptimizerField,
  type OptimizerName,
} from './settings/fields.js';

// The names, the hyperparameters and their defaults are rows of the settings table.
export { defaultLearningRate, OPTIMIZER_NAMES, type OptimizerName };

/** Hyperparameters of the optimizers (the table's rows marked optimizer), with PyTorch's defaults. */
export type OptimizerSettings = { name: OptimizerName } & Required<Pick<FieldOptions, OptimizerField>>;

/** Default hyperparameters: each optimizer row's default. */
export const OPTIMIZER_DEFAULTS = Object.fromEntries(
  OPTIMIZER_FIELDS.map((k) => [k, FIELDS[k].default]),
) as Omit<OptimizerSettings, 'name'>;

/** Checks settings, naming the bad one. */
export function checkOptimizerSettings(s: OptimizerSettings): void {
  checkField('optimizer', FIELDS.optimizer, s.name);
  for (const k of OPTIMIZER_FIELDS) checkField(k, FIELDS[k], s[k]);
}

type SgdCall = [w: Matrix, g: Matrix, eta: number, lambda: number];
type MomentumCall = [
  w: Matrix,
  g: Matrix,
  b: Matrix,
  eta: number,
  mu: number,
  nesterov: boolean,
  lambda: number,
];
type AdamCall = [
  w: Matrix,
  g: Matrix,
  m: Matrix,
  s: Matrix,
  eta: number,
  beta1: number,
  beta2: number,
  eps: number,
  lambda: number,
];
type RmspropCall = [w: Matrix, g: Matrix, s: Matrix, eta: number, rho: number, eps: number, lambda: number];

/** The state of an optimizer over a list of parameter matrices (weights and biases of each layer). */
export class Optimizer {
  /** Updates done so far (Adam's t). */
  t = 0;
  /** First state buffer per parameter (velocity, or Adam's m, or RMSProp's s). */
  private readonly first: Matrix[] = [];
  /** Second state buffer per parameter (Adam's s). */
  private readonly second: Matrix[] = [];
  /**
   * What {@link Optimizer.step} passes each parameter's kernel, gathered by
   * {@link Optimizer.bind}: its matrices, eta and the hyperparameters. V8 boxes
   * a double on the heap (16 bytes of garbage) whenever it passes one read from
   * a typed array, an array of numbers or an object's field to a call it does
   * not inline; in an array that also holds objects it keeps each number as a
   * heap number made once, which is passed on as it is.
   */
  private readonly sgdCalls: SgdCall[] = [];
  private readonly momentumCalls: MomentumCall[] = [];
  private readonly adamCalls: AdamCall[] = [];
  private readonly rmspropCalls: RmspropCall[] = [];
  /** Each parameter and its gradient, for L1's term (bound with the calls). */
  private readonly l1Pairs: [w: Matrix, g: Matrix][] = [];

  constructor(
    readonly settings: OptimizerSettings,
    private readonly backend: Backend,
    private readonly params: readonly Matrix[],
  ) {
    checkOptimizerSettings(settings);
    const { name } = settings;
    if (name !== 'sgd') {
      for (const p of params) this.first.push(backend.matrix(p.rows, p.cols, p.dtype));
    }
    if (name === 'adam') {
      for (const p of params) this.second.push(backend.matrix(p.rows, p.cols, p.dtype));
    }
  }

  /**
   * Whether a step is plain steepest descent alone, w <- w - eta g (sgd without
   * weight decay or L1): each layer's can then be taken during backpropagation
   * ({@link Optimizer.descendLayer}), the same numbers in one pass.
   */
  get plain(): boolean {
    const s = this.settings;
    return s.name === 'sgd' && s.weightDecay === 0 && s.l1 === 0;
  }

  /**
   * Layer `n`'s part of a plain step (see {@link Optimizer.plain}) from its input
   * `x` and delta: its weights straight from them where the backend can
   * ({@link Backend.descend}), else through their gradient; its biases through
   * theirs, which backpropagation has filled. Parameters are bound layer by
   * layer, weights then biases. The caller counts the step with beginStep.
   */
  descendLayer(n: number, x: Matrix, delta: Matrix): void {
    const b = this.backend;
    const w = this.sgdCalls[2 * n];
    if (b.descend?.(x, delta, w[2], w[0]) !== true) {
      weightGradient(b, x, delta, w[1]);
      b.sgd(w[0], w[1], w[2], w[3]);
    }
    const bias = this.sgdCalls[2 * n + 1];
    b.sgd(bias[0], bias[1], bias[2], bias[3]);
  }

  /** Starts a step: Adam's t counts steps, not parameters. */
  beginStep(): void {
    this.t++;
  }

  /** Updates parameter `i` from its gradient with rate eta. */
  update(i: number, w: Matrix, g: Matrix, eta: number): void {
    const s = this.settings;
    const b = this.backend;
    if (s.l1 !== 0) b.l1(w, g, s.l1);
    switch (s.name) {
      case 'sgd':
        b.sgd(w, g, eta, s.weightDecay);
        break;
      case 'momentum':
      case 'nesterov':
        b.momentum(w, g, this.first[i], eta, s.momentum, s.name === 'nesterov', s.weightDecay);
        break;
      case 'adam':
        b.adam(w, g, this.first[i], this.second[i], eta, s.beta1, s.beta2, s.epsilon, this.t, s.weightDecay);
        break;
      case 'rmsprop':
        b.rmsprop(w, g, this.first[i], eta, s.rho, s.epsilon, s.weightDecay);
        break;
    }
  }

  /**
   * Prepares {@link Optimizer.step}: parameter i of the constructor's list is
   * to move along gradients[i] with rate rates[i].
   */
  bind(gradients: readonly Matrix[], rates: readonly number[]): void {
    const s = this.settings;
    const n = this.params.length;
    if (gradients.length !== n || rates.length !== n) {
      throw new BackpropError(
        `optimizer: ${gradients.length} gradients and ${rates.length} rates for ${n} parameters`,
      );
    }
    this.sgdCalls.length = this.momentumCalls.length = this.adamCalls.length = this.rmspropCalls.length = 0;
    this.l1Pairs.length = 0;
    for (let i = 0; i < n; i++) {
      const w = this.params[i];
      const g = gradients[i];
      if (s.l1 !== 0) this.l1Pairs.push([w, g]);
      const eta = rates[i];
      const lambda = s.weightDecay;
      switch (s.name) {
        case 'sgd':
          this.sgdCalls.push([w, g, eta, lambda]);
          break;
        case 'momentum':
        case 'nesterov':
          this.momentumCalls.push([w, g, this.first[i], eta, s.momentum, s.name === 'nesterov', lambda]);
          break;
        case 'adam':
          this.adamCalls.push([
            w,
            g,
            this.first[i],
            this.second[i],
            eta,
            s.beta1,
            s.beta2,
            s.epsilon,
            lambda,
          ]);
          break;
        case 'rmsprop':
          this.rmspropCalls.push([w, g, this.first[i], eta, s.rho, s.epsilon, lambda]);
          break;
      }
    }
  }

  /**
   * One step of every parameter given to {@link Optimizer.bind}, in order: what
   * {@link Optimizer.beginStep} and then {@link Optimizer.update} of each do.
   */
  step(): void {
    const t = ++this.t;
    const b = this.backend;
    const l1 = this.l1Pairs;
    for (let i = 0; i < l1.length; i++) b.l1(l1[i][0], l1[i][1], this.settings.l1);
    // Index loops and element reads: nothing here for V8 to allocate.
    const sgd = this.sgdCalls;
    for (let i = 0; i < sgd.length; i++) {
      const c = sgd[i];
      b.sgd(c[0], c[1], c[2], c[3]);
    }
    const momentum = this.momentumCalls;
    for (let i = 0; i < momentum.length; i++) {
      const c = momentum[i];
      b.momentum(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
    }
    const adam = this.adamCalls;
    for (let i = 0; i < adam.length; i++) {
      const c = adam[i];
      b.adam(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], t, c[8]);
    }
    const rmsprop = this.rmspropCalls;
    for (let i = 0; i < rmsprop.length; i++) {
      const c = rmsprop[i];
      b.rmsprop(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
    }
  }

  /**
   * New rates for the parameters bound by {@link Optimizer.bind} (a schedule's
   * eta^(n) for the next epoch), set in place: nothing is allocated.
   */
  setRates(rates: readonly number[]): void {
    const calls = [this.sgdCalls, this.momentumCalls, this.adamCalls, this.rmspropCalls];
    const at = [2, 3, 4, 3];
    for (let k = 0; k < calls.length; k++) {
      const list = calls[k] as unknown as number[][];
      for (let i = 0; i < list.length; i++) list[i][at[k]] = rates[i];
    }
  }

  /** The state as plain numbers, for a checkpoint. */
  getState(): { t: number; first: number[][]; second: number[][] } {
    return {
      t: this.t,
      first: this.first.map((m) => Array.from(m.data)),
      second: this.second.map((m) => Array.from(m.data)),
    };
  }

  /** Restores a state from {@link Optimizer.getState}. */
  setState(state: { t: number; first: number[][]; second: number[][] }): void {
    if (state.first.length !== this.first.length || state.second.length !== this.second.length) {
      throw new BackpropError('checkpoint: optimizer state does not match this optimizer');
    }
    this.t = state.t;
    state.first.forEach((values, i) => {
      this.first[i].data.set(values);
    });
    state.second.forEach((values, i) => {
      this.second[i].data.set(values);
    });
  }

  /** Gives the state buffers back to the backend. */
  free(): void {
    for (const m of [...this.first, ...this.second]) this.backend.free(m);
  }
}
