// One output row of an AveragePool with dilation 1 (ukernels.h, AvgPoolRowArgs), written once in
// plain loops and compiled per ISA (avgpool_row_f32_{scalar,avx2}.cc), where the compiler
// vectorizes them at the ISA's width. Every loop keeps each output's order of additions, so all
// builds give the same bits. Two and three window rows, and 3x3 stride-1 windows, take one pass
// each instead of a pass per row or column (an Inception-style 3x3 stride-1 pool of
// [1, 64, 56, 56]: 0.157 -> 0.103 ms, bench_model). Included inside an anonymous namespace.

// acc[ow] = sum of buf[ow * S + t] over t < kw, with the stride known to the compiler.
template <int S>
inline void window_sums(const float* buf, int64_t kw, int64_t OW, float* acc) {
  for (int64_t ow = 0; ow < OW; ++ow) acc[ow] = buf[ow * S];
  for (int64_t t = 1; t < kw; ++t)
    for (int64_t ow = 0; ow < OW; ++ow) acc[ow] += buf[ow * S + t];
}

inline void avgpool_row_impl(const AvgPoolRowArgs& a) {
  float* row = a.buf + a.L;  // input column w at row[w]; the zeros around it stay zero
  const int64_t W = a.W;
  if (a.nrows == 0) {
    for (int64_t w = 0; w < W; ++w) row[w] = 0.f;
  } else if (a.nrows == 2 || a.nrows == 3) {  // 2x2 and 3x3 windows: one pass, the same order
    const float *r0 = a.rows[0], *r1 = a.rows[1];
    if (a.nrows == 2) {
      for (int64_t w = 0; w < W; ++w) row[w] = r0[w] + r1[w];
    } else {
      const float* r2 = a.rows[2];
      for (int64_t w = 0; w < W; ++w) row[w] = (r0[w] + r1[w]) + r2[w];
    }
  } else {
    const float* r0 = a.rows[0];
    for (int64_t w = 0; w < W; ++w) row[w] = r0[w];
    for (int64_t r = 1; r < a.nrows; ++r) {
      const float* src = a.rows[r];
      for (int64_t w = 0; w < W; ++w) row[w] += src[w];
    }
  }
  float* acc = a.acc;
  if (a.sw == 1 && a.kw == 3) {  // 3x3 stride-1 windows (Inception's pools): sums and scale in one pass
    const float* b = a.buf;
    for (int64_t ow = 0; ow < a.OW; ++ow) a.y[ow] = ((b[ow] + b[ow + 1]) + b[ow + 2]) * a.inv_rows * a.inv_cols[ow];
    return;
  }
  if (a.sw == 1) {
    window_sums<1>(a.buf, a.kw, a.OW, acc);
  } else if (a.sw == 2) {
    window_sums<2>(a.buf, a.kw, a.OW, acc);
  } else {
    // Phase q of the padded row holds its columns q, q + sw, ...: window column t of output ow is
    // phase t % sw at ow + t / sw.
    for (int64_t q = 0; q < a.sw; ++q)
      for (int64_t i = 0; i < a.phase_len; ++i) a.phases[q * a.phase_len + i] = a.buf[i * a.sw + q];
    for (int64_t ow = 0; ow < a.OW; ++ow) acc[ow] = a.phases[ow];
    for (int64_t t = 1; t < a.kw; ++t) {
      const float* src = a.phases + (t % a.sw) * a.phase_len + t / a.sw;
      for (int64_t ow = 0; ow < a.OW; ++ow) acc[ow] += src[ow];
    }
  }
  for (int64_t ow = 0; ow < a.OW; ++ow) a.y[ow] = acc[ow] * a.inv_rows * a.inv_cols[ow];
}
