// The strided gather-copy behind Transpose, Slice, Expand, Tile and friends. After dropping
// size-1 dims and merging dims that the source walks contiguously, almost every real case is one
// of: contiguous runs (memcpy per row), a batched 2-D transpose (blocked so that both the reads
// and the writes of a tile stay in L1; 32-bit elements through the 8x8 register ukernel), or a
// short strided walk.
#include <algorithm>

#include "base/thread_pool.h"
#include "kernels/cpu/tensor_util.h"
#include "kernels/ukernels/elementwise/transpose.h"

namespace onnxrt::kernels::tensor_ops {
namespace {

struct Bytes16 {
  uint64_t a, b;
};

// Walks the outer dims [0, k) of (dims, strides) in row-major order, tracking the source offset.
struct Odometer {
  const int64_t* dims;
  const int64_t* strides;
  int k;
  int64_t idx[16] = {};
  int64_t offset = 0;

  void seek(int64_t linear) {
    offset = 0;
    for (int j = k - 1; j >= 0; --j) {
      idx[j] = linear % dims[j];
      linear /= dims[j];
      offset += idx[j] * strides[j];
    }
  }
  void next() {
    for (int j = k - 1; j >= 0; --j) {
      offset += strides[j];
      if (++idx[j] < dims[j]) return;
      offset -= strides[j] * dims[j];
      idx[j] = 0;
    }
  }
};

template <typename E>
void copy_run(const E* s, int64_t stride, E* d, int64_t n) {
  if constexpr (std::is_same_v<E, uint32_t>) {
    // Slice with step 2, SpaceToDepth (op_sweep, onnxruntime / onnxrt: SpaceToDepth 0.57-0.86x ->
    // 1.04-1.45x, a Focus layer's x[..., ::2, ::2] 2.1-2.4x -> 3.65-5.0x).
    if (stride == 2) {
      static const ew::GatherStride2Fn gather2 = ew::gather_stride2_32bit_ukernel();
      return gather2(s, d, n);
    }
  }
  if (stride == 1) {
    if constexpr (std::is_same_v<E, std::string>) {
      for (int64_t i = 0; i < n; ++i) d[i] = s[i];
    } else {
      std::memcpy(d, s, static_cast<size_t>(n) * sizeof(E));
    }
  } else if (stride == 0) {
    for (int64_t i = 0; i < n; ++i) d[i] = *s;
  } else {
    for (int64_t i = 0; i < n; ++i) d[i] = s[i * stride];
  }
}

template <typename E>
void run_copy(const E* src, E* dst, const std::vector<int64_t>& dims,
              const std::vector<int64_t>& strides, ThreadPool* pool) {
  const int r = static_cast<int>(dims.size());
  int64_t total = 1;
  for (int64_t d : dims) total *= d;
  const int64_t L = dims.back();
  const int64_t sL = strides.back();
  constexpr int64_t kB = 32;  // tile edge for the blocked transpose: 2 x 4 KiB of 32-bit values
  static const ew::Transpose32Fn transpose32 = ew::transpose_32bit_ukernel();

  if (r >= 2 && strides[r - 2] == 1 && sL != 1 && sL != 0) {
    // dst[.., i, j] = src[.., i + j*sL]: a batch of 2-D transposes, done in kB x kB tiles.
    const int64_t R = dims[r - 2];
    const int64_t batches = total / (R * L);
    const int64_t row_blocks = (R + kB - 1) / kB;
    auto work = [&](int64_t begin, int64_t end) {
      Odometer od{dims.data(), strides.data(), r - 2};
      int64_t cur_batch = -1;
      for (int64_t w = begin; w < end; ++w) {
        const int64_t b = w / row_blocks, rb = w % row_blocks;
        if (b != cur_batch) {
          od.seek(b);
          cur_batch = b;
        }
        const E* s = src + od.offset;
        E* d = dst + b * R * L;
        const int64_t i0 = rb * kB, i1 = std::min(R, i0 + kB);
        for (int64_t j0 = 0; j0 < L; j0 += kB) {
          const int64_t j1 = std::min(L, j0 + kB);
          if constexpr (std::is_same_v<E, uint32_t>) {  // 8x8 blocks in registers
            transpose32(s + i0 + j0 * sL, sL, d + i0 * L + j0, L, i1 - i0, j1 - j0);
          } else {
            for (int64_t i = i0; i < i1; ++i)
              for (int64_t j = j0; j < j1; ++j) d[i * L + j] = s[i + j * sL];
          }
        }
      }
    };
    if (pool) pool->parallel_for(batches * row_blocks, static_cast<double>(kB * L), work);
    else work(0, batches * row_blocks);
    return;
  }

  const int64_t rows = total / L;
  auto work = [&](int64_t begin, int64_t end) {
    Odometer od{dims.data(), strides.data(), r - 1};
    od.seek(begin);
    for (int64_t o = begin; o < end; ++o) {
      copy_run(src + od.offset, sL, dst + o * L, L);
      od.next();
    }
  };
  if (pool) pool->parallel_for(rows, static_cast<double>(L), work);
  else work(0, rows);
}

}  // namespace

void strided_copy(DType t, const void* src, void* dst, std::span<const int64_t> shape,
                  std::span<const int64_t> src_strides, ThreadPool* pool) {
  std::vector<int64_t> dims, strides;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) return;
    if (shape[i] == 1) continue;
    if (!dims.empty() && strides.back() == src_strides[i] * shape[i]) {
      dims.back() *= shape[i];
      strides.back() = src_strides[i];
    } else {
      dims.push_back(shape[i]);
      strides.push_back(src_strides[i]);
    }
  }
  if (dims.empty()) {
    dims.push_back(1);
    strides.push_back(1);
  }
  // Odometer holds 16 outer dims; more than that after merging cannot come from ONNX models in
  // practice, but fold the excess into the outer dims' walk by splitting work finer is not needed:
  // fall back to element-wise copy through repeated calls.
  if (dims.size() > 17) {
    const int64_t n0 = dims[0], s0 = strides[0];
    std::vector<int64_t> rest_d(dims.begin() + 1, dims.end()), rest_s(strides.begin() + 1, strides.end());
    int64_t inner = 1;
    for (int64_t d : rest_d) inner *= d;
    const size_t es = elem_bytes(t);
    for (int64_t i = 0; i < n0; ++i)
      strided_copy(t, static_cast<const char*>(src) + i * s0 * static_cast<int64_t>(es),
                   static_cast<char*>(dst) + i * inner * static_cast<int64_t>(es), rest_d, rest_s,
                   pool);
    return;
  }
  switch (t == DType::kString ? 0 : elem_bytes(t)) {
    case 0:
      run_copy(static_cast<const std::string*>(src), static_cast<std::string*>(dst), dims, strides,
               pool);
      break;
    case 1:
      run_copy(static_cast<const uint8_t*>(src), static_cast<uint8_t*>(dst), dims, strides, pool);
      break;
    case 2:
      run_copy(static_cast<const uint16_t*>(src), static_cast<uint16_t*>(dst), dims, strides, pool);
      break;
    case 4:
      run_copy(static_cast<const uint32_t*>(src), static_cast<uint32_t*>(dst), dims, strides, pool);
      break;
    case 8:
      run_copy(static_cast<const uint64_t*>(src), static_cast<uint64_t*>(dst), dims, strides, pool);
      break;
    case 16:
      run_copy(static_cast<const Bytes16*>(src), static_cast<Bytes16*>(dst), dims, strides, pool);
      break;
    default:
      break;
  }
}

}  // namespace onnxrt::kernels::tensor_ops
