/**
 * Schedules of the learning rate: how eta^(n) changes from one epoch to the
 * next. Every schedule scales all layers' rates alike, so per-layer rates keep
 * their ratios (as PyTorch's schedulers do over parameter groups). A schedule
 * is stepped once per epoch, after the epoch, as `scheduler.step()` is when it
 * follows each epoch in PyTorch: epoch e (counted from 1) trains with the rate
 * the schedule gives after e - 1 steps.
 *
 * With eta_0 the rate given for a layer, and t = e - 1 the steps taken:
 *
 * | name | eta at step t | PyTorch / scikit-learn |
 * |---|---|---|
 * | `constant` | eta_0 | (no scheduler) |
 * | `step` | eta_0 gamma^floor(t / stepSize) | `StepLR(step_size, gamma=0.1)` |
 * | `exponential` | eta_0 gamma^t | `ExponentialLR(gamma)` |
 * | `invscaling` | eta_0 / (t n + 1)^power, n examples an epoch | `MLPClassifier(learning_rate='invscaling', power_t=0.5)` |
 * | `cosine` | etaMin + (eta_0 - etaMin) (1 + cos(pi t / epochs)) / 2 | `CosineAnnealingLR(T_max, eta_min=0)` |
 * | `cosine-restarts` | the same within each cycle of epochs, epochs mult, epochs mult^2, ... | `CosineAnnealingWarmRestarts(T_0, T_mult=1, eta_min=0)` |
 * | `plateau` | eta times factor after more than `patience` epochs without a relative improvement of `threshold` | `ReduceLROnPlateau(factor=0.1, patience=10, threshold=1e-4, cooldown=0, min_lr=0, eps=1e-8)` |
 *
 * A linear warm-up (`warmup` epochs, from `warmupStart` eta_0 to eta_0) may
 * precede any of them, as `SequentialLR([LinearLR(start_factor, 1, warmup),
 * scheduler], milestones=[warmup])` does: the schedule's own count starts when
 * the warm-up ends. `plateau` watches the validation cost when there is one,
 * else the training cost.
 *
 * @module
 */
import { BackpropError } from './errors.js';

/** The names of the schedules. */
export const SCHEDULE_NAMES = [
  'constant',
  'step',
  'exponential',
  'invscaling',
  'cosine',
  'cosine-restarts',
  'plateau',
] as const;

/** A schedule's name. */
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

/** A schedule of the learning rate and its parameters; omitted ones take PyTorch's defaults. */
export interface ScheduleSpec {
  name: ScheduleName;
  /** `step`: epochs between decays (PyTorch's step_size). */
  stepSize?: number;
  /** `step`, `exponential`: the factor of each decay; default 0.1 for `step`. */
  gamma?: number;
  /** `invscaling`: the power (scikit-learn's power_t); default 0.5. */
  power?: number;
  /** `cosine`: epochs to reach etaMin (T_max); `cosine-restarts`: the first cycle's length (T_0). */
  epochs?: number;
  /** `cosine-restarts`: growth of each cycle (T_mult, a whole number); default 1. */
  mult?: number;
  /** `cosine`, `cosine-restarts`: the lowest rate (eta_min); default 0. */
  etaMin?: number;
  /** `plateau`: the factor of each reduction; default 0.1. */
  factor?: number;
  /** `plateau`: epochs without improvement before a reduction; default 10. */
  patience?: number;
  /** `plateau`: relative improvement that counts; default 1e-4. */
  threshold?: number;
  /** `plateau`: epochs to wait after a reduction; default 0. */
  cooldown?: number;
  /** `plateau`: the lowest rate (min_lr); default 0. */
  minRate?: number;
  /** Epochs of linear warm-up before the schedule; default 0. */
  warmup?: number;
  /** The warm-up's first factor (LinearLR's start_factor); default 1/3. */
  warmupStart?: number;
}

