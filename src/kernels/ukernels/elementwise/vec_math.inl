// Vectorized float32 math shared by the AVX2 and AVX-512 microkernels. Included by one .cc per
// ISA, each with its own vector wrapper type V, inside an anonymous namespace so that the two
// instantiations never merge at link time (they are compiled with different ISA flags).
//
// V provides: reg, kLanes, load, store, set1, add, sub, mul, div, fmadd(a,b,c)=a*b+c,
// fnmadd(a,b,c)=c-a*b, max/min (x86 semantics: the *second* operand is returned when either is
// NaN, which is how NaN inputs propagate through the clamps below), abs, round (ties to even),
// floor, ceil, sqrt, significand / exponent (of a positive normal float: [1, 2) and the unbiased
// exponent as a float),
// ldexp(p, n) = p * 2^n for integral float n in [-150, 130], exponent_field(t) = t's bits shifted
// left by 23, lt(a,b) mask, select(m, f, t), copysign(mag, sgn).
//
// Accuracy measured against double-precision std:: functions over dense sweeps of the float
// range (tests/kernels/test_elementwise_math.cc): exp and log <= 2 ulp, tanh/erf/sigmoid <= 2-3 ulp
// relative in their non-tiny range; see the test for the tolerances asserted.

namespace {

// The math functions inline into their loops: called per vector, each one's dependency chain
// (tanh: ~60 cycles through exp, a polynomial and a division) ran alone, 27 cycles a vector.
#define VEC_INLINE inline __attribute__((always_inline))

template <class V>
VEC_INLINE typename V::reg poly(typename V::reg x, const float* c, int n) {  // c[0] + c[1] x + ... c[n-1] x^(n-1)
  typename V::reg p = V::set1(c[n - 1]);
  for (int i = n - 2; i >= 0; --i) p = V::fmadd(p, x, V::set1(c[i]));
  return p;
}

template <class V>
VEC_INLINE typename V::reg exp_v(typename V::reg x) {
  // Clamp keeps n = round(x log2 e) within what ldexp handles; beyond the clamp exp is 0 or inf
  // anyway, and ldexp's two-step scaling produces those (and gradual underflow) naturally.
  x = V::min(V::set1(89.0f), V::max(V::set1(-104.0f), x));
  const typename V::reg n = V::round(V::mul(x, V::set1(1.44269504088896341f)));
  // Cody-Waite: ln2_hi has 9 significant bits, so n * ln2_hi is exact for |n| <= 150.
  typename V::reg r = V::fnmadd(n, V::set1(0.693359375f), x);
  r = V::fnmadd(n, V::set1(-2.12194440054690583e-4f), r);
  // Degree-7 Taylor on |r| <= ln2/2: truncation error 5e-9, below half an ulp.
  static constexpr float kC[8] = {1.0f, 1.0f, 0.5f, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720,
                                  1.0f / 5040};
  return V::ldexp(poly<V>(r, kC, 8), n);
}

// exp for the functions built on it (sigmoid, tanh, erfc, softmax): 2^n is one write of n + 127
// into the exponent field (adding 1.5 * 2^23 + 127 to x log2 e rounds it to an integer held,
// biased, in the low mantissa bits, which a shift by 23 moves into place), times a degree-6
// minimax polynomial (relative error 3.5e-9, against 5e-9 for exp_v's degree-7 Taylor): about half
// of exp_v's vector instructions; exp_v keeps the subnormal results for Exp.
constexpr float kExpFastLo = -87.33f, kExpFastHi = 88.37f;

// exp of x clamped to [lo, hi] (within [-88, 89], where n + 127 fits the exponent field), NaN
// staying NaN (see V::max). The default range gives 1.2e-38 below and 2.4e38 above: for callers
// whose result does not change beyond it (the LSTM cell's gates).
template <class V>
VEC_INLINE typename V::reg exp_clamped_v(typename V::reg x, float lo = kExpFastLo, float hi = kExpFastHi) {
  using R = typename V::reg;
  const R xc = V::min(V::set1(hi), V::max(V::set1(lo), x));
  const R shifter = V::set1(12583039.0f);  // 1.5 * 2^23 + 127
  const R t = V::fmadd(xc, V::set1(1.44269504088896341f), shifter);
  const R n = V::sub(t, shifter);
  R r = V::fnmadd(n, V::set1(0.693359375f), xc);
  r = V::fnmadd(n, V::set1(-2.12194440054690583e-4f), r);
  static constexpr float kC[7] = {1.0f,           1.0f,           0x1.fffffcp-2f, 0x1.555492p-3f,
                                  0x1.5558d8p-5f, 0x1.1239d4p-7f, 0x1.6a3582p-10f};
  return V::mul(poly<V>(r, kC, 7), V::exponent_field(t));
}

// exp with results under FLT_MIN flushed to 0 and past FLT_MAX taken to inf, by the clamp alone:
// n rounds to -127 from x = -87.68 down (biased exponent 0, the bits of +0) and to 128 from 88.38
// up (inf's biased exponent 255), and -88 and 89 keep it there. Sigmoid, swish, tanh, erfc and
// softmax then reach their limits exactly (0, 1, -0, and NaN where x * 0 or inf / inf is NaN) with
// no blends: two compare-and-blend pairs here cost unary_bench (ns per 8 floats) sigmoid 4.0
// against 2.9, swish 4.2 against 3.1, tanh 8.9 against 5.6.
template <class V>
VEC_INLINE typename V::reg exp_fast_v(typename V::reg x) {
  return exp_clamped_v<V>(x, -88.0f, 89.0f);
}

template <class V>
VEC_INLINE typename V::reg sigmoid_v(typename V::reg x) {
  const typename V::reg one = V::set1(1.0f);
  return V::div(one, V::add(one, exp_fast_v<V>(V::sub(V::set1(0.0f), x))));
}

// tanh |x| = E / (E + 2) with E = expm1(2|x|), the sign put back: no cancellation anywhere, so
// one formula serves the whole range. The previous kernel computed a small-argument polynomial and
// 1 - 2 / (e^2|x| + 1) side by side and blended them, 32 vector instructions against 21 (unary_bench,
// ns per 8 floats: 5.9 -> 4.1; 1.3 -> 2.0 ulp).
// expm1(y) = 2^n (e^r - 1) + (2^n - 1) with y = n ln2 + r, |r| <= ln2/2, and e^r - 1 = r + r^2 q(r):
// for n = 0 that is exact up to the polynomial's rounding (tiny x give x); 2^n - 1 is exact up to
// n = 24 and its rounding beyond is far below E's own. |x| is clamped to 10, past which tanh
// rounds to 1 (NaN passes the clamp, see V::min). From |x| = 8.7 on, E + 2 drops the 2 and the
// result is 1 where 1 - 6e-8 is nearer (1 ulp): fine for tanh, not for 1 + tanh(u), which is why
// gelu_tanh_v does not call this.
template <class V>
VEC_INLINE typename V::reg tanh_v(typename V::reg x) {
  using R = typename V::reg;
  const R ax = V::abs(x);
  const R axc = V::min(V::set1(10.0f), ax);
  const R y = V::add(axc, axc);
  const R shifter = V::set1(12583039.0f);  // 1.5 * 2^23 + 127, as in exp_clamped_v
  const R t = V::fmadd(y, V::set1(1.44269504088896341f), shifter);
  const R n = V::sub(t, shifter);
  R r = V::fnmadd(n, V::set1(0.693359375f), y);
  r = V::fnmadd(n, V::set1(-2.12194440054690583e-4f), r);
  // q(r) = (e^r - 1 - r) / r^2: Taylor to r^5 / 5040, truncation 1.5e-8 relative to e^r - 1.
  static constexpr float kQ[6] = {0.5f, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720, 1.0f / 5040};
  const R em1_r = V::fmadd(V::mul(r, r), poly<V>(r, kQ, 6), r);
  const R two_n = V::exponent_field(t);
  const R e = V::fmadd(two_n, em1_r, V::sub(two_n, V::set1(1.0f)));
  return V::copysign(V::div(e, V::add(e, V::set1(2.0f))), x);
}

// log(x): x = 2^e m with m in [sqrt(1/2), sqrt(2)) (subnormals scaled by 2^23 first), then
// log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716, as the odd series 2 s (1 + s^2/3 +
// ... + s^10/11) (truncation 5e-11), and e ln 2 added in two parts (exp_v's Cody-Waite pair).
// Zero gives -inf, negatives and NaN NaN, +inf +inf.
template <class V>
VEC_INLINE typename V::reg log_v(typename V::reg x) {
  using R = typename V::reg;
  const R tiny = V::set1(1.17549435e-38f);  // FLT_MIN
  const auto sub = V::lt(x, tiny);
  const R xs = V::select(sub, x, V::mul(x, V::set1(8388608.0f)));  // 2^23
  R e = V::add(V::exponent(xs), V::select(sub, V::set1(0.0f), V::set1(-23.0f)));
  R m = V::significand(xs);
  const auto big = V::lt(V::set1(1.41421356f), m);
  m = V::select(big, m, V::mul(m, V::set1(0.5f)));
  e = V::select(big, e, V::add(e, V::set1(1.0f)));
  const R s = V::div(V::sub(m, V::set1(1.0f)), V::add(m, V::set1(1.0f)));
  static constexpr float kAtanhTail[5] = {1.0f / 3, 1.0f / 5, 1.0f / 7, 1.0f / 9, 1.0f / 11};
  const R t = V::add(s, s), s2 = V::mul(s, s);
  // The leading 2s joins e ln2_hi (exact) in one rounding; the small terms are added after.
  const R tail = V::fmadd(e, V::set1(-2.12194440054690583e-4f), V::mul(V::mul(t, s2), poly<V>(s2, kAtanhTail, 5)));
  R r = V::add(V::fmadd(e, V::set1(0.693359375f), t), tail);
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  r = V::select(V::lt(x, V::set1(inf)), V::set1(inf), r);
  const R nonpositive = V::select(V::lt(x, V::set1(0.0f)), V::select(V::isnan(x), V::set1(-inf), V::set1(nan)), V::set1(nan));
  return V::select(V::lt(V::set1(0.0f), x), nonpositive, r);
}

// e^x - 1 for x <= 0 with its relative accuracy near 0, where e^x - 1 in float cancels (at
// x = -1e-5 it is off by 0.6%): the Taylor series x + x^2/2 + ... + x^9/9! on [-0.5, 0]
// (truncation below 3e-10 relative), exp_fast_v(x) - 1 below -0.5 (no cancellation there).
template <class V>
VEC_INLINE typename V::reg expm1_negative_v(typename V::reg x) {
  static constexpr float kC[9] = {1.0f,          1.0f / 2,      1.0f / 6,       1.0f / 24,     1.0f / 120,
                                  1.0f / 720,    1.0f / 5040,   1.0f / 40320,   1.0f / 362880};
  const typename V::reg small = V::mul(x, poly<V>(x, kC, 9));
  const typename V::reg big = V::sub(exp_fast_v<V>(x), V::set1(1.0f));
  return V::select(V::lt(x, V::set1(-0.5f)), small, big);
}

// erf(x)/x = P(x^2) on |x| < 1 (relative error 4e-8).
constexpr float kErfSmall[6] = {1.1283791065216064f,    -0.3761232793331146f,
                                0.11280190199613571f,   -0.026711542159318924f,
                                0.004917780868709087f,  -0.0005632252432405949f};
// erfc(x) e^(x^2) = Q(x - 2.5) on 1 <= x <= 4 (relative error 2.4e-7 in float evaluation).
constexpr float kErfcx[11] = {0.21080636978149414f,   -0.07434757798910141f,
                              0.02493792586028576f,   -0.00799949374049902f,
                              0.0024669950362294912f, -0.0007387566147372127f,
                              0.00021169104729779065f, -5.373036037781276e-05f,
                              1.5012496078270487e-05f, -6.357265647238819e-06f,
                              1.5535301827185322e-06f};

// erfc(|z|) for |z| >= 1; beyond 4 the fit is held at 4, which only matters where erfc < 2e-8.
template <class V>
VEC_INLINE typename V::reg erfc_big_v(typename V::reg az) {
  const typename V::reg q = poly<V>(
      V::sub(V::min(V::set1(4.0f), V::max(V::set1(1.0f), az)), V::set1(2.5f)), kErfcx, 11);
  return V::mul(exp_fast_v<V>(V::mul(V::sub(V::set1(0.0f), az), az)), q);
}

template <class V>
VEC_INLINE typename V::reg erf_v(typename V::reg x) {
  const typename V::reg ax = V::abs(x);
  const typename V::reg small = V::mul(x, poly<V>(V::mul(x, x), kErfSmall, 6));
  const typename V::reg big = V::sub(V::set1(1.0f), erfc_big_v<V>(ax));
  return V::select(V::lt(ax, V::set1(1.0f)), V::copysign(big, x), small);
}

template <class V>
VEC_INLINE typename V::reg gelu_v(typename V::reg x) {
  // 1 + erf(z) is computed as erfc(-z) for z <= -1 so that the left tail keeps its relative
  // accuracy instead of cancelling to zero.
  const typename V::reg z = V::mul(x, V::set1(0.70710678118654752f));
  const typename V::reg az = V::abs(z);
  const typename V::reg small =
      V::add(V::set1(1.0f), V::mul(z, poly<V>(V::mul(z, z), kErfSmall, 6)));
  const typename V::reg c = erfc_big_v<V>(az);
  const typename V::reg big = V::select(V::lt(z, V::set1(0.0f)), V::sub(V::set1(2.0f), c), c);
  const typename V::reg h = V::select(V::lt(az, V::set1(1.0f)), big, small);
  return V::mul(V::mul(V::set1(0.5f), x), h);
}

// GELU's tanh form 0.5 x (1 + tanh(u)) as x / (1 + e^(-2u)) (1 + tanh(u) = 2 sigmoid(2u)): far
// left 1 + tanh(u) is a difference of nearly equal numbers, which a rounded tanh(u) cannot give
// (tanh(-8.8) = -1 + 4.5e-8); the sigmoid form has no difference at all, and no tanh to compute.
template <class V>
VEC_INLINE typename V::reg gelu_tanh_v(typename V::reg x) {
  const typename V::reg x3 = V::mul(V::mul(x, x), x);
  // -2u = -2 sqrt(2/pi) (x + 0.044715 x^3)
  const typename V::reg arg = V::mul(V::set1(-1.5957691216057308f), V::fmadd(x3, V::set1(0.044715f), x));
  return V::div(x, V::add(V::set1(1.0f), exp_fast_v<V>(arg)));
}

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|), never overflowing. With t = e^-|x| in
// (0, 1], log1p(t) = 2 atanh(s) for s = t / (2 + t) <= 1/3: the odd series 2 s (1 + s^2/3 +
// s^4/5 + ...) to s^16 leaves 1e-9 relative, and t's small values keep their relative accuracy
// (forming 1 + t would round them away in the left tail, where softplus(x) ~ e^x). Below
// x = -87.33 (results under FLT_MIN) exp_fast_v gives 0. max(0, x) returns x when x is NaN.
template <class V>
VEC_INLINE typename V::reg softplus_v(typename V::reg x) {
  using R = typename V::reg;
  static constexpr float kAtanhOdd[9] = {1.0f,         1.0f / 3,  1.0f / 5,  1.0f / 7, 1.0f / 9,
                                         1.0f / 11,    1.0f / 13, 1.0f / 15, 1.0f / 17};
  const R zero = V::set1(0.0f);
  const R t = exp_fast_v<V>(V::sub(zero, V::abs(x)));
  const R s = V::div(t, V::add(V::set1(2.0f), t));
  const R log1p_t = V::mul(V::add(s, s), poly<V>(V::mul(s, s), kAtanhOdd, 9));
  return V::add(V::max(zero, x), log1p_t);
}

