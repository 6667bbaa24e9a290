/**
 * Canvas drawing: the diverging colour scale, heat maps of a node's output over
 * the input plane, data points, fitted curves and the cost chart.
 *
 * @module
 */
import { classIndex, isActivationName, outputRange } from 'backprop-mlp';

/** Orange for negative, a light grey for zero, blue for positive. */
const NEG = [245, 147, 34];
const MID = [232, 234, 235];
const POS = [8, 119, 189];

/** Class colours when there are more than two classes; the first two match the diverging scale. */
export const CLASS_COLORS = [
  '#f59322',
  '#0877bd',
  '#3a9e5f',
  '#8e5ea2',
  '#d64550',
  '#6b7a8f',
  '#c9a227',
  '#2bb3b1',
];
const CLASS_RGB = CLASS_COLORS.map((c) => [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16)));

/** The colour of t in [-1, 1] on the orange-grey-blue scale, as [r, g, b]. */
export function diverging(t: number): [number, number, number] {
  const u = Number.isFinite(t) ? Math.max(-1, Math.min(1, t)) : 0;
  const end = u < 0 ? NEG : POS;
  const a = Math.abs(u);
  return [MID[0] + (end[0] - MID[0]) * a, MID[1] + (end[1] - MID[1]) * a, MID[2] + (end[2] - MID[2]) * a];
}

/** The scale at 1021 levels, so a heat map looks a colour up instead of computing it per pixel. */
const LEVELS = 510;
const LUT = (() => {
  const lut = new Uint8ClampedArray((2 * LEVELS + 1) * 3);
  for (let k = 0; k <= 2 * LEVELS; k++) lut.set(diverging(k / LEVELS - 1), 3 * k);
  return lut;
})();

/** CSS colour of t in [-1, 1]. */
export function divergingCss(t: number): string {
  const [r, g, b] = diverging(t);
  return `rgb(${r | 0},${g | 0},${b | 0})`;
}

/** How a node's output maps to [-1, 1]: by the range of its activation. */
export type Scale = { kind: 'unit' } | { kind: 'symmetric'; max: number };

/** The scale for an activation's outputs: (0, 1) ones centred at 1/2, the rest by their largest magnitude. */
export function scaleFor(activation: string, values: ArrayLike<number>, stride = 1, offset = 0): Scale {
  const [lo, hi] = isActivationName(activation) ? outputRange(activation) : [-Infinity, Infinity];
  if (lo === 0 && hi === 1) return { kind: 'unit' };
  if (lo === -1 && hi === 1) return { kind: 'symmetric', max: 1 };
  let max = 1e-9;
  for (let k = offset; k < values.length; k += stride) {
    const a = Math.abs(values[k]);
    if (a > max && Number.isFinite(a)) max = a;
  }
  return { kind: 'symmetric', max };
}

function toUnit(scale: Scale, x: number): number {
  return scale.kind === 'unit' ? 2 * x - 1 : x / scale.max;
}

const scratch = new Map<number, HTMLCanvasElement>();

function offscreen(size: number): HTMLCanvasElement {
  let c = scratch.get(size);
  if (!c) {
    c = document.createElement('canvas');
    c.width = size;
    c.height = size;
    scratch.set(size, c);
  }
  return c;
}

/**
 * Draws column `offset` of a (g*g) x stride row-major block as a g x g heat map
 * filling the canvas. Grid row 0 is the bottom of the plot (largest y at the top).
 */
