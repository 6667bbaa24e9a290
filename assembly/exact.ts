// The elementary functions of src/math.ts, operation for operation, in float64.
//
// src/math.ts computes exp (Tang's table method), log, expm1, log1p and tanh
// (fdlibm's algorithms) in plain IEEE-754 arithmetic, so that they give the same bits on every
// JavaScript engine. WebAssembly's f64 arithmetic is IEEE-754 too (no fused
// multiply-add, no reassociation), so the same operations in the same order give
// the same bits here: the small-network kernel (small.ts) trains to exactly the
// weights the TypeScript path trains to. Keep the two files in step; a test
// (test/small-wasm.test.ts) compares them bit for bit.

const LN2_HI: f64 = 0.6931471803691238;
const LN2_LO: f64 = 1.9082149292705877e-10;
const TWO54: f64 = 18014398509481984;
const TWO_M1000: f64 = 9.332636185032189e-302;
const O_THRESHOLD: f64 = 709.782712893384;
const U_THRESHOLD: f64 = -745.1332191019411;


const LG1: f64 = 0.6666666666666735;
const LG2: f64 = 0.3999999999940942;
const LG3: f64 = 0.2857142874366239;
const LG4: f64 = 0.22222198432149784;
const LG5: f64 = 0.1818357216161805;
const LG6: f64 = 0.15313837699209373;
const LG7: f64 = 0.14798198605116586;

// @ts-expect-error: decorator
@inline
function high(x: f64): i32 {
  return <i32>(reinterpret<i64>(x) >> 32);
}

// @ts-expect-error: decorator
@inline
function withHigh(x: f64, hi: i32): f64 {
  return reinterpret<f64>((<i64>hi << 32) | (reinterpret<i64>(x) & 0xffffffff));
}

// @ts-expect-error: decorator
@inline
function low(x: f64): i32 {
  return <i32>reinterpret<i64>(x);
}

// 2^(j/32) = EXP_TABLE[2j] (1 + EXP_TABLE[2j + 1]) for j = 0..31: the value
// rounded to a double, then its relative rounding error.
const EXP_TABLE: StaticArray<f64> = [
  1.0, 0.0,
  1.0218971486541166, 4.9997448722726326e-17,
  1.0442737824274138, 8.189317638195515e-17,
  1.0671404006768237, -7.402825309426177e-17,
  1.0905077326652577, -2.7939114859515733e-17,
  1.1143867425958924, 9.341710609905046e-17,
  1.1387886347566916, 7.826573258636076e-17,
  1.1637248587775775, 3.2904726646008416e-17,
  1.189207115002721, 3.3484623336251524e-17,
  1.215247359980469, -6.346552106729483e-17,
  1.241857812073484, 3.750854201303127e-17,
  1.2690509571917332, 2.1023049675215714e-18,
  1.2968395546510096, 1.9572585293112036e-17,
  1.3252366431597413, -2.1571477251208752e-17,
  1.3542555469368927, 5.68648095791174e-17,
  1.383909881963832, -4.8923067513522756e-17,
  1.4142135623730951, -6.835808657661922e-17,
  1.4451808069770467, -2.092304381843353e-17,
  1.4768261459394993, -2.3591094770850053e-17,
  1.5091644275934228, -6.735219232374683e-17,
  1.5422108254079407, 5.1548301170786783e-17,
  1.5759808451078865, -6.432131775424189e-18,
  1.6104903319492543, 1.5341410053603723e-17,
  1.645755478153965, -6.152602891550265e-17,
  1.681792830507429, 4.875160526227062e-17,
  1.718619298122478, -1.0772487078934056e-17,
  1.7562521603732995, 1.685487290628973e-17,
  1.7947090750031072, 1.01562190116415e-17,
  1.8340080864093424, 1.790126907604513e-17,
  1.8741676341103, -3.266924100901318e-17,
  1.9152065613971474, -5.545065618639427e-17,
  1.9571441241754002, 4.5784915277060095e-17,
];
const INV_L: f64 = 46.16624130844683;
const L1: f64 = 0.021660849335603416;
const L2: f64 = 5.689487495325457e-11;
const SHIFT: f64 = 6755399441055744;

/**
 * e^x by Tang's table method: x = (32 m + j) ln2/32 + r with |r| <= ln2/64, so
 * e^x = 2^m 2^(j/32) e^r, and e^r - 1 from its Taylor series to r^6 (the first
 * term left out is below 2^-58). No division and one predictable branch, so it
 * costs about half of fdlibm's; within 0.52 ulp of the exact value.
 */