// Mish x tanh(softplus(x)) through tanh(log(1 + u)) = n / (n + 2), n = u (u + 2), u = e^x: one
// exp and a division, no cancellation (n is a sum of positive terms), instead of softplus's exp,
// division and log series and then tanh's; past x = 20 the ratio rounds to 1.
template <class V>
VEC_INLINE typename V::reg mish_v(typename V::reg x) {
  using R = typename V::reg;
  const R u = exp_fast_v<V>(V::min(V::set1(20.0f), x));
  const R n = V::fmadd(u, u, V::add(u, u));
  return V::mul(x, V::div(n, V::add(n, V::set1(2.0f))));
}

// The LSTM cell's gate functions, to an absolute error of 2e-7 instead of sigmoid_v's and
// tanh_v's relative 2-3 ulp: the cell was 11% of the benchmark LSTM, and tanh_v's small-argument
// polynomial and both functions' range selects were a third of the cell's instructions. The gates
// only ever meet sums and products with values of order 1 (c = f c + i g, h = o tanh(c)), where
// an absolute error at float rounding is what the float arithmetic around them has anyway.
// sigmoid(x) = 1 / (1 + e^-x): with e^-x clamped the far left tail is 4e-39, not smaller.
template <class V>
VEC_INLINE typename V::reg sigmoid_cell_v(typename V::reg x) {
  const typename V::reg one = V::set1(1.0f);
  return V::div(one, V::add(one, exp_clamped_v<V>(V::sub(V::set1(0.0f), x))));
}

