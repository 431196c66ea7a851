// PackedB::pack from a B that is not 4-byte aligned (a weight read in place from a model file:
// onnx/tensor_proto.h) gives the same packed panels as from an aligned copy: the products through
// both are bitwise equal, for every microkernel family, both layouts of B, every byte offset and
// tails in K and N. The aligned packing itself is checked against a naive GEMM in test_gemm.cc.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "kernels/cpu/gemm.h"

namespace onnxrt::kernels {
namespace {

TEST(GemmPackMisaligned, SameProductsAsFromAnAlignedCopy) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  struct Shape {
    int64_t K, N, pad;
  };
  // K: one block, a tail after one and two kKc blocks; N: below, at and across the 256-column
  // staging chunks and every NR; pad: B's leading dimension larger than its row.
  const Shape shapes[] = {{1, 1, 0}, {7, 33, 3}, {256, 256, 0}, {300, 257, 5}, {513, 600, 0}, {64, 1000, 1}};
  for (GemmIsa isa : {GemmIsa::kScalar, GemmIsa::kAvx2, GemmIsa::kAvx512}) {
    for (bool trans : {false, true}) {
      for (const Shape& s : shapes) {
        const int64_t rows = trans ? s.N : s.K, cols = trans ? s.K : s.N, ldb = cols + s.pad;
        std::vector<float> B(static_cast<size_t>(rows * ldb));
        for (float& x : B) x = dist(rng);
        const int64_t M = 13;
        std::vector<float> A(static_cast<size_t>(M * s.K));
        for (float& x : A) x = dist(rng);
        std::vector<float> want(static_cast<size_t>(M * s.N)), got(want.size());
        const PackedB aligned = PackedB::pack(trans, s.K, s.N, B.data(), ldb, isa);
        sgemm_packed(false, M, 1.f, A.data(), s.K, aligned, 0.f, want.data(), s.N, nullptr);
        std::vector<unsigned char> bytes(B.size() * sizeof(float) + 8);
        for (size_t offset : {1, 2, 3}) {
          SCOPED_TRACE(::testing::Message() << sgemm_variant(isa) << " trans=" << trans << " K=" << s.K
                                            << " N=" << s.N << " pad=" << s.pad << " offset=" << offset);
          unsigned char* at = bytes.data() + offset;
          std::memcpy(at, B.data(), B.size() * sizeof(float));
          const PackedB packed =
              PackedB::pack(trans, s.K, s.N, reinterpret_cast<const float*>(at), ldb, isa);
          sgemm_packed(false, M, 1.f, A.data(), s.K, packed, 0.f, got.data(), s.N, nullptr);
          ASSERT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0);
        }
      }
    }
  }
}

}  // namespace
}  // namespace onnxrt::kernels