/** Every field a schedule may have, for error messages. */
const FIELDS: Record<ScheduleName, readonly (keyof ScheduleSpec)[]> = {
  constant: [],
  step: ['stepSize', 'gamma'],
  exponential: ['gamma'],
  invscaling: ['power'],
  cosine: ['epochs', 'etaMin'],
  'cosine-restarts': ['epochs', 'mult', 'etaMin'],
  plateau: ['factor', 'patience', 'threshold', 'cooldown', 'minRate'],
};

/** A schedule with every parameter filled in. */
export type ResolvedSchedule = Required<Pick<ScheduleSpec, 'name' | 'warmup' | 'warmupStart'>> & ScheduleSpec;

/** The state of a running schedule, for checkpoints. */
export interface ScheduleState {
  steps: number;
  rates: number[];
  best: number;
  bad: number;
  cooldown: number;
  cycle: number;
  cycleLength: number;
}

function check(
  value: unknown,
  what: string,
  ok: (x: number) => boolean,
  expected: string,
  integer = false,
): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    !ok(value) ||
    (integer && !Number.isInteger(value))
  ) {
    throw new BackpropError(`schedule.${what}: expected ${expected}, got ${String(value)}`);
  }
  return value;
}

const positive = (x: number) => x > 0;
const nonNegative = (x: number) => x >= 0;

/** Checks a schedule and fills in PyTorch's defaults; a string is a name with the defaults. */
export function resolveSchedule(spec: ScheduleSpec | ScheduleName | undefined): ResolvedSchedule {
  const s: ScheduleSpec =
    spec === undefined ? { name: 'constant' } : typeof spec === 'string' ? { name: spec } : spec;
  if (typeof s !== 'object' || s === null)
    throw new BackpropError('schedule: expected an object such as { name: "cosine", epochs: 50 }');
  if (!(SCHEDULE_NAMES as readonly string[]).includes(s.name)) {
    throw new BackpropError(
      `schedule.name: unknown '${String(s.name)}', expected one of ${SCHEDULE_NAMES.join(', ')}`,
    );
  }
  const allowed = new Set<string>(['name', 'warmup', 'warmupStart', ...FIELDS[s.name]]);
  for (const key of Object.keys(s)) {
    if (!allowed.has(key)) {
      const fits = FIELDS[s.name].length ? FIELDS[s.name].join(', ') : 'none';
      throw new BackpropError(
        `schedule.${key}: not a parameter of '${s.name}' (its parameters: ${fits}; any schedule: warmup, warmupStart)`,
      );
    }
  }
  const r: ResolvedSchedule = {
    name: s.name,
    warmup: check(s.warmup ?? 0, 'warmup', nonNegative, 'a whole number of epochs of at least 0', true),
    warmupStart: check(s.warmupStart ?? 1 / 3, 'warmupStart', (x) => x > 0 && x <= 1, 'a factor in (0, 1]'),
  };
  switch (s.name) {
    case 'step':
      if (s.stepSize === undefined)
        throw new BackpropError('schedule.stepSize: missing; expected the epochs between decays');
      r.stepSize = check(s.stepSize, 'stepSize', positive, 'a whole number of at least 1', true);
      r.gamma = check(s.gamma ?? 0.1, 'gamma', positive, 'a number greater than 0');
      break;
    case 'exponential':
      if (s.gamma === undefined)
        throw new BackpropError('schedule.gamma: missing; expected the factor of each epoch, e.g. 0.95');
      r.gamma = check(s.gamma, 'gamma', positive, 'a number greater than 0');
      break;
    case 'invscaling':
      r.power = check(s.power ?? 0.5, 'power', nonNegative, 'a number of at least 0');
      break;
    case 'cosine':
    case 'cosine-restarts':
      if (s.epochs === undefined)
        throw new BackpropError(
          `schedule.epochs: missing; expected the length of the ${s.name === 'cosine' ? 'annealing' : 'first cycle'} in epochs`,
        );
      r.epochs = check(s.epochs, 'epochs', positive, 'a whole number of at least 1', true);
      r.etaMin = check(s.etaMin ?? 0, 'etaMin', nonNegative, 'a number of at least 0');
      if (s.name === 'cosine-restarts')
        r.mult = check(s.mult ?? 1, 'mult', (x) => x >= 1, 'a whole number of at least 1', true);
      break;
    case 'plateau':
      r.factor = check(s.factor ?? 0.1, 'factor', (x) => x > 0 && x < 1, 'a factor in (0, 1)');
      r.patience = check(s.patience ?? 10, 'patience', nonNegative, 'a whole number of at least 0', true);
      r.threshold = check(s.threshold ?? 1e-4, 'threshold', nonNegative, 'a number of at least 0');
      r.cooldown = check(s.cooldown ?? 0, 'cooldown', nonNegative, 'a whole number of at least 0', true);
      r.minRate = check(s.minRate ?? 0, 'minRate', nonNegative, 'a number of at least 0');
      break;
  }
  return r;
}