// tanh(x) = 1 - 2 / (e^2x + 1): +-1 where float tanh rounds to +-1, and near 0 an absolute error
// of ~1 ulp of 1, where tanh_v switches to a polynomial to keep its relative accuracy.
template <class V>
VEC_INLINE typename V::reg tanh_cell_v(typename V::reg x) {
  const typename V::reg one = V::set1(1.0f);
  return V::fnmadd(V::set1(2.0f), V::div(one, V::add(exp_clamped_v<V>(V::add(x, x)), one)), one);
}

// The LSTM cell of ew::LstmCellArgs on one vector of units: each pointer is that vector's
// first unit, gate k of a gate array at offset k * stride.
template <class V>
void lstm_cell_vector(const float* gates, const float* pre, const float* bias, int64_t stride,
                      float* c, float* h, float* y, float clip) {
  using R = typename V::reg;
  R g[4];
  for (int k = 0; k < 4; ++k) {
    // The projection and bias first: the same rounding as a bias folded into the projection.
    R p = V::load(pre + k * stride);
    if (bias) p = V::add(p, V::load(bias + k * stride));
    g[k] = V::add(V::load(gates + k * stride), p);
    // NaN passes both clamps (V::max / V::min return their second operand on NaN).
    if (clip > 0.0f) g[k] = V::min(V::set1(clip), V::max(V::set1(-clip), g[k]));
  }
  const R i = sigmoid_cell_v<V>(g[0]), o = sigmoid_cell_v<V>(g[1]), f = sigmoid_cell_v<V>(g[2]);
  const R cn = V::fmadd(f, V::load(c), V::mul(i, tanh_cell_v<V>(g[3])));
  V::store(c, cn);
  const R hn = V::mul(o, tanh_cell_v<V>(cn));
  V::store(h, hn);
  if (y) V::store(y, hn);
}

