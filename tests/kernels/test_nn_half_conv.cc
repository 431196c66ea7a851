// float16 / bfloat16 Conv and FusedConv on their native CPU kernel (nn_conv_half.cc: input widened
// a band of rows at a time, output narrowed once; no float32 bridge) against the reference (the
// float32 bridge over the double-precision reference Conv), over 1-D / 2-D / 3-D convs, groups,
// depthwise, pads, strides, dilations and sizes that cut the output into several bands.
// FusedConv has only a float32 reference, so its 16-bit results are checked against the float32
// CPU FusedConv run on the same (exactly widened) inputs.
// Tolerance: one rounding of the 16-bit type apart (both sides round a float32/double result once).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "base/half.h"
#include "kernels/harness.h"
#include "kernels/registry.h"

namespace onnxrt::testing {
namespace {

double tol(DType t) { return t == DType::kFloat16 ? 2e-3 : 1.6e-2; }

// The variant of the CPU kernel chosen for `node` with every input and output of type `t`.
std::string cpu_variant(const ir::Node& node, DType t, const Shape& x_shape, const Shape& w_shape) {
  const kernels::KernelEntry* e = kernels::find_kernel(kernels::Backend::kCpu, node.domain, node.op_type, node.opset, t);
  if (!e) return "none";
  const ir::ValueType x = ir::ValueType::tensor(t, SymShape(x_shape.begin(), x_shape.end()));
  const ir::ValueType w = ir::ValueType::tensor(t, SymShape(w_shape.begin(), w_shape.end()));
  const ir::ValueType* ins[] = {&x, &w};
  const ir::ValueType* outs[] = {&x};
  auto k = e->factory(kernels::KernelInit{node, ins, {}, outs});
  return k.has_value() ? (*k)->variant() : k.status().to_string();
}

Tensor widen(const Tensor& t) {
  if (!t.defined()) return t;
  Tensor f = Tensor::allocate(DType::kFloat32, t.shape());
  for (int64_t i = 0; i < t.size(); ++i) {
    const uint16_t b = t.data<uint16_t>()[i];
    f.data<float>()[i] = t.dtype() == DType::kFloat16 ? half_to_float(b) : bfloat16_to_float(b);
  }
  return f;
}

struct ConvCase {
  Shape x, w;
  int64_t group;
  std::vector<int64_t> strides, dilations, pads;
  std::string auto_pad;
};

NodeBuilder conv_attrs(NodeBuilder b, const ConvCase& c) {
  b.attr_i("group", c.group);
  if (!c.strides.empty()) b.attr_ints("strides", c.strides);
  if (!c.dilations.empty()) b.attr_ints("dilations", c.dilations);
  if (!c.pads.empty()) b.attr_ints("pads", c.pads);
  if (!c.auto_pad.empty()) b.attr_s("auto_pad", c.auto_pad);
  return b;
}

const ConvCase kCases[] = {
    // 2-D: pointwise, padded 3x3, strides, dilations, asymmetric pads, 1x1 stride 2
    {{1, 3, 5, 5}, {4, 3, 1, 1}, 1, {}, {}, {}, ""},
    {{2, 3, 7, 6}, {5, 3, 3, 3}, 1, {}, {}, {1, 1, 1, 1}, ""},
    {{1, 4, 9, 8}, {6, 4, 3, 2}, 1, {2, 3}, {}, {0, 1, 2, 0}, ""},
    {{1, 2, 10, 11}, {3, 2, 3, 3}, 1, {1, 2}, {2, 3}, {2, 1, 0, 3}, ""},
    {{1, 8, 12, 12}, {6, 8, 1, 1}, 1, {2, 2}, {}, {}, ""},
    {{1, 3, 7, 8}, {4, 3, 3, 3}, 1, {2, 2}, {}, {}, "SAME_UPPER"},
    {{1, 3, 7, 8}, {4, 3, 3, 3}, 1, {2, 1}, {}, {}, "VALID"},
    // groups, depthwise (multiplier 1 and 2, strides, pads)
    {{2, 6, 7, 7}, {9, 2, 3, 3}, 3, {}, {}, {1, 1, 1, 1}, ""},
    {{1, 8, 9, 9}, {8, 1, 3, 3}, 8, {}, {}, {1, 1, 1, 1}, ""},
    {{2, 4, 8, 7}, {8, 1, 3, 3}, 4, {2, 2}, {}, {0, 1, 1, 0}, ""},
    {{1, 5, 11, 10}, {5, 1, 5, 3}, 5, {1, 3}, {2, 1}, {3, 2, 1, 2}, ""},
    // 1-D (several bands when long) and 3-D
    {{2, 3, 17}, {4, 3, 3}, 1, {2}, {}, {1, 2}, ""},
    {{1, 4, 9}, {4, 1, 3}, 4, {1}, {2}, {2, 2}, ""},
    {{1, 3, 2500}, {5, 3, 7}, 1, {1}, {}, {3, 3}, ""},
    {{1, 2, 5, 6, 4}, {3, 2, 3, 3, 2}, 1, {1, 2, 1}, {}, {1, 1, 0, 1, 1, 1}, ""},
    {{2, 4, 4, 5, 6}, {4, 2, 2, 3, 3}, 2, {2, 1, 2}, {1, 1, 2}, {}, "SAME_UPPER"},
    // zero-size batch / channels
    {{0, 3, 5, 5}, {4, 3, 3, 3}, 1, {}, {}, {1, 1, 1, 1}, ""},
    {{1, 0, 5, 5}, {4, 0, 3, 3}, 1, {}, {}, {}, ""},
    // several bands (over 1024 output pixels), an uneven last band, threads, K past one block
    {{1, 32, 40, 40}, {48, 32, 3, 3}, 1, {}, {}, {1, 1, 1, 1}, ""},
    {{1, 5, 37, 45}, {7, 5, 3, 3}, 1, {}, {}, {2, 2, 0, 1}, ""},
    {{3, 16, 36, 36}, {16, 16, 3, 3}, 1, {2, 2}, {}, {1, 1, 1, 1}, ""},
    {{1, 64, 34, 34}, {16, 64, 1, 1}, 1, {}, {}, {}, ""},
    {{2, 32, 30, 30}, {32, 1, 3, 3}, 32, {}, {}, {1, 1, 1, 1}, ""},
    {{1, 2, 3, 1200}, {3, 2, 3, 3}, 1, {}, {}, {1, 1, 1, 1}, ""},  // one wide row per band
};

TEST(NnHalfConv, NativeMatchesReference) {
  std::mt19937 rng(61);
  for (DType t : {DType::kFloat16, DType::kBFloat16}) {
    for (const ConvCase& c : kCases) {
      for (bool bias : {true, false}) {
        auto node = conv_attrs(NodeBuilder("Conv", 22), c).build();
        SCOPED_TRACE(std::string(dtype_name(t)) + " x " + shape_to_string(c.x) + " w " + shape_to_string(c.w));
        EXPECT_EQ(cpu_variant(node, t, c.x, c.w), "widened_bands");
        std::vector<Tensor> in{random_tensor(t, c.x, rng), random_tensor(t, c.w, rng)};
        if (bias) in.push_back(random_tensor(t, {c.w[0]}, rng));
        expect_matches_reference(node, in, 1, tol(t), tol(t));
      }
    }
  }
}

TEST(NnHalfConv, FusedConvMatchesFloat32) {
  std::mt19937 rng(62);
  const ConvCase cases[] = {kCases[1], kCases[3], kCases[7], kCases[8], kCases[9], kCases[11], kCases[19], kCases[21]};
  for (DType t : {DType::kFloat16, DType::kBFloat16}) {
    for (const ConvCase& c : cases) {
      for (const char* act : {"", "Relu", "Clip", "Sigmoid"}) {
        for (bool with_z : {false, true}) {
          NodeBuilder b("FusedConv", 1, "com.onnxrt");
          if (*act) b.attr_s("activation", act);
          if (std::string(act) == "Clip") b.attr_floats("activation_params", {-0.5f, 0.75f});
          auto node = conv_attrs(b, c).build();
          SCOPED_TRACE(std::string(dtype_name(t)) + " " + act + (with_z ? " +Z" : "") + " x " + shape_to_string(c.x) +
                       " w " + shape_to_string(c.w));
          std::vector<Tensor> in{random_tensor(t, c.x, rng), random_tensor(t, c.w, rng), random_tensor(t, {c.w[0]}, rng)};
          if (with_z) {
            // Z has the output's shape: a plain Conv tells it.
            auto shape_probe = conv_attrs(NodeBuilder("Conv", 22), c).build();
            auto ys = run_node(kernels::Backend::kReference, shape_probe, {widen(in[0]), widen(in[1])}, 1);
            ASSERT_TRUE(ys.has_value()) << ys.status().to_string();
            in.push_back(random_tensor(t, (*ys)[0].shape(), rng));
          }
          auto got = run_node(kernels::Backend::kCpu, node, in, 1);
          ASSERT_TRUE(got.has_value()) << got.status().to_string();
          std::vector<Tensor> wide;
          for (const Tensor& v : in) wide.push_back(widen(v));
          auto want = run_node(kernels::Backend::kCpu, node, wide, 1);
          ASSERT_TRUE(want.has_value()) << want.status().to_string();
          ASSERT_EQ((*got)[0].dtype(), t);
          EXPECT_TRUE(tensors_close(widen((*got)[0]), (*want)[0], tol(t), tol(t)));
        }
      }
    }
  }
}

TEST(NnHalfConv, BadInputsAreErrors) {
  std::mt19937 rng(63);
  auto node = NodeBuilder("Conv", 22).build();
  // W of another type than X: an error naming both types, not a misread.
  auto mixed = run_node(kernels::Backend::kCpu, node,
                        {random_tensor(DType::kFloat16, {1, 2, 5, 5}, rng), random_tensor(DType::kFloat32, {3, 2, 3, 3}, rng)}, 1);
  EXPECT_FALSE(mixed.has_value());
  // Channels that do not match W.
  auto chans = run_node(kernels::Backend::kCpu, node,
                        {random_tensor(DType::kFloat16, {1, 3, 5, 5}, rng), random_tensor(DType::kFloat16, {3, 2, 3, 3}, rng)}, 1);
  EXPECT_FALSE(chans.has_value());
}

}  // namespace
}  // namespace onnxrt::testing
