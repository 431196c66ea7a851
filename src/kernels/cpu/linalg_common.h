// Shared by the CPU MatMul and Gemm kernels (kernels/cpu/linalg_*.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/kernel.h"
#include "onnxrt/tensor.h"

namespace onnxrt::kernels {

// MatMul operands viewed as batches of row-major matrices: C[b] = A[a_index[b]] * B[b_index[b]].
struct MatMulShape {
  int64_t M = 0, N = 0, K = 0;
  int64_t batch = 1;                  // output matrices
  bool b_shared = false;              // B has no batch dims: every output uses B matrix 0
  std::vector<int64_t> a_index;       // per output matrix, the A matrix it reads
  std::vector<int64_t> b_index;       // per output matrix, the B matrix it reads
  bool a_identity = true;             // a_index[i] == i (A's batch can fold into M)
};

// numpy.matmul shapes; an error message (expected vs found) when they do not fit.
bool matmul_shape(const Shape& a, const Shape& b, MatMulShape* out, std::string* error);

// Integer products wrap (two's complement), as ONNX Runtime does, without signed-overflow UB.
template <typename T>
inline T mul_add_wrap(T acc, T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(acc) + static_cast<U>(a) * static_cast<U>(b));
  } else {
    return acc + a * b;
  }
}

Expected<std::unique_ptr<Kernel>> make_matmul(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_gemm(const KernelInit& init);

}  // namespace onnxrt::kernels