template <class V>
void lstm_cell_impl(const onnxrt::kernels::ew::LstmCellArgs& a) {
  constexpr int64_t L = V::kLanes;
  const int64_t n = a.n;
  int64_t j = 0;
  for (; j + L <= n; j += L)
    lstm_cell_vector<V>(a.gates + j, a.pre + j, a.bias ? a.bias + j : nullptr, n, a.c + j, a.h + j,
                        a.y ? a.y + j : nullptr, a.clip);
  if (j == n) return;
  // Tail through lane-sized buffers (zeros past the end stay finite through every step).
  alignas(64) float g[4 * L] = {}, p[4 * L] = {}, b[4 * L] = {}, c[L] = {}, h[L];
  const int64_t r = n - j;
  for (int64_t k = 0; k < 4; ++k) {
    for (int64_t u = 0; u < r; ++u) {
      g[k * L + u] = a.gates[k * n + j + u];
      p[k * L + u] = a.pre[k * n + j + u];
      if (a.bias) b[k * L + u] = a.bias[k * n + j + u];
    }
  }
  for (int64_t u = 0; u < r; ++u) c[u] = a.c[j + u];
  lstm_cell_vector<V>(g, p, a.bias ? b : nullptr, L, c, h, nullptr, a.clip);
  for (int64_t u = 0; u < r; ++u) {
    a.c[j + u] = c[u];
    a.h[j + u] = h[u];
    if (a.y) a.y[j + u] = h[u];
  }
}

