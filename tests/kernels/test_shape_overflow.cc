// Kernels that recompute sizes from run-time values (Slice steps, Concat sums, Attention's past +
// new sequence length): values at the int64 extremes give the right result or a clear error, never
// a wrapped size.
#include <gtest/gtest.h>

#include <limits>

#include "ir/infer.h"
#include "kernels/harness.h"
#include "kernels/registry.h"

namespace onnxrt::testing {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

Tensor i64v(std::vector<int64_t> v) { return make_tensor<int64_t>(DType::kInt64, {static_cast<int64_t>(v.size())}, v); }

// Slice steps near INT64_MAX / INT64_MIN on a non-last axis (step * row stride has no int64 value):
// one row is taken, on both backends.
TEST(ShapeOverflowKernels, SliceWithExtremeStepsTakesOneRow) {
  const Tensor x = make_tensor<float>(DType::kFloat32, {3, 2}, {0, 1, 10, 11, 20, 21});
  struct Case {
    int64_t start, end, step;
    std::vector<float> want;
  };
  for (const Case& c : {Case{0, 3, kMax, {0, 1}}, Case{1, kMax, kMax - 1, {10, 11}}, Case{2, kMin, kMin, {20, 21}},
                        Case{kMax, kMin, kMin, {20, 21}}, Case{kMax, kMin, kMin + 1, {20, 21}},
                        Case{kMax, kMin, -1, {20, 21, 10, 11, 0, 1}}}) {
    for (kernels::Backend b : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
      SCOPED_TRACE("start " + std::to_string(c.start) + " end " + std::to_string(c.end) + " step " +
                   std::to_string(c.step) + (b == kernels::Backend::kCpu ? " cpu" : " reference"));
      auto r = run_node(b, NodeBuilder("Slice", 13).build(),
                        {x, i64v({c.start}), i64v({c.end}), i64v({0}), i64v({c.step})}, 1);
      ASSERT_TRUE(r.has_value()) << r.status().to_string();
      const Shape want_shape{static_cast<int64_t>(c.want.size() / 2), 2};
      EXPECT_TRUE(tensors_close((*r)[0], make_tensor<float>(DType::kFloat32, want_shape, c.want), 0, 0));
    }
  }
}

// An empty output whose other dims multiply past int64 (outer * row): nothing to copy, no error.
TEST(ShapeOverflowKernels, ConcatOfEmptyTensorsWithHugeDims) {
  const int64_t big = int64_t{1} << 40;
  const Tensor a = Tensor::allocate(DType::kFloat32, {0, big, big});
  const Tensor b = Tensor::allocate(DType::kFloat32, {0, 1, big});
  for (kernels::Backend be : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(be, NodeBuilder("Concat", 13).attr_i("axis", 1).build(), {a, b}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_EQ((*r)[0].shape(), (Shape{0, big + 1, big}));
  }
}

// Split of an empty tensor whose other dims multiply past int64: empty parts, no error; and split
// sizes whose running sum leaves int64 are refused, not wrapped into a valid-looking offset.
TEST(ShapeOverflowKernels, SplitOfEmptyTensorWithHugeDimsAndOverflowingSizes) {
  const int64_t big = int64_t{1} << 40;
  const Tensor empty = Tensor::allocate(DType::kFloat32, {0, 4, big, big});
  auto r = run_node(kernels::Backend::kCpu, NodeBuilder("Split", 13).attr_i("axis", 1).build(),
                    {empty, i64v({1, 3})}, 2);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_EQ((*r)[0].shape(), (Shape{0, 1, big, big}));
  EXPECT_EQ((*r)[1].shape(), (Shape{0, 3, big, big}));

  const Tensor x = make_tensor<float>(DType::kFloat32, {2, 2}, {0, 1, 2, 3});
  auto bad = run_node(kernels::Backend::kCpu, NodeBuilder("Split", 13).attr_i("axis", 1).build(),
                      {x, i64v({kMax, kMax})}, 2);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.status().message().find("split"), std::string::npos) << bad.status().to_string();
}

// Batch 0 lets a past cache declare any sequence length; past + new then leaves int64.
TEST(ShapeOverflowKernels, AttentionPastPlusNewSequenceLengthPastInt64IsAnError) {
  ir::Node node = NodeBuilder("Attention", 23).build();
  const Tensor q = Tensor::allocate(DType::kFloat32, {0, 1, 2, 4});
  const Tensor k = Tensor::allocate(DType::kFloat32, {0, 1, 1, 4});
  const Tensor past = Tensor::allocate(DType::kFloat32, {0, 1, kMax, 4});
  const std::vector<const Tensor*> ins{&q, &k, &k, nullptr, &past, &past};
  node.inputs.assign(ins.size(), 0);
  node.outputs.assign(1, 0);
  std::vector<ir::ValueType> types;
  for (const Tensor* t : ins)
    types.push_back(t ? ir::ValueType::tensor(t->dtype(), to_sym_shape(t->shape())) : ir::ValueType());
  std::vector<const ir::ValueType*> tp;
  for (size_t i = 0; i < ins.size(); ++i) tp.push_back(ins[i] ? &types[i] : nullptr);
  const std::vector<const Tensor*> no_constants(ins.size(), nullptr);
  const ir::ValueType out_type = ir::ValueType::tensor(DType::kFloat32, SymShape{0, 1, 2, 4});
  const ir::ValueType* op[] = {&out_type};
  for (kernels::Backend b : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    SCOPED_TRACE(b == kernels::Backend::kCpu ? "cpu" : "reference");
    const kernels::KernelEntry* e = kernels::find_kernel(b, "", "Attention", 23, DType::kFloat32);
    ASSERT_NE(e, nullptr);
    kernels::KernelInit init{node, tp, no_constants, op};
    auto kernel = e->factory(init);
    ASSERT_TRUE(kernel.has_value()) << kernel.status().to_string();
    FixedKernelContext ctx(node, ins, Tensor::allocate(DType::kFloat32, {0, 1, 2, 4}));
    const Status st = (*kernel)->run(ctx);
    ASSERT_FALSE(st.is_ok());
    EXPECT_NE(st.message().find("overflows int64"), std::string::npos) << st.message();
  }
}

}  // namespace
}  // namespace onnxrt::testing
