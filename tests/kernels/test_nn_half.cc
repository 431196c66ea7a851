// float16 / bfloat16 Softmax family and LayerNormalization on their native CPU kernels (widened
// a row at a time, not through the float32 bridge) against the reference (float32 bridge over
// the double-precision reference): every axis position, long axes, odd sizes, broadcast Scale/B.
// Tolerance: one rounding of the 16-bit type apart (the CPU rounds its float32 result, the
// reference its double result).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "kernels/harness.h"
#include "kernels/registry.h"

namespace onnxrt::testing {
namespace {

double tol(DType t) { return t == DType::kFloat16 ? 2e-3 : 1.6e-2; }

// The variant of the CPU kernel chosen for `node` with X of type `t` and shape `s`.
std::string cpu_variant(const ir::Node& node, DType t, const Shape& s) {
  const kernels::KernelEntry* e = kernels::find_kernel(kernels::Backend::kCpu, node.domain, node.op_type, node.opset, t);
  if (!e) return "none";
  SymShape sym(s.begin(), s.end());
  const ir::ValueType x = ir::ValueType::tensor(t, sym);
  const ir::ValueType* ins[] = {&x, &x, &x};
  const ir::ValueType* outs[] = {&x};
  auto k = e->factory(kernels::KernelInit{node, ins, {}, outs});
  return k.has_value() ? (*k)->variant() : k.status().to_string();
}

TEST(NnHalf, SoftmaxFamilyNativeMatchesReference) {
  std::mt19937 rng(21);
  for (DType t : {DType::kFloat16, DType::kBFloat16}) {
    for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"}) {
      for (int64_t axis : {-1, 0, 1}) {
        auto node = NodeBuilder(op, 13).attr_i("axis", axis).build();
        EXPECT_NE(cpu_variant(node, t, {3, 4}), "f32_bridge") << op;
        for (Shape s : {Shape{3, 17}, Shape{2, 5, 33}, Shape{4, 70, 3}, Shape{2, 1500, 2}, Shape{1, 1, 1}}) {
          SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(t)) + " axis " + std::to_string(axis));
          expect_matches_reference(node, {random_tensor(t, s, rng, -6, 6)}, 1, tol(t), tol(t));
        }
      }
      // Opset 11: the input is coerced to 2-D at `axis`.
      auto coerced = NodeBuilder(op, 11).attr_i("axis", 1).build();
      expect_matches_reference(coerced, {random_tensor(t, {3, 4, 5}, rng, -6, 6)}, 1, tol(t), tol(t));
    }
  }
}

TEST(NnHalf, LayerNormalizationNativeMatchesReference) {
  std::mt19937 rng(22);
  for (DType t : {DType::kFloat16, DType::kBFloat16}) {
    auto node = NodeBuilder("LayerNormalization", 17).attr_i("axis", -1).attr_f("epsilon", 1e-5f).build();
    EXPECT_NE(cpu_variant(node, t, {3, 4}), "f32_bridge");
    for (Shape s : {Shape{3, 17}, Shape{2, 5, 64}, Shape{1, 1}, Shape{7, 768}}) {
      SCOPED_TRACE(std::string(dtype_name(t)) + " rows of " + std::to_string(s.back()));
      const Shape p{s.back()};
      // Values offset from zero so that the mean matters.
      expect_matches_reference(node, {random_tensor(t, s, rng, 2, 5), random_tensor(t, p, rng), random_tensor(t, p, rng)}, 1,
                               tol(t), tol(t));
      expect_matches_reference(node, {random_tensor(t, s, rng, -3, 3), random_tensor(t, p, rng)}, 1, tol(t), tol(t));
    }
    // axis 1 of a rank-3 X: rows of 4 x 6, Scale broadcast from [6], and the Mean/InvStdDev outputs (float32).
    auto mid = NodeBuilder("LayerNormalization", 17).attr_i("axis", 1).build();
    expect_matches_reference(mid, {random_tensor(t, {3, 4, 6}, rng), random_tensor(t, {6}, rng), random_tensor(t, {4, 6}, rng)}, 3,
                             tol(t), tol(t));
    // Scale of another type is an error, not a misread.
    auto bad = run_node(kernels::Backend::kCpu, node, {random_tensor(t, {2, 3}, rng), random_tensor(DType::kFloat32, {3}, rng)}, 1);
    EXPECT_FALSE(bad.has_value());
  }
}

}  // namespace
}  // namespace onnxrt::testing