template <class V>
void softmax_row_impl(const float* x, const float* add, int64_t add_stride, float* y, int64_t n) {
  using R = typename V::reg;
  constexpr int64_t L = V::kLanes;
  if (n <= 0) return;
  // x + add, or x, at element i (scalar) / vector at i.
  const auto at = [&](int64_t i) { return add ? x[i] + add[add_stride * i] : x[i]; };
  const auto vat = [&](int64_t i) {
    const R v = V::load(x + i);
    return add ? V::add(v, add_stride ? V::load(add + i) : V::set1(add[0])) : v;
  };
  const int64_t full = n / L * L;
  // The maximum (a NaN in the row makes every output NaN through the sum, whatever it gives).
  float m = at(0);
  if (full > 0) {
    R vm = vat(0);
    for (int64_t i = L; i < full; i += L) vm = V::max(vm, vat(i));
    alignas(64) float lanes[L];
    V::store(lanes, vm);
    for (int64_t k = 0; k < L; ++k) m = lanes[k] > m ? lanes[k] : m;
  }
  for (int64_t i = full; i < n; ++i) m = at(i) > m ? at(i) : m;
  // e = exp(x + add - m), stored, summed in lane order. Every argument is <= 0 and the sum is
  // >= 1, so exp_fast_v's flushing of results below FLT_MIN to 0 changes no output by more than
  // that; masked -inf entries still give exactly 0.
  const R vmax = V::set1(m);
  R acc = V::set1(0.0f);
  for (int64_t i = 0; i < full; i += L) {
    const R e = exp_fast_v<V>(V::sub(vat(i), vmax));
    V::store(y + i, e);
    acc = V::add(acc, e);
  }
  alignas(64) float lanes[L];
  V::store(lanes, acc);
  double sum = 0.0;
  for (int64_t k = 0; k < L; ++k) sum += lanes[k];
  if (full < n) {  // the tail through a lane buffer
    alignas(64) float t[L];
    for (int64_t k = 0; k < L; ++k) t[k] = full + k < n ? at(full + k) : m;
    V::store(t, exp_fast_v<V>(V::sub(V::load(t), vmax)));
    for (int64_t i = full; i < n; ++i) {
      y[i] = t[i - full];
      sum += t[i - full];
    }
  }
  const R inv = V::set1(static_cast<float>(1.0 / sum));
  for (int64_t i = 0; i < full; i += L) V::store(y + i, V::mul(V::load(y + i), inv));
  const float s = static_cast<float>(1.0 / sum);
  for (int64_t i = full; i < n; ++i) y[i] *= s;
}

