/**
 * Pictures of a training run, as Vega-Lite specifications compiled and rendered
 * headless by Vega into one SVG (or an HTML page holding it): the loss curves;
 * for two numeric input columns the decision regions (or the fitted surface)
 * with the data on top; for one input and one numeric target the data and the
 * fitted curve, which for a linear neuron is the notes' best-fit line; for
 * classes the confusion matrix. Vega and Vega-Lite are optional peer dependencies,
 * loaded only when a report is asked for.
 *
 * @module
 */

import type { ClassScores } from '../data/metrics.js';
import { CliError } from './errors.js';

/** One point of a loss curve. */
export interface CostPoint {
  epoch: number;
  cost: number;
  set: 'training' | 'validation';
}

/** Data for the decision regions or fitted surface of a network with two numeric inputs. */
export interface RegionData {
  xName: string;
  yName: string;
  /** Grid cells: corners and the predicted class label or value. */
  cells: { x: number; x2: number; y: number; y2: number; value: string | number }[];
  /** The data rows drawn on top. */
  points: { x: number; y: number; value: string | number }[];
  classes: boolean;
}

/** Data for the fitted curve of one input and one numeric target. */
export interface CurveData {
  xName: string;
  yName: string;
  points: { x: number; y: number }[];
  curve: { x: number; y: number }[];
}

/** Everything a report can show; each part is drawn when present. */
export interface ReportData {
  title: string;
  costs: CostPoint[];
  confusion?: { scores: ClassScores; rowsName: string };
  regions?: RegionData;
  curve?: CurveData;
  /** Lines of text shown on the HTML page under the title. */
  summary?: string[];
}

type Spec = Record<string, unknown>;

function lossChart(costs: CostPoint[]): Spec {
  const positive = costs.every((c) => c.cost > 0);
  const values = costs.map((c) => c.cost);
  const spread = positive && values.length > 1 ? Math.max(...values) / Math.min(...values) : 1;
  return {
    title: 'Cost J per epoch',
    width: 420,
    height: 240,
    data: { values: costs },
    mark: { type: 'line', point: costs.length <= 40 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
      y: {
        field: 'cost',
        type: 'quantitative',
        title: 'cost J',
        scale: spread > 100 ? { type: 'log' } : { zero: false },
      },
      color: { field: 'set', type: 'nominal', title: null, sort: ['training', 'validation'] },
    },
  };
}

