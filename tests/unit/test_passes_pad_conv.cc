// fuse_pad_conv: a zero constant Pad of the spatial dims before a Conv goes into the Conv's pads
// (added to pads it already has), with or without opset 18's axes; Pads that crop, pad channels,
// pad with another value or mode, feed a second reader, or meet an auto_pad Conv stay.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "ir/attribute.h"
#include "kernels/harness.h"
#include "unit/graph_builder.h"

namespace onnxrt::testing {
namespace {

std::map<std::string, Tensor> feed_x(GraphBuilder& b) {
  return {{"x", random_tensor(DType::kFloat32, {1, 3, 9, 7}, b.rng)}};
}

// x [1, 3, 9, 7] -> Pad(pads, value?, axes?) -> Conv(3 -> 4, 3x3, stride 2, conv_attrs) -> y.
void build(GraphBuilder& b, std::vector<int64_t> pads, ir::Attributes conv_attrs = {},
           const std::string& value = "", std::vector<int64_t> axes = {}, ir::Attributes pad_attrs = {}) {
  b.input("x", {1, 3, 9, 7});
  b.random_constant("w", {4, 3, 3, 3});
  b.random_constant("bias", {4});
  b.ints("pads", std::move(pads));
  std::vector<std::string> ins = {"x", "pads", value};
  if (!axes.empty()) {
    b.ints("axes", std::move(axes));
    ins.push_back("axes");
  }
  while (ins.back().empty()) ins.pop_back();
  b.node("Pad", ins, {"padded"}, std::move(pad_attrs));
  conv_attrs.set(ir::ints_attribute("strides", {2, 2}));
  b.node("Conv", {"padded", "w", "bias"}, {"y"}, std::move(conv_attrs));
  b.output("y");
}

std::vector<int64_t> conv_pads(const ir::Graph& g) {
  for (size_t i = 0; i < g.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (!g.is_removed(id) && g.node(id).op_type == "Conv") return ir::AttrReader(g.node(id)).ints("pads");
  }
  return {};
}

TEST(PassesPadConv, AsymmetricSpatialPadGoesIntoTheConv) {
  GraphBuilder b;
  build(b, {0, 0, 0, 1, 0, 0, 1, 2});  // H: 0 before, 1 after; W: 1 before, 2 after
  fuse_and_compare(b, feed_x(b), 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Conv"}));
  EXPECT_EQ(conv_pads(b.g), (std::vector<int64_t>{0, 1, 1, 2}));
}

TEST(PassesPadConv, AddsToTheConvsOwnPads) {
  GraphBuilder b;
  ir::Attributes conv;
  conv.set(ir::ints_attribute("pads", {1, 1, 1, 1}));
  build(b, {0, 0, 2, 0, 0, 0, 0, 1}, conv);
  fuse_and_compare(b, feed_x(b), 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Conv"}));
  EXPECT_EQ(conv_pads(b.g), (std::vector<int64_t>{3, 1, 1, 2}));
}

TEST(PassesPadConv, ExplicitZeroValueAndAxes) {
  for (std::vector<int64_t> axes : {std::vector<int64_t>{2, 3}, std::vector<int64_t>{-1, -2}}) {
    SCOPED_TRACE(axes[0]);
    GraphBuilder b;
    b.scalar("zero", 0.f);
    build(b, {1, 2, 0, 1}, {}, "zero", axes);
    fuse_and_compare(b, feed_x(b), 1e-5);
    EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Conv"}));
    // axes {2, 3}: H 1/0, W 2/1; axes {-1, -2}: W 1/0, H 2/1.
    EXPECT_EQ(conv_pads(b.g), axes[0] == 2 ? (std::vector<int64_t>{1, 2, 0, 1}) : (std::vector<int64_t>{2, 1, 1, 0}));
  }
}

TEST(PassesPadConv, PadsThatAreNotTheConvsStay) {
  const std::vector<std::string> kept = {"Pad", "Conv"};
  {  // a crop
    GraphBuilder b;
    build(b, {0, 0, 1, 1, 0, 0, -1, 0});
    fuse_and_compare(b, feed_x(b), 1e-5);
    EXPECT_EQ(graph_ops(b.g), kept);
  }
  {  // the value is not 0
    GraphBuilder b;
    b.scalar("one", 1.f);
    build(b, {0, 0, 1, 1, 0, 0, 1, 1}, {}, "one");
    fuse_and_compare(b, feed_x(b), 1e-5);
    EXPECT_EQ(graph_ops(b.g), kept);
  }
  {  // -0.0 would give -0 sums where the conv gives +0: kept as written
    GraphBuilder b;
    b.scalar("minus_zero", -0.f);
    build(b, {0, 0, 1, 1, 0, 0, 1, 1}, {}, "minus_zero");
    fuse_and_compare(b, feed_x(b), 1e-5);
    EXPECT_EQ(graph_ops(b.g), kept);
  }
  {  // reflect mode
    GraphBuilder b;
    ir::Attributes pad;
    pad.set(ir::string_attribute("mode", "reflect"));
    build(b, {0, 0, 1, 1, 0, 0, 1, 1}, {}, "", {}, pad);
    fuse_and_compare(b, feed_x(b), 1e-5);
    EXPECT_EQ(graph_ops(b.g), kept);
  }
  {  // auto_pad on the conv
    GraphBuilder b;
    ir::Attributes conv;
    conv.set(ir::string_attribute("auto_pad", "SAME_UPPER"));
    build(b, {0, 0, 1, 1, 0, 0, 1, 1}, conv);
    fuse_and_compare(b, feed_x(b), 1e-5);
    EXPECT_EQ(graph_ops(b.g), kept);
  }
  {  // the padded tensor has a second reader
    GraphBuilder b;
    build(b, {0, 0, 1, 1, 0, 0, 1, 1});
    b.node("Neg", {"padded"}, {"y2"});
    b.output("y2");
    fuse_and_compare(b, feed_x(b), 1e-5);
    EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Pad", "Conv", "Neg"}));
  }
}

// Channels padded: the conv's W would need more input channels, so the shapes say no already;
// a channel pad of 0 on both ends with spatial pads is fine (checked above). Here a batch pad.
TEST(PassesPadConv, BatchPadStays) {
  GraphBuilder b;
  build(b, {1, 0, 0, 0, 0, 0, 0, 0});
  fuse_and_compare(b, feed_x(b), 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Pad", "Conv"}));
}

}  // namespace
}  // namespace onnxrt::testing
