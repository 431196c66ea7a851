// The float32 reduction microkernels, written once over a vector-traits struct V and compiled per
// ISA (reduce_f32_{scalar,avx2,avx512}.cc). V provides: kLanes, reg, load, store, zero, add, mul,
// max, min, abs, nan_mask (all-ones bits where x is NaN, zero elsewhere), bit_or, any (whether
// a nan_mask result has a lane set).
// Included inside an anonymous namespace.

constexpr int64_t kPairBlock = 512;

template <class V>
inline typename V::reg map_reg(RowOp op, typename V::reg v) {
  if (op == RowOp::kSumSq) return V::mul(v, v);
  if (op == RowOp::kAbsSum) return V::abs(v);
  return v;
}

inline float map_one(RowOp op, float v) {
  if (op == RowOp::kSumSq) return v * v;
  if (op == RowOp::kAbsSum) return v < 0 ? -v : v;
  return v;
}

template <class V, RowOp Op>
float sum_block(const float* x, int64_t n) {
  constexpr int64_t L = V::kLanes;
  typename V::reg a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
  int64_t i = 0;
  for (; i + 4 * L <= n; i += 4 * L) {
    a0 = V::add(a0, map_reg<V>(Op, V::load(x + i)));
    a1 = V::add(a1, map_reg<V>(Op, V::load(x + i + L)));
    a2 = V::add(a2, map_reg<V>(Op, V::load(x + i + 2 * L)));
    a3 = V::add(a3, map_reg<V>(Op, V::load(x + i + 3 * L)));
  }
  for (; i + L <= n; i += L) a0 = V::add(a0, map_reg<V>(Op, V::load(x + i)));
  a0 = V::add(V::add(a0, a1), V::add(a2, a3));
  float lanes[L];
  V::store(lanes, a0);
  float tail = 0.0f;
  for (; i < n; ++i) tail += map_one(Op, x[i]);
  // Lanes combined pairwise too, so no lane dominates the rounding.
  for (int64_t w = L / 2; w >= 1; w /= 2)
    for (int64_t j = 0; j < w; ++j) lanes[j] += lanes[j + w];
  return lanes[0] + tail;
}

template <class V, RowOp Op>
float sum_pairwise(const float* x, int64_t n) {
  if (n <= kPairBlock) return sum_block<V, Op>(x, n);
  const int64_t h = (n / 2) / kPairBlock * kPairBlock;  // >= kPairBlock / 2, block aligned
  const int64_t half = h > 0 ? h : n / 2;
  return sum_pairwise<V, Op>(x, half) + sum_pairwise<V, Op>(x + half, n - half);
}

inline bool better(RowOp op, float cand, float cur) {
  return op == RowOp::kMax ? cand > cur : cand < cur;
}

template <class V, RowOp Op>
float extreme_row(const float* x, int64_t n) {
  constexpr int64_t L = V::kLanes;
  const float init = Op == RowOp::kMax ? -__builtin_inff() : __builtin_inff();
  float lanes[L];
  for (int64_t j = 0; j < L; ++j) lanes[j] = init;
  typename V::reg a0 = V::load(lanes), a1 = a0, nan = V::zero();
  int64_t i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    const typename V::reg v0 = V::load(x + i), v1 = V::load(x + i + L);
    a0 = Op == RowOp::kMax ? V::max(a0, v0) : V::min(a0, v0);
    a1 = Op == RowOp::kMax ? V::max(a1, v1) : V::min(a1, v1);
    nan = V::bit_or(nan, V::bit_or(V::nan_mask(v0), V::nan_mask(v1)));
  }
  for (; i + L <= n; i += L) {
    const typename V::reg v0 = V::load(x + i);
    a0 = Op == RowOp::kMax ? V::max(a0, v0) : V::min(a0, v0);
    nan = V::bit_or(nan, V::nan_mask(v0));
  }
  a0 = Op == RowOp::kMax ? V::max(a0, a1) : V::min(a0, a1);
  V::store(lanes, a0);
  float r = init;
  if (!V::any(nan)) {
    // No NaN in the vector part: its lanes combine in a branch-free tree (short rows, such as a
    // detector's 80 class scores per box, spent more time here than in the loads).
    for (int64_t w = L / 2; w >= 1; w /= 2)
      for (int64_t j = 0; j < w; ++j)
        lanes[j] = Op == RowOp::kMax ? (lanes[j + w] > lanes[j] ? lanes[j + w] : lanes[j])
                                     : (lanes[j + w] < lanes[j] ? lanes[j + w] : lanes[j]);
    r = better(Op, lanes[0], r) ? lanes[0] : r;
    for (; i < n; ++i) {
      if (x[i] != x[i]) return x[i];
      if (better(Op, x[i], r)) r = x[i];
    }
    return r;
  }
  float nans[L];
  V::store(nans, nan);
  for (int64_t j = 0; j < L; ++j) {
    if (nans[j] != nans[j] || lanes[j] != lanes[j]) return lanes[j] != lanes[j] ? lanes[j] : nans[j];
    if (better(Op, lanes[j], r)) r = lanes[j];
  }
  for (; i < n; ++i) {
    if (x[i] != x[i]) return x[i];
    if (better(Op, x[i], r)) r = x[i];
  }
  return r;
}

template <class V>
float row_impl(RowOp op, const float* x, int64_t n) {
  switch (op) {
    case RowOp::kSum: return sum_pairwise<V, RowOp::kSum>(x, n);
    case RowOp::kSumSq: return sum_pairwise<V, RowOp::kSumSq>(x, n);
    case RowOp::kAbsSum: return sum_pairwise<V, RowOp::kAbsSum>(x, n);
    case RowOp::kMax: return extreme_row<V, RowOp::kMax>(x, n);
    case RowOp::kMin: return extreme_row<V, RowOp::kMin>(x, n);
  }
  return 0.0f;
}