export function drawHeatmap(
  canvas: HTMLCanvasElement,
  values: ArrayLike<number>,
  g: number,
  stride: number,
  offset: number,
  scale: Scale,
  intensity = 1,
): void {
  const off = offscreen(g);
  const octx = off.getContext('2d')!;
  const img = octx.createImageData(g, g);
  for (let row = 0; row < g; row++) {
    for (let col = 0; col < g; col++) {
      const k = row * g + col;
      const t = intensity * toUnit(scale, values[k * stride + offset]);
      const u = Number.isFinite(t) ? Math.max(-1, Math.min(1, t)) : 0;
      const q = 3 * Math.round((u + 1) * LEVELS);
      const p = ((g - 1 - row) * g + col) * 4;
      img.data[p] = LUT[q];
      img.data[p + 1] = LUT[q + 1];
      img.data[p + 2] = LUT[q + 2];
      img.data[p + 3] = 255;
    }
  }
  octx.putImageData(img, 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

/**
 * Draws the class regions of a softmax (or several sigmoid) outputs: each cell
 * in the colour of its most likely class, paler where the network is unsure.
 */
export function drawClassRegions(
  canvas: HTMLCanvasElement,
  values: ArrayLike<number>,
  g: number,
  k: number,
): void {
  const off = offscreen(g);
  const octx = off.getContext('2d')!;
  const img = octx.createImageData(g, g);
  for (let row = 0; row < g; row++) {
    for (let col = 0; col < g; col++) {
      const base = (row * g + col) * k;
      const best = classIndex(values, base, k);
      let total = 0;
      for (let j = 0; j < k; j++) total += Math.max(0, values[base + j]);
      const p = values[base + best] / (total || 1);
      const a = Math.max(0, Math.min(1, (p - 1 / k) / (1 - 1 / k))) * 0.7;
      const c = CLASS_RGB[best % CLASS_RGB.length];
      const q = ((g - 1 - row) * g + col) * 4;
      for (let ch = 0; ch < 3; ch++) img.data[q + ch] = MID[ch] + (c[ch] - MID[ch]) * a;
      img.data[q + 3] = 255;
    }
  }
  octx.putImageData(img, 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

/** The plotted region of the input plane. */
export interface Bounds {
  x: [number, number];
  y: [number, number];
}

/** Maps data coordinates to canvas pixels. */
export function project(b: Bounds, w: number, h: number): (x: number, y: number) => [number, number] {
  return (x, y) => [((x - b.x[0]) / (b.x[1] - b.x[0])) * w, h - ((y - b.y[0]) / (b.y[1] - b.y[0])) * h];
}

/** The class of a target row: its largest column, or 0/1 for one column. */
export function classOf(target: readonly number[]): number {
  return classIndex(target, 0, target.length);
}

/**
 * Draws 2-D points coloured by class, or by value on the diverging scale
 * (`numbers`, targets in about [-1, 1]); test points get a dark ring,
 * training points a white one.
 */
export function drawPoints(
  canvas: HTMLCanvasElement,
  inputs: number[][],
  targets: number[][],
  bounds: Bounds,
  test: boolean,
  radius = 3.6,
  numbers = false,
): void {
  const ctx = canvas.getContext('2d')!;
  const to = project(bounds, canvas.width, canvas.height);
  const r = radius * (canvas.width / 320);
  ctx.lineWidth = Math.max(1, r / 2.6);
  for (let i = 0; i < inputs.length; i++) {
    const [px, py] = to(inputs[i][0], inputs[i][1]);
    ctx.beginPath();
    ctx.arc(px, py, r, 0, 2 * Math.PI);
    ctx.fillStyle = numbers
      ? divergingCss(Math.max(-1, Math.min(1, targets[i][0])))
      : CLASS_COLORS[classOf(targets[i]) % CLASS_COLORS.length];
    ctx.fill();
    ctx.strokeStyle = test ? '#25292e' : '#ffffff';
    ctx.stroke();
  }
}

/** Light axes through the origin with tick labels at the edges. */
export function drawAxes(canvas: HTMLCanvasElement, bounds: Bounds, dark = false, labels = true): void {
  const ctx = canvas.getContext('2d')!;
  const to = project(bounds, canvas.width, canvas.height);
  ctx.save();
  ctx.strokeStyle = dark ? 'rgba(37,41,46,0.25)' : 'rgba(255,255,255,0.55)';
  ctx.lineWidth = 1;
  const [ox, oy] = to(0, 0);
  ctx.beginPath();
  if (ox > 0 && ox < canvas.width) {
    ctx.moveTo(ox, 0);
    ctx.lineTo(ox, canvas.height);
  }
  if (oy > 0 && oy < canvas.height) {
    ctx.moveTo(0, oy);
    ctx.lineTo(canvas.width, oy);
  }
  ctx.stroke();
  if (!labels) {
    ctx.restore();
    return;
  }
  ctx.fillStyle = 'rgba(37,41,46,0.6)';
  const k = canvas.clientWidth ? canvas.width / canvas.clientWidth : canvas.width / 320;
  ctx.font = `${Math.round(11 * k)}px system-ui, sans-serif`;
  ctx.textBaseline = 'bottom';
  ctx.fillText(fmt(bounds.x[0]), 4, canvas.height - 3);
  ctx.textAlign = 'right';
  ctx.fillText(fmt(bounds.x[1]), canvas.width - 4, canvas.height - 3);
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillText(fmt(bounds.y[1]), 4, 3);
  ctx.restore();
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3)) return x.toExponential(1);
  return Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(2)).toString();
}

/**
 * A fitted curve y(x) over sorted xs with the points: training filled, test
 * ringed. Used for one input and one numeric output (the noisy line).
 */
export function drawCurve(
  canvas: HTMLCanvasElement,
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  train: { inputs: number[][]; targets: number[][] },
  test: { inputs: number[][]; targets: number[][] } | null,
  bounds: Bounds,
  labels = true,
): void {
  const ctx = canvas.getContext('2d')!;
  const w = canvas.width;
  const h = canvas.height;
  ctx.fillStyle = '#fbfbfc';
  ctx.fillRect(0, 0, w, h);
  drawAxes(canvas, bounds, true, labels);
  const to = project(bounds, w, h);
  ctx.save();
  ctx.beginPath();
  for (let k = 0; k < xs.length; k++) {
    const [px, py] = to(xs[k], ys[k]);
    if (k === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  }
  ctx.strokeStyle = '#f59322';
  ctx.lineWidth = 2.5 * Math.max(1, w / 320);
  ctx.stroke();
  const r = 3.4 * Math.max(0.6, w / 320);
  for (const [set, ring] of [
    [train, false],
    [test, true],
  ] as const) {
    if (!set) continue;
    for (let i = 0; i < set.inputs.length; i++) {
      const [px, py] = to(set.inputs[i][0], set.targets[i][0]);
      ctx.beginPath();
      ctx.arc(px, py, r, 0, 2 * Math.PI);
      ctx.fillStyle = ring ? '#ffffff' : '#0877bd';
      ctx.fill();
      ctx.strokeStyle = ring ? '#0877bd' : '#ffffff';
      ctx.lineWidth = 1.4;
      ctx.stroke();
    }
  }
  ctx.restore();
}

/** Training (dark) and test (orange) cost per epoch, on a linear scale from 0. */
export function drawCostChart(
  canvas: HTMLCanvasElement,
  points: { epoch: number; train: number; test: number | null }[],
): void {
  const dpr = window.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || 320;
  const cssH = canvas.clientHeight || 90;
  if (canvas.width !== Math.round(cssW * dpr)) {
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  ctx.fillStyle = '#fbfbfc';
  ctx.fillRect(0, 0, cssW, cssH);
  if (points.length === 0) return;
  let max = 0;
  let min = Number.POSITIVE_INFINITY;
  for (const p of points) {
    for (const c of [p.train, p.test]) {
      if (c === null || !Number.isFinite(c)) continue;
      max = Math.max(max, c);
      if (c > 0) min = Math.min(min, c);
    }
  }
  // A cost that spans many decades (a divergence, a long run) is drawn on a log scale.
  const log = max > 0 && min < Number.POSITIVE_INFINITY && max / min > 1e3;
  const top = log ? Math.log10(max) : max > 0 ? max * 1.05 : 1;
  const bottom = log ? Math.log10(min) : 0;
  const first = points[0].epoch;
  const last = Math.max(points[points.length - 1].epoch, first + 1);
  const pad = 4;
  const X = (e: number) => pad + ((e - first) / (last - first)) * (cssW - 2 * pad);
  const Y = (c: number) => {
    const u = log ? Math.log10(Math.max(c, min)) : Math.min(c, top);
    // 14 px above the curves hold the labels.
    return cssH - pad - ((u - bottom) / (top - bottom || 1)) * (cssH - 2 * pad - 14);
  };
  ctx.strokeStyle = '#e2e4e7';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(pad, cssH - pad + 0.5);
  ctx.lineTo(cssW - pad, cssH - pad + 0.5);
  ctx.stroke();
  const line = (key: 'train' | 'test', color: string) => {
    ctx.beginPath();
    let started = false;
    for (const p of points) {
      const c = p[key];
      if (c === null || !Number.isFinite(c)) continue;
      if (!started) ctx.moveTo(X(p.epoch), Y(c));
      else ctx.lineTo(X(p.epoch), Y(c));
      started = true;
    }
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.6;
    ctx.stroke();
  };
  line('test', '#f59322');
  line('train', '#25292e');
  ctx.fillStyle = '#69717a';
  ctx.font = '10px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  ctx.fillText(`${fmt(max)}${log ? ' (log scale)' : ''}`, pad + 2, pad);
  ctx.textBaseline = 'bottom';
  ctx.fillText(log ? fmt(min) : '0', pad + 2, cssH - pad - 1);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'top';
  ctx.fillText(`epoch ${points[points.length - 1].epoch}`, cssW - pad - 2, pad);
  ctx.textAlign = 'left';
}

/** A node's output as a small curve over one input (for one-input data). */
export function drawMiniCurve(
  canvas: HTMLCanvasElement,
  values: ArrayLike<number>,
  stride: number,
  offset: number,
): void {
  const ctx = canvas.getContext('2d')!;
  const w = canvas.width;
  const h = canvas.height;
  ctx.fillStyle = '#f3f4f5';
  ctx.fillRect(0, 0, w, h);
  const n = Math.floor(values.length / stride);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < n; k++) {
    const y = values[k * stride + offset];
    if (!Number.isFinite(y)) continue;
    lo = Math.min(lo, y);
    hi = Math.max(hi, y);
  }
  if (!Number.isFinite(lo)) return;
  const span = hi - lo || 1;
  ctx.beginPath();
  for (let k = 0; k < n; k++) {
    const px = (k / (n - 1)) * w;
    const py = h - 4 - ((values[k * stride + offset] - lo) / span) * (h - 8);
    if (k === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  }
  ctx.strokeStyle = '#0877bd';
  ctx.lineWidth = 2;
  ctx.stroke();
}

/** Fits a canvas's backing store to its CSS size times the device pixel ratio. */
export function fitCanvas(canvas: HTMLCanvasElement, fallback = 320): void {
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  const w = Math.round((canvas.clientWidth || fallback) * dpr);
  const h = Math.round((canvas.clientHeight || fallback) * dpr);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
}

/**
 * The confusion matrix of class outputs against targets (rows: true class,
 * columns: predicted), for data with no plane to draw.
 */
export function drawConfusion(
  canvas: HTMLCanvasElement,
  outputs: number[][],
  targets: number[][],
  classes: string[],
  set: string,
): void {
  const k = Math.max(2, targets[0]?.length ?? 2);
  const counts = Array.from({ length: k }, () => new Array(k).fill(0));
  outputs.forEach((y, i) => {
    counts[classOf(targets[i])][classOf(y)]++;
  });
  const ctx = canvas.getContext('2d')!;
  const w = canvas.width;
  const unit = w / 320;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, w, canvas.height);
  const left = 74 * unit;
  const top = 44 * unit;
  const size = Math.min(w - left - 12 * unit, canvas.height - top - 12 * unit);
  const cell = size / k;
  ctx.font = `${Math.round(12 * unit)}px system-ui, sans-serif`;
  ctx.fillStyle = '#69717a';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText(`${set} set: true class (rows) × predicted (columns)`, 8 * unit, 8 * unit);
  for (let r = 0; r < k; r++) {
    const total = counts[r].reduce((a, b) => a + b, 0) || 1;
    for (let c = 0; c < k; c++) {
      const share = counts[r][c] / total;
      ctx.fillStyle = divergingCss((r === c ? 1 : -1) * share);
      ctx.fillRect(left + c * cell + 1, top + r * cell + 1, cell - 2, cell - 2);
      ctx.fillStyle = share > 0.55 ? '#ffffff' : '#25292e';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(String(counts[r][c]), left + (c + 0.5) * cell, top + (r + 0.5) * cell);
    }
    ctx.fillStyle = '#25292e';
    ctx.textAlign = 'right';
    ctx.fillText(classes[r]?.slice(0, 10) ?? String(r), left - 6 * unit, top + (r + 0.5) * cell);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  for (let c = 0; c < k; c++)
    ctx.fillText(classes[c]?.slice(0, 10) ?? String(c), left + (c + 0.5) * cell, top - 4 * unit);
}

/** Predicted against desired output of the first output node, with the diagonal y = d. */
export function drawPredicted(
  canvas: HTMLCanvasElement,
  outputs: number[][],
  targets: number[][],
  set: string,
): void {
  const ctx = canvas.getContext('2d')!;
  const w = canvas.width;
  const h = canvas.height;
  const unit = w / 320;
  ctx.fillStyle = '#fbfbfc';
  ctx.fillRect(0, 0, w, h);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < targets.length; i++) {
    for (const v of [targets[i][0], outputs[i][0]]) {
      if (!Number.isFinite(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!Number.isFinite(lo)) return;
  const pad = (hi - lo || 1) * 0.08;
  const b: Bounds = { x: [lo - pad, hi + pad], y: [lo - pad, hi + pad] };
  const to = project(b, w, h);
  ctx.strokeStyle = 'rgba(37,41,46,0.3)';
  ctx.beginPath();
  ctx.moveTo(...to(b.x[0], b.x[0]));
  ctx.lineTo(...to(b.x[1], b.x[1]));
  ctx.stroke();
  for (let i = 0; i < targets.length; i++) {
    const [px, py] = to(targets[i][0], outputs[i][0]);
    ctx.beginPath();
    ctx.arc(px, py, 3 * unit, 0, 2 * Math.PI);
    ctx.fillStyle = 'rgba(8,119,189,0.75)';
    ctx.fill();
  }
  ctx.fillStyle = '#69717a';
  ctx.font = `${Math.round(12 * unit)}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  ctx.fillText(`${set} set: network output y against desired d`, 8 * unit, 8 * unit);
}
