/**
 * The activation functions psi, their derivatives and the per-element losses
 * as plain named functions. The records of activations.ts and losses.ts hold
 * these, and the plain backend's loops call them by name, one loop per
 * function: V8 inlines a call whose target it knows, while a call through a
 * variable (`act.psi(v)`, psi differing from layer to layer) stays a call, and
 * a call that returns a double boxes it on the heap, 16 bytes of garbage an
 * element.
 *
 * @module
 */
import { exp, expm1, log, log1p } from './math.js';

/** The slope of leaky-relu for v <= 0. */
export const LEAKY_RELU_SLOPE = 0.01;

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** The standard logistic function, computed so that it never overflows. */
export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + exp(-v));
  const e = exp(v);
  return e / (1 + e);
}

/** log(1 + e^v) without overflow or loss of precision. */
export function softplus(v: number): number {
  return Math.max(v, 0) + log1p(exp(-Math.abs(v)));
}

/**
 * The error function to about 1e-16, for the exact (not tanh-approximated)
 * GELU that PyTorch's `nn.GELU()` computes. Uses the series
 * erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)),
 * whose terms are all positive, so no precision is lost to cancellation.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  let term = ax;
  let sum = ax;
  const x2 = 2 * ax * ax;
  for (let n = 1; n < 200; n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * exp(-ax * ax) * sum;
}

// psi(v) and psi'(v, out) of each element-wise activation (softmax works on rows).

export function linear(v: number): number {
  return v;
}

export function linearDerivative(): number {
  return 1;
}

export function sigmoidDerivative(_v: number, out: number): number {
  return out * (1 - out);
}

export function tanhDerivative(_v: number, out: number): number {
  return 1 - out * out;
}

export function relu(v: number): number {
  return v > 0 ? v : 0;
}

/** PyTorch's convention: the derivative at 0 is 0. */
export function reluDerivative(v: number): number {
  return v > 0 ? 1 : 0;
}

export function leakyRelu(v: number): number {
  return v > 0 ? v : LEAKY_RELU_SLOPE * v;
}

export function leakyReluDerivative(v: number): number {
  return v > 0 ? 1 : LEAKY_RELU_SLOPE;
}

export function elu(v: number): number {
  return v > 0 ? v : expm1(v);
}

export function eluDerivative(v: number): number {
  return v > 0 ? 1 : exp(v);
}

export function softplusDerivative(v: number): number {
  return sigmoid(v);
}

export function gelu(v: number): number {
  return 0.5 * v * (1 + erf(v * SQRT1_2));
}

export function geluDerivative(v: number): number {
  return 0.5 * (1 + erf(v * SQRT1_2)) + v * INV_SQRT_2PI * exp(-0.5 * v * v);
}

// The contribution of output k to L(i), given d_k and y_k, and dL/dy_k, of each loss.

export function squaredValue(d: number, y: number): number {
  return (d - y) * (d - y);
}

export function squaredGradient(d: number, y: number): number {
  return -2 * (d - y);
}

export function halfSquaredValue(d: number, y: number): number {
  return 0.5 * (d - y) * (d - y);
}

export function halfSquaredGradient(d: number, y: number): number {
  return -(d - y);
}

export function binaryCrossEntropyValue(d: number, y: number): number {
  return -(d * log(y) + (1 - d) * log(1 - y));
}

export function binaryCrossEntropyGradient(d: number, y: number): number {
  return -(d / y) + (1 - d) / (1 - y);
}

export function crossEntropyValue(d: number, y: number): number {
  return d === 0 ? 0 : -d * log(y);
}

export function crossEntropyGradient(d: number, y: number): number {
  return d === 0 ? 0 : -d / y;
}