template <class V, RowOp Op>
void col_loop(float* acc, const float* x, int64_t n) {
  constexpr int64_t L = V::kLanes;
  int64_t j = 0;
  for (; j + L <= n; j += L) {
    const typename V::reg v = V::load(x + j);
    const typename V::reg a = V::load(acc + j);
    if constexpr (Op == RowOp::kMax) {
      // max(v, a) returns a when either is NaN; OR-ing the NaN mask of v makes a new NaN stick.
      V::store(acc + j, V::bit_or(V::max(v, a), V::nan_mask(v)));
    } else if constexpr (Op == RowOp::kMin) {
      V::store(acc + j, V::bit_or(V::min(v, a), V::nan_mask(v)));
    } else {
      V::store(acc + j, V::add(a, map_reg<V>(Op, v)));
    }
  }
  for (; j < n; ++j) {
    const float v = x[j];
    if constexpr (Op == RowOp::kMax || Op == RowOp::kMin) {
      if (v != v || better(Op, v, acc[j])) acc[j] = (acc[j] != acc[j]) ? acc[j] : v;
    } else {
      acc[j] += map_one(Op, v);
    }
  }
}

template <class V>
void col_impl(RowOp op, float* acc, const float* x, int64_t n) {
  switch (op) {
    case RowOp::kSum: return col_loop<V, RowOp::kSum>(acc, x, n);
    case RowOp::kSumSq: return col_loop<V, RowOp::kSumSq>(acc, x, n);
    case RowOp::kAbsSum: return col_loop<V, RowOp::kAbsSum>(acc, x, n);
    case RowOp::kMax: return col_loop<V, RowOp::kMax>(acc, x, n);
    case RowOp::kMin: return col_loop<V, RowOp::kMin>(acc, x, n);
  }
}

// cols() (ukernels.h) for runs of K vectors: kR runs in flight per step so that each of the K * kR
// accumulators' add chains has a few loads' time to complete (one run of one vector would wait on
// the add latency every run).
template <class V, RowOp Op, int K>
void cols_loop(float* acc, const float* x, const int64_t* off, int64_t rows, int64_t n) {
  using R = typename V::reg;
  constexpr int64_t L = V::kLanes, kBlock = 128;
  constexpr int kR = K >= 4 ? 1 : 4 / K;
  constexpr bool kSumLike = Op != RowOp::kMax && Op != RowOp::kMin;
  float init_lanes[L];
  for (int64_t j = 0; j < L; ++j) init_lanes[j] = kSumLike ? 0.0f : Op == RowOp::kMax ? -__builtin_inff() : __builtin_inff();
  const R init = V::load(init_lanes);
  // a folded with v (a value of x, or another accumulator): NaN sticks as in col_loop.
  auto comb = [](R a, R v) {
    if constexpr (Op == RowOp::kMax) return V::bit_or(V::max(v, a), V::nan_mask(v));
    else if constexpr (Op == RowOp::kMin) return V::bit_or(V::min(v, a), V::nan_mask(v));
    else return V::add(a, v);
  };
  auto run = [&](int64_t t) { return off ? x + off[t] : x + t * n; };
  R total[K];
  for (R& r : total) r = init;
  for (int64_t b = 0; b < rows; b += kBlock) {
    const int64_t e = rows - b < kBlock ? rows : b + kBlock;
    R a[kR][K];
    for (auto& row : a)
      for (R& r : row) r = init;
    int64_t t = b;
    for (; t + kR <= e; t += kR)
      for (int r = 0; r < kR; ++r) {
        const float* p = run(t + r);
        for (int k = 0; k < K; ++k) a[r][k] = comb(a[r][k], map_reg<V>(Op, V::load(p + k * L)));
      }
    for (; t < e; ++t)
      for (int k = 0; k < K; ++k) a[0][k] = comb(a[0][k], map_reg<V>(Op, V::load(run(t) + k * L)));
    for (int k = 0; k < K; ++k) {
      R s = a[0][k];
      for (int r = 1; r < kR; ++r) s = comb(s, a[r][k]);
      total[k] = comb(total[k], s);
    }
  }
  for (int k = 0; k < K; ++k) V::store(acc + k * L, total[k]);
}

template <class V, RowOp Op>
void cols_op(float* acc, const float* x, const int64_t* off, int64_t rows, int64_t n) {
  switch (n / V::kLanes) {
    case 1: return cols_loop<V, Op, 1>(acc, x, off, rows, n);
    case 2: return cols_loop<V, Op, 2>(acc, x, off, rows, n);
    case 4: return cols_loop<V, Op, 4>(acc, x, off, rows, n);
    default: return cols_loop<V, Op, 8>(acc, x, off, rows, n);
  }
}

template <class V>
void cols_impl(RowOp op, float* acc, const float* x, const int64_t* off, int64_t rows, int64_t n) {
  switch (op) {
    case RowOp::kSum: return cols_op<V, RowOp::kSum>(acc, x, off, rows, n);
    case RowOp::kSumSq: return cols_op<V, RowOp::kSumSq>(acc, x, off, rows, n);
    case RowOp::kAbsSum: return cols_op<V, RowOp::kAbsSum>(acc, x, off, rows, n);
    case RowOp::kMax: return cols_op<V, RowOp::kMax>(acc, x, off, rows, n);
    case RowOp::kMin: return cols_op<V, RowOp::kMin>(acc, x, off, rows, n);
  }
}
