import { describe, expect, it } from 'vitest';
import { Random } from '../src/random.js';
import { type EpochInfo, EpochLog } from '../src/train/epoch-log.js';

type Row = [number, number, number, number, number, number, number, number];
/** A row without its elapsed seconds, which {@link rows} adds. */
type Head = [number, number, number, number, number, number, number];

/** What a record of `row` (epoch i + 1) must hold, as the log's own literal shapes give it. */
function expected(row: Row, i: number, accuracy: boolean, validation: boolean, rates: number[]): EpochInfo {
  const [cost, acc, vCost, vAcc, updates, examples, seconds, elapsedSeconds] = row;
  const base = { epoch: i + 1, cost, updates, examples, seconds, elapsedSeconds, learningRate: rates };
  return {
    ...base,
    ...(accuracy ? { accuracy: acc } : {}),
    ...(validation ? { validationCost: vCost } : {}),
    ...(validation && accuracy ? { validationAccuracy: vAcc } : {}),
  };
}

describe('EpochLog', () => {
  // Rows as the trainer adds them: runs of epochs of one kernel call (the same
  // seconds, elapsed seconds summed), epochs one at a time, a change of
  // updates, validation values and NaN, elapsed seconds that do not follow.
  function rows(): Row[] {
    const random = new Random(3);
    const out: Row[] = [];
    let elapsed = 0;
    const push = (r: Head) => out.push([...r, elapsed]);
    for (let call = 0; call < 5; call++) {
      const seconds = random.uniform(0, 1e-5);
      for (let e = 0; e < 1500 + call * 700; e++) {
        elapsed += seconds;
        push([random.uniform(0, 1), e % 4 === 0 ? 1 : 0.75, Number.NaN, Number.NaN, 4, 4, seconds]);
      }
      for (let e = 0; e < 3; e++) {
        const s = random.uniform(0, 1e-3);
        elapsed += s;
        push([random.uniform(0, 1), 0.5, random.uniform(0, 2), 0.25, 4 + e, 4, s]);
      }
    }
    // Elapsed seconds that are not the running sum (a resumed run's), and -0.
    elapsed = 7;
    push([0.1, 0.5, 0.2, 0.5, 4, 4, 0.5]);
    elapsed = 7.25;
    push([0.1, 0.5, 0.2, 0.5, 4, 4, 0.5]);
    push([-0, -0, -0, 0, 4, 4, 0.5]);
    return out;
  }

  for (const [accuracy, validation] of [
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`gives back every field as added (accuracy ${accuracy}, validation ${validation}), in any order of reading`, () => {
      const given = rows();
      const log = new EpochLog(accuracy, validation, [0.5]);
      for (const r of given) log.add(...r);
      expect(log.length).toBe(given.length);
      const want = given.map((r, i) => expected(r, i, accuracy, validation, [0.5]));
      expect(log.last()).toEqual(want.at(-1));
      // Backwards and by leaps, then all in order: each the same, to the bit.
      for (let i = given.length - 1; i >= 0; i -= 97) expect(log.record(i)).toEqual(want[i]);
      for (const i of [1236, 1235, 1234, 1236]) expect(log.record(i)).toEqual(want[i]);
      expect(log.record(3)).toEqual(want[3]);
      const all = log.all();
      expect(all).toEqual(want);
      for (let i = 0; i < all.length; i++)
        expect(Object.is(all[i].elapsedSeconds, want[i].elapsedSeconds)).toBe(true);
      expect(Object.is(all.at(-1)?.cost, -0)).toBe(true);
    });
  }

  it("adds a kernel call's epochs at once as add adds them one by one, to the bit", () => {
    const random = new Random(9);
    const one = new EpochLog(true, false);
    const many = new EpochLog(true, false);
    let elapsed = 0;
    let elapsedMany = 0;
    for (let call = 0; call < 6; call++) {
      const count = [1, 3000, 0, 1023, 1025, 7][call];
      const seconds = random.uniform(0, 1e-5);
      const costs = Array.from({ length: count }, () => random.uniform(0, 1));
      for (let e = 0; e < count; e++) {
        elapsed += seconds;
        one.add(costs[e], (e % 4) / 4, Number.NaN, Number.NaN, 4, 4, seconds, elapsed);
      }
      elapsedMany = many.addEpochs(
        count,
        (e) => costs[e],
        (e) => (e % 4) / 4,
        4,
        4,
        seconds,
        elapsedMany,
      );
      expect(Object.is(elapsedMany, elapsed)).toBe(true);
      // An epoch added alone between calls (a slice of an epoch run outside the kernel).
      elapsed += 0.001;
      elapsedMany += 0.001;
      one.add(0.5, 0.5, Number.NaN, Number.NaN, 4, 4, 0.001, elapsed);
      many.add(0.5, 0.5, Number.NaN, Number.NaN, 4, 4, 0.001, elapsedMany);
    }
    expect(many.length).toBe(one.length);
    expect(many.all()).toEqual(one.all());
  });

  it('starts afresh after clear', () => {
    const log = new EpochLog(true, false);
    for (const r of rows().slice(0, 50)) log.add(...r);
    log.clear();
    expect(log.last()).toBeNull();
    log.add(0.5, 1, Number.NaN, Number.NaN, 4, 4, 0.25, 3);
    log.add(0.25, 1, Number.NaN, Number.NaN, 4, 4, 0.25, 3.25);
    expect(log.all().map((r) => [r.cost, r.elapsedSeconds])).toEqual([
      [0.5, 3],
      [0.25, 3.25],
    ]);
  });
});
