// Image family kernels: ConvTranspose CPU (sgemm + col2im) vs the reference scatter over swept
// shapes, plus values pinned from onnx.reference.ReferenceEvaluator (onnx 1.23.2) for every op,
// and cross-checks (DeformConv with zero offsets is Conv).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

using kernels::Backend;

Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, std::move(s), v); }
Tensor i64(Shape s, std::vector<int64_t> v) { return make_tensor<int64_t>(DType::kInt64, std::move(s), v); }

std::vector<float> arange(int n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  return v;
}

// Runs on both backends and expects `want` from each.
void expect_both(const ir::Node& node, const std::vector<Tensor>& in, const Tensor& want,
                 double atol = 1e-5, double rtol = 1e-5) {
  for (Backend be : {Backend::kCpu, Backend::kReference}) {
    auto r = run_node(be, node, in, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], want, atol, rtol)) << (be == Backend::kCpu ? "cpu" : "reference");
  }
}

// ------------------------------------------------------------------ ConvTranspose

struct CtCase {
  Shape x, w;
  int64_t group;
  std::vector<int64_t> strides, dilations, pads, output_padding, output_shape;
  std::string auto_pad;
  bool bias;
};

ir::Node ct_node(const CtCase& c) {
  NodeBuilder b("ConvTranspose", 22);
  b.attr_i("group", c.group);
  if (!c.strides.empty()) b.attr_ints("strides", c.strides);
  if (!c.dilations.empty()) b.attr_ints("dilations", c.dilations);
  if (!c.pads.empty()) b.attr_ints("pads", c.pads);
  if (!c.output_padding.empty()) b.attr_ints("output_padding", c.output_padding);
  if (!c.output_shape.empty()) b.attr_ints("output_shape", c.output_shape);
  if (!c.auto_pad.empty()) b.attr_s("auto_pad", c.auto_pad);
  return b.build();
}

// Random X, W (and B) for a case; the CPU kernel against the reference with W constant at
// creation, and (with_runtime_w) with W given only at run time. variant: the kernel variant a
// constant W must pick ("" for any).
void expect_ct_case(const CtCase& c, std::mt19937& rng, const std::string& variant, bool with_runtime_w) {
  const ir::Node node = ct_node(c);
  if (!variant.empty()) EXPECT_EQ(cpu_variant_with_constant_w(node, c.x, c.w), variant);
  std::vector<Tensor> in{random_tensor(DType::kFloat32, c.x, rng), random_tensor(DType::kFloat32, c.w, rng)};
  if (c.bias) in.push_back(random_tensor(DType::kFloat32, {c.w[1] * c.group}, rng));
  SCOPED_TRACE("x " + shape_to_string(c.x) + " w " + shape_to_string(c.w));
  expect_matches_reference(node, in, 1, 1e-4, 1e-5);
  if (with_runtime_w) expect_matches_reference_without_constants(node, in, 1e-4);
}

