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