/**
 * A running schedule over the base rates eta_0^(n) of every layer. Call
 * {@link RateSchedule.step} after each epoch; {@link RateSchedule.rates} holds
 * eta^(n) for the next one.
 */
export class RateSchedule {
  readonly spec: ResolvedSchedule;
  /** eta^(n) for the next epoch, one per layer. */
  readonly rates: number[];
  private readonly base: readonly number[];
  /** The rates before the step under way, to tell whether it changed any (kept, not made per epoch). */
  private readonly before: Float64Array;
  /** Steps taken: epochs completed. */
  private steps = 0;
  // plateau: PyTorch's best, num_bad_epochs and cooldown_counter.
  private best = Number.POSITIVE_INFINITY;
  private bad = 0;
  private cooldown = 0;
  // cosine-restarts: the step at which the current cycle began, and its length (T_i).
  private cycle = 0;
  private cycleLength = 0;

  constructor(spec: ScheduleSpec | ScheduleName | undefined, base: readonly number[]) {
    this.spec = resolveSchedule(spec);
    this.base = base.slice();
    this.before = new Float64Array(base.length);
    this.cycleLength = this.spec.epochs ?? 0;
    this.rates = this.base.map((eta) => eta * this.warmupFactor(0));
  }

  /** Whether the rates never change (no schedule, no warm-up). */
  get constant(): boolean {
    return this.spec.name === 'constant' && this.spec.warmup === 0;
  }

  private warmupFactor(t: number): number {
    const { warmup, warmupStart } = this.spec;
    if (t >= warmup) return 1;
    return warmupStart + ((1 - warmupStart) * t) / warmup;
  }

  /**
   * One step after an epoch: `monitored` is the cost that epoch ended with (the
   * validation cost when there is one), `examples` the examples it used.
   * Returns whether any rate changed.
   */
  step(monitored: number, examples: number): boolean {
    const s = this.spec;
    const before = this.before;
    before.set(this.rates);
    this.steps++;
    const t = this.steps;
    if (t < s.warmup) {
      const f = this.warmupFactor(t);
      for (let n = 0; n < this.rates.length; n++) this.rates[n] = this.base[n] * f;
    } else {
      // The schedule's own step count, from the end of the warm-up.
      this.advance(t - s.warmup, monitored, examples);
    }
    for (let n = 0; n < this.rates.length; n++) if (this.rates[n] !== before[n]) return true;
    return false;
  }

