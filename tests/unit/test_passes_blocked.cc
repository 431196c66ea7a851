// block_channels: chains of pointwise and depthwise convs (MobileNet's inverted residual blocks)
// run as BlockedConv on the channel-blocked layout, with one ToBlocked where the chain starts and
// a FromBlocked wherever NCHW is read again, and compute what the NCHW graph did; chains that do
// not pay for their layout changes, and convs the blocked kernels do not run, stay as they are.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "ir/attribute.h"
#include "ir/infer_fused.h"
#include "kernels/harness.h"
#include "unit/graph_builder.h"

namespace onnxrt::testing {
namespace {

ir::Attributes conv_attrs(int64_t group, int64_t k, int64_t stride) {
  ir::Attributes a;
  ir::Attribute g;
  g.name = "group";
  g.kind = ir::AttrKind::kInt;
  g.i = group;
  a.set(g);
  ir::Attribute ks;
  ks.name = "kernel_shape";
  ks.kind = ir::AttrKind::kInts;
  ks.ints = {k, k};
  a.set(ks);
  ir::Attribute s = ks;
  s.name = "strides";
  s.ints = {stride, stride};
  a.set(s);
  ir::Attribute p = ks;
  p.name = "pads";
  p.ints = std::vector<int64_t>(4, k / 2);
  a.set(p);
  return a;
}

// An inverted residual block on `in` (c channels): 1x1 expand to 3c + Relu, 3x3 depthwise
// (stride) + Relu, 1x1 project to `out_c`, plus the input when the shapes allow. Returns the
// output's name.
std::string inverted_residual(GraphBuilder& b, const std::string& in, int64_t c, int64_t out_c, int64_t stride,
                              const std::string& tag) {
  const int64_t e = 3 * c;
  b.random_constant(tag + "w1", {e, c, 1, 1});
  b.random_constant(tag + "b1", {e});
  b.random_constant(tag + "w2", {e, 1, 3, 3});
  b.random_constant(tag + "w3", {out_c, e, 1, 1});
  b.node("Conv", {in, tag + "w1", tag + "b1"}, {tag + "e"}, conv_attrs(1, 1, 1));
  b.node("Relu", {tag + "e"}, {tag + "er"});
  b.node("Conv", {tag + "er", tag + "w2"}, {tag + "d"}, conv_attrs(e, 3, stride));
  b.node("Relu", {tag + "d"}, {tag + "dr"});
  b.node("Conv", {tag + "dr", tag + "w3"}, {tag + "p"}, conv_attrs(1, 1, 1));
  if (stride != 1 || c != out_c) return tag + "p";
  b.node("Add", {tag + "p", in}, {tag + "y"});
  return tag + "y";
}

int count(const std::vector<std::string>& ops, const std::string& op) {
  return static_cast<int>(std::count(ops.begin(), ops.end(), op));
}

bool blocked_kernels_here() { return passes::block_channels_enabled(); }

TEST(PassesBlocked, InvertedResidualChainRunsBlocked) {
  if (!blocked_kernels_here()) GTEST_SKIP() << "block_channels is off on this CPU";
  GraphBuilder b;
  b.input("x", {1, 16, 10, 10});
  std::string y = inverted_residual(b, "x", 16, 16, 1, "a");
  y = inverted_residual(b, y, 16, 24, 2, "b");
  b.output(y);
  fuse_and_compare(b, {{"x", random_tensor(DType::kFloat32, {1, 16, 10, 10}, b.rng)}}, 1e-4);
  const std::vector<std::string> ops = graph_ops(b.g);
  EXPECT_EQ(count(ops, "BlockedConv"), 6);
  EXPECT_EQ(count(ops, "ToBlocked"), 1);
  EXPECT_EQ(count(ops, "FromBlocked"), 1);
  EXPECT_EQ(count(ops, "Conv") + count(ops, "FusedConv") + count(ops, "Add") + count(ops, "Relu"), 0);
  EXPECT_EQ(ops.front(), "ToBlocked");
  EXPECT_EQ(ops.back(), "FromBlocked");
  // The graph output keeps its name.
  EXPECT_EQ(b.g.output_names().back(), y);
}

// A stem on an RGB image (3 channels, not a multiple of 8) joins the chain after it: it reads the
// image as NCHW and writes blocked, so the chain starts without a ToBlocked; ResNet's max pool
// after the stem joins too, as a MaxPool over the blocked tensor with a window of 1 on the lanes.
TEST(PassesBlocked, ImageStemWritesBlocked) {
  if (!blocked_kernels_here()) GTEST_SKIP() << "block_channels is off on this CPU";
  {
    GraphBuilder b;
    b.input("x", {1, 3, 32, 32});
    b.random_constant("ws", {16, 3, 3, 3});
    b.random_constant("bs", {16});
    b.node("Conv", {"x", "ws", "bs"}, {"s"}, conv_attrs(1, 3, 2));
    b.node("Relu", {"s"}, {"sr"});
    std::string y = inverted_residual(b, "sr", 16, 16, 1, "a");
    y = inverted_residual(b, y, 16, 24, 2, "b");
    b.output(y);
    fuse_and_compare(b, {{"x", random_tensor(DType::kFloat32, {1, 3, 32, 32}, b.rng)}}, 1e-4);
    const std::vector<std::string> ops = graph_ops(b.g);
    EXPECT_EQ(count(ops, "BlockedConv"), 7);
    EXPECT_EQ(count(ops, "ToBlocked"), 0);
    EXPECT_EQ(count(ops, "FromBlocked"), 1);
    EXPECT_EQ(ops.front(), "BlockedConv");
    const ir::Node& first = b.g.node(b.g.topological_order().value().front());
    const ir::Attribute* layout = first.attrs.find("x_layout");
    ASSERT_NE(layout, nullptr);
    EXPECT_EQ(layout->s, "NCHW");
  }
  {
    GraphBuilder b;
    b.input("x", {1, 3, 32, 32});
    b.random_constant("ws", {16, 3, 7, 7});
    b.node("Conv", {"x", "ws"}, {"s"}, conv_attrs(1, 7, 2));
    ir::Attributes pool = conv_attrs(1, 3, 2);
    pool.erase("group");
    b.node("MaxPool", {"s"}, {"p"}, pool);
    std::string y = inverted_residual(b, "p", 16, 16, 1, "a");
    y = inverted_residual(b, y, 16, 16, 1, "b");
    b.output(y);
    fuse_and_compare(b, {{"x", random_tensor(DType::kFloat32, {1, 3, 32, 32}, b.rng)}}, 1e-4);
    const std::vector<std::string> ops = graph_ops(b.g);
    EXPECT_EQ(count(ops, "Conv") + count(ops, "FusedConv"), 0);
    EXPECT_EQ(count(ops, "BlockedConv"), 7);
    EXPECT_EQ(count(ops, "ToBlocked"), 0);
    EXPECT_EQ(count(ops, "FromBlocked"), 1);
    for (size_t i = 0; i < b.g.num_nodes(); ++i) {
      const auto id = static_cast<ir::NodeId>(i);
      if (b.g.is_removed(id) || b.g.node(id).op_type != "MaxPool") continue;
      EXPECT_EQ(b.g.value(b.g.node(id).inputs[0]).type.rank(), 5u);
      EXPECT_EQ(ir::AttrReader(b.g.node(id)).ints("kernel_shape"), (std::vector<int64_t>{3, 3, 1}));
      EXPECT_EQ(ir::AttrReader(b.g.node(id)).ints("pads"), (std::vector<int64_t>{1, 1, 0, 1, 1, 0}));
    }
    EXPECT_EQ(count(ops, "MaxPool"), 1);
  }
}

TEST(PassesBlocked, ValuesReadOutsideTheChainGetFromBlocked) {
  if (!blocked_kernels_here()) GTEST_SKIP() << "block_channels is off on this CPU";
  GraphBuilder b;
  b.input("x", {2, 8, 9, 9});
  const std::string a = inverted_residual(b, "x", 8, 8, 1, "a");
  const std::string m = inverted_residual(b, a, 8, 8, 1, "b");
  const std::string y = inverted_residual(b, m, 8, 8, 1, "c");
  b.output(y);
  b.output(a);                         // an intermediate the caller asks for
  b.node("Sigmoid", {m}, {"side"});    // and one that a non-conv node reads
  b.output("side");
  fuse_and_compare(b, {{"x", random_tensor(DType::kFloat32, {2, 8, 9, 9}, b.rng)}}, 1e-4);
  const std::vector<std::string> ops = graph_ops(b.g);
  EXPECT_EQ(count(ops, "BlockedConv"), 9);
  EXPECT_EQ(count(ops, "ToBlocked"), 1);
  EXPECT_EQ(count(ops, "FromBlocked"), 3);
  EXPECT_EQ(b.g.output_names()[1], a);
}

// An EfficientNet block: SiLU after the expand and depthwise convs (fused into Swish), a
// squeeze-excite gate (ReduceMean over H and W with negative axes, two 1x1 convs, a Sigmoid, a
// broadcasting Mul) and the projection with its residual. Everything but the graph's ends runs
// blocked; ReduceMean's axes become [2, 3] (an input at opset 18, the attribute before).
std::string mbconv(GraphBuilder& b, const std::string& in, int64_t c, const std::string& tag, int reduce_opset) {
  const int64_t e = 4 * c;
  b.random_constant(tag + "w1", {e, c, 1, 1});
  b.random_constant(tag + "w2", {e, 1, 3, 3});
  b.random_constant(tag + "ws1", {8, e, 1, 1});
  b.random_constant(tag + "ws2", {e, 8, 1, 1});
  b.random_constant(tag + "w3", {c, e, 1, 1});
  b.node("Conv", {in, tag + "w1"}, {tag + "e"}, conv_attrs(1, 1, 1));
  b.node("Sigmoid", {tag + "e"}, {tag + "es"});
  b.node("Mul", {tag + "e", tag + "es"}, {tag + "ex"});
  b.node("Conv", {tag + "ex", tag + "w2"}, {tag + "d"}, conv_attrs(e, 3, 1));
  b.node("Sigmoid", {tag + "d"}, {tag + "ds"});
  b.node("Mul", {tag + "ds", tag + "d"}, {tag + "dx"});
  ir::Attributes keep;
  ir::Attribute kd;
  kd.name = "keepdims";
  kd.kind = ir::AttrKind::kInt;
  kd.i = 1;
  keep.set(kd);
  if (reduce_opset >= 18) {
    b.ints(tag + "axes", {-1, -2});
    b.node("ReduceMean", {tag + "dx", tag + "axes"}, {tag + "m"}, keep);
  } else {
    ir::Node n;
    n.op_type = "ReduceMean";
    n.opset = reduce_opset;
    n.name = tag + "m_node";
    n.attrs = keep;
    ir::Attribute axes;
    axes.name = "axes";
    axes.kind = ir::AttrKind::kInts;
    axes.ints = {-2, -1};
    n.attrs.set(axes);
    auto r = b.g.add_node(n, std::vector<std::string>{tag + "dx"}, std::vector<std::string>{tag + "m"});
    EXPECT_TRUE(r.has_value()) << r.status().to_string();
  }
  b.node("Conv", {tag + "m", tag + "ws1"}, {tag + "s1"}, conv_attrs(1, 1, 1));
  b.node("Relu", {tag + "s1"}, {tag + "s1r"});
  b.node("Conv", {tag + "s1r", tag + "ws2"}, {tag + "s2"}, conv_attrs(1, 1, 1));
  b.node("Sigmoid", {tag + "s2"}, {tag + "g"});
  b.node("Mul", {tag + "dx", tag + "g"}, {tag + "h"});
  b.node("Conv", {tag + "h", tag + "w3"}, {tag + "p"}, conv_attrs(1, 1, 1));
  b.node("Add", {tag + "p", in}, {tag + "y"});
  return tag + "y";
}

TEST(PassesBlocked, SqueezeExciteBlocksRunBlocked) {
  if (!blocked_kernels_here()) GTEST_SKIP() << "block_channels is off on this CPU";
  for (int reduce_opset : {13, 18}) {
    SCOPED_TRACE(reduce_opset);
    GraphBuilder b;
    b.input("x", {1, 16, 12, 12});
    std::string y = mbconv(b, "x", 16, "a", reduce_opset);
    y = mbconv(b, y, 16, "b", reduce_opset);
    b.output(y);
    fuse_and_compare(b, {{"x", random_tensor(DType::kFloat32, {1, 16, 12, 12}, b.rng)}}, 1e-4);
    const std::vector<std::string> ops = graph_ops(b.g);
    EXPECT_EQ(count(ops, "BlockedConv"), 10);
    EXPECT_EQ(count(ops, "ToBlocked"), 1);
    EXPECT_EQ(count(ops, "FromBlocked"), 1);
    for (size_t i = 0; i < b.g.num_nodes(); ++i) {
      const auto id = static_cast<ir::NodeId>(i);
      if (b.g.is_removed(id) || b.g.node(id).op_type != "ReduceMean") continue;
      const ir::Node& n = b.g.node(id);
      EXPECT_EQ(b.g.value(n.inputs[0]).type.rank(), 5);
      if (reduce_opset >= 18) {
        const Tensor& axes = *b.g.value(n.inputs[1]).constant;
        EXPECT_EQ(std::vector<int64_t>(axes.data<int64_t>(), axes.data<int64_t>() + axes.size()),
                  (std::vector<int64_t>{2, 3}));
      } else {
        EXPECT_EQ(n.attrs.find("axes")->ints, (std::vector<int64_t>{2, 3}));
      }
    }
  }
}

TEST(PassesBlocked, SymbolicBatch) {
  if (!blocked_kernels_here()) GTEST_SKIP() << "block_channels is off on this CPU";
  GraphBuilder b;
  const Dim n = Dim::symbol(b.g.symbols().fresh());
  ASSERT_TRUE(b.g.add_input("x", ir::ValueType::tensor(DType::kFloat32, {n, 16, 7, 7})).has_value());
  std::string y = inverted_residual(b, "x", 16, 16, 1, "a");
  y = inverted_residual(b, y, 16, 16, 1, "b");
  b.output(y);
  fuse_and_compare(b, {{"x", random_tensor(DType::kFloat32, {3, 16, 7, 7}, b.rng)}}, 1e-4);
  EXPECT_EQ(count(graph_ops(b.g), "BlockedConv"), 6);
}

// ResNet bottlenecks with 16+ channels: their 3x3 convs run blocked too (Winograd reads and
// writes the blocked layout), and so do the stride-2 convs between stages, so whole stages convert.
TEST(PassesBlocked, BottleneckStagesRunBlocked) {
  if (!blocked_kernels_here()) GTEST_SKIP() << "block_channels is off on this CPU";
  GraphBuilder b;
  b.input("x", {1, 32, 10, 10});
  std::string in = "x";
  for (const char* tag : {"a", "b", "c"}) {
    const std::string t = tag;
    b.random_constant(t + "w1", {16, 32, 1, 1});
    b.random_constant(t + "w2", {16, 16, 3, 3});
    b.random_constant(t + "b2", {16});
    b.random_constant(t + "w3", {32, 16, 1, 1});
    b.node("Conv", {in, t + "w1"}, {t + "r"}, conv_attrs(1, 1, 1));
    b.node("Relu", {t + "r"}, {t + "rr"});
    b.node("Conv", {t + "rr", t + "w2", t + "b2"}, {t + "c"}, conv_attrs(1, 3, 1));
    b.node("Relu", {t + "c"}, {t + "cr"});
    b.node("Conv", {t + "cr", t + "w3"}, {t + "e"}, conv_attrs(1, 1, 1));
    b.node("Add", {t + "e", in}, {t + "s"});
    b.node("Relu", {t + "s"}, {t + "y"});
    in = t + "y";
  }
  // A downsampling block: stride-2 3x3 conv and a stride-2 1x1 shortcut (the dense kernels).
  b.random_constant("dw1", {16, 32, 1, 1});
  b.random_constant("dw2", {16, 16, 3, 3});
  b.random_constant("dw3", {64, 16, 1, 1});
  b.random_constant("dws", {64, 32, 1, 1});
  b.node("Conv", {in, "dw1"}, {"dr"}, conv_attrs(1, 1, 1));
  b.node("Relu", {"dr"}, {"drr"});
  b.node("Conv", {"drr", "dw2"}, {"dc"}, conv_attrs(1, 3, 2));
  b.node("Relu", {"dc"}, {"dcr"});
  b.node("Conv", {"dcr", "dw3"}, {"de"}, conv_attrs(1, 1, 1));
  b.node("Conv", {in, "dws"}, {"ds"}, conv_attrs(1, 1, 2));
  b.node("Add", {"de", "ds"}, {"dsum"});
  b.node("Relu", {"dsum"}, {"dy"});
  b.output("dy");
  // The unfused graph's 16-channel 3x3 convs run Winograd F(4x4) in NCHW (relative errors near
  // 2e-4 at these magnitudes), the blocked ones the dense kernel (too few channels for Winograd).
  fuse_and_compare(b, {{"x", random_tensor(DType::kFloat32, {1, 32, 10, 10}, b.rng)}}, 1e-3);
  const std::vector<std::string> ops = graph_ops(b.g);
  EXPECT_EQ(count(ops, "BlockedConv"), 13);
  EXPECT_EQ(count(ops, "ToBlocked"), 1);
  EXPECT_EQ(count(ops, "FromBlocked"), 1);
}

// ResNeXt-style blocks: 1x1, a grouped 3x3 (32 groups of 4 channels, merged two at a time into
// blocks of 8; then 8 groups of 8 at stride 2), 1x1, residual. The grouped convs join the chain
// and anchor it. A grouped conv whose merged groups cannot fill a block of outputs stays NCHW.
TEST(PassesBlocked, GroupedConvBlocksRunBlocked) {
  if (!blocked_kernels_here()) GTEST_SKIP() << "block_channels is off on this CPU";
  GraphBuilder b;
  // Weights scaled by 1 / sqrt(fan-in), so that values stay of order 1 through the 7 convs.
  auto weights = [&b](const std::string& name, Shape s) {
    Tensor w = random_tensor(DType::kFloat32, s, b.rng);
    const float scale = 1.0f / std::sqrt(static_cast<float>(s[1] * s[2] * s[3]));
    for (int64_t i = 0; i < w.size(); ++i) w.data<float>()[i] *= scale;
    b.constant(name, w);
  };
  b.input("x", {1, 64, 12, 12});
  std::string in = "x";
  for (const char* tag : {"a", "b"}) {
    const std::string t = tag;
    weights(t + "w1", {128, 64, 1, 1});
    weights(t + "w2", {128, 4, 3, 3});
    b.random_constant(t + "b2", {128});
    weights(t + "w3", {64, 128, 1, 1});
    b.node("Conv", {in, t + "w1"}, {t + "r"}, conv_attrs(1, 1, 1));
    b.node("Relu", {t + "r"}, {t + "rr"});
    b.node("Conv", {t + "rr", t + "w2", t + "b2"}, {t + "c"}, conv_attrs(32, 3, 1));
    b.node("Relu", {t + "c"}, {t + "cr"});
    b.node("Conv", {t + "cr", t + "w3"}, {t + "e"}, conv_attrs(1, 1, 1));
    b.node("Add", {t + "e", in}, {t + "y"});
    in = t + "y";
  }
  weights("sw", {64, 8, 3, 3});
  b.node("Conv", {in, "sw"}, {"s"}, conv_attrs(8, 3, 2));
  b.output("s");
  fuse_and_compare(b, {{"x", random_tensor(DType::kFloat32, {1, 64, 12, 12}, b.rng)}}, 1e-4);
  const std::vector<std::string> ops = graph_ops(b.g);
  EXPECT_EQ(count(ops, "BlockedConv"), 7);
  EXPECT_EQ(count(ops, "ToBlocked"), 1);
  EXPECT_EQ(count(ops, "FromBlocked"), 1);
  // 16 groups of 4 inputs and 2 outputs: merged two at a time they write 4 channels, not a block.
  GraphBuilder c;
  c.input("x", {1, 64, 12, 12});
  c.random_constant("w1", {64, 64, 1, 1});
  c.random_constant("w2", {32, 4, 3, 3});
  c.random_constant("w3", {64, 32, 1, 1});
  c.node("Conv", {"x", "w1"}, {"a"}, conv_attrs(1, 1, 1));
  c.node("Conv", {"a", "w2"}, {"g"}, conv_attrs(16, 3, 1));
  c.node("Conv", {"g", "w3"}, {"y"}, conv_attrs(1, 1, 1));
  c.output("y");
  fuse_and_compare(c, {{"x", random_tensor(DType::kFloat32, {1, 64, 12, 12}, c.rng)}}, 1e-4);
  // Nothing else anchors a chain (1x1 convs alone never do): all three stay NCHW.
  EXPECT_EQ(count(graph_ops(c.g), "BlockedConv"), 0);
}

TEST(PassesBlocked, ChainsThatDoNotPayStay) {
  if (!blocked_kernels_here()) GTEST_SKIP() << "block_channels is off on this CPU";
  // One block alone: 3 convs for 2 layout changes of 16K elements each.
  {
    GraphBuilder b;
    b.input("x", {1, 16, 32, 32});
    b.output(inverted_residual(b, "x", 16, 16, 1, "a"));
    fuse_and_compare(b, {{"x", random_tensor(DType::kFloat32, {1, 16, 32, 32}, b.rng)}}, 1e-4);
    EXPECT_EQ(count(graph_ops(b.g), "BlockedConv"), 0);
  }
  // The same block on an 8x8 plane: layout changes of 1K elements are not counted.
  {
    GraphBuilder b;
    b.input("x", {1, 16, 8, 8});
    b.output(inverted_residual(b, "x", 16, 16, 1, "a"));
    fuse_and_compare(b, {{"x", random_tensor(DType::kFloat32, {1, 16, 8, 8}, b.rng)}}, 1e-4);
    EXPECT_EQ(count(graph_ops(b.g), "BlockedConv"), 3);
  }
  // A bottleneck x -> 1x1 -> 3x3 (stride `stride`) -> 1x1 over `mid` channels, plus x when the
  // stride is 1.
  auto bottleneck = [](int64_t mid, int64_t stride) {
    GraphBuilder b;
    b.input("x", {1, 16, 8, 8});
    b.random_constant("w1", {mid, 16, 1, 1});
    b.random_constant("w2", {mid, mid, 3, 3});
    b.random_constant("w3", {16, mid, 1, 1});
    b.node("Conv", {"x", "w1"}, {"a"}, conv_attrs(1, 1, 1));
    b.node("Conv", {"a", "w2"}, {"c"}, conv_attrs(1, 3, stride));
    b.node("Conv", {"c", "w3"}, {stride == 1 ? "d" : "y"}, conv_attrs(1, 1, 1));
    if (stride == 1) b.node("Add", {"d", "x"}, {"y"});
    b.output("y");
    fuse_and_compare(b, {{"x", random_tensor(DType::kFloat32, {1, 16, 8, 8}, b.rng)}}, 1e-4);
    return count(graph_ops(b.g), "BlockedConv");
  };
  // Its window conv a 3x3 stride-2 conv over 256 channels: too wide for the all-taps-in-registers
  // kernel, so nothing anchors the chain, though its layout changes are free.
  EXPECT_EQ(bottleneck(256, 2), 0);
  // With 8 channels inside, its 3x3 conv (72 taps x channels) anchors it.
  EXPECT_EQ(bottleneck(8, 1), 3);
  // Channel counts that are not multiples of 8.
  {
    GraphBuilder b;
    b.input("x", {1, 12, 8, 8});
    std::string y = inverted_residual(b, "x", 12, 12, 1, "a");
    y = inverted_residual(b, y, 12, 12, 1, "b");
    b.output(y);
    fuse_and_compare(b, {{"x", random_tensor(DType::kFloat32, {1, 12, 8, 8}, b.rng)}}, 1e-4);
    EXPECT_EQ(count(graph_ops(b.g), "BlockedConv"), 0);
  }
}

// A DenseNet-style transition inside a chain: the AveragePool (2x2 stride 2, and 3x3 stride 2 with
// pads, ceil mode and count_include_pad) runs on the blocked tensor, so the chain is not split.
TEST(PassesBlocked, AveragePoolInsideAChainStaysBlocked) {
  if (!blocked_kernels_here()) GTEST_SKIP() << "block_channels is off on this CPU";
  for (int variant = 0; variant < 2; ++variant) {
    SCOPED_TRACE(variant);
    GraphBuilder b;
    b.input("x", {1, 16, 21, 21});
    for (const char* w : {"w1", "w2", "w3", "w4"}) b.random_constant(w, {16, 16, 3, 3});
    b.node("Conv", {"x", "w1"}, {"c1"}, conv_attrs(1, 3, 1));
    b.node("Relu", {"c1"}, {"r1"});
    b.node("Conv", {"r1", "w2"}, {"c2"}, conv_attrs(1, 3, 1));
    ir::Attributes pool = conv_attrs(1, variant == 0 ? 2 : 3, 2);
    pool.erase("group");
    if (variant == 0) pool.erase("pads");
    ir::Attribute ceil;
    ceil.name = variant == 0 ? "ceil_mode" : "count_include_pad";
    ceil.kind = ir::AttrKind::kInt;
    ceil.i = 1;
    pool.set(ceil);
    b.node("AveragePool", {"c2"}, {"p"}, pool);
    b.node("Conv", {"p", "w3"}, {"c3"}, conv_attrs(1, 3, 1));
    b.node("Relu", {"c3"}, {"r3"});
    b.node("Conv", {"r3", "w4"}, {"y"}, conv_attrs(1, 3, 1));
    b.output("y");
    // Four 3x3 convs of random weights (Winograd on both sides): values of 5-10, rounding 1e-4.
    fuse_and_compare(b, {{"x", random_tensor(DType::kFloat32, {1, 16, 21, 21}, b.rng)}}, 1e-3);
    const std::vector<std::string> ops = graph_ops(b.g);
    EXPECT_EQ(count(ops, "BlockedConv"), 4);
    EXPECT_EQ(count(ops, "ToBlocked"), 1);
    EXPECT_EQ(count(ops, "FromBlocked"), 1);
    EXPECT_EQ(count(ops, "AveragePool"), 1);
  }
}

}  // namespace
}  // namespace onnxrt::testing