export function exp(x: f64): f64 {
  // x 32/ln2 rounded to the nearest whole k (ties to even) by adding 1.5 2^52.
  const kd = x * INV_L + SHIFT;
  const ki = <i32>reinterpret<i64>(kd);
  const k = kd - SHIFT;
  const r = x - k * L1 - k * L2;
  const r2 = r * r;
  const p = r + r2 * (0.5 + r * 0.16666666666666666) + r2 * r2 * (0.041666666666666664 + r * 0.008333333333333333 + r2 * 0.001388888888888889);
  const j = (ki & 31) << 1;
  const th = unchecked(EXP_TABLE[j]);
  const tail = unchecked(EXP_TABLE[j + 1]);
  const m = ki >> 5;
  if (abs(x) < 708) {
    // 2^m 2^(j/32), exactly, by adding m to the exponent of the table's value.
    const s = withHigh(th, high(th) + (m << 20));
    return s + s * (tail + p);
  }
  if (isNaN(x)) return x;
  if (x > O_THRESHOLD) return Infinity;
  if (x < U_THRESHOLD) return 0;
  // Near overflow or into the subnormals: scale in two steps.
  const y = th + th * (tail + p);
  return x > 0 ? y * twoTo(m - 1) * 2 : y * twoTo(m + 1000) * TWO_M1000;
}

/** 2^m for -1022 <= m <= 1023. */
// @ts-expect-error: decorator
@inline
function twoTo(m: i32): f64 {
  return reinterpret<f64>(<i64>(m + 1023) << 52);
}

/** The natural logarithm ln x. */
export function log(x: f64): f64 {
  let hx = high(x);
  const lx = low(x);
  let k: i32 = 0;
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | lx) == 0) return -Infinity;
    if (hx < 0) return NaN;
    k -= 54;
    x *= TWO54;
    hx = high(x);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i = (hx + 0x95f64) & 0x100000;
  x = withHigh(x, hx | (i ^ 0x3ff00000));
  k += i >> 20;
  const f = x - 1;
  const dk = <f64>k;
  if ((0x000fffff & (2 + hx)) < 3) {
    if (f == 0) return k == 0 ? 0 : dk * LN2_HI + dk * LN2_LO;
    const R = f * f * (0.5 - 0.3333333333333333 * f);
    return k == 0 ? f - R : dk * LN2_HI - (R - dk * LN2_LO - f);
  }
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const R = t2 + t1;
  if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) {
    const hfsq = 0.5 * f * f;
    return k == 0 ? f - (hfsq - s * (hfsq + R)) : dk * LN2_HI - (hfsq - (s * (hfsq + R) + dk * LN2_LO) - f);
  }
  return k == 0 ? f - s * (f - R) : dk * LN2_HI - (s * (f - R) - dk * LN2_LO - f);
}

/** e^x - 1 (Kahan's correction of exp(x) - 1). */
export function expm1(x: f64): f64 {
  const u = exp(x);
  if (u == 1) return x;
  if (u == Infinity) return u;
  const um1 = u - 1;
  if (um1 == -1) return -1;
  return (um1 * x) / log(u);
}

/** ln(1 + x) (Kahan's correction of log(1 + x)). */
export function log1p(x: f64): f64 {
  if (x == Infinity) return x;
  const u = 1 + x;
  if (u == 1) return x;
  return (log(u) * x) / (u - 1);
}

/** The hyperbolic tangent. */
export function tanh(x: f64): f64 {
  if (isNaN(x)) return x;
  const ax = abs(x);
  let z: f64;
  if (ax >= 22) z = 1;
  else if (ax < 2.7755575615628914e-17) return x;
  else if (ax >= 1) z = 1 - 2 / (expm1(2 * ax) + 2);
  else {
    const t = expm1(-2 * ax);
    z = -t / (t + 2);
  }
  return x < 0 ? -z : z;
}

/** JavaScript's Math.sign: -1, 1, or x itself for zeros and NaN. */
// @ts-expect-error: decorator
@inline
function sign(x: f64): f64 {
  return x > 0 ? 1 : x < 0 ? -1 : x;
}

const TWO_OVER_SQRT_PI: f64 = 2 / Math.sqrt(Math.PI);

/** The error function by its series, as src/activations.ts computes it. */
export function erf(x: f64): f64 {
  const ax = abs(x);
  if (ax >= 6) return sign(x);
  let term = ax;
  let sum = ax;
  const x2 = 2 * ax * ax;
  for (let n = 1; n < 200; n++) {
    term *= x2 / <f64>(2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sign(x) * TWO_OVER_SQRT_PI * exp(-ax * ax) * sum;
}

/** The logistic function, as src/activations.ts computes it. */
export function sigmoid(v: f64): f64 {
  if (v >= 0) return 1 / (1 + exp(-v));
  const e = exp(v);
  return e / (1 + e);
}

/** log(1 + e^v), as src/activations.ts computes it. */
export function softplus(v: f64): f64 {
  return max(v, 0) + log1p(exp(-abs(v)));
}

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

/** The logistic function of both lanes, each exactly as {@link sigmoid} computes it. */
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
