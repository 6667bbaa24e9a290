/**
 * The notes' picture of the linear neuron's error surface: the contours of
 * J(w0, w1) = Σ (d − w1 x − w0)² over the points (the view's squared loss,
 * summed), the closed-form least-squares minimum, and the weights batch and
 * sequential steepest descent actually visited, one point per update. The
 * paths are the trainers' own weights, kept on the canvas as data attributes.
 *
 * @module
 */
import type { Examples } from './protocol.js';

/** A point of weight space: [w1, w0]. */
export type WeightPoint = [number, number];

/** The sums that make J a quadratic in (w1, w0). */
interface Sums {
  n: number;
  x: number;
  xx: number;
  d: number;
  xd: number;
  dd: number;
}

function sumsOf(data: Examples): Sums {
  const s: Sums = { n: 0, x: 0, xx: 0, d: 0, xd: 0, dd: 0 };
  data.inputs.forEach(([x], i) => {
    const d = data.targets[i][0];
    s.n++;
    s.x += x;
    s.xx += x * x;
    s.d += d;
    s.xd += x * d;
    s.dd += d * d;
  });
  return s;
}

/** J(w1, w0): the SSE of the line y = w1 x + w0, from the sums. */
function costAt(s: Sums, w1: number, w0: number): number {
  return s.dd - 2 * w1 * s.xd - 2 * w0 * s.d + w1 * w1 * s.xx + 2 * w1 * w0 * s.x + s.n * w0 * w0;
}

/** The least-squares line, from the normal equations (null when every x is the same). */
export function leastSquares(data: Examples): WeightPoint | null {
  const s = sumsOf(data);
  const det = s.xx * s.n - s.x * s.x;
  if (Math.abs(det) < 1e-12) return null;
  return [(s.xd * s.n - s.x * s.d) / det, (s.xx * s.d - s.x * s.xd) / det];
}

const BATCH = '#d9700b';
const SEQ = '#0866a6';

export class SurfaceView {
  private sums: Sums | null = null;
  private min: WeightPoint | null = null;
  private view = { w0: [-1, 1] as [number, number], w1: [-1, 1] as [number, number] };
  private background: ImageData | null = null;

  constructor(
    private canvas: HTMLCanvasElement,
    private caption: HTMLElement,
  ) {}

  /** New points and a new start: the window centres on the minimum and holds the start with room to spare. */
  reset(data: Examples, start: WeightPoint): void {
    this.sums = sumsOf(data);
    this.min = leastSquares(data);
    const [c1, c0] = this.min ?? start;
    const r1 = Math.max(0.5, 1.5 * Math.abs(start[0] - c1));
    const r0 = Math.max(0.5, 1.5 * Math.abs(start[1] - c0));
    const r = Math.max(r1, r0);
    this.view = { w0: [c0 - r, c0 + r], w1: [c1 - r, c1 + r] };
    this.background = null;
  }

