/**
 * The notes' first example side by side: one linear neuron y = w1 x + w0 fitted
 * to the noisy line by steepest descent on the SSE, in batch mode (one update
 * per epoch, from all the points) and in sequential mode (one update after
 * every point), from the same start with the same eta. Time runs in points
 * seen, so the two panels show the same amount of data at every moment.
 *
 * @module
 */
import { Network, plural, Trainer } from 'backprop-mlp';
import { boundsOf } from './data.js';
import { type Bounds, drawAxes, project } from './draw.js';
import type { Examples } from './protocol.js';
import type { SurfaceView, WeightPoint } from './surface.js';

const TRAIL = 14;

interface Side {
  net: Network;
  trainer: Trainer;
  trail: [number, number][];
  /** Every weight vector the trainer has had, for the error surface. */
  path: WeightPoint[];
  updates: number;
}

export class LinearView {
  private batch: Side | null = null;
  private seq: Side | null = null;
  private data: Examples | null = null;
  private bounds: Bounds = { x: [-1, 1], y: [-1, 1] };
  private seen = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private runButton: HTMLButtonElement | null = null;
  /** Points per second while playing. */
  private speed: HTMLInputElement | null = null;

  constructor(
    private batchCanvas: HTMLCanvasElement,
    private seqCanvas: HTMLCanvasElement,
    private batchCaption: HTMLElement,
    private seqCaption: HTMLElement,
    private surface: SurfaceView,
    private costCanvas: HTMLCanvasElement,
  ) {}

  /** Wires the play, next-point and restart buttons. */
  bind(
    run: HTMLButtonElement,
    step: HTMLButtonElement,
    restart: HTMLButtonElement,
    speed: HTMLInputElement,
  ): void {
    this.runButton = run;
    this.speed = speed;
    // A new speed takes effect at once while playing.
    speed.addEventListener('input', () => {
      if (!this.timer) return;
      this.pause();
      this.play();
    });
    run.onclick = () => (this.timer ? this.pause() : this.play());
    step.onclick = () => {
      this.pause();
      this.tick();
    };
    restart.onclick = () => {
      this.pause();
      if (this.data) this.reset(this.data, this.eta, this.seed);
    };
  }

  private eta = 0.03;
  private seed = 1;

  private side(mode: 'batch' | 'sequential'): Side {
    const net = new Network({
      inputs: 1,
      layers: [{ units: 1, activation: 'linear' }],
      seed: this.seed,
      dtype: 'float64',
    });
    const d = this.data!;
    const trainer = new Trainer(net, d.inputs, d.targets, {
      loss: 'squared',
      reduction: 'sum',
      mode,
      learningRate: this.eta,
      shuffle: false,
      epochs: Number.MAX_SAFE_INTEGER,
    });
    return { net, trainer, trail: [this.line(net)], path: [this.line(net)], updates: 0 };
  }

  private line(net: Network): [number, number] {
    const [{ weights, biases }] = net.getWeights();
    return [weights[0][0], biases[0]];
  }

  /** Starts over on new points with learning rate `eta` and initial weights from `seed`. */
  reset(data: Examples, eta: number, seed: number): void {
    this.pause();
    this.batch?.trainer.dispose();
    this.seq?.trainer.dispose();
    this.data = data;
    this.eta = eta;
    this.seed = seed;
    this.seen = 0;
    this.bounds = boundsOf(data.inputs, data.targets, false);
    try {
      this.batch = this.side('batch');
      this.seq = this.side('sequential');
      this.surface.reset(data, this.batch.path[0]);
    } catch (e) {
      this.batchCaption.textContent = (e as Error).message;
      this.batch = this.seq = null;
    }
    this.draw();
  }