function confusionChart(scores: ClassScores, rowsName: string): Spec {
  const values: { actual: string; predicted: string; count: number }[] = [];
  scores.classes.forEach((a, i) => {
    scores.classes.forEach((p, j) => {
      values.push({ actual: a, predicted: p, count: scores.confusion[i][j] });
    });
  });
  const size = Math.min(420, Math.max(120, scores.classes.length * 36));
  const max = Math.max(1, ...values.map((v) => v.count));
  return {
    title: `Confusion matrix (${rowsName}, accuracy ${scores.accuracy.toFixed(4)})`,
    width: size,
    height: size,
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: scores.classes, title: 'predicted class' },
      y: { field: 'actual', type: 'ordinal', sort: scores.classes, title: 'true class' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' }, title: 'rows' },
        },
      },
      {
        mark: { type: 'text', fontSize: scores.classes.length > 12 ? 8 : 11 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: `datum.count > ${max / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

function regionChart(r: RegionData): Spec {
  const valueType = r.classes ? 'nominal' : 'quantitative';
  const colorScale = r.classes ? {} : { scheme: 'viridis' };
  return {
    title: r.classes ? 'Decision regions with the data' : 'Fitted surface with the data',
    width: 360,
    height: 360,
    layer: [
      {
        data: { values: r.cells },
        mark: { type: 'rect', opacity: 0.35 },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: r.xName, scale: { zero: false, nice: false } },
          x2: { field: 'x2' },
          y: { field: 'y', type: 'quantitative', title: r.yName, scale: { zero: false, nice: false } },
          y2: { field: 'y2' },
          color: {
            field: 'value',
            type: valueType,
            scale: colorScale,
            title: r.classes ? 'class' : 'output',
          },
        },
      },
      {
        data: { values: r.points },
        mark: { type: 'point', filled: true, size: 18, stroke: 'black', strokeWidth: 0.4, opacity: 0.9 },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          color: { field: 'value', type: valueType, scale: colorScale },
        },
      },
    ],
  };
}

function curveChart(c: CurveData): Spec {
  return {
    title: `Data and fitted curve: ${c.yName} against ${c.xName}`,
    width: 420,
    height: 280,
    layer: [
      {
        data: { values: c.points },
        mark: { type: 'point', filled: true, size: 16, opacity: 0.6 },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: c.xName, scale: { zero: false } },
          y: { field: 'y', type: 'quantitative', title: c.yName, scale: { zero: false } },
        },
      },
      {
        data: { values: c.curve },
        mark: { type: 'line', color: '#d62728', strokeWidth: 2 },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
    ],
  };
}

/** The Vega-Lite specification of a report: its charts one under another. */
export function reportSpec(data: ReportData, withTitle = true): Spec {
  const charts: Spec[] = [];
  if (data.costs.length > 0) charts.push(lossChart(data.costs));
  if (data.regions) charts.push(regionChart(data.regions));
  if (data.curve) charts.push(curveChart(data.curve));
  if (data.confusion) charts.push(confusionChart(data.confusion.scores, data.confusion.rowsName));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(withTitle ? { title: { text: data.title, fontSize: 15 } } : {}),
    vconcat: charts,
    resolve: { scale: { color: 'independent' } },
    config: { view: { stroke: null }, font: 'sans-serif' },
  };
}

/** The command that installs the report's renderer, which the package leaves optional. */
export const RENDERER_INSTALL = 'npm install vega vega-lite';

type Renderer = { vega: typeof import('vega'); vegaLite: typeof import('vega-lite') };
let renderer: Promise<Renderer> | undefined;

/**
 * Loads Vega and Vega-Lite, the optional peer dependencies that draw reports
 * (a heavy install that nothing else needs).
 *
 * @throws CliError naming the command that installs them when they are missing.
 */
export function loadRenderer(): Promise<Renderer> {
  renderer ??= Promise.all([import('vega'), import('vega-lite')]).then(
    ([vega, vegaLite]) => ({ vega, vegaLite }),
    (err: NodeJS.ErrnoException) => {
      renderer = undefined;
      if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
      throw new CliError(
        `option --report: drawing a report needs vega and vega-lite, which are not installed; install them with: ${RENDERER_INSTALL}`,
      );
    },
  );
  return renderer;
}

/** Compiles the Vega-Lite specification with vega-lite and renders it to SVG headless with Vega. */
export async function renderSvg(spec: Spec): Promise<string> {
  const { vega, vegaLite } = await loadRenderer();
  const compiled = vegaLite.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The report as the file's content: SVG for a `.svg` name, an HTML page for `.html`/`.htm`. */
export async function renderReport(data: ReportData, format: 'svg' | 'html'): Promise<string> {
  // The HTML page has the title as its heading; an SVG carries its own.
  const svg = await renderSvg(reportSpec(data, format === 'svg'));
  if (format === 'svg') return svg;
  const summary = (data.summary ?? []).map(escapeHtml).join('\n');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(data.title)}</title>`,
    '<style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}</style>',
    '</head><body>',
    `<h1>${escapeHtml(data.title)}</h1>`,
    summary ? `<pre>${summary}</pre>` : '',
    svg,
    '</body></html>',
    '',
  ].join('\n');
}

/** `svg` or `html` from a report file's name, or undefined for another extension. */
export function reportFormat(path: string): 'svg' | 'html' | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.svg')) return 'svg';
  if (lower.endsWith('.html') || lower.endsWith('.htm')) return 'html';
  return undefined;
}
