// float16 / bfloat16 Softmax family and the normalizations on their native CPU kernels (widened
// a row at a time, not through the float32 bridge) against the reference (float32 bridge over
// the double-precision reference): every axis position, long axes, odd sizes, broadcast Scale/B.
// Instance/Group/LpNormalization have only float32 references: their 16-bit results are checked
// against the reference run on the same inputs widened (exactly) to float32.
// Tolerance: one rounding of the 16-bit type apart (the CPU rounds its float32 result, the
// reference its double result).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "base/half.h"
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

Tensor widen(const Tensor& t) {
  if (!t.defined() || (t.dtype() != DType::kFloat16 && t.dtype() != DType::kBFloat16)) return t;
  Tensor f = Tensor::allocate(DType::kFloat32, t.shape());
  for (int64_t i = 0; i < t.size(); ++i) {
    const uint16_t b = t.data<uint16_t>()[i];
    f.data<float>()[i] = t.dtype() == DType::kFloat16 ? half_to_float(b) : bfloat16_to_float(b);
  }
  return f;
}

// The CPU kernel on 16-bit inputs vs the reference on the same inputs widened to float32.
void expect_matches_widened_reference(const ir::Node& node, const std::vector<Tensor>& in, double t) {
  auto got = run_node(kernels::Backend::kCpu, node, in, 1);
  ASSERT_TRUE(got.has_value()) << got.status().to_string();
  std::vector<Tensor> wide;
  for (const Tensor& v : in) wide.push_back(widen(v));
  auto want = run_node(kernels::Backend::kReference, node, wide, 1);
  ASSERT_TRUE(want.has_value()) << want.status().to_string();
  ASSERT_EQ((*got)[0].dtype(), in[0].dtype());
  EXPECT_TRUE(tensors_close(widen((*got)[0]), (*want)[0], t, t));
}

TEST(NnHalf, BatchNormalizationNativeMatchesReference) {
  std::mt19937 rng(23);
  for (DType t : {DType::kFloat16, DType::kBFloat16}) {
    for (int opset : {9, 15}) {
      auto node = NodeBuilder("BatchNormalization", opset).attr_f("epsilon", 1e-3f).build();
      EXPECT_NE(cpu_variant(node, t, {2, 3, 4}), "f32_bridge");
      for (Shape s : {Shape{2, 3, 5, 7}, Shape{1, 16, 33}, Shape{4, 5}, Shape{0, 3, 2}}) {
        SCOPED_TRACE(std::string(dtype_name(t)) + " opset " + std::to_string(opset) + " " + shape_to_string(s));
        const Shape c{s[1]};
        // Parameters of X's type, and (opset 15 allows it) float32 parameters with 16-bit X.
        for (DType pt : {t, DType::kFloat32}) {
          std::vector<Tensor> in{random_tensor(t, s, rng, -4, 4), random_tensor(pt, c, rng), random_tensor(pt, c, rng),
                                 random_tensor(pt, c, rng), random_tensor(pt, c, rng, 0.1, 2)};
          expect_matches_widened_reference(node, in, tol(t));
        }
      }
    }
    // opset 7, spatial = 0: statistics per element of the non-batch dims.
    auto flat = NodeBuilder("BatchNormalization", 7).attr_i("spatial", 0).build();
    const Shape s{2, 3, 4}, p{3, 4};
    expect_matches_widened_reference(flat, {random_tensor(t, s, rng), random_tensor(t, p, rng), random_tensor(t, p, rng),
                                            random_tensor(t, p, rng), random_tensor(t, p, rng, 0.1, 2)}, tol(t));
  }
}