  private advance(t: number, monitored: number, examples: number): void {
    const s = this.spec;
    const rates = this.rates;
    const base = this.base;
    switch (s.name) {
      case 'constant':
        for (let n = 0; n < rates.length; n++) rates[n] = base[n];
        break;
      case 'step': {
        const f = (s.gamma as number) ** Math.floor(t / (s.stepSize as number));
        for (let n = 0; n < rates.length; n++) rates[n] = base[n] * f;
        break;
      }
      case 'exponential': {
        const f = (s.gamma as number) ** t;
        for (let n = 0; n < rates.length; n++) rates[n] = base[n] * f;
        break;
      }
      case 'invscaling': {
        // scikit-learn counts the examples seen: eta_0 / (t_ + 1)^power_t after each epoch.
        const f = t === 0 ? 1 : 1 / (t * examples + 1) ** (s.power as number);
        for (let n = 0; n < rates.length; n++) rates[n] = base[n] * f;
        break;
      }
      case 'cosine':
        this.cosine(t, s.epochs as number);
        break;
      case 'cosine-restarts': {
        if (t === 0) {
          this.cycle = 0;
          this.cycleLength = s.epochs as number;
        } else if (t - this.cycle >= this.cycleLength) {
          this.cycle += this.cycleLength;
          this.cycleLength *= s.mult as number;
        }
        this.cosine(t - this.cycle, this.cycleLength);
        break;
      }
      case 'plateau':
        if (t === 0) {
          for (let n = 0; n < rates.length; n++) rates[n] = base[n];
          return;
        }
        this.plateau(monitored);
        break;
    }
  }

  private cosine(t: number, length: number): void {
    const etaMin = this.spec.etaMin as number;
    const c = (1 + Math.cos((Math.PI * t) / length)) / 2;
    for (let n = 0; n < this.rates.length; n++) this.rates[n] = etaMin + (this.base[n] - etaMin) * c;
  }

  /** ReduceLROnPlateau's step in mode 'min' with a relative threshold. */
  private plateau(monitored: number): void {
    const s = this.spec;
    if (monitored < this.best * (1 - (s.threshold as number))) {
      this.best = monitored;
      this.bad = 0;
    } else this.bad++;
    if (this.cooldown > 0) {
      this.cooldown--;
      this.bad = 0;
    }
    if (this.bad > (s.patience as number)) {
      for (let n = 0; n < this.rates.length; n++) {
        const old = this.rates[n];
        const reduced = Math.max(old * (s.factor as number), s.minRate as number);
        if (old - reduced > 1e-8) this.rates[n] = reduced;
      }
      this.cooldown = s.cooldown as number;
      this.bad = 0;
    }
  }

  /** The state, to continue exactly after a restore. */
  getState(): ScheduleState {
    return {
      steps: this.steps,
      rates: this.rates.slice(),
      best: this.best,
      bad: this.bad,
      cooldown: this.cooldown,
      cycle: this.cycle,
      cycleLength: this.cycleLength,
    };
  }

  /** Continues from {@link RateSchedule.getState}. */
  setState(state: ScheduleState): void {
    if (state.rates.length !== this.rates.length) {
      throw new BackpropError(
        `checkpoint: the schedule has ${state.rates.length} rates, the network ${this.rates.length} layers`,
      );
    }
    this.steps = state.steps;
    for (let n = 0; n < this.rates.length; n++) this.rates[n] = state.rates[n];
    // JSON writes Infinity as null.
    this.best = state.best ?? Number.POSITIVE_INFINITY;
    this.bad = state.bad;
    this.cooldown = state.cooldown;
    this.cycle = state.cycle;
    this.cycleLength = state.cycleLength;
  }
}

/**
 * Reads a schedule from its command-line form: a name, then its parameters as
 * `key=value` pairs, e.g. `cosine,epochs=50`, `step,stepSize=10,gamma=0.5`,
 * `plateau,patience=5,warmup=3`.
 */
export function parseSchedule(text: string): ResolvedSchedule {
  const [name, ...pairs] = text.split(',').map((p) => p.trim());
  const spec: Record<string, unknown> = { name };
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new BackpropError(`schedule: expected key=value after the name, got '${pair}'`);
    const value = Number(pair.slice(eq + 1));
    if (pair.slice(eq + 1).trim() === '' || !Number.isFinite(value)) {
      throw new BackpropError(
        `schedule.${pair.slice(0, eq)}: expected a number, got '${pair.slice(eq + 1)}'`,
      );
    }
    spec[pair.slice(0, eq)] = value;
  }
  return resolveSchedule(spec as unknown as ScheduleSpec);
}