TEST(ImageConvTranspose, MatchesReference) {
  std::mt19937 rng(5);
  const CtCase cases[] = {
      {{1, 1, 3, 3}, {1, 2, 3, 3}, 1, {}, {}, {}, {}, {}, "", false},
      {{2, 3, 5, 4}, {3, 4, 3, 3}, 1, {2, 2}, {}, {1, 1, 1, 1}, {}, {}, "", true},
      {{1, 4, 6, 7}, {4, 3, 3, 2}, 2, {2, 3}, {2, 1}, {0, 1, 2, 0}, {1, 2}, {}, "", true},
      {{1, 2, 3, 3}, {2, 2, 3, 3}, 1, {3, 2}, {}, {}, {}, {10, 8}, "", true},
      {{1, 2, 3, 3}, {2, 2, 3, 3}, 1, {3, 2}, {}, {}, {1, 1}, {10, 8}, "", false},
      {{1, 2, 4, 5}, {2, 3, 3, 3}, 1, {2, 2}, {}, {}, {}, {}, "SAME_UPPER", true},
      {{1, 2, 4, 5}, {2, 3, 4, 2}, 1, {2, 3}, {}, {}, {}, {}, "SAME_LOWER", true},
      {{1, 2, 4, 5}, {2, 3, 3, 3}, 1, {2, 1}, {}, {}, {}, {}, "VALID", false},
      {{2, 6, 5, 5}, {6, 1, 3, 3}, 6, {2, 2}, {}, {1, 1, 1, 1}, {1, 1}, {}, "", true},  // depthwise
      {{3, 2, 3, 3}, {2, 1, 3, 3}, 2, {}, {}, {}, {}, {}, "", false},
      // 1-D and 3-D
      {{2, 3, 7}, {3, 2, 3}, 1, {2}, {}, {1, 0}, {1}, {}, "", true},
      {{1, 1, 3, 4, 5}, {1, 2, 3, 3, 3}, 1, {}, {}, {}, {}, {}, "", false},
      {{1, 2, 3, 4, 3}, {2, 2, 2, 3, 2}, 1, {2, 1, 2}, {1, 2, 1}, {1, 0, 0, 0, 1, 1}, {}, {}, "", true},
      // zero-size batch / input channels / spatial
      {{0, 2, 3, 3}, {2, 2, 3, 3}, 1, {}, {}, {}, {}, {}, "", true},
      {{1, 0, 3, 3}, {0, 2, 3, 3}, 1, {}, {}, {}, {}, {}, "", true},
      // large enough for threaded GEMM / scatter and column tiling
      {{1, 32, 24, 24}, {32, 16, 4, 4}, 1, {2, 2}, {}, {1, 1, 1, 1}, {}, {}, "", true},
      {{2, 16, 40, 40}, {16, 48, 2, 2}, 1, {2, 2}, {}, {}, {}, {}, "", true},
      {{1, 8, 150, 150}, {8, 4, 3, 3}, 2, {}, {}, {1, 1, 1, 1}, {}, {}, "", false},
      // stride 2 on the last axis (per-parity half rows): one-column output, pads past the
      // kernel's half, no pad, pixel tiles that end mid-row, 1-D and 3-D
      {{1, 2, 3, 1}, {2, 3, 3, 3}, 1, {2, 2}, {}, {1, 1, 1, 1}, {}, {}, "", true},
      {{1, 3, 5, 6}, {3, 2, 4, 4}, 1, {2, 2}, {}, {3, 3, 2, 3}, {}, {}, "", true},
      {{1, 3, 5, 6}, {3, 2, 3, 5}, 1, {1, 2}, {}, {}, {0, 1}, {}, "", true},
      {{1, 8, 40, 40}, {8, 64, 4, 4}, 1, {2, 2}, {}, {1, 1, 1, 1}, {}, {}, "", true},
      {{2, 3, 9}, {3, 2, 4}, 1, {2}, {}, {1, 2}, {}, {}, "", true},
      {{1, 2, 3, 4, 5}, {2, 2, 3, 3, 3}, 1, {2, 2, 2}, {}, {1, 1, 1, 1, 1, 1}, {1, 1, 1}, {}, "", true},
  };
  // W transposed at creation, and W read transposed per run.
  for (const CtCase& c : cases) expect_ct_case(c, rng, "", true);
}

// Taps that never reach the same output ((k - 1) * dilation < stride on every axis) take the
// stored-product path (colT = X^T W, stored by the GEMM's epilogue): kernel == stride with and
// without pads and output_padding, kernel < stride, dilated taps, groups, batches, 1-D and 3-D,
// column blocks that cut a tap row (3 taps, 128-column blocks), pixel tiles, and W given at run
// time (packed per run).
TEST(ImageConvTranspose, DisjointTapsMatchReference) {
  std::mt19937 rng(11);
  const CtCase cases[] = {
      {{1, 8, 5, 6}, {8, 4, 2, 2}, 1, {2, 2}, {}, {}, {}, {}, "", true},
      {{2, 6, 7, 3}, {6, 2, 2, 2}, 2, {2, 2}, {}, {}, {}, {}, "", true},
      {{1, 4, 5, 5}, {4, 3, 2, 2}, 1, {2, 2}, {}, {1, 0, 0, 1}, {}, {}, "", true},   // cropped
      {{1, 4, 5, 5}, {4, 3, 2, 2}, 1, {2, 2}, {}, {0, 1, 1, 1}, {}, {}, "", true},
      {{1, 4, 5, 5}, {4, 3, 2, 2}, 1, {2, 2}, {}, {}, {1, 1}, {}, "", true},         // uncovered edge
      {{1, 4, 5, 5}, {4, 3, 2, 3}, 1, {2, 3}, {}, {}, {}, {}, "", false},
      {{1, 3, 4, 6}, {3, 5, 1, 2}, 1, {2, 3}, {}, {}, {}, {}, "", true},             // kernel < stride
      {{1, 3, 4, 6}, {3, 2, 2, 2}, 1, {3, 3}, {2, 2}, {0, 1, 1, 0}, {}, {}, "", true},  // dilated
      {{1, 3, 4, 6}, {3, 2, 2, 2}, 1, {2, 2}, {}, {}, {}, {9, 12}, "", true},         // output_shape
      {{2, 5, 9}, {5, 3, 2}, 1, {2}, {}, {}, {}, {}, "", true},                       // 1-D
      {{1, 4, 3, 4, 5}, {4, 3, 2, 2, 2}, 1, {2, 2, 2}, {}, {}, {}, {}, "", true},     // 3-D
      {{1, 4, 3, 4, 5}, {4, 3, 2, 1, 2}, 1, {2, 2, 3}, {}, {1, 0, 0, 0, 0, 1}, {}, {}, "", false},
      {{1, 8, 6, 7}, {8, 16, 3, 3}, 1, {3, 3}, {}, {}, {}, {}, "", true},             // 144 columns
      {{1, 16, 80, 80}, {16, 64, 2, 2}, 1, {2, 2}, {}, {}, {}, {}, "", true},         // 2 pixel tiles
      {{1, 32, 24, 40}, {32, 16, 2, 2}, 1, {2, 2}, {}, {}, {}, {}, "", true},         // threaded blocks
  };
  for (const CtCase& c : cases) expect_ct_case(c, rng, "sgemm_tap_store", true);
  // Overlapping taps keep the col2im path.
  EXPECT_EQ(cpu_variant_with_constant_w(NodeBuilder("ConvTranspose", 22).attr_ints("strides", {2, 2}).build(),
                                        {1, 4, 5, 5}, {4, 3, 3, 3}),
            "sgemm_col2im");
  EXPECT_EQ(cpu_variant_with_constant_w(
                NodeBuilder("ConvTranspose", 22).attr_ints("strides", {2, 2}).attr_ints("dilations", {2, 2}).build(),
                {1, 4, 5, 5}, {4, 3, 2, 2}),
            "sgemm_col2im");
}

