/**
 * The step trace of {@link explain} as a worked example for a handout: the
 * forward pass, the cost, the output and hidden deltas, the gradients and the
 * updated weights, each as the notes write it and with its numbers, in LaTeX
 * (amsmath `align*` blocks, to paste into a document) or Markdown (display
 * maths in fenced `math` blocks, as GitHub and GitLab render them; a fence
 * keeps backslashes and underscores away from the Markdown parser).
 *
 * @module
 */
import { activation as activationRecord } from './activations.js';
import { type MatrixInput, toMatrix, toRows } from './data/tensor.js';
import { type ExplainOptions, explain, type StepTrace } from './explain.js';
import { fusedPair, loss as lossRecord, resolveLoss } from './losses.js';
import type { Network } from './network.js';

/** The formats of {@link formatExplainAs}. */
export type ExplainFormat = 'latex' | 'markdown';

/** Every format name. */
export const EXPLAIN_FORMATS: readonly ExplainFormat[] = ['latex', 'markdown'];

/** One part of the worked example: a heading, a sentence, and lines of display maths. */
interface Section {
  title: string;
  text: string;
  maths: string[];
}

/** A number in TeX with `digits` significant digits: 1.5, -0.25, 3.2 \times 10^{-7}. */
function tex(x: number, digits: number): string {
  if (x === 0) return '0';
  const s = Number(x.toPrecision(digits)).toString();
  const [mantissa, exponent] = s.split('e');
  return exponent === undefined ? s : `${mantissa} \\times 10^{${Number(exponent)}}`;
}

/** As {@link tex}, in parentheses when negative (a factor in a product or a term after a sign). */
function factor(x: number, digits: number): string {
  const s = tex(x, digits);
  return x < 0 ? `(${s})` : s;
}

const w = (n: number, m: number | string, i: number | string) => `w^{(${n})}_{${m},${i}}`;
const v = (n: number, i: number | string) => `v^{(${n})}_{${i}}`;
const out = (n: number, i: number | string) => (n === 0 ? `x_{${i}}` : `x^{(${n})}_{\\mathrm{out},${i}}`);
const delta = (n: number, i: number | string) => `\\delta^{(${n})}_{${i}}`;

