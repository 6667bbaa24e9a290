/**
 * The output plot: the decision regions or the fitted surface with the
 * points, the fitted curve for one input, or a confusion matrix when there is
 * no plane to draw; and, while the pointer rests on a node of the diagram,
 * that node's own map, large.
 *
 * @module
 */
import { classIndex } from 'backprop-mlp';
import { GRID } from './data.js';
import {
  CLASS_COLORS,
  drawAxes,
  drawClassRegions,
  drawConfusion,
  drawCurve,
  drawHeatmap,
  drawPoints,
  drawPredicted,
  fitCanvas,
  project,
  type Scale,
  scaleFor,
} from './draw.js';
import { $, page } from './state.js';

/**
 * The output as its class only (or its sign, for a number): one-hot cells for
 * several outputs, +1/-1 for one, as TensorFlow Playground's "discretize output".
 */
export function discretized(outputs: Float64Array, units: number, classes: boolean): Float64Array {
  const out = new Float64Array(outputs.length);
  if (units === 1) {
    for (let k = 0; k < outputs.length; k++)
      out[k] = classes ? (classIndex(outputs, k, 1) === 1 ? 1 : -1) : Math.sign(outputs[k]);
    return out;
  }
  for (let k = 0; k < outputs.length; k += units) out[k + classIndex(outputs, k, units)] = 1;
  return out;
}

/** The map of the hovered node over the plane, large, with the points over it. */
function drawHoverMap(canvas: HTMLCanvasElement): boolean {
  const { hover, last, data, setup } = page;
  if (!hover || !data?.bounds || !data.grid || data.inputColumns.length !== 2 || !last?.gridOutputs)
    return false;
  if (hover.layer > 0) {
    const values = last.gridOutputs[hover.layer - 1];
    const units = setup.layers[hover.layer - 1]?.units ?? 0;
    if (!values || hover.node >= units) return false;
    const act = setup.layers[hover.layer - 1].activation;
    const scale: Scale = scaleFor(act, values, units, hover.node);
    drawHeatmap(canvas, values, GRID, units, hover.node, scale);
  } else {
    const grid = page.inputGrid;
    if (!grid) return false;
    const m = grid[0].length;
    const flat = Float64Array.from(grid.flat());
    drawHeatmap(canvas, flat, GRID, m, hover.node, scaleFor('linear', flat, m, hover.node));
  }
  drawAxes(canvas, data.bounds);
  drawPoints(canvas, data.train.inputs, data.train.targets, data.bounds, false, 3.6, data.kind === 'numbers');
  return true;
}

/**
 * Rings the training examples of the next update (minibatch or sequential
 * mode), the ones the explain panel sums over; batch mode uses them all.
 */
function ringBatch(canvas: HTMLCanvasElement): void {
  const { last, data, setup } = page;
  const ex = last?.explain;
  canvas.dataset.ringed = '';
  if (!ex || !data?.bounds || setup.mode === 'batch' || last?.running) return;
  // Which examples are ringed, for a test to read (1-based, as the explain panel names them).
  canvas.dataset.ringed = ex.indices.map((i) => i + 1).join(',');
  const to = project(data.bounds, canvas.width, canvas.height);
  const ctx = canvas.getContext('2d')!;
  const r = 7 * (canvas.width / 320);
  ctx.save();
  ctx.strokeStyle = '#25292e';
  ctx.lineWidth = Math.max(1.5, r / 3.5);
  for (const i of ex.indices) {
    const p = data.train.inputs[i];
    if (!p) continue;
    const [x, y] = to(p[0], p[1]);
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.restore();
}

/** Redraws the output plot and its legend from the page's state. */
export function drawOutput(): void {
  const canvas = $<HTMLCanvasElement>('plot');
  fitCanvas(canvas);
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const { data: d, last: s, setup } = page;
  const showTest = $<HTMLInputElement>('show-test').checked;
  const scaleLegend = $('scale-lo').parentElement!;
  const hovered = drawHoverMap(canvas);
  $('plot-caption').textContent = hovered
    ? page.hover!.layer === 0
      ? `Input ${page.hover!.node + 1} over the plane`
      : `Node ${page.hover!.node + 1} of layer ${page.hover!.layer} over the plane`
    : '';
  if (hovered) return;
  if (!d?.bounds) {
    scaleLegend.style.visibility = 'hidden';
    const p = s?.predictions;
    if (d && p && d.kind === 'classes') {
      const classes =
        d.classes ?? Array.from({ length: Math.max(2, p.targets[0].length) }, (_, k) => String(k));
      drawConfusion(canvas, p.outputs, p.targets, classes, p.set);
    } else if (d && p) drawPredicted(canvas, p.outputs, p.targets, p.set);
    else {
      ctx.fillStyle = '#fbfbfc';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.fillStyle = '#69717a';
      ctx.font = `${Math.round(canvas.width / 24)}px system-ui, sans-serif`;
      ctx.textAlign = 'center';
      ctx.fillText('No data yet: choose a CSV file.', canvas.width / 2, canvas.height / 2);
    }
    return;
  }
  const outputs = s?.gridOutputs?.[s.gridOutputs.length - 1] ?? null;
  if (d.inputColumns.length === 1) {
    scaleLegend.style.visibility = 'hidden';
    const xs = d.grid!.map((p) => p[0]);
    drawCurve(
      canvas,
      xs,
      outputs ?? new Float64Array(xs.length).fill(Number.NaN),
      d.train,
      showTest ? d.test : null,
      d.bounds,
    );
    return;
  }
  scaleLegend.style.visibility = 'visible';
  const units = d.train.targets[0].length;
  const act = setup.layers[setup.layers.length - 1].activation;
  const numbers = d.kind === 'numbers';
  if (outputs) {
    const shown = setup.discretize ? discretized(outputs, units, !numbers) : outputs;
    const scale: Scale = setup.discretize ? { kind: 'symmetric', max: 1 } : scaleFor(act, outputs);
    if (units === 1) drawHeatmap(canvas, shown, GRID, 1, 0, scale, setup.discretize ? 0.6 : 0.75);
    else drawClassRegions(canvas, shown, GRID, units);
  } else {
    ctx.fillStyle = '#e8eaeb';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }
  drawAxes(canvas, d.bounds);
  drawPoints(canvas, d.train.inputs, d.train.targets, d.bounds, false, 3.6, numbers);
  if (showTest) drawPoints(canvas, d.test.inputs, d.test.targets, d.bounds, true, 3.6, numbers);
  ringBatch(canvas);
  const classes = numbers
    ? ['−1', '+1']
    : (d.classes ?? (units > 1 ? Array.from({ length: units }, (_, k) => `class ${k + 1}`) : ['0', '1']));
  const bar = scaleLegend.querySelector('.bar') as HTMLElement;
  if (units === 1) {
    $('scale-lo').textContent = classes[0];
    $('scale-hi').textContent = classes[1];
    bar.hidden = false;
  } else {
    // Several classes: one swatch per class instead of a scale.
    $('scale-lo').replaceChildren(
      ...classes.map((c, k) => {
        const chip = document.createElement('span');
        chip.className = 'chip';
        chip.style.setProperty('--c', CLASS_COLORS[k % CLASS_COLORS.length]);
        chip.textContent = c;
        return chip;
      }),
    );
    $('scale-hi').textContent = '';
    bar.hidden = true;
  }
}