template <class V>
void log_softmax_row_impl(const float* x, float* y, int64_t n) {
  using R = typename V::reg;
  constexpr int64_t L = V::kLanes;
  if (n <= 0) return;
  const int64_t full = n / L * L;
  float m = x[0];
  if (full > 0) {
    R vm = V::load(x);
    for (int64_t i = L; i < full; i += L) vm = V::max(vm, V::load(x + i));
    alignas(64) float lanes[L];
    V::store(lanes, vm);
    for (int64_t k = 0; k < L; ++k) m = lanes[k] > m ? lanes[k] : m;
  }
  for (int64_t i = full; i < n; ++i) m = x[i] > m ? x[i] : m;
  // As softmax_row_impl: arguments <= 0, a sum >= 1, so exp_fast_v's flush below FLT_MIN is
  // harmless. A NaN in the row makes the sum and so every output NaN.
  const R vmax = V::set1(m);
  R acc = V::set1(0.0f);
  for (int64_t i = 0; i < full; i += L) acc = V::add(acc, exp_fast_v<V>(V::sub(V::load(x + i), vmax)));
  alignas(64) float lanes[L];
  V::store(lanes, acc);
  double sum = 0.0;
  for (int64_t k = 0; k < L; ++k) sum += lanes[k];
  if (full < n) {
    alignas(64) float t[L];
    for (int64_t k = 0; k < L; ++k) t[k] = full + k < n ? x[full + k] : m;
    V::store(t, exp_fast_v<V>(V::sub(V::load(t), vmax)));
    for (int64_t i = full; i < n; ++i) sum += t[i - full];
  }
  const float shift = m + static_cast<float>(std::log(sum));
  const R vs = V::set1(shift);
  for (int64_t i = 0; i < full; i += L) V::store(y + i, V::sub(V::load(x + i), vs));
  for (int64_t i = full; i < n; ++i) y[i] = x[i] - shift;
}

// Not inlined: each op's loop is a function of its own. Inlined, every loop shared unary_impl's one
// body, and the compiler's choices for the whole switch left the long ones slower by a build's
// luck: unary_bench (ns per 8 floats) tanh 5.6 or 8.0 from one unrelated edit to the next, erf 9.8
// against 7.5, gelu 11.5 against 8.9, gelu_tanh 10.2 against 7.9.
template <class V, class F>
__attribute__((noinline)) void unary_loop(const float* x, float* y, int64_t n, F f) {
  int64_t i = 0;
  // Four independent vectors per step, so their long dependency chains overlap.
  for (; i + 4 * V::kLanes <= n; i += 4 * V::kLanes) {
    const auto a = f(V::load(x + i)), b = f(V::load(x + i + V::kLanes));
    const auto c = f(V::load(x + i + 2 * V::kLanes)), d = f(V::load(x + i + 3 * V::kLanes));
    V::store(y + i, a);
    V::store(y + i + V::kLanes, b);
    V::store(y + i + 2 * V::kLanes, c);
    V::store(y + i + 3 * V::kLanes, d);
  }
  for (; i + V::kLanes <= n; i += V::kLanes) V::store(y + i, f(V::load(x + i)));
  if (i < n) {  // tail through a lane-sized buffer: one code path, no masked loads needed
    alignas(64) float buf[V::kLanes] = {};
    const int64_t r = n - i;
    for (int64_t k = 0; k < r; ++k) buf[k] = x[i + k];
    V::store(buf, f(V::load(buf)));
    for (int64_t k = 0; k < r; ++k) y[i + k] = buf[k];
  }
}