  private play(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), 1000 / Number(this.speed?.value || 7));
    if (this.runButton) this.runButton.textContent = 'Pause';
  }

  pause(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.runButton) this.runButton.textContent = 'Play';
  }

  /** One more point seen: sequential updates now; batch updates when the epoch is complete. */
  private tick(): void {
    const b = this.batch;
    const s = this.seq;
    const d = this.data;
    if (!b || !s || !d) return;
    try {
      s.trainer.step();
      s.updates++;
      s.trail.push(this.line(s.net));
      s.path.push(this.line(s.net));
      this.seen++;
      if (this.seen % d.inputs.length === 0) {
        b.trainer.step();
        b.updates++;
        b.trail.push(this.line(b.net));
        b.path.push(this.line(b.net));
      }
    } catch (e) {
      this.pause();
      this.seqCaption.textContent = `${(e as Error).message}`;
      return;
    }
    for (const side of [b, s]) if (side.trail.length > TRAIL) side.trail.shift();
    this.draw();
  }

  private draw(): void {
    const d = this.data;
    if (!d || !this.batch || !this.seq) return;
    const n = d.inputs.length;
    const pos = this.seen % n;
    const epoch = Math.floor(this.seen / n);
    this.drawSide(this.batchCanvas, this.batch, pos, 'batch');
    this.drawSide(this.seqCanvas, this.seq, pos, 'sequential');
    this.surface.draw(this.batch.path, this.seq.path);
    this.surface.drawCost(this.costCanvas, n, this.batch.path, this.seq.path);
    const sse = (side: Side) => side.trainer.evaluate(d.inputs, d.targets).cost;
    const [bw1, bw0] = this.line(this.batch.net);
    const [sw1, sw0] = this.line(this.seq.net);
    this.batchCaption.textContent =
      `Batch mode: ${plural(this.batch.updates, 'update')} after ${plural(this.seen, 'point')} (epoch ${epoch}, point ${pos} of ${n} gathered) · ` +
      `w1 = ${bw1.toFixed(3)}, w0 = ${bw0.toFixed(3)}, SSE = ${sse(this.batch).toFixed(3)}`;
    this.seqCaption.textContent =
      `Sequential mode: ${plural(this.seq.updates, 'update')} after ${plural(this.seen, 'point')} · ` +
      `w1 = ${sw1.toFixed(3)}, w0 = ${sw0.toFixed(3)}, SSE = ${sse(this.seq).toFixed(3)}`;
  }

  private drawSide(canvas: HTMLCanvasElement, side: Side, pos: number, mode: 'batch' | 'sequential'): void {
    const dpr = Math.min(2, window.devicePixelRatio || 1);
    const w = Math.round((canvas.clientWidth || 360) * dpr);
    const h = Math.round(w * (260 / 360));
    if (canvas.width !== w) {
      canvas.width = w;
      canvas.height = h;
    }
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#fbfbfc';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    drawAxes(canvas, this.bounds, true);
    const to = project(this.bounds, canvas.width, canvas.height);
    const d = this.data!;
    const [x0, x1] = this.bounds.x;
    side.trail.forEach(([w1, w0], k) => {
      const current = k === side.trail.length - 1;
      const [ax, ay] = to(x0, w1 * x0 + w0);
      const [bx, by] = to(x1, w1 * x1 + w0);
      ctx.beginPath();
      ctx.moveTo(ax, ay);
      ctx.lineTo(bx, by);
      ctx.strokeStyle = current ? '#f59322' : `rgba(245,147,34,${0.08 + (0.3 * k) / side.trail.length})`;
      ctx.lineWidth = (current ? 2.6 : 1.2) * dpr;
      ctx.stroke();
    });
    const r = 4 * dpr;
    d.inputs.forEach(([x], i) => {
      const [px, py] = to(x, d.targets[i][0]);
      // Batch mode: points already gathered this epoch are filled; sequential: the next point is ringed.
      const gathered = mode === 'batch' ? i < pos : false;
      const next = mode === 'sequential' && i === pos;
      ctx.beginPath();
      ctx.arc(px, py, r, 0, 2 * Math.PI);
      ctx.fillStyle = mode === 'batch' ? (gathered ? '#0877bd' : '#9cc3de') : '#0877bd';
      ctx.fill();
      if (next) {
        ctx.beginPath();
        ctx.arc(px, py, r * 2.2, 0, 2 * Math.PI);
        ctx.strokeStyle = '#25292e';
        ctx.lineWidth = 1.5 * dpr;
        ctx.stroke();
        // The residual e = d - y that this update reduces.
        const [w1, w0] = side.trail[side.trail.length - 1];
        const [, qy] = to(x, w1 * x + w0);
        ctx.beginPath();
        ctx.moveTo(px, py);
        ctx.lineTo(px, qy);
        ctx.setLineDash([3 * dpr, 3 * dpr]);
        ctx.stroke();
        ctx.setLineDash([]);
      }
    });
  }
}