// Overlapping taps over fewer input pixels than input channels (a DCGAN generator's first
// layers): W_g is packed once as the B of colT = X^T W_g, and the GEMM's epilogue transposes each
// block into col for the col2im.
TEST(ImageConvTranspose, FewPixelsPackedWeights) {
  std::mt19937 rng(13);
  const CtCase cases[] = {
      {{1, 100, 1, 1}, {100, 32, 4, 4}, 1, {}, {}, {}, {}, {}, "", true},  // taps = plane
      {{2, 100, 1, 1}, {100, 32, 4, 4}, 1, {}, {}, {}, {}, {}, "", false},
      {{1, 20, 1, 1}, {20, 8, 3, 3}, 1, {}, {}, {1, 0, 1, 1}, {}, {}, "", true},
      {{1, 64, 4, 4}, {64, 16, 4, 4}, 1, {2, 2}, {}, {1, 1, 1, 1}, {}, {}, "", true},
      {{2, 24, 3, 3}, {24, 5, 3, 3}, 2, {2, 2}, {}, {1, 1, 1, 1}, {1, 1}, {}, "", true},
      {{1, 40, 2, 5}, {40, 3, 3, 3}, 1, {1, 2}, {2, 1}, {0, 1, 1, 0}, {}, {}, "", true},
      {{1, 16, 7}, {16, 4, 5}, 1, {3}, {}, {2, 1}, {}, {}, "", true},
      {{1, 32, 2, 2, 3}, {32, 4, 3, 3, 3}, 1, {2, 2, 2}, {}, {1, 1, 1, 1, 1, 1}, {}, {}, "", true},
      {{1, 512, 2, 3}, {512, 40, 4, 4}, 1, {2, 2}, {}, {1, 1, 1, 1}, {}, {}, "", true},  // 640 columns
  };
  for (const CtCase& c : cases) expect_ct_case(c, rng, "sgemm_t_col2im", false);
  // As many pixels as channels: W_g^T is kept instead.
  EXPECT_EQ(cpu_variant_with_constant_w(NodeBuilder("ConvTranspose", 22).attr_ints("strides", {2, 2}).build(),
                                        {1, 16, 4, 4}, {16, 8, 4, 4}),
            "sgemm_col2im");
}

