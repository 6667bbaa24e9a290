// exp and the logistic function of exact.ts on both float64 lanes of a vector,
// each lane exactly as the scalar function computes it (the same operations,
// lane by lane), for the small-network kernel (small.ts), which computes two
// nodes at a time. A file of its own so that its constants, read from memory,
// are laid out only in the module that uses them (the wasm backend's kernels
// import exact.ts).

import { EXP_TABLE, exp, INV_L, L1, L2, SHIFT } from './exact';

// The constants of exp2 and sigmoid2, each in both lanes, read from memory: an
// engine builds a vector constant from immediates in three instructions, and
// hoists them out of loops into registers it then has to spill.
const LANES: StaticArray<f64> = [
  INV_L, INV_L,
  SHIFT, SHIFT,
  L1, L1,
  L2, L2,
  0.5, 0.5,
  0.16666666666666666, 0.16666666666666666,
  0.041666666666666664, 0.041666666666666664,
  0.008333333333333333, 0.008333333333333333,
  0.001388888888888889, 0.001388888888888889,
  708, 708,
  1, 1,
];
const C_INV_L = 0;
const C_SHIFT = 1;
const C_L1 = 2;
const C_L2 = 3;
const C_HALF = 4;
const C_6 = 5;
const C_24 = 6;
const C_120 = 7;
const C_720 = 8;
const C_708 = 9;
const C_ONE = 10;

/** Constant `i` of {@link LANES} in both lanes. */
// @ts-expect-error: decorator
@inline
function lanes(i: i32): v128 {
  return v128.load(changetype<usize>(LANES) + (<usize>i << 4));
}

/**
 * exp of both float64 lanes of x, each exactly as {@link exp} computes it (the
 * same operations, lane by lane); lanes outside |x| < 708 go through exp itself.
 */
// @ts-expect-error: decorator
@inline
export function exp2(x: v128): v128 {
  const kd = f64x2.add(f64x2.mul(x, lanes(C_INV_L)), lanes(C_SHIFT));
  const k = f64x2.sub(kd, lanes(C_SHIFT));
  const r = f64x2.sub(f64x2.sub(x, f64x2.mul(k, lanes(C_L1))), f64x2.mul(k, lanes(C_L2)));
  const r2 = f64x2.mul(r, r);
  const a = f64x2.add(lanes(C_HALF), f64x2.mul(r, lanes(C_6)));
  const b = f64x2.add(f64x2.add(lanes(C_24), f64x2.mul(r, lanes(C_120))), f64x2.mul(r2, lanes(C_720)));
  const p = f64x2.add(f64x2.add(r, f64x2.mul(r2, a)), f64x2.mul(f64x2.mul(r2, r2), b));
  const k0 = <i32>i64x2.extract_lane(kd, 0);
  const k1 = <i32>i64x2.extract_lane(kd, 1);
  // Each lane's pair (2^(j/32) rounded, its relative error) in one load, then the
  // values and the errors gathered across the lanes.
  const t0 = v128.load(changetype<usize>(EXP_TABLE) + (<usize>(k0 & 31) << 4));
  const t1 = v128.load(changetype<usize>(EXP_TABLE) + (<usize>(k1 & 31) << 4));
  const th = v128.shuffle<i64>(t0, t1, 0, 2);
  const tail = v128.shuffle<i64>(t0, t1, 1, 3);
  // 2^m 2^(j/32): m added to the exponent field of each lane's table value.
  const m = i64x2.replace_lane(i64x2.splat(<i64>(k0 >> 5) << 52), 1, <i64>(k1 >> 5) << 52);
  const s = i64x2.add(th, m);
  const y = f64x2.add(s, f64x2.mul(s, f64x2.add(tail, p)));
  if (v128.all_true<i64>(f64x2.lt(f64x2.abs(x), lanes(C_708)))) return y;
  return f64x2.replace_lane(f64x2.splat(exp(f64x2.extract_lane(x, 0))), 1, exp(f64x2.extract_lane(x, 1)));
}

/** The logistic function of both lanes, each exactly as exact.ts's sigmoid computes it. */
// @ts-expect-error: decorator
@inline
export function sigmoid2(v: v128): v128 {
  // sigmoid(v) is 1 / (1 + e^-v) for v >= 0 and e^v / (1 + e^v) otherwise: both are
  // e = e^(-|v|) over 1 + e, with 1 or e above.
  const e = exp2(f64x2.neg(f64x2.abs(v)));
  const one = lanes(C_ONE);
  const up = v128.bitselect(one, e, f64x2.ge(v, f64x2.splat(0)));
  return f64x2.div(up, f64x2.add(one, e));
}
