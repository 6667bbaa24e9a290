/**
 * What `train` shows while it runs and when it ends, on stderr: a cli-progress
 * bar (epoch, cost, validation cost, accuracy, learning rate, rows per second,
 * time left) on a terminal, a plain line every few seconds otherwise, and at the
 * end a small loss chart drawn with asciichart.
 *
 * @module
 */

import asciichart from 'asciichart';
import cliProgress from 'cli-progress';
import type { ResolvedSchedule } from '../schedules.js';

/** The fields of an epoch the progress display shows (a subset of the core's EpochInfo). */
export interface EpochView {
  epoch: number;
  cost: number;
  validationCost?: number;
  accuracy?: number;
  validationAccuracy?: number;
  elapsedSeconds: number;
  /** eta^(n) the epoch trained with (a schedule changes it). */
  learningRate?: readonly number[];
}

/** A schedule as the command line writes it: `cosine,epochs=50,warmup=5` (the defaults left out). */
export function scheduleText(s: ResolvedSchedule): string {
  const parts: string[] = [s.name];
  for (const [k, v] of Object.entries(s)) {
    if (k === 'name' || (k === 'warmup' && v === 0) || (k === 'warmupStart' && s.warmup === 0)) continue;
    parts.push(`${k}=${fmt(v as number)}`);
  }
  return parts.join(',');
}

/** eta as the epoch line shows it: one number when every layer has the same, else eta1,eta2,... */
export function etaText(rates: readonly number[]): string {
  return rates.every((r) => r === rates[0]) ? fmt(rates[0]) : rates.map(fmt).join(',');
}

/** Shows training progress on a stream (stderr). */
export class Progress {
  private bar: cliProgress.SingleBar | undefined;
  private lastLine = 0;
  private lastPrinted = 0;
  private last: EpochView | undefined;
  private readonly started = Date.now();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly options: {
      maxEpochs: number;
      rowsPerEpoch: number;
      eta: string;
      startEpoch?: number;
      /** Seconds between lines without a terminal. */
      every?: number;
      quiet?: boolean;
    },
  ) {
    if (options.quiet) return;
    if (stream.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          stream,
          format:
            'epoch {value}/{total} |{bar}| cost {cost} | val {val} | acc {acc} | eta {rate} | {speed} rows/s | {eta_formatted} left',
          barsize: 20,
          hideCursor: true,
          etaBuffer: 20,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(options.maxEpochs, options.startEpoch ?? 0, this.payload());
    }
  }

  private payload(info?: EpochView): Record<string, string> {
    const seconds = (Date.now() - this.started) / 1000;
    const epochs = info ? info.epoch - (this.options.startEpoch ?? 0) : 0;
    const speed = seconds > 0 ? (epochs * this.options.rowsPerEpoch) / seconds : 0;
    return {
      cost: info ? fmt(info.cost) : '-',
      val: info?.validationCost !== undefined ? fmt(info.validationCost) : '-',
      acc:
        info?.validationAccuracy !== undefined
          ? info.validationAccuracy.toFixed(4)
          : info?.accuracy !== undefined
            ? info.accuracy.toFixed(4)
            : '-',
      rate: info?.learningRate ? etaText(info.learningRate) : this.options.eta,
      speed: compact(speed),
    };
  }

  /** Shows one finished epoch. */
  update(info: EpochView): void {
    this.last = info;
    if (this.options.quiet) return;
    if (this.bar) {
      this.bar.update(info.epoch, this.payload(info));
      return;
    }
    const now = Date.now();
    if (now - this.lastLine >= (this.options.every ?? 3) * 1000 || info.epoch === 1) {
      this.lastLine = now;
      this.lastPrinted = info.epoch;
      this.stream.write(`${this.line(info)}\n`);
    }
  }

  private line(info: EpochView): string {
    const p = this.payload(info);
    const done = info.epoch - (this.options.startEpoch ?? 0);
    const left = this.options.maxEpochs - info.epoch;
    const seconds = (Date.now() - this.started) / 1000;
    const remaining = done > 0 ? (seconds / done) * left : 0;
    return (
      `epoch ${info.epoch}/${this.options.maxEpochs}  cost ${p.cost}  val ${p.val}  acc ${p.acc}  ` +
      `eta ${p.rate}  ${p.speed} rows/s  ${clock(remaining)} left (at most)`
    );
  }

  /** Ends the display (the bar stays on screen; without a terminal the last epoch is printed). */
  stop(): void {
    if (this.bar) this.bar.stop();
    else if (!this.options.quiet && this.last && this.last.epoch !== this.lastPrinted) {
      this.lastPrinted = this.last.epoch;
      this.stream.write(`${this.line(this.last)}\n`);
    }
  }
}

/** 4 significant digits, or exponent form for tiny and huge numbers. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(3);
  return Number(x.toPrecision(4)).toString();
}

function compact(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

/** Seconds as m:ss or h:mm:ss. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Resamples a series to at most `width` points (the mean of each bucket). */
function resample(series: number[], width: number): number[] {
  if (series.length <= width) return series;
  const out: number[] = [];
  for (let k = 0; k < width; k++) {
    const from = Math.floor((k * series.length) / width);
    const to = Math.max(from + 1, Math.floor(((k + 1) * series.length) / width));
    let sum = 0;
    for (let i = from; i < to; i++) sum += series[i];
    out.push(sum / (to - from));
  }
  return out;
}

/**
 * A small terminal chart of the training cost (and the validation cost) per epoch,
 * at most `width` columns wide.
 */
export function lossChart(
  costs: number[],
  validation: number[] | undefined,
  options: { width?: number; height?: number; color?: boolean } = {},
): string {
  const { width = 60, height = 8, color = false } = options;
  const finite = (s: number[]) => s.filter((x) => Number.isFinite(x));
  const series = [resample(finite(costs), width)];
  if (validation && validation.length > 0) series.push(resample(finite(validation), width));
  if (series[0].length < 2) return '';
  const chart = asciichart.plot(series, {
    height,
    ...(color ? { colors: [asciichart.blue, asciichart.red] } : {}),
    format: (x) => fmt(x).padStart(10),
  });
  const legend =
    validation && validation.length > 0
      ? color
        ? 'cost J per epoch: training (blue), validation (red)'
        : 'cost J per epoch: training and validation'
      : 'cost J per epoch';
  return `${legend}\n${chart}`;
}