/** The sections of the worked example, maths in TeX. */
function sections(
  net: Network,
  X: number[][],
  D: number[][],
  options: ExplainOptions,
  trace: StepTrace,
  digits: number,
): Section[] {
  const f = (x: number) => tex(x, digits);
  const p = (x: number) => factor(x, digits);
  const { loss, reduction } = resolveLoss(options.loss, options.reduction);
  const rates = net.layers.map((_, n) =>
    typeof options.learningRate === 'number' ? options.learningRate : options.learningRate[n],
  );
  const rows = X.length;
  const N = net.layers.length;
  const mean = reduction === 'mean';
  const scaleOf = mean ? `\\tfrac{1}{${rows}}` : '';
  const result: Section[] = [];

  const forward: string[] = [];
  for (let k = 0; k < rows; k++) {
    forward.push(
      `&\\text{example ${k + 1}: } x = (${X[k].map(f).join(', ')}),\\ d = (${D[k].map(f).join(', ')})${trace.weights ? `,\\ w_{${k + 1}} = ${f(trace.weights[k])}` : ''}`,
    );
    net.layers.forEach((layer, li) => {
      const n = li + 1;
      const lt = trace.layers[li];
      const W = layer.weights.data;
      const B = layer.biases.data;
      const below = li === 0 ? X[k] : trace.layers[li - 1].out[k];
      const act = activationRecord(layer.activation);
      const mask = lt.mask?.[k];
      if (mask) {
        forward.push(
          `m^{(${n})} &= (${mask.join(', ')}) \\quad (\\text{dropout mask}, p = ${f(layer.dropout)}, 0 = \\text{dropped})`,
        );
      }
      for (let i = 0; i < layer.units; i++) {
        const terms = below.map((x, m) => `${p(W[m * layer.units + i])} \\cdot ${p(x)}`).join(' + ');
        forward.push(
          `${v(n, i + 1)} &= ${w(n, 0, i + 1)} + \\sum_m ${w(n, 'm', i + 1)}\\, ${out(n - 1, 'm')} = ${f(B[i])} + ${terms} = ${f(lt.v[k][i])}`,
        );
        const psi = lt.activated?.[k][i];
        forward.push(
          mask && psi !== undefined
            ? `${out(n, i + 1)} &= \\frac{m_{${i + 1}}\\, \\psi^{(${n})}(${v(n, i + 1)})}{1-p} = \\frac{${mask[i]} \\cdot ${p(psi)}}{${f(1 - layer.dropout)}} = ${f(lt.out[k][i])} \\quad (\\psi(v) = ${act.tex.psi})`
            : `${out(n, i + 1)} &= \\psi^{(${n})}(${v(n, i + 1)}) = ${f(lt.out[k][i])} \\quad (\\psi(v) = ${act.tex.psi})`,
        );
      }
    });
  }
  result.push({
    title: 'Forward pass',
    text: 'Each node sums its weighted inputs and applies its activation.',
    maths: forward,
  });

  const record = lossRecord(loss);
  result.push({
    title: 'Cost',
    text: `Loss ${loss}, reduction ${reduction}.`,
    maths: [
      `L(i) &= ${record.tex}`,
      `J &= ${mean ? '\\frac{1}{n}' : ''}\\sum_{i=1}^{n} ${trace.weights ? 'w_i\\, ' : ''}L(i) = ${f(trace.loss)}`,
    ],
  });

  const output = net.layers[N - 1];
  const fused = fusedPair(loss, output.activation);
  const outputDeltas: string[] = [];
  const hiddenDeltas: string[] = [];
  for (let k = 0; k < rows; k++) {
    const lt = trace.layers[N - 1];
    // A weighted example's delta carries its weight w_k beside the reduction's scale.
    const scale = trace.weights ? `${scaleOf}w_{${k + 1}}\\, ` : scaleOf;
    for (let j = 0; j < output.units; j++) {
      const d = D[k][j];
      const y = lt.out[k][j];
      let formula: string;
      if (fused) formula = `${scale}(d_{${j + 1}} - y_{${j + 1}}) = ${scale}(${f(d)} - ${p(y)})`;
      else if (output.activation === 'softmax')
        formula = `${scale}\\sum_k \\left(-\\frac{\\partial L}{\\partial y_k}\\right) \\frac{\\partial y_k}{\\partial ${v(N, j + 1)}}`;
      else {
        const dpsi = activationRecord(output.activation).derivative(lt.v[k][j], y);
        formula =
          loss === 'squared' || loss === 'half-squared'
            ? `${scale}${loss === 'squared' ? '2' : ''}(d_{${j + 1}} - y_{${j + 1}})\\, \\psi'(${v(N, j + 1)}) = ${scale}${loss === 'squared' ? '2' : ''}(${f(d)} - ${p(y)}) \\cdot ${p(dpsi)}`
            : `${scale}\\left(-\\frac{\\partial L}{\\partial y_{${j + 1}}}\\right) \\psi'(${v(N, j + 1)}) = ${scale}${p(-record.gradient(d, y))} \\cdot ${p(dpsi)}`;
      }
      outputDeltas.push(
        `${delta(N, j + 1)} &= ${formula} = ${f(lt.delta[k][j])}${rows > 1 ? ` \\quad (\\text{example ${k + 1}})` : ''}`,
      );
    }
    for (let n = N - 1; n >= 1; n--) {
      const layer = net.layers[n - 1];
      const above = net.layers[n];
      const WA = above.weights.data;
      const la = trace.layers[n];
      const lh = trace.layers[n - 1];
      for (let h = 0; h < layer.units; h++) {
        const sum = la.delta[k].map((dj, j) => `${p(dj)} \\cdot ${p(WA[h * above.units + j])}`).join(' + ');
        const dpsi =
          layer.activation === 'softmax'
            ? '\\text{(softmax Jacobian)}'
            : p(
                activationRecord(layer.activation).derivative(
                  lh.v[k][h],
                  lh.activated?.[k][h] ?? lh.out[k][h],
                ),
              );
        const m = lh.mask?.[k][h];
        const example = rows > 1 ? ` \\quad (\\text{example ${k + 1}})` : '';
        const rule = `\\psi'(${v(n, h + 1)})${m === undefined ? '' : ` \\frac{m_{${h + 1}}}{1-p}`} \\sum_j ${delta(n + 1, 'j')}\\, ${w(n + 1, h + 1, 'j')}`;
        hiddenDeltas.push(
          m === 0
            ? `${delta(n, h + 1)} &= ${rule} = 0 \\quad (\\text{dropped})${example}`
            : `${delta(n, h + 1)} &= ${rule} = ${dpsi}${m === undefined ? '' : ` \\cdot \\frac{1}{${f(1 - layer.dropout)}}`} \\cdot (${sum}) = ${f(lh.delta[k][h])}${example}`,
        );
      }
    }
  }
  result.push({
    title: 'Output deltas',
    text: `The local gradient of each output node, delta = -dJ/dv${mean ? `, with the 1/${rows} of the mean` : ''}.`,
    maths: outputDeltas,
  });
  if (hiddenDeltas.length) {
    result.push({
      title: 'Hidden deltas',
      text: 'Each hidden node collects the deltas of the layer above through its outgoing weights.',
      maths: hiddenDeltas,
    });
  }

  const gradients: string[] = [];
  const updates: string[] = [];
  net.layers.forEach((layer, li) => {
    const n = li + 1;
    const lt = trace.layers[li];
    const W = layer.weights.data;
    const B = layer.biases.data;
    const eta = rates[li];
    for (let i = 0; i < layer.units; i++) {
      for (let m = 0; m <= layer.fanIn; m++) {
        const g = m === 0 ? lt.gradBiases[i] : lt.gradWeights[m - 1][i];
        const old = m === 0 ? B[i] : W[(m - 1) * layer.units + i];
        const updated = m === 0 ? lt.biases[i] : lt.weights[m - 1][i];
        const input = m === 0 ? '' : `\\, ${out(n - 1, m)}`;
        gradients.push(
          `\\frac{\\partial J}{\\partial ${w(n, m, i + 1)}} &= -\\sum_{\\text{examples}} ${delta(n, i + 1)}${input} = ${f(g)}`,
        );
        updates.push(
          `${w(n, m, i + 1)} &\\leftarrow ${w(n, m, i + 1)} - \\eta^{(${n})} \\frac{\\partial J}{\\partial ${w(n, m, i + 1)}} = ${f(old)} - ${f(eta)} \\cdot ${p(g)} = ${f(updated)}`,
        );
      }
    }
  });
  result.push({
    title: 'Gradients',
    text: 'The bias of node i is its weight from the constant input 1 (m = 0).',
    maths: gradients,
  });
  result.push({ title: 'Updated weights', text: 'One step of steepest descent.', maths: updates });
  return result;
}

