/**
 * A tiny scalar reverse-mode automatic differentiation, written independently of
 * the library's matrix code, as the oracle its float64 results are held to.
 * Each operation keeps its inputs and local derivatives; backward() applies the
 * chain rule in reverse topological order.
 */
import { erf } from '../../src/activations.js';

export class Value {
  grad = 0;
  constructor(
    public data: number,
    readonly parents: readonly Value[] = [],
    readonly local: readonly number[] = [],
  ) {}

  add(o: Value | number): Value {
    const b = typeof o === 'number' ? new Value(o) : o;
    return new Value(this.data + b.data, [this, b], [1, 1]);
  }
  sub(o: Value | number): Value {
    const b = typeof o === 'number' ? new Value(o) : o;
    return new Value(this.data - b.data, [this, b], [1, -1]);
  }
  mul(o: Value | number): Value {
    const b = typeof o === 'number' ? new Value(o) : o;
    return new Value(this.data * b.data, [this, b], [b.data, this.data]);
  }
  div(o: Value | number): Value {
    const b = typeof o === 'number' ? new Value(o) : o;
    return new Value(this.data / b.data, [this, b], [1 / b.data, -this.data / (b.data * b.data)]);
  }
  exp(): Value {
    const e = Math.exp(this.data);
    return new Value(e, [this], [e]);
  }
  log(): Value {
    return new Value(Math.log(this.data), [this], [1 / this.data]);
  }
  /** |x|, with derivative sign(x) and sign(0) = 0 (torch.abs's). */
  abs(): Value {
    return new Value(Math.abs(this.data), [this], [Math.sign(this.data) || 0]);
  }
  tanh(): Value {
    const t = Math.tanh(this.data);
    return new Value(t, [this], [1 - t * t]);
  }
  erf(): Value {
    return new Value(erf(this.data), [this], [(2 / Math.sqrt(Math.PI)) * Math.exp(-this.data * this.data)]);
  }

  backward(): void {
    const order: Value[] = [];
    const seen = new Set<Value>();
    const visit = (v: Value) => {
      if (seen.has(v)) return;
      seen.add(v);
      for (const p of v.parents) visit(p);
      order.push(v);
    };
    visit(this);
    this.grad = 1;
    for (let i = order.length - 1; i >= 0; i--) {
      const v = order[i];
      v.parents.forEach((p, k) => {
        p.grad += v.local[k] * v.grad;
      });
    }
  }
}

export type Act =
  | 'linear'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky-relu'
  | 'elu'
  | 'softplus'
  | 'gelu'
  | 'softmax';

/** psi of a whole layer, written from the textbook formulas. */
export function activate(act: Act, v: Value[]): Value[] {
  switch (act) {
    case 'linear':
      return v;
    case 'sigmoid':
      return v.map((x) => new Value(1).div(new Value(1).add(x.mul(-1).exp())));
    case 'tanh':
      return v.map((x) => x.tanh());
    case 'relu':
      return v.map((x) => (x.data > 0 ? x : x.mul(0)));
    case 'leaky-relu':
      return v.map((x) => (x.data > 0 ? x : x.mul(0.01)));
    case 'elu':
      return v.map((x) => (x.data > 0 ? x : x.exp().sub(1)));
    case 'softplus':
      return v.map((x) => x.exp().add(1).log());
    case 'gelu':
      return v.map((x) => x.mul(0.5).mul(x.mul(Math.SQRT1_2).erf().add(1)));
    case 'softmax': {
      const max = Math.max(...v.map((x) => x.data));
      const e = v.map((x) => x.sub(max).exp());
      const sum = e.reduce((a, b) => a.add(b));
      return e.map((x) => x.div(sum));
    }
  }
}

export type LossName = 'squared' | 'half-squared' | 'binary-cross-entropy' | 'cross-entropy';

/** L(i) of one example, summed over the outputs. */
export function exampleLoss(loss: LossName, y: Value[], d: number[]): Value {
  // cross-entropy is the default case: L = -sum_k d_k ln y_k.
  const terms = y.map((yk, k): Value => {
    switch (loss) {
      case 'squared':
        return yk.sub(d[k]).mul(yk.sub(d[k]));
      case 'half-squared':
        return yk.sub(d[k]).mul(yk.sub(d[k])).mul(0.5);
      case 'binary-cross-entropy':
        return yk
          .log()
          .mul(d[k])
          .add(
            new Value(1)
              .sub(yk)
              .log()
              .mul(1 - d[k]),
          )
          .mul(-1);
      default:
        return yk.log().mul(-d[k]);
    }
  });
  return terms.reduce((a, b) => a.add(b));
}

export interface OracleLayer {
  act: Act;
  w: number[][]; // fan-in x units
  b: number[];
}

export interface OracleStep {
  loss: number;
  v: number[][][];
  out: number[][][];
  delta: number[][][];
  gw: number[][][];
  gb: number[][];
}

/**
 * What may be added to the cost: `weights` w_i of the examples (J = scale sum_i
 * w_i L(i)), and the penalties l1 sum |w| and (l2 / 2) sum w^2 over every weight
 * and bias, whose gradients are L1's l1 sign(w) and weight decay's l2 w.
 */
export interface OracleExtras {
  weights?: number[];
  l1?: number;
  l2?: number;
}

/** J and every gradient of one step on examples X, D. */
export function oracleStep(
  layers: OracleLayer[],
  X: number[][],
  D: number[][],
  loss: LossName,
  reduction: 'mean' | 'sum',
  extras: OracleExtras = {},
): OracleStep {
  const W = layers.map((l) => l.w.map((row) => row.map((x) => new Value(x))));
  const B = layers.map((l) => l.b.map((x) => new Value(x)));
  const vs: Value[][][] = layers.map(() => []);
  const outs: Value[][][] = layers.map(() => []);
  let total: Value | null = null;
  X.forEach((x, i) => {
    let below: Value[] = x.map((xi) => new Value(xi));
    layers.forEach((l, n) => {
      const units = l.b.length;
      const v: Value[] = [];
      for (let j = 0; j < units; j++) {
        let sum = B[n][j];
        for (let m = 0; m < below.length; m++) sum = sum.add(W[n][m][j].mul(below[m]));
        v.push(sum);
      }
      vs[n][i] = v;
      below = activate(l.act, v);
      outs[n][i] = below;
    });
    const unweighted = exampleLoss(loss, below, D[i]);
    const L = extras.weights ? unweighted.mul(extras.weights[i]) : unweighted;
    total = total ? total.add(L) : L;
  });
  const data = reduction === 'mean' ? (total as unknown as Value).div(X.length) : (total as unknown as Value);
  let J = data;
  const all = [...W.flat(2), ...B.flat()];
  if (extras.l1) for (const p of all) J = J.add(p.abs().mul(extras.l1));
  if (extras.l2) for (const p of all) J = J.add(p.mul(p).mul(extras.l2 / 2));
  J.backward();
  return {
    loss: data.data,
    v: vs.map((rows) => rows.map((r) => r.map((x) => x.data))),
    out: outs.map((rows) => rows.map((r) => r.map((x) => x.data))),
    delta: vs.map((rows) => rows.map((r) => r.map((x) => -x.grad))),
    gw: W.map((m) => m.map((row) => row.map((x) => x.grad))),
    gb: B.map((row) => row.map((x) => x.grad)),
  };
}
