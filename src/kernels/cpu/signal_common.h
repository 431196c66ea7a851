// Shared by the signal kernels of both backends: element access in double for the float types,
// run-time geometry of DFT and STFT (checked against the concrete inputs), the drivers that
// gather each 1-D lane, transform it and scatter the result, and the factories.
//
// A transform is a `LaneTransform`: it replaces n complex values by their unnormalised DFT
// (sign -1) or inverse DFT (sign +1). The CPU backend plugs in an FFT, the reference backend a
// direct O(n²) sum, and everything around the transform (padding, one-sided output, the
// Hermitian extension of an inverse one-sided DFT, windows, frames) is this shared code.
#pragma once

#include <complex>
#include <cstdint>
#include <functional>
#include <memory>

#include "base/half.h"
#include "kernels/kernel.h"

namespace onnxrt::kernels::signal {

using cd = std::complex<double>;

inline bool is_float_dtype(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 ||
         t == DType::kBFloat16;
}

inline double load_f(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kFloat32: return t.data<float>()[i];
    case DType::kFloat64: return t.data<double>()[i];
    case DType::kFloat16: return half_to_float(t.data<uint16_t>()[i]);
    case DType::kBFloat16: return bfloat16_to_float(t.data<uint16_t>()[i]);
    default: return 0.0;
  }
}

// Stores v in any numeric output type; integers truncate toward zero, as numpy's astype does.
void store_any(Tensor& t, int64_t i, double v);
// True for the types store_any writes.
bool storable(DType t);

// The value of a scalar (or one-element) int32/int64 input.
Expected<int64_t> scalar_int(const KernelContext& ctx, const Tensor* t, const char* name);

// One transform of a fixed length and direction, reusable across lanes and threads.
class LaneTransform {
 public:
  virtual ~LaneTransform() = default;
  // data: n values in, n values out. work: scratch of work_size() values (per thread).
  virtual void run(cd* data, cd* work) const = 0;
  virtual int64_t work_size() const = 0;
};
using TransformFactory = std::unique_ptr<LaneTransform> (*)(int64_t n, bool inverse);

// DFT and STFT kernels on any float type around a transform (`variant` names it in profiles).
// DFT views its input as [outer, len, inner, 1|2] and its output as [outer, out_len, inner, 1|2];
// STFT maps [batch, len, 1|2] to [batch, frames, bins, 2].
Expected<std::unique_ptr<Kernel>> make_dft_kernel(const KernelInit& init, TransformFactory make,
                                                  const char* variant);
Expected<std::unique_ptr<Kernel>> make_stft_kernel(const KernelInit& init, TransformFactory make,
                                                   const char* variant);

// Kernels whose work is not a transform; the same code serves both tables (pinned-value tests).
Expected<std::unique_ptr<Kernel>> make_window(const KernelInit& init);  // Hann/Hamming/Blackman
Expected<std::unique_ptr<Kernel>> make_mel_weight_matrix(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_nms(const KernelInit& init);

}  // namespace onnxrt::kernels::signal

namespace onnxrt::kernels {

Expected<std::unique_ptr<Kernel>> make_cpu_dft(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_stft(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_dft(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_stft(const KernelInit& init);

}  // namespace onnxrt::kernels