TEST(NnHalf, InstanceAndGroupNormalizationNativeMatchesReference) {
  std::mt19937 rng(24);
  for (DType t : {DType::kFloat16, DType::kBFloat16}) {
    auto inst = NodeBuilder("InstanceNormalization", 6).attr_f("epsilon", 1e-5f).build();
    EXPECT_NE(cpu_variant(inst, t, {2, 3, 4}), "f32_bridge");
    for (Shape s : {Shape{2, 3, 5, 7}, Shape{1, 8, 300}, Shape{3, 2, 1}}) {
      SCOPED_TRACE(std::string(dtype_name(t)) + " instance " + shape_to_string(s));
      // Offset from zero so that the mean matters.
      expect_matches_widened_reference(inst, {random_tensor(t, s, rng, 2, 6), random_tensor(t, {s[1]}, rng),
                                              random_tensor(t, {s[1]}, rng)}, tol(t));
    }
    for (int opset : {18, 21}) {
      for (int64_t groups : {1, 2, 4}) {
        auto node = NodeBuilder("GroupNormalization", opset).attr_i("num_groups", groups).attr_f("epsilon", 1e-4f).build();
        EXPECT_NE(cpu_variant(node, t, {2, 4, 3}), "f32_bridge");
        const Shape s{2, 8, 6, 5};
        const Shape p{opset >= 21 ? 8 : groups};
        SCOPED_TRACE(std::string(dtype_name(t)) + " groups " + std::to_string(groups) + " opset " + std::to_string(opset));
        expect_matches_widened_reference(node, {random_tensor(t, s, rng, -1, 3), random_tensor(t, p, rng),
                                                random_tensor(t, p, rng)}, tol(t));
      }
    }
    // Scale of another type than X is an error, not a misread.
    auto bad = run_node(kernels::Backend::kCpu, inst,
                        {random_tensor(t, {1, 2, 3}, rng), random_tensor(DType::kFloat32, {2}, rng), random_tensor(t, {2}, rng)}, 1);
    EXPECT_FALSE(bad.has_value());
  }
}

TEST(NnHalf, LpNormalizationNativeMatchesReference) {
  std::mt19937 rng(25);
  for (DType t : {DType::kFloat16, DType::kBFloat16}) {
    for (int64_t p : {1, 2}) {
      for (int64_t axis : {-1, 0, 1}) {
        auto node = NodeBuilder("LpNormalization", 1).attr_i("axis", axis).attr_i("p", p).build();
        EXPECT_NE(cpu_variant(node, t, {3, 4}), "f32_bridge");
        for (Shape s : {Shape{3, 17}, Shape{4, 6, 5}, Shape{2, 300}}) {
          SCOPED_TRACE(std::string(dtype_name(t)) + " p " + std::to_string(p) + " axis " + std::to_string(axis) + " " +
                       shape_to_string(s));
          expect_matches_widened_reference(node, {random_tensor(t, s, rng, -3, 3)}, tol(t));
        }
      }
    }
    // A zero vector stays zero.
    auto node = NodeBuilder("LpNormalization", 1).attr_i("axis", -1).build();
    expect_matches_widened_reference(node, {Tensor::allocate(t, {2, 3})}, tol(t));
  }
}

TEST(NnHalf, RMSNormalizationNativeMatchesReference) {
  std::mt19937 rng(26);
  for (DType t : {DType::kFloat16, DType::kBFloat16}) {
    for (int64_t axis : {-1, 1}) {
      auto node = NodeBuilder("RMSNormalization", 23).attr_i("axis", axis).attr_f("epsilon", 1e-5f).build();
      for (Shape s : {Shape{3, 17}, Shape{2, 5, 64}, Shape{4, 768}}) {
        SCOPED_TRACE(std::string(dtype_name(t)) + " axis " + std::to_string(axis) + " " + shape_to_string(s));
        const Shape sc(s.begin() + (axis < 0 ? static_cast<int64_t>(s.size()) - 1 : axis), s.end());
        expect_matches_reference(node, {random_tensor(t, s, rng, -3, 3), random_tensor(t, sc, rng)}, 1, tol(t), tol(t));
      }
    }
  }
}

}  // namespace
}  // namespace onnxrt::testing
