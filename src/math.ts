/**
 * Elementary functions computed with IEEE-754 arithmetic alone, so that they
 * give the same bits on every JavaScript engine. `Math.exp`, `Math.log`,
 * `Math.tanh`, `Math.sin` and their kin are not specified to the bit, and do
 * differ between Node's V8 and a current browser's; the library promises that
 * the same seed trains to the same bits in Node and in the browser, so every
 * transcendental function it uses comes from here.
 *
 * The algorithms are those of fdlibm (Sun Microsystems, 1993), argument
 * reduction then a minimax polynomial on the reduced range, except for exp,
 * which uses Tang's table method (no division: it is the hot function of
 * sigmoid, softmax and their losses); results are within about one unit in the
 * last place of the exact value. assembly/exact.ts holds the same functions for
 * the WebAssembly small-network kernel, operation for operation.
 *
 * @module
 */

// Access to the two 32-bit halves of a double, on either byte order.
const f64 = new Float64Array(1);
const i32 = new Int32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

function high(x: number): number {
  f64[0] = x;
  return i32[HI];
}

function low(x: number): number {
  f64[0] = x;
  return i32[LO];
}

function withHigh(x: number, hi: number): number {
  f64[0] = x;
  i32[HI] = hi;
  return f64[0];
}

const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
const TWO54 = 18014398509481984;
const TWO_M1000 = 9.332636185032189e-302;
const O_THRESHOLD = 709.782712893384;
const U_THRESHOLD = -745.1332191019411;

// 2^(j/32) = EXP_TABLE[2j] (1 + EXP_TABLE[2j + 1]) for j = 0..31: the value
// rounded to a double, then its relative rounding error.
// biome-ignore format: one entry a line
const EXP_TABLE = new Float64Array([
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
  // biome-ignore lint/suspicious/noApproximativeNumericConstant: 2^(16/32), an entry like the others
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
]);
const INV_L = 46.16624130844683;
const L1 = 0.021660849335603416;
const L2 = 5.689487495325457e-11;
const SHIFT = 6755399441055744;

const LG1 = 0.6666666666666735;
const LG2 = 0.3999999999940942;
const LG3 = 0.2857142874366239;
const LG4 = 0.22222198432149784;
const LG5 = 0.1818357216161805;
const LG6 = 0.15313837699209373;
const LG7 = 0.14798198605116586;

// A double passed to or returned from a call that V8 does not inline is boxed
// on the heap: 16 bytes of garbage each way, a call per element of a kernel.
// So exp and log take their argument from this slot and leave their result
// there, in one body for both: at over 460 bytes of bytecode V8 never inlines
// it, so it costs a caller a call but none of its inlining budget (920 bytes),
// which the functions around it need (tanh inlines expm1 twice, each calling
// exp and log). exp() and log() are wrappers small enough to inline anywhere.
const SLOT = new Float64Array(1);

/**
 * e^x by Tang's table method: x = (32 m + j) ln2/32 + r with |r| <= ln2/64, so
 * e^x = 2^m 2^(j/32) e^r, and e^r - 1 from its Taylor series to r^6 (the first
 * term left out is below 2^-58). No division and one predictable branch, so it
 * costs about half of fdlibm's; within 0.52 ulp of the exact value.
 * assembly/exact.ts computes the same, operation for operation.
 */
export function exp(x: number): number {
  SLOT[0] = x;
  expOrLogInSlot(false);
  return SLOT[0];
}

/** The natural logarithm ln x. */
export function log(x: number): number {
  SLOT[0] = x;
  expOrLogInSlot(true);
  return SLOT[0];
}

/** SLOT[0] <- ln SLOT[0] if `isLog`, else e^SLOT[0]. */
function expOrLogInSlot(isLog: boolean): void {
  if (isLog) {
    let x = SLOT[0];
    let hx = high(x);
    const lx = low(x);
    let k = 0;
    if (hx < 0x00100000) {
      if (((hx & 0x7fffffff) | lx) === 0) {
        SLOT[0] = Number.NEGATIVE_INFINITY;
        return;
      }
      if (hx < 0) {
        SLOT[0] = Number.NaN;
        return;
      }
      // Subnormal: scale up.
      k -= 54;
      x *= TWO54;
      hx = high(x);
    }
    if (hx >= 0x7ff00000) {
      SLOT[0] = x + x;
      return;
    }
    k += (hx >> 20) - 1023;
    hx &= 0x000fffff;
    const i = (hx + 0x95f64) & 0x100000;
    // x or x / 2 into [sqrt(2)/2, sqrt(2)).
    x = withHigh(x, hx | (i ^ 0x3ff00000));
    k += i >> 20;
    const f = x - 1;
    const dk = k;
    if ((0x000fffff & (2 + hx)) < 3) {
      if (f === 0) {
        SLOT[0] = k === 0 ? 0 : dk * LN2_HI + dk * LN2_LO;
        return;
      }
      const R = f * f * (0.5 - 0.3333333333333333 * f);
      SLOT[0] = k === 0 ? f - R : dk * LN2_HI - (R - dk * LN2_LO - f);
      return;
    }
    const s = f / (2 + f);
    const z = s * s;
    const w = z * z;
    const t1 = w * (LG2 + w * (LG4 + w * LG6));
    const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    const R = t2 + t1;
    if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) {
      const hfsq = 0.5 * f * f;
      SLOT[0] =
        k === 0 ? f - (hfsq - s * (hfsq + R)) : dk * LN2_HI - (hfsq - (s * (hfsq + R) + dk * LN2_LO) - f);
      return;
    }
    SLOT[0] = k === 0 ? f - s * (f - R) : dk * LN2_HI - (s * (f - R) - dk * LN2_LO - f);
    return;
  }
  const x = SLOT[0];
  // x 32/ln2 rounded to the nearest whole k (ties to even) by adding 1.5 2^52.
  const kd = x * INV_L + SHIFT;
  const ki = low(kd);
  const k = kd - SHIFT;
  const r = x - k * L1 - k * L2;
  const r2 = r * r;
  const p =
    r +
    r2 * (0.5 + r * 0.16666666666666666) +
    r2 * r2 * (0.041666666666666664 + r * 0.008333333333333333 + r2 * 0.001388888888888889);
  const j = (ki & 31) << 1;
  const th = EXP_TABLE[j];
  const tail = EXP_TABLE[j + 1];
  const m = ki >> 5;
  if (Math.abs(x) < 708) {
    // 2^m 2^(j/32), exactly, by adding m to the exponent of the table's value.
    const s = withHigh(th, high(th) + (m << 20));
    SLOT[0] = s + s * (tail + p);
    return;
  }
  if (Number.isNaN(x)) return;
  if (x > O_THRESHOLD) SLOT[0] = Number.POSITIVE_INFINITY;
  else if (x < U_THRESHOLD) SLOT[0] = 0;
  else {
    // Near overflow or into the subnormals: scale in two steps, by 2^(m - 1) or
    // 2^(m + 1000) made in place (withHigh(0, (k + 1023) << 20) is 2^k): a call
    // this rare is not inlined, and the double it returned would be boxed.
    const y = th + th * (tail + p);
    f64[0] = 0;
    i32[HI] = ((x > 0 ? m - 1 : m + 1000) + 1023) << 20;
    const scale = f64[0];
    SLOT[0] = x > 0 ? y * scale * 2 : y * scale * TWO_M1000;
  }
}