// The spec's convtranspose example: X = arange(9) [1,1,3,3], W = ones [1,2,3,3].
TEST(ImageConvTranspose, PinnedSpecExample) {
  const std::vector<float> plane = {0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15,
                                    9, 20, 33, 24, 13, 6, 13, 21, 15, 8};
  std::vector<float> want = plane;
  want.insert(want.end(), plane.begin(), plane.end());
  expect_both(NodeBuilder("ConvTranspose", 22).build(),
              {f32({1, 1, 3, 3}, arange(9)), f32({1, 2, 3, 3}, std::vector<float>(18, 1.0f))},
              f32({1, 2, 5, 5}, want), 0, 0);
  // float64 goes through the reference kernel on both backends.
  Tensor xd = Tensor::allocate(DType::kFloat64, {1, 1, 3, 3});
  Tensor wd = Tensor::allocate(DType::kFloat64, {1, 2, 3, 3});
  for (int i = 0; i < 9; ++i) xd.data<double>()[i] = i;
  for (int i = 0; i < 18; ++i) wd.data<double>()[i] = 1;
  auto r = run_node(Backend::kReference, NodeBuilder("ConvTranspose", 22).build(), {xd, wd}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_EQ((*r)[0].data<double>()[7], 15.0);
}

TEST(ImageConvTranspose, Errors) {
  std::mt19937 rng(2);
  // W.shape[0] must equal C.
  auto r = run_node(Backend::kCpu, NodeBuilder("ConvTranspose", 22).build(),
                    {random_tensor(DType::kFloat32, {1, 3, 4, 4}, rng),
                     random_tensor(DType::kFloat32, {2, 2, 3, 3}, rng)}, 1);
  EXPECT_FALSE(r.has_value());
  // Pads larger than the output.
  r = run_node(Backend::kCpu, NodeBuilder("ConvTranspose", 22).attr_ints("pads", {3, 3, 3, 3}).build(),
               {random_tensor(DType::kFloat32, {1, 1, 2, 2}, rng),
                random_tensor(DType::kFloat32, {1, 1, 2, 2}, rng)}, 1);
  EXPECT_FALSE(r.has_value());
}

// ------------------------------------------------------------------ Resize / Upsample

TEST(ImageResize, PinnedModes) {
  const Tensor none;
  // Values from onnx.reference.
  expect_both(NodeBuilder("Resize", 19).attr_s("mode", "cubic").build(),
              {f32({1, 1, 1, 4}, {1, 2, 3, 4}), none, f32({4}, {1, 1, 1, 2})},
              f32({1, 1, 1, 8}, {0.89453125f, 1.19140625f, 1.66796875f, 2.296875f, 2.703125f,
                                 3.33203125f, 3.80859375f, 4.10546875f}));
  std::vector<float> sq(8);
  for (int i = 0; i < 8; ++i) sq[static_cast<size_t>(i)] = static_cast<float>(i * i);
  expect_both(NodeBuilder("Resize", 19).attr_s("mode", "cubic").attr_i("antialias", 1).build(),
              {f32({1, 1, 1, 8}, sq), none, f32({4}, {1, 1, 1, 0.5f})},
              f32({1, 1, 1, 4}, {0.20703125f, 5.986328125f, 20.232421875f, 42.58984375f}));
  expect_both(NodeBuilder("Resize", 19).attr_s("mode", "linear")
                  .attr_s("coordinate_transformation_mode", "half_pixel_symmetric").build(),
              {f32({1, 1, 1, 4}, {1, 2, 3, 4}), none, f32({4}, {1, 1, 1, 1.7f})},
              f32({1, 1, 1, 6}, {1.0294118f, 1.6176471f, 2.2058823f, 2.7941177f, 3.3823528f, 3.9705882f}));
  expect_both(NodeBuilder("Resize", 19).attr_s("mode", "linear")
                  .attr_s("coordinate_transformation_mode", "tf_crop_and_resize")
                  .attr_f("extrapolation_value", 10.0f).build(),
              {f32({1, 1, 4, 4}, arange(16)), f32({8}, {0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f}), none,
               i64({4}, {1, 1, 3, 3})},
              f32({1, 1, 3, 3}, {6.6f, 10, 10, 11.4f, 10, 10, 10, 10, 10}));
  // The conformance case resize_downsample_scales_linear_align_corners: x uses scale * in.
  expect_both(NodeBuilder("Resize", 19).attr_s("mode", "linear")
                  .attr_s("coordinate_transformation_mode", "align_corners").build(),
              {f32({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}), none, f32({4}, {1, 1, 0.6f, 0.6f})},
              f32({1, 1, 1, 2}, {1, 3.142857f}));
}

TEST(ImageResize, NearestModesAxesAndPolicies) {
  const Tensor none;
  // sizes 1x1x2x2 -> 1x1x1x3 with axes (3, 2) reversed order and not_larger policy.
  auto node = NodeBuilder("Resize", 19).attr_ints("axes", {2, 3})
                  .attr_s("keep_aspect_ratio_policy", "not_larger").build();
  expect_both(node, {f32({1, 1, 2, 2}, {1, 2, 3, 4}), none, none, i64({2}, {7, 8})},
              f32({1, 1, 7, 7}, {1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2,
                                 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 3, 3, 3, 3, 4, 4, 4,
                                 3, 3, 3, 3, 4, 4, 4}));
  // Upsample-9 / Resize-10 nearest: floor of y / scale.
  expect_both(NodeBuilder("Upsample", 9).build(), {f32({1, 1, 2, 2}, {1, 2, 3, 4}), f32({4}, {1, 1, 2, 3})},
              f32({1, 1, 4, 6}, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}));
  expect_both(NodeBuilder("Upsample", 7).attr_floats("scales", {1, 1, 1, 2}).attr_s("mode", "linear").build(),
              {f32({1, 1, 1, 2}, {1, 3})}, f32({1, 1, 1, 4}, {1, 2, 3, 3}));
  // nearest_mode ceil with asymmetric on int8 keeps exact values.
  Tensor x8 = make_tensor<int8_t>(DType::kInt8, {1, 3}, {-5, 7, 100});
  auto r = run_node(Backend::kCpu, NodeBuilder("Resize", 13).attr_s("nearest_mode", "ceil")
                        .attr_s("coordinate_transformation_mode", "asymmetric").build(),
                    {x8, none, f32({2}, {1, 2})}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], make_tensor<int8_t>(DType::kInt8, {1, 6}, {-5, 7, 7, 100, 100, 100}), 0, 0));
}