template <class V>
void unary_impl(onnxrt::kernels::ew::UnaryOp op, const float* x, float* y, int64_t n,
                const onnxrt::kernels::ew::UnaryParams& p) {
  using onnxrt::kernels::ew::UnaryOp;
  using R = typename V::reg;
  switch (op) {
    case UnaryOp::kRelu:
      return unary_loop<V>(x, y, n, [](R v) { return V::max(V::set1(0.0f), v); });
    case UnaryOp::kNeg:
      return unary_loop<V>(x, y, n, [](R v) { return V::sub(V::set1(0.0f), v); });
    case UnaryOp::kAbs:
      return unary_loop<V>(x, y, n, [](R v) { return V::abs(v); });
    case UnaryOp::kSqrt:
      return unary_loop<V>(x, y, n, [](R v) { return V::sqrt(v); });
    case UnaryOp::kExp:
      return unary_loop<V>(x, y, n, [](R v) { return exp_v<V>(v); });
    case UnaryOp::kSigmoid:
      return unary_loop<V>(x, y, n, [](R v) { return sigmoid_v<V>(v); });
    case UnaryOp::kTanh:
      return unary_loop<V>(x, y, n, [](R v) { return tanh_v<V>(v); });
    case UnaryOp::kErf:
      return unary_loop<V>(x, y, n, [](R v) { return erf_v<V>(v); });
    case UnaryOp::kGelu:
      return unary_loop<V>(x, y, n, [](R v) { return gelu_v<V>(v); });
    case UnaryOp::kGeluTanh:
      return unary_loop<V>(x, y, n, [](R v) { return gelu_tanh_v<V>(v); });
    case UnaryOp::kSilu: {
      // x / (1 + e^(-alpha x)): one rounding and one instruction fewer than x * sigmoid(alpha x);
      // -0 far left and NaN for infinite x (-inf * 0), as that gives (exp_fast_v).
      const R one = V::set1(1.0f);
      auto swish = [one](R v, R arg) { return V::div(v, V::add(one, exp_fast_v<V>(arg))); };
      if (p.alpha == 1.0f) return unary_loop<V>(x, y, n, [swish](R v) { return swish(v, V::sub(V::set1(0.0f), v)); });
      const R na = V::set1(-p.alpha);
      return unary_loop<V>(x, y, n, [swish, na](R v) { return swish(v, V::mul(v, na)); });
    }
    case UnaryOp::kSoftplus:
      return unary_loop<V>(x, y, n, [](R v) { return softplus_v<V>(v); });
    case UnaryOp::kMish:
      return unary_loop<V>(x, y, n, [](R v) { return mish_v<V>(v); });
    case UnaryOp::kLeakyRelu: {
      const float a = p.alpha;
      return unary_loop<V>(x, y, n, [a](R v) {
        return V::select(V::lt(v, V::set1(0.0f)), v, V::mul(v, V::set1(a)));
      });
    }
    case UnaryOp::kClip: {
      const float lo = p.alpha, hi = p.beta;
      return unary_loop<V>(x, y, n, [lo, hi](R v) {
        return V::min(V::set1(hi), V::max(V::set1(lo), v));
      });
    }
    case UnaryOp::kHardSigmoid: {
      const float a = p.alpha, b = p.beta;
      return unary_loop<V>(x, y, n, [a, b](R v) {
        return V::min(V::set1(1.0f), V::max(V::set1(0.0f), V::fmadd(v, V::set1(a), V::set1(b))));
      });
    }
    case UnaryOp::kHardSwish:
      // As the scalar x * max(0, min(1, x / 6 + 1/2)) but for the rounding of x / 6 (a product
      // with 1/6 here: within 1 ulp of it); NaN stays NaN (the clamps return it, see V::max).
      return unary_loop<V>(x, y, n, [](R v) {
        const R h = V::fmadd(v, V::set1(1.0f / 6.0f), V::set1(0.5f));
        return V::mul(v, V::min(V::set1(1.0f), V::max(V::set1(0.0f), h)));
      });
    case UnaryOp::kReciprocal:
      return unary_loop<V>(x, y, n, [](R v) { return V::div(V::set1(1.0f), v); });
    case UnaryOp::kFloor:
      return unary_loop<V>(x, y, n, [](R v) { return V::floor(v); });
    case UnaryOp::kCeil:
      return unary_loop<V>(x, y, n, [](R v) { return V::ceil(v); });
    case UnaryOp::kRound:
      return unary_loop<V>(x, y, n, [](R v) { return V::round(v); });
    case UnaryOp::kSign:
      return unary_loop<V>(x, y, n, [](R v) {
        const R zero = V::set1(0.0f);
        return V::select(V::lt(v, zero), V::select(V::lt(zero, v), v, V::set1(1.0f)), V::set1(-1.0f));
      });
    case UnaryOp::kSoftsign:
      return unary_loop<V>(x, y, n, [](R v) { return V::div(v, V::add(V::set1(1.0f), V::abs(v))); });
    case UnaryOp::kLog:
      return unary_loop<V>(x, y, n, [](R v) { return log_v<V>(v); });
    case UnaryOp::kElu: {
      // alpha expm1(x) below 0; x from 0 up (and NaN).
      const R a = V::set1(p.alpha);
      return unary_loop<V>(x, y, n, [a](R v) {
        return V::select(V::lt(v, V::set1(0.0f)), v, V::mul(a, expm1_negative_v<V>(v)));
      });
    }
    case UnaryOp::kThresholdedRelu: {
      const float a = p.alpha;
      return unary_loop<V>(x, y, n, [a](R v) { return V::select(V::lt(V::set1(a), v), V::set1(0.0f), v); });
    }
    case UnaryOp::kCount:
      break;
  }
  onnxrt::kernels::ew::unary_f32_scalar(op, x, y, n, p);
}

