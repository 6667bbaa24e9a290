import katex from 'katex';
import { marked, type Tokens } from 'marked';
import { describe, expect, it } from 'vitest';
import { explain } from '../src/explain.js';
import { formatExplainAs } from '../src/explain-format.js';
import type { LossSpec } from '../src/losses.js';
import { Network } from '../src/network.js';

/** The notes' kind of worked example: 2 inputs, 3 sigmoid hidden nodes, 1 output. */
function network(output: 'sigmoid' | 'linear' = 'sigmoid'): Network {
  return Network.fromJSON({
    format: 'backprop-mlp',
    version: 1,
    inputs: 2,
    layers: [
      {
        units: 3,
        activation: 'sigmoid',
        weights: [
          [0.1, -0.2, 0.3],
          [0.4, 0.5, -0.6],
        ],
        biases: [0.01, -0.02, 0.03],
      },
      { units: 1, activation: output, weights: [[0.7], [-0.8], [0.9]], biases: [0.05] },
    ],
    dtype: 'float64',
  });
}

const X = [
  [1, 0],
  [0.5, -1.5],
];
const D = [[1], [0]];

const render = (maths: string) => katex.renderToString(maths, { displayMode: true, throwOnError: true });

/** The bodies of the align* blocks of a LaTeX fragment. */
function alignBlocks(latex: string): string[] {
  return [...latex.matchAll(/\\begin\{align\*\}\n([\s\S]*?)\n\\end\{align\*\}/g)].map((m) => m[1]);
}

describe('explain --format latex', () => {
  for (const [loss, output] of [
    ['half-squared', 'sigmoid'],
    ['binary-cross-entropy', 'sigmoid'],
    ['mse', 'linear'],
  ] as [LossSpec, 'sigmoid' | 'linear'][]) {
    it(`renders in KaTeX without errors for a 2-3-1 network (${loss})`, () => {
      const net = network(output);
      const options = { loss, learningRate: [0.5, 0.25] };
      const latex = formatExplainAs('latex', net, X, D, options);
      const blocks = alignBlocks(latex);
      expect(blocks.map((b) => b.split(' \\\\\n').length)).toEqual([
        2 * (1 + 2 * (3 + 1)), // two examples: a header line, then v and x_out of 3 + 1 nodes
        2, // L(i) and J
        2, // one output delta per example
        6, // three hidden deltas per example
        3 * 3 + 4, // a gradient per weight and bias
        3 * 3 + 4, // an update per weight and bias
      ]);
      for (const block of blocks) expect(() => render(`\\begin{align*}${block}\\end{align*}`)).not.toThrow();
      // The text between the blocks is plain LaTeX; its one piece of inline maths renders too.
      for (const [, inline] of latex.matchAll(/\$([^$]+)\$/g))
        expect(() => katex.renderToString(inline, { throwOnError: true })).not.toThrow();
      // The numbers are the step trace's.
      const trace = explain(net, X, D, options);
      expect(latex).toContain(`J &= \\frac{1}{n}\\sum_{i=1}^{n} L(i) = ${Number(trace.loss.toPrecision(6))}`);
      expect(latex).toContain(`= ${Number(trace.layers[0].weights[1][2].toPrecision(6))}`);
      expect(latex).toMatch(/^% Worked example written by backprop explain --format latex/);
    });
  }
});

describe('explain --format markdown', () => {
  it('renders as Markdown with its maths intact, and the maths renders in KaTeX', () => {
    const net = network();
    const options = { loss: 'half-squared' as const, reduction: 'sum' as const, learningRate: 0.5 };
    const md = formatExplainAs('markdown', net, X, D, options);
    const tokens = marked.lexer(md);
    const headings = tokens.filter((t): t is Tokens.Heading => t.type === 'heading').map((t) => t.text);
    expect(headings).toEqual([
      'One step of backpropagation',
      'Forward pass',
      'Cost',
      'Output deltas',
      'Hidden deltas',
      'Gradients',
      'Updated weights',
    ]);
    const maths = tokens
      .filter((t): t is Tokens.Code => t.type === 'code' && t.lang === 'math')
      .map((t) => t.text);
    // The same maths as the LaTeX form, untouched by the Markdown parser.
    const latexBlocks = alignBlocks(formatExplainAs('latex', net, X, D, options));
    expect(maths).toEqual(latexBlocks.map((b) => `\\begin{aligned}\n${b}\n\\end{aligned}`));
    for (const block of maths) expect(() => render(block)).not.toThrow();
    const html = marked.parse(md) as string;
    expect(html).toContain('<code class="language-math">\\begin{aligned}');
    expect(html).toContain('\\delta^{(2)}_{1} &amp;= (d_{1} - y_{1})\\, \\psi&#39;(v^{(2)}_{1})');
  });
});