TEST(ImageResize, SweepBackendsAgreeAndErrors) {
  std::mt19937 rng(9);
  const Tensor none;
  for (const char* mode : {"nearest", "linear", "cubic"})
    for (const char* ctm : {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"})
      for (Shape s : {Shape{0, 2, 3, 3}, Shape{1, 1, 1, 1}, Shape{2, 3, 17, 9}, Shape{1, 4, 64, 64}}) {
        auto node = NodeBuilder("Resize", 19).attr_s("mode", mode).attr_s("coordinate_transformation_mode", ctm).build();
        expect_matches_reference(node, {random_tensor(DType::kFloat32, s, rng), none, f32({4}, {1, 1, 1.5f, 0.7f})}, 1, 1e-6, 1e-6);
      }
  // Wrong scales length, non-positive scale, both scales and sizes.
  auto node = NodeBuilder("Resize", 19).build();
  Tensor x = random_tensor(DType::kFloat32, {1, 1, 2, 2}, rng);
  EXPECT_FALSE(run_node(Backend::kCpu, node, {x, none, f32({3}, {1, 1, 2})}, 1).has_value());
  EXPECT_FALSE(run_node(Backend::kCpu, node, {x, none, f32({4}, {1, 1, 0, 2})}, 1).has_value());
  EXPECT_FALSE(run_node(Backend::kCpu, node, {x, none, f32({4}, {1, 1, 2, 2}), i64({4}, {1, 1, 4, 4})}, 1).has_value());
}

// The CPU kernel's float32 bilinear path (kernels/cpu/image_resize.cc) against the reference's
// double arithmetic: every coordinate mode, up- and downsampling, one axis only, sizes, rank 2, 3
// and 5 with leading axes kept, exclude_outside, Upsample; and the cases that fall back (a crop
// box reaching outside X, antialias, float16, a resized leading axis).
TEST(ImageResize, BilinearFloat32PathMatchesReference) {
  std::mt19937 rng(12);
  const Tensor none;
  const char* ctms[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "half_pixel_symmetric"};
  struct Case {
    Shape x;
    std::vector<float> scales;
  };
  const Case cases[] = {
      {{1, 3, 16, 16}, {1, 1, 2, 2}},      {{2, 2, 33, 20}, {1, 1, 0.5f, 0.5f}}, {{1, 2, 9, 13}, {1, 1, 1.7f, 0.3f}},
      {{1, 2, 9, 13}, {1, 1, 1, 2.5f}},    {{1, 2, 9, 13}, {1, 1, 3, 1}},        {{1, 1, 1, 1}, {1, 1, 4, 4}},
      {{1, 64, 40, 40}, {1, 1, 2, 2}},     // threaded over rows
  };
  for (const char* ctm : ctms)
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(ctm) + " x " + shape_to_string(c.x));
      auto node = NodeBuilder("Resize", 19).attr_s("mode", "linear").attr_s("coordinate_transformation_mode", ctm).build();
      expect_matches_reference(node, {random_tensor(DType::kFloat32, c.x, rng), none, f32({4}, c.scales)}, 1, 2e-6, 2e-6);
    }
  auto linear = [] { return NodeBuilder("Resize", 19).attr_s("mode", "linear"); };
  // sizes, rank 2, 3 and 5, exclude_outside, a crop box inside X.
  expect_matches_reference(linear().build(), {random_tensor(DType::kFloat32, {2, 3, 10, 7}, rng), none, none, i64({4}, {2, 3, 23, 4})}, 1, 2e-6, 2e-6);
  expect_matches_reference(linear().build(), {random_tensor(DType::kFloat32, {5, 6}, rng), none, f32({2}, {1.6f, 2})}, 1, 2e-6, 2e-6);
  expect_matches_reference(linear().build(), {random_tensor(DType::kFloat32, {3, 5, 6}, rng), none, f32({3}, {1, 0.8f, 2})}, 1, 2e-6, 2e-6);
  expect_matches_reference(linear().build(), {random_tensor(DType::kFloat32, {1, 2, 3, 5, 6}, rng), none, f32({5}, {1, 1, 1, 2, 2})}, 1, 2e-6, 2e-6);
  expect_matches_reference(linear().attr_i("exclude_outside", 1).build(), {random_tensor(DType::kFloat32, {1, 2, 6, 6}, rng), none, f32({4}, {1, 1, 1.5f, 0.6f})}, 1, 2e-6, 2e-6);
  expect_matches_reference(linear().attr_s("coordinate_transformation_mode", "tf_crop_and_resize").build(),
                           {random_tensor(DType::kFloat32, {1, 1, 8, 8}, rng), f32({8}, {0, 0, 0.1f, 0.2f, 1, 1, 0.9f, 0.7f}), none, i64({4}, {1, 1, 5, 9})},
                           1, 2e-6, 2e-6);
  expect_matches_reference(NodeBuilder("Upsample", 9).attr_s("mode", "linear").build(),
                           {random_tensor(DType::kFloat32, {1, 2, 4, 5}, rng), f32({4}, {1, 1, 2, 3})}, 1, 2e-6, 2e-6);
  // Fallbacks: extrapolation, antialias, float16, a resized channel axis.
  expect_matches_reference(linear().attr_s("coordinate_transformation_mode", "tf_crop_and_resize").attr_f("extrapolation_value", 7).build(),
                           {random_tensor(DType::kFloat32, {1, 1, 6, 6}, rng), f32({8}, {0, 0, -0.2f, 0.1f, 1, 1, 1.3f, 0.8f}), none, i64({4}, {1, 1, 4, 5})},
                           1, 1e-6, 1e-6);
  expect_matches_reference(linear().attr_i("antialias", 1).build(), {random_tensor(DType::kFloat32, {1, 2, 12, 12}, rng), none, f32({4}, {1, 1, 0.4f, 0.5f})}, 1, 1e-6, 1e-6);
  expect_matches_reference(linear().build(), {random_tensor(DType::kFloat16, {1, 2, 5, 5}, rng), none, f32({4}, {1, 1, 2, 2})}, 1, 1e-3, 1e-3);
  expect_matches_reference(linear().build(), {random_tensor(DType::kFloat32, {1, 4, 5, 5}, rng), none, f32({4}, {1, 0.5f, 2, 2})}, 1, 1e-6, 1e-6);
}

