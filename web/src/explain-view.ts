/**
 * The explain panel: one step of backpropagation in the notes' notation, typeset
 * with KaTeX, holding the real numbers of the step trace:
 * v and psi(v), the output deltas, each hidden delta as a sum over the next
 * layer, and every gradient with its update by its layer's eta.
 *
 * @module
 */
import { activation, fusedPair, isActivationName, loss as lossRecord } from 'backprop-mlp';
import katex from 'katex';
import 'katex/dist/katex.min.css';
import { makeCheckable } from './check-by-hand.js';
import { checked, numTex, parTex, RESULT_DIGITS, roundTo } from './digits.js';
import type { ExplainPayload } from './protocol.js';
import type { Setup } from './setup.js';

/** A number for an equation: 4 significant digits, exponent form when tiny or huge. */
export function num(x: number): string {
  return numTex(x);
}

/** A factor in a product: negative numbers in parentheses. */
function par(x: number): string {
  return x < 0 || !Number.isFinite(x) ? `(${num(x)})` : num(x);
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/**
 * psi'(v) from v and out = psi(v), read from the library's activation record
 * (the one its backward pass uses); NaN for softmax, whose Jacobian is not diagonal.
 */
export function psiPrime(name: string, v: number, out: number): number {
  if (name === 'softmax' || !isActivationName(name)) return Number.NaN;
  return activation(name).derivative(v, out);
}

const MAX_NODES = 6;
const MAX_WEIGHTS = 16;
/** Terms of a hidden delta's sum printed in full (the line wraps). */
const MAX_TERMS = 8;

function tex(s: string, display = false): string {
  return katex.renderToString(s, { throwOnError: false, displayMode: display, output: 'html' });
}

function eq(s: string, data?: Record<string, string | number>): HTMLElement {
  const div = document.createElement('div');
  div.className = 'eq';
  div.innerHTML = tex(s);
  // The source, so that a test can redo the printed arithmetic.
  div.dataset.tex = s;
  if (data) for (const [k, v] of Object.entries(data)) div.dataset[k] = String(v);
  return div;
}

function section(title: string): HTMLElement {
  const s = document.createElement('section');
  const h = document.createElement('h3');
  h.textContent = title;
  s.append(h);
  return s;
}

function more(count: number, what: string): HTMLElement {
  const p = document.createElement('p');
  p.className = 'more';
  p.textContent = `… and ${count} more ${what}`;
  return p;
}

const xOut = (n: number, m: number | string): string =>
  n === 0 ? `x_{${m}}` : `x^{(${n})}_{\\text{out},${m}}`;

/**
 * Renders the trace of `payload` for example `p` (an index into the batch of
 * the step) into `host`. Every weight's equation carries data attributes
 * (`layer`, `m`, `i`, `old`, `new`) so that tests can read the numbers exactly.
 */
export function renderExplain(host: HTMLElement, payload: ExplainPayload, setup: Setup, p: number): void {
  const { trace, before, inputs, targets, learningRates } = payload;
  const N = trace.layers.length;
  const count = inputs.length;
  const s = setup.reduction === 'mean' ? 1 / count : 1;
  const sTex = setup.reduction === 'mean' && count > 1 ? `\\tfrac{1}{${count}}` : '';
  const out: HTMLElement[] = [];

  // Forward pass.
  const fwd = section(`Forward pass, example #${payload.indices[p] + 1}`);
  fwd.append(
    eq(
      `v^{(n)}_i = \\sum_m w^{(n)}_{mi}\\, x^{(n-1)}_{\\text{out},m} + b^{(n)}_i, \\qquad x^{(n)}_{\\text{out},i} = \\psi^{(n)}(v^{(n)}_i)`,
    ),
  );
  fwd.append(
    eq(`x = (${inputs[p].map(num).join(',\\ ')}),\\qquad d = (${targets[p].map(num).join(',\\ ')})`, {
      defines: inputs[p].map((_, m) => `x:0:${m}`).join(' '),
    }),
  );
  for (let n = 1; n <= N; n++) {
    const layer = trace.layers[n - 1];
    const w = before[n - 1];
    const prev = n === 1 ? inputs[p] : trace.layers[n - 2].out[p];
    const units = layer.v[p].length;
    const psi = isActivationName(w.activation) ? activation(w.activation).tex.symbol : `\\psi^{(${n})}`;
    // Under dropout, psi(v) before the mask, the mask m, and the rate p of the layer.
    const mask = layer.mask?.[p];
    const rate = setup.layers[n - 1]?.dropout ?? 0;
    if (mask) {
      fwd.append(
        eq(
          `m^{(${n})} = (${mask.join(',\\ ')}),\\quad p = ${num(rate)}:\\quad ${xOut(n, 'i')} = m_i\\, ${psi}(v^{(${n})}_i)/(1-p)`,
          { mask: mask.join(','), layer: n },
        ),
      );
    }
    for (let i = 0; i < Math.min(units, MAX_NODES); i++) {
      const v = layer.v[p][i];
      const activated = layer.activated?.[p][i] ?? layer.out[p][i];
      // psi(v) from v as printed: v gets the digits that make that line check.
      const f = w.activation === 'softmax' ? null : activation(w.activation as 'linear').psi;
      const psiLine = f ? checked([v], (o) => f(o[0]), activated) : null;
      const vDigits = psiLine?.digits ?? 4;
      // Operands w_1, x_1, w_2, x_2, ..., b.
      const ops = [...prev.flatMap((x, m) => [w.weights[m][i], x]), w.biases[i]];
      const vLine = checked(
        ops,
        (o) => sum(prev.map((_, m) => o[2 * m] * o[2 * m + 1])) + o[o.length - 1],
        v,
        vDigits,
      );
      const terms =
        prev.length <= 4
          ? `${prev.map((_, m) => `${parTex(vLine.ops[2 * m])}\\cdot ${parTex(vLine.ops[2 * m + 1])}`).join(' + ')} + ${parTex(vLine.ops[ops.length - 1])} = `
          : '';
      // Under dropout psi(v) comes first, then the mask makes x_out of it.
      const outTex = psiLine
        ? `${mask ? '' : `${xOut(n, i + 1)} = `}${psi}(${psiLine.ops[0]})`
        : `y_{${i + 1}} = \\mathrm{softmax}(v)_{${i + 1}}`;
      const vTex = `v^{(${n})}_{${i + 1}} = ${terms}${vLine.result}`;
      const masked = mask
        ? mask[i] === 0
          ? ` \\;\\Rightarrow\\; ${xOut(n, i + 1)} = 0 \\text{ (dropped, } m_{${i + 1}} = 0\\text{)}`
          : ` \\;\\Rightarrow\\; ${xOut(n, i + 1)} = ${psiLine ? psiLine.result : num(activated)} / (1-${num(rate)}) = ${num(layer.out[p][i])}`
        : '';
      const psiTex = `${outTex} = ${psiLine ? psiLine.result : num(layer.out[p][i])}${masked}`;
      // A long sum gets its own line, so that psi(v) stays in view.
      const uses = prev.map((_, m) => `x:${n - 1}:${m}`).join(' ');
      if (prev.length > 3)
        fwd.append(
          eq(vTex, { defines: `v:${n}:${i}`, uses }),
          eq(`\\quad\\Rightarrow\\; ${psiTex}`, { defines: `x:${n}:${i}`, uses: `v:${n}:${i}` }),
        );
      else
        fwd.append(eq(`${vTex} \\;\\Rightarrow\\; ${psiTex}`, { defines: `v:${n}:${i} x:${n}:${i}`, uses }));
    }
    if (units > MAX_NODES) fwd.append(more(units - MAX_NODES, `nodes in layer ${n}`));
  }
  out.push(fwd);

  // Loss and output deltas.
  const last = trace.layers[N - 1];
  const act = before[N - 1].activation;
  const lossSec = section('Cost and output deltas');
  const J =
    count === 1
      ? `L(${payload.indices[p] + 1})`
      : `${setup.reduction === 'mean' ? `\\tfrac1{${count}}` : ''}\\sum_{p} L(p)`;
  lossSec.append(eq(`L(p) = ${lossRecord(setup.loss).tex}`));
  lossSec.append(eq(`J = ${J} = ${num(trace.loss)}`));
  const record = isActivationName(act) ? activation(act) : null;
  const fused = record !== null && fusedPair(setup.loss, record.name);
  // A weighted example's loss, and so its delta, carries its weight w_p.
  const wp = trace.weights?.[p] ?? 1;
  if (trace.weights) lossSec.append(eq(`w_{${payload.indices[p] + 1}} = ${num(wp)}`, { weight: wp }));
  for (let j = 0; j < Math.min(last.delta[p].length, MAX_NODES); j++) {
    const d = targets[p][j];
    const y = last.out[p][j];
    const delta = last.delta[p][j];
    const name = `\\delta^{(${N})}_{${j + 1}}`;
    // The 1/n of a mean stays a fraction: exact, so only d, y and psi' need digits.
    const sNum = `${s === 1 ? '' : `${sTex}\\cdot `}${wp === 1 ? '' : `${num(wp)}\\cdot `}`;
    const sw = s * wp;
    const wTex = wp === 1 ? '' : `w_{${payload.indices[p] + 1}}`;
    let body: string;
    let result = num(delta);
    if (fused) {
      const c = checked([d, y], (o) => sw * (o[0] - o[1]), delta);
      body = `${name} = ${sTex}${wTex}(d_{${j + 1}} - y_{${j + 1}}) = ${sNum}(${c.ops[0]} - ${parTex(c.ops[1])})`;
      result = c.result;
    } else if ((setup.loss === 'half-squared' || setup.loss === 'squared') && act !== 'softmax') {
      const two = setup.loss === 'squared' ? 2 : 1;
      const dpsi = psiPrime(act, last.v[p][j], y);
      const c = checked([d, y, dpsi], (o) => two * sw * (o[0] - o[1]) * o[2], delta);
      body =
        `${name} = ${two === 2 ? '2' : ''}${sTex}${wTex}(d_{${j + 1}} - y_{${j + 1}})\\,\\psi'(v^{(${N})}_{${j + 1}}) = ` +
        `${two === 2 ? '2\\cdot ' : ''}${sNum}(${c.ops[0]} - ${parTex(c.ops[1])})\\cdot ${parTex(c.ops[2])}`;
      result = c.result;
    } else {
      body = `${name} = -\\frac{\\partial J}{\\partial v^{(${N})}_{${j + 1}}}`;
    }
    lossSec.append(
      eq(`${body} = ${result}`, {
        delta: delta,
        layer: N,
        i: j,
        defines: `delta:${N}:${j}`,
        uses: `v:${N}:${j} x:${N}:${j}`,
      }),
    );
  }
  if (record && !record.rowwise && !fused)
    lossSec.append(eq(`\\psi'(v) = ${record.tex.derivative} \\text{ for ${act}}`));
  out.push(lossSec);

  // Hidden deltas: the sum over the next layer.
  if (N > 1) {
    const hid = section('Hidden deltas, back through the weights');
    hid.append(eq(`\\delta^{(n)}_i = \\psi'(v^{(n)}_i) \\sum_j \\delta^{(n+1)}_j\\, w^{(n+1)}_{ij}`));
    if (trace.layers.some((l) => l.mask))
      hid.append(
        eq(
          `\\text{under dropout: } \\delta^{(n)}_i = \\psi'(v^{(n)}_i)\\, \\tfrac{m_i}{1-p} \\sum_j \\delta^{(n+1)}_j\\, w^{(n+1)}_{ij}`,
        ),
      );
    for (let n = N - 1; n >= 1; n--) {
      const layer = trace.layers[n - 1];
      const next = trace.layers[n];
      const wNext = before[n].weights;
      const a = before[n - 1].activation;
      const mask = layer.mask?.[p];
      const rate = setup.layers[n - 1]?.dropout ?? 0;
      for (let i = 0; i < Math.min(layer.delta[p].length, MAX_NODES); i++) {
        // Under dropout a kept node's psi' is scaled by m/(1-p), and a dropped node's delta is 0.
        const keep = mask ? mask[i] / (1 - rate) : 1;
        const dpsi = psiPrime(a, layer.v[p][i], layer.activated?.[p][i] ?? layer.out[p][i]) * keep;
        const dNext = next.delta[p];
        const delta = layer.delta[p][i];
        let body: string;
        if (mask && mask[i] === 0) {
          body = `0 \\quad\\text{(dropped: } m_{${i + 1}} = 0\\text{)}`;
        } else if (dNext.length <= MAX_TERMS) {
          // Operands psi', delta_1, w_i1, delta_2, w_i2, ...
          const ops = [dpsi, ...dNext.flatMap((dj, j) => [dj, wNext[i][j]])];
          const c = checked(ops, (o) => o[0] * sum(dNext.map((_, j) => o[1 + 2 * j] * o[2 + 2 * j])), delta);
          const terms = dNext.map((_, j) => `${parTex(c.ops[1 + 2 * j])}\\cdot ${parTex(c.ops[2 + 2 * j])}`);
          body = `${parTex(c.ops[0])}\\cdot[${terms.join(' + ')}] = ${c.result}`;
        } else {
          // Too many terms to print: their sum, then the product that checks.
          const total = sum(dNext.map((dj, j) => dj * wNext[i][j]));
          const c = checked([dpsi, total], (o) => o[0] * o[1], delta);
          const first = dNext.slice(0, 3).map((dj, j) => `${par(dj)}\\cdot ${par(wNext[i][j])}`);
          body = `${parTex(c.ops[0])}\\cdot[${first.join(' + ')} + \\dots] = ${parTex(c.ops[0])}\\cdot ${parTex(c.ops[1])} = ${c.result}`;
        }
        hid.append(
          eq(`\\delta^{(${n})}_{${i + 1}} = ${body}`, {
            delta: layer.delta[p][i],
            layer: n,
            i,
            defines: `delta:${n}:${i}`,
            uses: [`v:${n}:${i}`, ...dNext.map((_, j) => `delta:${n + 1}:${j}`)].join(' '),
          }),
        );
      }
      if (layer.delta[p].length > MAX_NODES)
        hid.append(more(layer.delta[p].length - MAX_NODES, `nodes in layer ${n}`));
    }
    out.push(hid);
  }

  // Gradients and updates, layer by layer.
  for (let n = N; n >= 1; n--) {
    const layer = trace.layers[n - 1];
    const w = before[n - 1];
    const eta = learningRates[n - 1];
    // A scheduled rate has many digits: the title rounds it, the update lines carry what checks.
    const sec = section(`Layer ${n}: gradients and updates, η(${n}) = ${Number(eta.toPrecision(6))}`);
    const sumP = count > 1 ? '\\sum_p ' : '';
    sec.append(
      eq(
        `\\partial J/\\partial w^{(${n})}_{mi} = -${sumP}\\delta^{(${n})}_i\\, ${xOut(n - 1, 'm')},\\quad ` +
          `\\partial J/\\partial b^{(${n})}_{i} = -${sumP}\\delta^{(${n})}_i,\\quad ` +
          `w \\leftarrow w - \\eta^{(${n})}\\, \\partial J/\\partial w`,
      ),
    );
    let shown = 0;
    let total = 0;
    const rows = w.weights.length;
    const units = w.biases.length;
    for (let i = 0; i < units; i++) {
      for (let m = 0; m <= rows; m++) {
        total++;
        const isBias = m === rows;
        const old = isBias ? w.biases[i] : w.weights[m][i];
        const g = isBias ? layer.gradBiases[i] : layer.gradWeights[m][i];
        const updated = isBias ? layer.biases[i] : layer.weights[m][i];
        const data = { layer: n, m: isBias ? 'b' : m, i, old, new: updated, grad: g };
        const why = {
          defines: `grad:${n}:${i}:${isBias ? 'b' : m}`,
          uses: isBias ? `delta:${n}:${i}` : `delta:${n}:${i} x:${n - 1}:${m}`,
          // A gradient sums over the batch; the operands shown are this example's.
          summed: count,
        };
        if (shown >= MAX_WEIGHTS) {
          const hidden = document.createElement('div');
          hidden.className = 'eq hidden-eq';
          hidden.hidden = true;
          for (const [k, v] of Object.entries(data)) hidden.dataset[k] = String(v);
          sec.append(hidden);
          continue;
        }
        shown++;
        const name = isBias ? `b^{(${n})}_{${i + 1}}` : `w^{(${n})}_{${m + 1}${i + 1}}`;
        // The new value gets the digits that show it moved (at most 10), the operands those that make it check.
        let q = RESULT_DIGITS;
        while (q < 10 && updated !== old && roundTo(updated, q) === roundTo(old, q)) q++;
        const c = checked([old, eta, g], (o) => o[0] - o[1] * o[2], updated, q);
        sec.append(
          eq(
            `\\partial J/\\partial ${name} = ${c.ops[2]},\\quad ${name} \\leftarrow ${c.ops[0]} - ${c.ops[1]}\\cdot ${parTex(c.ops[2])} = ${c.result}`,
            { ...data, ...why },
          ),
        );
      }
    }
    if (total > shown) sec.append(more(total - shown, 'weights (hover the network for them)'));
    out.push(sec);
  }
  const top = document.createElement('div');
  top.className = 'explain-top';
  top.append(...out.slice(0, N > 1 ? 3 : 2));
  const grads = document.createElement('div');
  grads.className = 'explain-grads';
  grads.append(...out.slice(N > 1 ? 3 : 2));
  host.replaceChildren(top, grads);
  makeCheckable(host);
}