/**
 * The step of {@link explain} as LaTeX (`align*` blocks; needs amsmath) or
 * Markdown (fenced `math` blocks), every number with `digits` significant
 * digits (default 6).
 *
 * @example
 * writeFileSync('step.tex', formatExplainAs('latex', net, [[0, 1]], [[1]], { loss: 'half-squared', learningRate: 0.5 }));
 */
export function formatExplainAs(
  format: ExplainFormat,
  net: Network,
  inputs: MatrixInput,
  targets: MatrixInput,
  options: ExplainOptions,
  { digits = 6, trace = explain(net, inputs, targets, options) }: { digits?: number; trace?: StepTrace } = {},
): string {
  const x = toMatrix(inputs, net.backend, 'float64', 'inputs', net.inputs);
  const d = toMatrix(targets, net.backend, 'float64', 'targets', net.outputs);
  const X = toRows(x);
  const D = toRows(d);
  net.backend.free(x);
  net.backend.free(d);
  const parts = sections(net, X, D, options, trace, digits);
  const shape = [net.inputs, ...net.layers.map((l) => `${l.units} ${l.activation}`)].join(' -> ');
  const intro = `One step of gradient descent on ${X.length} example${X.length === 1 ? '' : 's'}, network ${shape}.`;
  if (format === 'latex') {
    const texText = (s: string) => s.replace(/[_&%#$]/g, (c) => `\\${c}`);
    return [
      '% Worked example written by backprop explain --format latex; needs \\usepackage{amsmath}.',
      texText(intro).replace(/ -> /g, ' $\\to$ '),
      ...parts.map((s) =>
        [
          '',
          `\\paragraph{${s.title}} ${texText(s.text)}`,
          '\\begin{align*}',
          s.maths.join(' \\\\\n'),
          '\\end{align*}',
        ].join('\n'),
      ),
      '',
    ].join('\n');
  }
  return [
    `# One step of backpropagation`,
    '',
    intro,
    ...parts.map((s) =>
      [
        '',
        `## ${s.title}`,
        '',
        s.text,
        '',
        '```math',
        '\\begin{aligned}',
        s.maths.join(' \\\\\n'),
        '\\end{aligned}',
        '```',
      ].join('\n'),
    ),
    '',
  ].join('\n');
}
