/**
 * Training by the autograd oracle: epochs of steps in file order (no
 * shuffling), each step's gradients from {@link oracleStep} (with example
 * weights and the L1 and L2 penalties in the cost), and the optimizers written
 * out from PyTorch's documentation on plain arrays. The rate of each epoch
 * comes from `etaOf`, so a schedule is the caller's own formula.
 */
import type { Network } from '../../src/index.js';
import { type LossName, type OracleLayer, oracleStep } from './autograd.js';

export type OracleOptimizer = 'sgd' | 'momentum' | 'nesterov' | 'adam' | 'rmsprop';

export interface OracleTraining {
  loss: LossName;
  reduction: 'mean' | 'sum';
  /** Examples per step. */
  batch: number;
  epochs: number;
  /** eta^(n) of epoch e (from 0), given the costs of the epochs before it. */
  etaOf: (e: number, costs: readonly number[]) => readonly number[];
  optimizer: OracleOptimizer;
  /** w_i of each example. */
  weights?: number[];
  l1?: number;
  l2?: number;
}

/** Trains `layers` in place; returns each epoch's cost (the losses at the moment each example was used). */
export function oracleTrain(
  layers: OracleLayer[],
  X: number[][],
  D: number[][],
  o: OracleTraining,
): { costs: number[]; rates: (readonly number[])[] } {
  const params = () => layers.flatMap((l) => [l.w, [l.b]]);
  const zeros = () => params().map((p) => p.map((r) => r.map(() => 0)));
  const m1 = zeros();
  const m2 = zeros();
  let t = 0;
  const costs: number[] = [];
  const rates: (readonly number[])[] = [];
  for (let e = 0; e < o.epochs; e++) {
    const etas = o.etaOf(e, costs);
    rates.push(etas);
    let total = 0;
    for (let start = 0; start < X.length; start += o.batch) {
      const xb = X.slice(start, start + o.batch);
      const db = D.slice(start, start + o.batch);
      const weights = o.weights?.slice(start, start + o.batch);
      const step = oracleStep(layers, xb, db, o.loss, o.reduction, { weights, l1: o.l1, l2: o.l2 });
      total += o.reduction === 'mean' ? step.loss * xb.length : step.loss;
      t++;
      const grads = layers.flatMap((_, n) => [step.gw[n], [step.gb[n]]]);
      params().forEach((p, k) => {
        const eta = etas[k >> 1];
        p.forEach((row, r) => {
          row.forEach((w, c) => {
            const g = grads[k][r][c];
            let next = w;
            switch (o.optimizer) {
              case 'sgd':
                next = w - eta * g;
                break;
              case 'momentum':
              case 'nesterov':
                m1[k][r][c] = t === 1 ? g : 0.9 * m1[k][r][c] + g;
                next = w - eta * (o.optimizer === 'nesterov' ? g + 0.9 * m1[k][r][c] : m1[k][r][c]);
                break;
              case 'adam': {
                m1[k][r][c] = 0.9 * m1[k][r][c] + 0.1 * g;
                m2[k][r][c] = 0.999 * m2[k][r][c] + 0.001 * g * g;
                const mHat = m1[k][r][c] / (1 - 0.9 ** t);
                const vHat = m2[k][r][c] / (1 - 0.999 ** t);
                next = w - (eta * mHat) / (Math.sqrt(vHat) + 1e-8);
                break;
              }
              case 'rmsprop':
                m1[k][r][c] = 0.99 * m1[k][r][c] + 0.01 * g * g;
                next = w - (eta * g) / (Math.sqrt(m1[k][r][c]) + 1e-8);
                break;
            }
            row[c] = next;
          });
        });
      });
    }
    costs.push(o.reduction === 'mean' ? total / X.length : total);
  }
  return { costs, rates };
}

/** Whether every number of `actual` is within `tol` (relative, floor 1) of `expected`; the first miss otherwise. */
export function firstMiss(actual: number[], expected: number[], tol = 1e-9): string | null {
  if (actual.length !== expected.length) return `${actual.length} numbers for ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= tol)) return `[${i}]: ${actual[i]} vs oracle ${expected[i]} (relative error ${err})`;
  }
  return null;
}

/** The oracle's copy of a network's layers (its weights as plain arrays). */
export function toOracle(net: Network): OracleLayer[] {
  return net.getWeights().map((l, n) => ({
    act: net.layers[n].activation as OracleLayer['act'],
    w: l.weights,
    b: l.biases,
  }));
}

/** Every weight and bias of a network, then of the oracle's layers, in the same order. */
export function paramsOf(net: Network): number[] {
  return net.getWeights().flatMap((l) => [...l.weights.flat(), ...l.biases]);
}
export function oracleParams(layers: OracleLayer[]): number[] {
  return layers.flatMap((l) => [...l.w.flat(), ...l.b]);
}