/** e^x - 1, accurate for small x (Kahan's correction of exp(x) - 1). */
export function expm1(x: number): number {
  const u = exp(x);
  if (u === 1) return x;
  if (u === Number.POSITIVE_INFINITY) return u;
  const um1 = u - 1;
  if (um1 === -1) return -1;
  return (um1 * x) / log(u);
}

/** ln(1 + x), accurate for small x (Kahan's correction of log(1 + x)). */
export function log1p(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return x;
  const u = 1 + x;
  if (u === 1) return x;
  return (log(u) * x) / (u - 1);
}

/** The hyperbolic tangent. */
export function tanh(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  let z: number;
  if (ax >= 22) z = 1;
  else if (ax < 2.7755575615628914e-17) return x;
  else if (ax >= 1) z = 1 - 2 / (expm1(2 * ax) + 2);
  else {
    const t = expm1(-2 * ax);
    z = -t / (t + 2);
  }
  return x < 0 ? -z : z;
}

const S1 = -0.16666666666666632;
const S2 = 0.00833333333332249;
const S3 = -0.0001984126982985795;
const S4 = 0.0000027557313707070068;
const S5 = -2.5050760253406863e-8;
const S6 = 1.58969099521155e-10;
const C1 = 0.0416666666666666;
const C2 = -0.001388888888887411;
const C3 = 0.00002480158728947673;
const C4 = -2.7557314351390663e-7;
const C5 = 2.087572321298175e-9;
const C6 = -1.1359647557788195e-11;
const INV_PIO2 = 0.6366197723675814;
const PIO2_1 = 1.5707963267341256;
const PIO2_1T = 6.077100506506192e-11;
const PIO2_2 = 6.077100506303966e-11;
const PIO2_2T = 2.0222662487959506e-21;

function kernelSin(y: number): number {
  const z = y * y;
  const v = z * y;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  return y + v * (S1 + z * r);
}

function kernelCos(y: number): number {
  const z = y * y;
  const r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  const hz = 0.5 * z;
  const w = 1 - hz;
  return w + (1 - w - hz + z * r);
}

/** x - n pi/2 for the nearest whole n (for |x| up to about 2^20; the library's angles are far smaller). */
function reduce(x: number): { n: number; y: number } {
  const n = Math.round(x * INV_PIO2);
  const r = x - n * PIO2_1;
  const w = n * PIO2_1T;
  // A second step keeps the reduction exact to the last bit when r is small.
  const y = r - w;
  if (Math.abs(y) > 1e-3) return { n, y };
  const r2 = r - n * PIO2_2;
  const w2 = n * PIO2_2T - (r - r2 - n * PIO2_2);
  return { n, y: r2 - w2 };
}

/** sin x. */
export function sin(x: number): number {
  if (!Number.isFinite(x)) return Number.NaN;
  if (Math.abs(x) <= 0.7853981633974483) return kernelSin(x);
  const { n, y } = reduce(x);
  switch (n & 3) {
    case 0:
      return kernelSin(y);
    case 1:
      return kernelCos(y);
    case 2:
      return -kernelSin(y);
    default:
      return -kernelCos(y);
  }
}

/** cos x. */
export function cos(x: number): number {
  if (!Number.isFinite(x)) return Number.NaN;
  if (Math.abs(x) <= 0.7853981633974483) return kernelCos(x);
  const { n, y } = reduce(x);
  switch (n & 3) {
    case 0:
      return kernelCos(y);
    case 1:
      return -kernelSin(y);
    case 2:
      return -kernelCos(y);
    default:
      return kernelSin(y);
  }
}

/**
 * b^t for a whole t >= 0 by repeated squaring (`**` is not bit-exact across
 * engines either): Adam's bias corrections.
 */
export function powInt(b: number, t: number): number {
  let result = 1;
  let base = b;
  let e = t;
  while (e > 0) {
    if (e & 1) result *= base;
    base *= base;
    e = Math.floor(e / 2);
  }
  return result;
}
