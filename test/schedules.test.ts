import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseSchedule, RateSchedule, resolveSchedule, type ScheduleSpec } from '../src/schedules.js';
import { findTorchPython } from './support/python.js';

/** eta^(n) for epochs 1..epochs of a schedule over the base rates. */
function run(
  spec: ScheduleSpec,
  base: number[],
  epochs: number,
  costs?: number[],
  examples = 10,
): number[][] {
  const s = new RateSchedule(spec, base);
  const out: number[][] = [];
  for (let e = 0; e < epochs; e++) {
    out.push(s.rates.slice());
    s.step(costs?.[e] ?? 1, examples);
  }
  return out;
}

describe('learning-rate schedules', () => {
  it('follow their formulas epoch by epoch', () => {
    expect(run({ name: 'step', stepSize: 2, gamma: 0.5 }, [1], 5).map((r) => r[0])).toEqual([
      1, 1, 0.5, 0.5, 0.25,
    ]);
    expect(run({ name: 'exponential', gamma: 0.9 }, [2], 3).map((r) => r[0])).toEqual([
      2,
      2 * 0.9,
      2 * 0.9 ** 2,
    ]);
    const cos = run({ name: 'cosine', epochs: 4 }, [1], 5).map((r) => r[0]);
    expect(cos[0]).toBe(1);
    expect(cos[2]).toBeCloseTo(0.5, 15);
    expect(cos[4]).toBeCloseTo(0, 15);
    // scikit-learn's invscaling: eta_0 / (examples seen + 1)^0.5 after each epoch.
    expect(run({ name: 'invscaling' }, [1], 3, undefined, 8).map((r) => r[0])).toEqual([
      1,
      1 / 3,
      1 / Math.sqrt(17),
    ]);
  });

  it('scale every layer alike and keep their ratios', () => {
    const rates = run({ name: 'step', stepSize: 1, gamma: 0.1 }, [0.2, 0.02], 3);
    for (const r of rates) expect(r[0] / r[1]).toBeCloseTo(10, 12);
  });

  it('restart cosine cycles that grow by mult', () => {
    const r = run({ name: 'cosine-restarts', epochs: 2, mult: 2 }, [1], 8).map((x) => x[0]);
    // Cycles of 2, then 4 epochs: each starts back at eta_0.
    expect(r[0]).toBe(1);
    expect(r[2]).toBe(1);
    expect(r[6]).toBe(1);
    expect(r[4]).toBeCloseTo(0.5, 15);
  });

  it('warm up linearly, then start the schedule from its own first step', () => {
    const r = run({ name: 'step', stepSize: 1, gamma: 0.5, warmup: 3, warmupStart: 0.25 }, [1], 6).map(
      (x) => x[0],
    );
    expect(r).toEqual([0.25, 0.5, 0.75, 1, 0.5, 0.25]);
  });

  it('reduce on a plateau after more than patience epochs, then cool down', () => {
    const costs = [1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
    const r = run({ name: 'plateau', patience: 1, factor: 0.5, cooldown: 1 }, [1], 8, costs).map((x) => x[0]);
    expect(r).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25]);
  });

  it('restore their state exactly', () => {
    const spec: ScheduleSpec = { name: 'plateau', patience: 0, factor: 0.5 };
    const a = new RateSchedule(spec, [1, 2]);
    a.step(1, 1);
    a.step(2, 1);
    const b = new RateSchedule(spec, [1, 2]);
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    a.step(3, 1);
    b.step(3, 1);
    expect(b.rates).toEqual(a.rates);
    expect(b.rates).toEqual([0.25, 0.5]);
  });

  it('refuse bad parameters with the field named', () => {
    expect(() => resolveSchedule({ name: 'step' } as ScheduleSpec)).toThrow('schedule.stepSize: missing');
    expect(() => resolveSchedule({ name: 'cosine', epochs: 0 })).toThrow(
      'schedule.epochs: expected a whole number of at least 1, got 0',
    );
    expect(() => resolveSchedule({ name: 'cosine', epochs: 5, gamma: 0.5 })).toThrow(
      "schedule.gamma: not a parameter of 'cosine'",
    );
    expect(() => resolveSchedule({ name: 'wobble' } as unknown as ScheduleSpec)).toThrow(
      "schedule.name: unknown 'wobble'",
    );
    expect(() => parseSchedule('cosine,epochs=x')).toThrow("schedule.epochs: expected a number, got 'x'");
    expect(parseSchedule('step,stepSize=3,gamma=0.5')).toMatchObject({
      name: 'step',
      stepSize: 3,
      gamma: 0.5,
    });
  });
});

const python = findTorchPython();
describe.skipIf(!python)('learning-rate schedules against PyTorch', () => {
  it('give the rates of torch.optim.lr_scheduler over 20 epochs', () => {
    const cases: [ScheduleSpec, string][] = [
      [{ name: 'step', stepSize: 3, gamma: 0.5 }, 'S.StepLR(o, step_size=3, gamma=0.5)'],
      [{ name: 'exponential', gamma: 0.9 }, 'S.ExponentialLR(o, gamma=0.9)'],
      [{ name: 'cosine', epochs: 7, etaMin: 0.001 }, 'S.CosineAnnealingLR(o, T_max=7, eta_min=0.001)'],
      [{ name: 'cosine-restarts', epochs: 3, mult: 2 }, 'S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2)'],
      [
        { name: 'cosine', epochs: 10, warmup: 4 },
        'S.SequentialLR(o, [S.LinearLR(o, start_factor=1/3, total_iters=4), S.CosineAnnealingLR(o, T_max=10)], milestones=[4])',
      ],
      [
        { name: 'plateau', patience: 2, factor: 0.5, cooldown: 1 },
        'S.ReduceLROnPlateau(o, patience=2, factor=0.5, cooldown=1)',
      ],
    ];
    const costs = Array.from({ length: 20 }, (_, e) => (e < 5 ? 1 / (e + 1) : 0.2 + 0.001 * (e % 3)));
    // One Python process for every case: importing torch is the slow part.
    const script = `
import json, warnings, torch
import torch.optim.lr_scheduler as S
warnings.filterwarnings('ignore')
costs = ${JSON.stringify(costs)}
def rates(make):
    p = [torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))]
    o = torch.optim.SGD([{'params': [p[0]], 'lr': 0.1}, {'params': [p[1]], 'lr': 0.03}], lr=0.1)
    s = make(o)
    out = []
    for e in range(20):
        out.append([g['lr'] for g in o.param_groups])
        o.step()
        s.step(costs[e]) if isinstance(s, S.ReduceLROnPlateau) else s.step()
    return out
print(json.dumps([${cases.map(([, make]) => `rates(lambda o: ${make})`).join(', ')}]))`;
    const torchRates = JSON.parse(
      execFileSync(python as string, ['-c', script], { encoding: 'utf8' }),
    ) as number[][][];
    cases.forEach(([spec], c) => {
      const ours = run(spec, [0.1, 0.03], 20, costs);
      for (let e = 0; e < 20; e++) {
        for (let n = 0; n < 2; n++) {
          const want = torchRates[c][e][n];
          expect(
            Math.abs(ours[e][n] - want),
            `${spec.name} epoch ${e + 1} layer ${n + 1}`,
          ).toBeLessThanOrEqual(1e-12 * Math.max(1e-3, Math.abs(want)));
        }
      }
    });
  });
});
