/**
 * The stopping rules, checked after every epoch on the monitored cost (the
 * validation cost if there are validation examples, else the training cost):
 * - tolerance: stop once the cost is at or below `tolerance`;
 * - patience: stop after `patience` epochs without an improvement of at least
 *   `minDelta` on the best cost, and put the best epoch's weights back;
 * - the epoch limit `epochs` (the best weights put back here too, with patience).
 *
 * @module
 */
import type { Backend, Matrix } from '../backend/backend.js';
import type { ResolvedSettings } from '../settings.js';

/** Why training stopped. */
export type StopReason = 'epochs' | 'tolerance' | 'patience' | 'abort' | 'callback';

/** What patience has seen so far, as the checkpoint keeps it (the weights as matrices here). */
export interface BestSoFar {
  cost: number;
  epoch: number;
  since: number;
  weights: Matrix[] | null;
}

/** The rules of one training run, and the best weights patience keeps. */
export class StoppingRules {
  /** The epoch whose weights were the best so far (with patience). */
  bestEpoch = 0;
  private bestCost = Number.POSITIVE_INFINITY;
  private sinceBest = 0;
  private best: Matrix[] | null = null;

  /** `params` are the network's weights and biases, which the best are copied from and back into. */
  constructor(
    private readonly settings: ResolvedSettings,
    private readonly backend: Backend,
    private readonly params: readonly Matrix[],
  ) {}

  /** Which rule fires after `epoch`, whose monitored cost is `monitored`, or null if none does. */
  after(epoch: number, monitored: number): StopReason | null {
    const { settings } = this;
    if (settings.patience !== undefined) {
      if (monitored < this.bestCost - settings.minDelta || this.best === null) {
        this.bestCost = monitored;
        this.bestEpoch = epoch;
        this.sinceBest = 0;
        const best = this.bestWeights();
        for (let i = 0; i < this.params.length; i++) this.backend.copy(this.params[i], best[i]);
      } else this.sinceBest++;
    }
    let reason: StopReason | null = null;
    if (settings.tolerance !== undefined && monitored <= settings.tolerance) reason = 'tolerance';
    else if (settings.patience !== undefined && this.sinceBest >= settings.patience) reason = 'patience';
    else if (epoch >= settings.epochs) reason = 'epochs';
    if (reason === 'patience' || (reason === 'epochs' && this.best)) this.restoreBest();
    return reason;
  }

  /** Puts the best weights seen (with patience) back into the network. */
  restoreBest(): void {
    if (!this.best) return;
    for (let i = 0; i < this.params.length; i++) this.backend.copy(this.best[i], this.params[i]);
  }

  /** The state patience keeps, for a checkpoint. */
  state(): BestSoFar {
    return { cost: this.bestCost, epoch: this.bestEpoch, since: this.sinceBest, weights: this.best };
  }

  /** Takes up the state of a checkpoint; `weights` fills the best weights (given when there are any). */
  setState(cost: number | null, epoch: number, since: number, weights?: (into: Matrix[]) => void): void {
    // JSON has no Infinity: a checkpoint made before any epoch holds null.
    this.bestCost = cost ?? Number.POSITIVE_INFINITY;
    this.bestEpoch = epoch;
    this.sinceBest = since;
    if (weights) weights(this.bestWeights());
  }

  private bestWeights(): Matrix[] {
    this.best ??= this.params.map((p) => this.backend.matrix(p.rows, p.cols, p.dtype));
    return this.best;
  }

  /** Gives the best weights' matrices back to the backend. */
  free(): void {
    for (const m of this.best ?? []) this.backend.free(m);
  }
}
