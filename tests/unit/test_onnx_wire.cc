// Malformed bytes must give clear errors, never crashes; well-formed bytes must round-trip.
#include <gtest/gtest.h>

#include "onnx/proto.h"
#include "onnx/wire.h"

namespace onnxrt::onnx {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

void expect_error(std::string_view in, const std::string& needle) {
  auto m = parse_model(in);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.status().code(), ErrorCode::kInvalidModel);
  EXPECT_NE(m.status().message().find(needle), std::string::npos) << m.status().message();
}

TEST(OnnxReaderWire, TruncatedVarint) { expect_error(bytes({0x08, 0x80}), "truncated varint"); }

TEST(OnnxReaderWire, VarintTooLong) {
  std::string s = bytes({0x08});
  for (int i = 0; i < 11; ++i) s.push_back(static_cast<char>(0xff));
  s.push_back(0x01);
  expect_error(s, "varint longer");
}

TEST(OnnxReaderWire, WrongWireTypeForKnownField) {
  // ir_version (field 1) sent as length-delimited.
  expect_error(bytes({0x0a, 0x01, 0x00}), "ModelProto.ir_version");
}

TEST(OnnxReaderWire, LengthBeyondBuffer) {
  // graph (field 7) claims 100 bytes, 2 are there.
  expect_error(bytes({0x3a, 100, 0x00, 0x00}), "exceeds");
}

TEST(OnnxReaderWire, NestedLengthBeyondEnclosingMessage) {
  // graph of 3 bytes whose node (field 1) claims 5 bytes; the model has more bytes after it.
  expect_error(bytes({0x3a, 0x03, 0x0a, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}), "GraphProto.node");
}

TEST(OnnxReaderWire, InvalidWireTypeAndFieldZero) {
  expect_error(bytes({0x0e}), "invalid wire type");
  expect_error(bytes({0x00}), "invalid field number");
}

TEST(OnnxReaderWire, UnknownFieldsAreKeptAndWrittenBack) {
  std::string s;
  WireWriter w(&s);
  w.int_field(1, 8);               // ir_version
  w.int_field(99, 5);              // unknown varint
  w.bytes_field(98, "abc");        // unknown bytes
  w.tag(97, WireType::kI32);
  w.fixed32(7);
  auto m = parse_model(s);
  ASSERT_TRUE(m.has_value()) << m.status().to_string();
  EXPECT_EQ(m->ir_version, 8);
  EXPECT_EQ(m->unknown.size(), 3u);
  EXPECT_EQ(serialize_model(*m), s);
}

TEST(OnnxReaderWire, PackedAndUnpackedRepeatedScalars) {
  std::string packed, unpacked;
  WireWriter p(&packed), u(&unpacked);
  p.tag(1, WireType::kLen);
  p.varint(3);
  p.varint(2);
  p.varint(3);
  p.varint(4);
  for (int d : {2, 3, 4}) u.int_field(1, d);
  auto a = parse_tensor(packed);
  auto b = parse_tensor(unpacked);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->dims, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(b->dims, a->dims);
  // Unpacked floats and a packed float run with a bad length.
  std::string f;
  WireWriter fw(&f);
  fw.tag(4, WireType::kI32);
  fw.fixed32(0x3f800000);
  auto t = parse_tensor(f);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->float_data, (std::vector<float>{1.0f}));
  std::string bad;
  WireWriter bw(&bad);
  bw.bytes_field(4, "abc");
  EXPECT_FALSE(parse_tensor(bad).has_value());
}

TEST(OnnxReaderWire, ZigzagAndPresence) {
  EXPECT_EQ(zigzag_decode(zigzag_encode(-5)), -5);
  EXPECT_EQ(zigzag_encode(-1), 1u);
  // A field present with its default value stays present through a round trip.
  std::string s;
  WireWriter w(&s);
  w.int_field(1, 0);
  auto m = parse_model(s);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->has_field(1));
  EXPECT_EQ(serialize_model(*m), s);
}

TEST(OnnxReaderWire, DeepNestingIsAnErrorNotACrash) {
  // graph -> node -> attribute -> graph ... 400 levels, written inside out.
  std::string g;  // innermost graph: empty
  for (int i = 0; i < 400; ++i) {
    std::string attr, node, graph;
    WireWriter a(&attr), n(&node), gr(&graph);
    a.bytes_field(1, "body");
    a.bytes_field(6, g);
    n.bytes_field(4, "Loop");
    n.bytes_field(5, attr);
    gr.bytes_field(1, node);
    g = graph;
  }
  std::string model;
  WireWriter m(&model);
  m.bytes_field(7, g);
  expect_error(model, "nested deeper");
}

TEST(OnnxReaderWire, GarbageNeverCrashes) {
  // Every prefix of a valid model and a few byte flips: errors or successes, no crash.
  std::string s;
  WireWriter w(&s);
  w.int_field(1, 8);
  std::string graph, node;
  WireWriter n(&node);
  n.bytes_field(1, "x");
  n.bytes_field(2, "y");
  n.bytes_field(4, "Relu");
  WireWriter g(&graph);
  g.bytes_field(1, node);
  g.bytes_field(2, "main");
  w.bytes_field(7, graph);
  for (size_t i = 0; i <= s.size(); ++i) (void)parse_model(std::string_view(s).substr(0, i));
  for (size_t i = 0; i < s.size(); ++i) {
    for (int v : {0x00, 0x7f, 0x80, 0xff, 0x0a}) {
      std::string t = s;
      t[i] = static_cast<char>(v);
      (void)parse_model(t);
    }
  }
  SUCCEED();
}

}  // namespace
}  // namespace onnxrt::onnx