// The CPU kernel's nearest path (a gather of whole pixels, kernels/cpu/image_resize.cc) against
// the reference, bit for bit: every nearest_mode and coordinate mode; 2x upsampling (the shuffled
// rows, W odd and not a multiple of 4), 3x, downsampling and uneven scales; pixels of 8 lanes (a
// channel-blocked tensor, its last axis at scale 1) and of 3 values; rank 2; every element width;
// and the linear path on 8-lane pixels.
TEST(ImageResize, NearestGatherAndLanePixelsMatchReference) {
  std::mt19937 rng(21);
  const Tensor none;
  struct Case {
    Shape x;
    std::vector<float> scales;
  };
  const Case cases[] = {
      {{1, 3, 7, 9}, {1, 1, 2, 2}},      {{2, 2, 8, 16}, {1, 1, 2, 2}},       {{1, 2, 5, 6}, {1, 1, 3, 3}},
      {{1, 2, 9, 13}, {1, 1, 0.5f, 0.7f}}, {{1, 2, 9, 13}, {1, 1, 1.7f, 1}},   {{2, 3, 5, 6, 8}, {1, 1, 2, 2, 1}},
      {{1, 2, 5, 6, 3}, {1, 1, 1.5f, 2, 1}}, {{6, 10}, {2, 0.5f}},            {{1, 64, 20, 20}, {1, 1, 2, 2}},
  };
  for (const char* nm : {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"})
    for (const char* ctm : {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"})
      for (const Case& c : cases) {
        SCOPED_TRACE(std::string(nm) + " " + ctm + " x " + shape_to_string(c.x));
        auto node = NodeBuilder("Resize", 19).attr_s("nearest_mode", nm).attr_s("coordinate_transformation_mode", ctm).build();
        const Tensor scales = f32({static_cast<int64_t>(c.scales.size())}, c.scales);
        expect_matches_reference(node, {random_tensor(DType::kFloat32, c.x, rng), none, scales}, 1, 0, 0);
      }
  for (DType t : {DType::kUInt8, DType::kInt16, DType::kFloat16, DType::kInt64}) {
    SCOPED_TRACE(dtype_name(t));
    expect_matches_reference(NodeBuilder("Resize", 19).build(), {random_tensor(t, {1, 2, 5, 7}, rng), none, f32({4}, {1, 1, 2, 2})}, 1, 0, 0);
    expect_matches_reference(NodeBuilder("Resize", 19).build(), {random_tensor(t, {1, 2, 5, 7, 8}, rng), none, f32({5}, {1, 1, 2, 3, 1})}, 1, 0, 0);
  }
  // Infinities on an axis left alone stay infinite (not 1 * inf + 0 * inf = NaN), as in the
  // reference's one-tap sum; on the resized axis both compute w0 * a + w1 * b.
  {
    Tensor x = random_tensor(DType::kFloat32, {1, 2, 5, 6}, rng);
    const float inf = std::numeric_limits<float>::infinity();
    x.data<float>()[3] = inf, x.data<float>()[17] = -inf, x.data<float>()[40] = inf;
    auto node = NodeBuilder("Resize", 19).attr_s("mode", "linear").build();
    expect_matches_reference(node, {x, none, f32({4}, {1, 1, 1, 2})}, 1, 2e-6, 2e-6);
    expect_matches_reference(node, {x, none, f32({4}, {1, 1, 2, 1})}, 1, 2e-6, 2e-6);
  }
  for (const char* ctm : {"half_pixel", "align_corners", "asymmetric"}) {
    SCOPED_TRACE(ctm);
    auto node = NodeBuilder("Resize", 19).attr_s("mode", "linear").attr_s("coordinate_transformation_mode", ctm).build();
    expect_matches_reference(node, {random_tensor(DType::kFloat32, {1, 3, 9, 7, 8}, rng), none, f32({5}, {1, 1, 2, 2, 1})}, 1, 2e-6, 2e-6);
    expect_matches_reference(node, {random_tensor(DType::kFloat32, {1, 2, 9, 7, 5}, rng), none, f32({5}, {1, 1, 0.6f, 1.4f, 1})}, 1, 2e-6, 2e-6);
  }
}

// ------------------------------------------------------------------ GridSample, AffineGrid

TEST(ImageGridSample, PinnedAllModes) {
  const Tensor x = f32({1, 1, 3, 4}, arange(12));
  const Tensor g = f32({1, 2, 3, 2}, {-1, -1, -0.3f, 0.2f, 0.9f, 1.2f, 1.5f, -0.7f, 0.1f, 0.1f, -0.8f, 0.95f});
  struct Want {
    const char* mode;
    const char* pad;
    int align;
    std::vector<float> y;
  };
  const Want wants[] = {
      {"linear", "zeros", 0, {0.0f, 6.1f, 1.54f, 0.0f, 6.3f, 4.14f}},
      {"linear", "zeros", 1, {0.0f, 5.85f, 8.68f, 1.05f, 6.05f, 8.1f}},
      {"linear", "border", 0, {0.0f, 6.1f, 11.0f, 3.0f, 6.3f, 8.0f}},
      {"linear", "reflection", 1, {0.0f, 5.85f, 10.05f, 3.45f, 6.05f, 8.1f}},
      {"nearest", "zeros", 0, {0, 5, 0, 0, 6, 8}},
      {"nearest", "reflection", 1, {0, 5, 11, 2, 6, 8}},
      {"cubic", "zeros", 0, {-0.234375f, 6.872818f, 1.4844756f, -0.25750214f, 6.6324086f, 4.6415906f}},
      {"cubic", "border", 1, {0.0f, 6.1593733f, 10.886657f, 3.9270005f, 6.186879f, 8.081627f}},
      {"cubic", "reflection", 0, {-0.9375f, 6.4142456f, 11.637502f, 2.4512467f, 6.493879f, 8.665627f}},
  };
  for (const Want& w : wants) {
    SCOPED_TRACE(std::string(w.mode) + " " + w.pad + " " + std::to_string(w.align));
    expect_both(NodeBuilder("GridSample", 22).attr_s("mode", w.mode).attr_s("padding_mode", w.pad)
                    .attr_i("align_corners", w.align).build(),
                {x, g}, f32({1, 1, 2, 3}, w.y), 2e-5, 2e-5);
  }
  // Opset 16 spells the modes bilinear / bicubic.
  expect_both(NodeBuilder("GridSample", 16).attr_s("mode", "bilinear").build(), {x, g},
              f32({1, 1, 2, 3}, {0.0f, 6.1f, 1.54f, 0.0f, 6.3f, 4.14f}), 2e-5, 2e-5);
}

TEST(ImageGridSample, VolumetricIdentityGrid) {
  // An align_corners grid that hits every voxel center reproduces X (3-D, linear).
  std::mt19937 rng(4);
  Tensor x = random_tensor(DType::kFloat32, {2, 3, 2, 3, 4}, rng);
  Tensor g = Tensor::allocate(DType::kFloat32, {2, 2, 3, 4, 3});
  float* gd = g.data<float>();
  for (int n = 0; n < 2; ++n)
    for (int d = 0; d < 2; ++d)
      for (int h = 0; h < 3; ++h)
        for (int w = 0; w < 4; ++w) {
          float* p = gd + (((n * 2 + d) * 3 + h) * 4 + w) * 3;
          p[0] = -1 + 2.0f * w / 3;
          p[1] = -1 + 2.0f * h / 2;
          p[2] = -1 + 2.0f * d / 1;
        }
  expect_both(NodeBuilder("GridSample", 22).attr_i("align_corners", 1).build(), {x, g}, x, 1e-6, 1e-5);
}

TEST(ImageAffineGrid, Pinned) {
  expect_both(NodeBuilder("AffineGrid", 20).build(),
              {f32({1, 2, 3}, {1, 0.5f, 0.1f, -0.2f, 1, 0.3f}), i64({4}, {1, 1, 2, 3})},
              f32({1, 2, 3, 2}, {-0.81666666f, -0.06666666f, -0.15f, -0.2f, 0.51666665f, -0.33333331f,
                                 -0.31666666f, 0.93333334f, 0.35f, 0.8f, 1.0166667f, 0.6666667f}));
}

// ------------------------------------------------------------------ RoiAlign, MaxRoiPool, MaxUnpool

TEST(ImageRoiAlign, Pinned) {
  const Tensor x = f32({1, 1, 5, 5}, arange(25));
  const Tensor rois = f32({2, 4}, {0.5f, 0.5f, 3.2f, 4.1f, 1, 0, 2, 2});
  const Tensor bi = i64({2}, {0, 0});
  expect_both(NodeBuilder("RoiAlign", 22).attr_i("output_height", 2).attr_i("output_width", 2)
                  .attr_i("sampling_ratio", 2).build(),
              {x, rois, bi}, f32({2, 1, 2, 2}, {5.175f, 6.525f, 14.175f, 15.525f, 1.375f, 1.875f, 5.75f, 6.25f}));
  expect_both(NodeBuilder("RoiAlign", 22).attr_i("output_height", 2).attr_i("output_width", 2)
                  .attr_i("sampling_ratio", 2).attr_s("mode", "max")
                  .attr_s("coordinate_transformation_mode", "output_half_pixel").build(),
              {x, rois, bi}, f32({2, 1, 2, 2}, {7.830624f, 9.530626f, 11.431872f, 12.894376f, 3.9375f, 4.59375f, 7.21875f, 7.875f}));
  // A batch index outside X is an error value.
  EXPECT_FALSE(run_node(Backend::kCpu, NodeBuilder("RoiAlign", 22).build(), {x, rois, i64({2}, {0, 1})}, 1).has_value());
}

TEST(ImageMaxRoiPool, HandComputed) {
  // Box (1,1)-(3,2) of a 4x4 arange, pooled 2x2: bins of 1.5 rows x 1 col.
  expect_both(NodeBuilder("MaxRoiPool", 22).attr_ints("pooled_shape", {2, 2}).build(),
              {f32({1, 1, 4, 4}, arange(16)), f32({1, 5}, {0, 1, 1, 2, 3})},
              f32({1, 1, 2, 2}, {9, 10, 13, 14}));
}

TEST(ImageMaxUnpool, PinnedConformance) {
  const Tensor x = f32({1, 1, 2, 2}, {5, 6, 7, 8});
  const Tensor ind = i64({1, 1, 2, 2}, {5, 7, 13, 15});
  auto node = NodeBuilder("MaxUnpool", 22).attr_ints("kernel_shape", {2, 2}).attr_ints("strides", {2, 2}).build();
  expect_both(node, {x, ind}, f32({1, 1, 4, 4}, {0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 7, 0, 8}));
  expect_both(node, {x, ind, i64({4}, {1, 1, 5, 5})},
              f32({1, 1, 5, 5}, {0, 0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 0, 0, 7, 0, 8, 0, 0, 0, 0, 0, 0}));
  EXPECT_FALSE(run_node(Backend::kCpu, node, {x, i64({1, 1, 2, 2}, {5, 7, 13, 16})}, 1).has_value());
}

// ------------------------------------------------------------------ DeformConv

TEST(ImageDeformConv, ZeroOffsetIsConvAndPinned) {
  std::mt19937 rng(8);
  Tensor x = random_tensor(DType::kFloat32, {2, 4, 6, 5}, rng);
  Tensor w = random_tensor(DType::kFloat32, {6, 2, 3, 2}, rng);
  Tensor b = random_tensor(DType::kFloat32, {6}, rng);
  auto conv = NodeBuilder("Conv", 22).attr_i("group", 2).attr_ints("pads", {1, 0, 1, 1}).attr_ints("strides", {2, 1}).build();
  auto want = run_node(Backend::kReference, conv, {x, w, b}, 1);
  ASSERT_TRUE(want.has_value()) << want.status().to_string();
  const Shape ys = (*want)[0].shape();
  Tensor off = Tensor::allocate(DType::kFloat32, {2, 2 * 6 * 2, ys[2], ys[3]});
  auto node = NodeBuilder("DeformConv", 22).attr_i("group", 2).attr_i("offset_group", 2)
                  .attr_ints("pads", {1, 0, 1, 1}).attr_ints("strides", {2, 1}).build();
  expect_both(node, {x, w, off, b}, (*want)[0], 1e-5, 1e-5);
  // Hand-computed (and checked with onnx.reference): half-pixel offsets with a mask.
  Tensor off2 = f32({1, 8, 1, 1}, {0.5f, 0, 0, 0.5f, 0, 0, 0.5f, 0.5f});
  Tensor mask = f32({1, 4, 1, 1}, {1, 0.5f, 1, 2});
  expect_both(NodeBuilder("DeformConv", 22).build(),
              {f32({1, 1, 2, 2}, {1, 2, 3, 4}), f32({1, 1, 2, 2}, {1, 1, 1, 1}), off2, Tensor(), mask},
              // taps (0.5,0) -> 2; (0,1.5) -> 1 * mask 0.5; (1,0) -> 3; (1.5,1.5) -> 1 * mask 2
              f32({1, 1, 1, 1}, {7.5f}));
}

}  // namespace
}  // namespace onnxrt::testing