template <class V, class F>
void binary_loop(const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n,
                 F f) {
  int64_t i = 0;
  if (sa && sb) {
    for (; i + V::kLanes <= n; i += V::kLanes)
      V::store(y + i, f(V::load(a + i), V::load(b + i)));
  } else if (sa) {
    const typename V::reg vb = V::set1(*b);
    for (; i + V::kLanes <= n; i += V::kLanes) V::store(y + i, f(V::load(a + i), vb));
  } else if (sb) {
    const typename V::reg va = V::set1(*a);
    for (; i + V::kLanes <= n; i += V::kLanes) V::store(y + i, f(va, V::load(b + i)));
  } else {
    const typename V::reg v = f(V::set1(*a), V::set1(*b));
    alignas(64) float buf[V::kLanes];
    V::store(buf, v);
    for (; i < n; ++i) y[i] = buf[0];
    return;
  }
  if (i < n) {
    alignas(64) float ba[V::kLanes] = {}, bb[V::kLanes] = {};
    const int64_t r = n - i;
    for (int64_t k = 0; k < r; ++k) {
      ba[k] = a[(i + k) * sa];
      bb[k] = b[(i + k) * sb];
    }
    V::store(ba, f(V::load(ba), V::load(bb)));
    for (int64_t k = 0; k < r; ++k) y[i + k] = ba[k];
  }
}

template <class V>
void binary_impl(onnxrt::kernels::ew::BinaryOp op, const float* a, int64_t sa, const float* b,
                 int64_t sb, float* y, int64_t n) {
  using onnxrt::kernels::ew::BinaryOp;
  using R = typename V::reg;
  switch (op) {
    case BinaryOp::kAdd:
      return binary_loop<V>(a, sa, b, sb, y, n, [](R u, R v) { return V::add(u, v); });
    case BinaryOp::kSub:
      return binary_loop<V>(a, sa, b, sb, y, n, [](R u, R v) { return V::sub(u, v); });
    case BinaryOp::kMul:
      return binary_loop<V>(a, sa, b, sb, y, n, [](R u, R v) { return V::mul(u, v); });
    case BinaryOp::kDiv:
      return binary_loop<V>(a, sa, b, sb, y, n, [](R u, R v) { return V::div(u, v); });
    // Min/Max propagate NaN from either side (numpy/ORT semantics): max(u, v) returns v when
    // either is NaN, so a NaN in u is restored with a select.
    case BinaryOp::kMin:
      return binary_loop<V>(a, sa, b, sb, y, n, [](R u, R v) {
        return V::select(V::isnan(u), V::min(u, v), u);
      });
    case BinaryOp::kMax:
      return binary_loop<V>(a, sa, b, sb, y, n, [](R u, R v) {
        return V::select(V::isnan(u), V::max(u, v), u);
      });
  }
}

}  // namespace

#undef VEC_INLINE
