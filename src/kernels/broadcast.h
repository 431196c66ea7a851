// Numpy-style broadcasting for kernels that read several inputs in step with one output
// (element-wise arithmetic, Where, Expand, ...). Given the input shapes and the output shape,
// Broadcaster computes per-input element strides (0 along broadcast dims), merges adjacent dims
// that every input walks the same way, and then visits the output as contiguous *runs* along the
// innermost merged dim. Within a run input i advances by inner_stride(i), which is 0 (one value
// repeated: a scalar-broadcast inner loop) or 1 (contiguous), so kernels need only three inner
// loops (vec-vec, vec-scalar, scalar-vec) to cover every broadcast pattern.
//
//   ONNXRT_ASSIGN_OR_RETURN(Broadcaster bc, Broadcaster::make({a.shape(), b.shape()}, y.shape()));
//   bc.for_each_run(0, bc.size(), [&](const int64_t* in_off, int64_t out_off, int64_t n) {
//     kernel(a_ptr + in_off[0], bc.inner_stride(0), b_ptr + in_off[1], bc.inner_stride(1),
//            y_ptr + out_off, n);
//   });
//
// for_each_run takes any sub-range [begin, end) of output elements, so parallel_for can split
// the work at arbitrary points.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "onnxrt/status.h"
#include "onnxrt/tensor.h"

namespace onnxrt::kernels {

class Broadcaster {
 public:
  static constexpr int kMaxInputs = 8;

  // Error (InvalidArgument) when an input has more dims than the output or a dim that is neither
  // equal to the output's nor 1.
  static Expected<Broadcaster> make(std::span<const Shape> inputs, const Shape& output);
  static Expected<Broadcaster> make(std::initializer_list<Shape> inputs, const Shape& output) {
    return make(std::span<const Shape>(inputs.begin(), inputs.size()), output);
  }

  int num_inputs() const { return num_inputs_; }
  int64_t size() const { return size_; }  // output element count
  // Length of the innermost merged dim (the longest possible run).
  int64_t inner_size() const { return dims_.empty() ? 1 : dims_.back(); }
  // 0 or 1: how input i advances within a run.
  int64_t inner_stride(int i) const { return inner_stride_[static_cast<size_t>(i)]; }
  // True when no input is broadcast: every input has the output's element count and layout.
  bool all_same_shape() const { return same_shape_; }
  // Merged output dims, outermost first (empty for a scalar or empty output).
  const std::vector<int64_t>& dims() const { return dims_; }
  // Element strides of input i over dims() (0 for broadcast dims).
  std::span<const int64_t> strides(int i) const {
    return {strides_.data() + static_cast<size_t>(i) * dims_.size(), dims_.size()};
  }

  // Calls fn(const int64_t* in_offsets, int64_t out_offset, int64_t n) for consecutive runs that
  // cover output elements [begin, end) in order; in_offsets[i] is input i's element offset at the
  // run's start.
  template <typename Fn>
  void for_each_run(int64_t begin, int64_t end, Fn&& fn) const;

 private:
  int num_inputs_ = 0;
  int64_t size_ = 0;
  bool same_shape_ = true;
  std::vector<int64_t> dims_;
  std::vector<int64_t> strides_;  // [num_inputs][dims]
  std::array<int64_t, kMaxInputs> inner_stride_{};
};

template <typename Fn>
void Broadcaster::for_each_run(int64_t begin, int64_t end, Fn&& fn) const {
  if (begin >= end) return;
  std::array<int64_t, kMaxInputs> off{};
  const size_t rank = dims_.size();
  if (rank <= 1) {  // one run: offsets are begin (contiguous) or 0 (broadcast)
    for (int i = 0; i < num_inputs_; ++i) off[static_cast<size_t>(i)] = begin * inner_stride_[static_cast<size_t>(i)];
    fn(off.data(), begin, end - begin);
    return;
  }
  // Unravel `begin` over the outer dims once, then step an odometer run by run.
  const int64_t inner = dims_[rank - 1];
  std::array<int64_t, 16> idx_small{};
  std::vector<int64_t> idx_big;
  int64_t* idx = idx_small.data();
  if (rank > idx_small.size()) {
    idx_big.resize(rank);
    idx = idx_big.data();
  }
  int64_t rem = begin / inner;
  int64_t pos_in_run = begin % inner;
  for (size_t d = rank - 1; d-- > 0;) {
    idx[d] = rem % dims_[d];
    rem /= dims_[d];
  }
  for (int i = 0; i < num_inputs_; ++i) {
    const int64_t* st = strides_.data() + static_cast<size_t>(i) * rank;
    int64_t o = pos_in_run * st[rank - 1];
    for (size_t d = 0; d + 1 < rank; ++d) o += idx[d] * st[d];
    off[static_cast<size_t>(i)] = o;
  }
  int64_t out = begin;
  while (out < end) {
    const int64_t n = std::min(inner - pos_in_run, end - out);
    fn(off.data(), out, n);
    out += n;
    if (out >= end) break;
    // Advance to the start of the next run: undo the inner progress, bump the odometer.
    for (int i = 0; i < num_inputs_; ++i) {
      const int64_t* st = strides_.data() + static_cast<size_t>(i) * rank;
      off[static_cast<size_t>(i)] -= pos_in_run * st[rank - 1];
    }
    pos_in_run = 0;
    for (size_t d = rank - 1; d-- > 0;) {
      ++idx[d];
      for (int i = 0; i < num_inputs_; ++i)
        off[static_cast<size_t>(i)] += strides_[static_cast<size_t>(i) * rank + d];
      if (idx[d] < dims_[d]) break;
      for (int i = 0; i < num_inputs_; ++i)
        off[static_cast<size_t>(i)] -= idx[d] * strides_[static_cast<size_t>(i) * rank + d];
      idx[d] = 0;
    }
  }
}

}  // namespace onnxrt::kernels