  /** Draws the contours, the minimum and both paths; the paths go on the canvas for reading back. */
  draw(batch: WeightPoint[], sequential: WeightPoint[]): void {
    const s = this.sums;
    if (!s) return;
    const c = this.canvas;
    const dpr = Math.min(2, window.devicePixelRatio || 1);
    const w = Math.round((c.clientWidth || 360) * dpr);
    const h = Math.round(w * 0.75);
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
      this.background = null;
    }
    const ctx = c.getContext('2d')!;
    if (!this.background) this.background = this.contours(ctx, s, w, h);
    ctx.putImageData(this.background, 0, 0);
    const to = (p: WeightPoint): [number, number] => [
      ((p[1] - this.view.w0[0]) / (this.view.w0[1] - this.view.w0[0])) * w,
      h - ((p[0] - this.view.w1[0]) / (this.view.w1[1] - this.view.w1[0])) * h,
    ];
    this.path(ctx, batch.map(to), BATCH, 2.2 * dpr, 3.2 * dpr);
    this.path(ctx, sequential.map(to), SEQ, 1.2 * dpr, 1.8 * dpr);
    if (this.min) {
      const [mx, my] = to(this.min);
      ctx.strokeStyle = '#25292e';
      ctx.lineWidth = 2 * dpr;
      const a = 6 * dpr;
      ctx.beginPath();
      ctx.moveTo(mx - a, my - a);
      ctx.lineTo(mx + a, my + a);
      ctx.moveTo(mx - a, my + a);
      ctx.lineTo(mx + a, my - a);
      ctx.stroke();
    }
    ctx.fillStyle = '#25292e';
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    ctx.fillText(`w0 →  ${this.view.w0[0].toFixed(2)} … ${this.view.w0[1].toFixed(2)}`, 6 * dpr, h - 6 * dpr);
    ctx.save();
    ctx.translate(14 * dpr, h - 24 * dpr);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(`w1 →  ${this.view.w1[0].toFixed(2)} … ${this.view.w1[1].toFixed(2)}`, 0, 0);
    ctx.restore();
    c.dataset.batch = JSON.stringify(batch);
    c.dataset.sequential = JSON.stringify(sequential);
    c.dataset.min = JSON.stringify(this.min);
    this.caption.textContent = this.describe(s, batch, sequential);
  }

  /**
   * J after each update against the points seen (batch at every epoch's end, sequential
   * at every point), on a log scale so that convergence and divergence both show.
   */
  drawCost(canvas: HTMLCanvasElement, n: number, batch: WeightPoint[], sequential: WeightPoint[]): void {
    const s = this.sums;
    if (!s) return;
    const dpr = Math.min(2, window.devicePixelRatio || 1);
    const w = Math.round((canvas.clientWidth || 360) * dpr);
    const h = Math.round(w * 0.3);
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#fbfbfc';
    ctx.fillRect(0, 0, w, h);
    const jb = batch.map(([a, b]) => costAt(s, a, b));
    const js = sequential.map(([a, b]) => costAt(s, a, b));
    canvas.dataset.batch = JSON.stringify(jb);
    canvas.dataset.sequential = JSON.stringify(js);
    const all = [...jb, ...js].filter((j) => Number.isFinite(j) && j > 0);
    if (all.length === 0) return;
    const lo = Math.log10(Math.min(...all));
    const hi = Math.max(lo + 1e-9, Math.log10(Math.max(...all)));
    const seen = Math.max(1, sequential.length - 1, (batch.length - 1) * n);
    const pad = 4 * dpr;
    const at = (t: number, j: number): [number, number] => [
      pad + (t / seen) * (w - 2 * pad),
      h - pad - ((Math.log10(Math.max(j, 10 ** lo)) - lo) / (hi - lo)) * (h - 2 * pad),
    ];
    const line = (js: number[], every: number, colour: string) => {
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.6 * dpr;
      ctx.beginPath();
      js.forEach((j, k) => {
        if (!Number.isFinite(j)) return;
        const [x, y] = at(k * every, j);
        if (k === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.stroke();
    };
    line(js, 1, SEQ);
    line(jb, n, BATCH);
    ctx.fillStyle = '#25292e';
    ctx.font = `${10 * dpr}px system-ui, sans-serif`;
    ctx.fillText(`J (log scale) ${(10 ** hi).toPrecision(3)}`, pad + 2 * dpr, 12 * dpr);
    ctx.fillText(`${(10 ** lo).toPrecision(3)}`, pad + 2 * dpr, h - 2 * pad);
  }

  private describe(s: Sums, batch: WeightPoint[], sequential: WeightPoint[]): string {
    const j = (p: WeightPoint | undefined) => (p ? costAt(s, p[0], p[1]) : Number.NaN);
    const min = this.min
      ? `× the least-squares minimum w1 = ${this.min[0].toFixed(3)}, w0 = ${this.min[1].toFixed(3)}, J = ${j(this.min).toFixed(3)}`
      : 'no single minimum: every x is the same';
    const fate = (path: WeightPoint[]) => {
      const last = path.at(-1);
      const before = path.at(-2);
      if (!last || !Number.isFinite(j(last))) return 'diverged';
      if (before && j(last) > j(before)) return `J = ${j(last).toFixed(3)}, rising: η is too large`;
      return `J = ${j(last).toFixed(3)}`;
    };
    return (
      `Contours of J(w0, w1), the SSE over the points. Orange: batch descent, ${batch.length - 1} steps, ${fate(batch)}. ` +
      `Blue: sequential descent, ${sequential.length - 1} steps, ${fate(sequential)}. ${min}.`
    );
  }

  /** Bands of J between contour levels that double away from the minimum, the levels drawn dark. */
  private contours(ctx: CanvasRenderingContext2D, s: Sums, w: number, h: number): ImageData {
    const jMin = this.min ? costAt(s, this.min[0], this.min[1]) : 0;
    const corner = costAt(s, this.view.w1[1], this.view.w0[0]) - jMin;
    const unit = Math.max(1e-12, corner / 2 ** 9);
    const band = new Int16Array(w * h);
    for (let y = 0; y < h; y++) {
      const w1 = this.view.w1[1] - ((y + 0.5) / h) * (this.view.w1[1] - this.view.w1[0]);
      for (let x = 0; x < w; x++) {
        const w0 = this.view.w0[0] + ((x + 0.5) / w) * (this.view.w0[1] - this.view.w0[0]);
        const excess = Math.max(0, costAt(s, w1, w0) - jMin);
        band[y * w + x] = Math.max(0, Math.floor(Math.log2(excess / unit + 1)));
      }
    }
    const img = ctx.createImageData(w, h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const k = y * w + x;
        const b = band[k];
        const edge = (x + 1 < w && band[k + 1] !== b) || (y + 1 < h && band[k + w] !== b);
        // Low J light, high J a deeper grey-blue; the level lines darker still.
        const t = Math.min(1, b / 14);
        const o = k * 4;
        img.data[o] = edge ? 120 : 246 - 70 * t;
        img.data[o + 1] = edge ? 134 : 249 - 55 * t;
        img.data[o + 2] = edge ? 150 : 252 - 35 * t;
        img.data[o + 3] = 255;
      }
    }
    return img;
  }

  private path(
    ctx: CanvasRenderingContext2D,
    points: [number, number][],
    colour: string,
    width: number,
    dot: number,
  ) {
    const ok = points.filter(
      ([x, y]) => Number.isFinite(x) && Number.isFinite(y) && Math.abs(x) < 1e6 && Math.abs(y) < 1e6,
    );
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = width;
    ctx.beginPath();
    ok.forEach(([x, y], k) => {
      if (k === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
    for (const [x, y] of ok) {
      ctx.beginPath();
      ctx.arc(x, y, dot, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}
