// The elementary functions of src/math.ts, operation for operation, in float64.
//
// src/math.ts computes exp (Tang's table method), log, expm1, log1p and tanh
// (fdlibm's algorithms) in plain IEEE-754 arithmetic, so that they give the same bits on every
// JavaScript engine. WebAssembly's f64 arithmetic is IEEE-754 too (no fused
// multiply-add, no reassociation), so the same operations in the same order give
// the same bits here: the small-network kernel (small.ts) trains to exactly the
// weights the TypeScript path trains to. Keep the two files in step; a test
// (test/small-wasm.test.ts) compares them bit for bit. exact2.ts holds the
// two-lane forms of exp and the logistic function.

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
export const EXP_TABLE: StaticArray<f64> = [
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
export const INV_L: f64 = 46.16624130844683;
export const L1: f64 = 0.021660849335603416;
export const L2: f64 = 5.689487495325457e-11;
export const SHIFT: f64 = 6755399441055744;

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
